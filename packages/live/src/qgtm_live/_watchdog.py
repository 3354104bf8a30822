"""Watchdogs: stale data, broker disconnect, cycle overrun, and repeated failed restarts.

Each check returns the alarms it raised (empty when healthy) and sends them to the alert
channel. ``RestartTracker`` counts start-ups that did not complete a cycle, persisted in the
key-value store; the third in a row escalates, because a supervisor restarting a daemon that
dies at once will otherwise do so silently forever.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from qgtm_core import KeyValueStore
from qgtm_live._alerts import AlertChannel

__all__ = ["RestartTracker", "Watchdog", "WatchdogLimits"]

_log = logging.getLogger("qgtm.live.watchdog")
_RESTARTS_KEY = "live.failed_restarts"


@dataclass(frozen=True, slots=True)
class WatchdogLimits:
    """Thresholds of the watchdogs."""

    stale_data: timedelta = timedelta(days=4)
    cycle_overrun: timedelta = timedelta(seconds=30)
    max_failed_restarts: int = 3


class Watchdog:
    """Checks run by the daemon around every cycle."""

    def __init__(self, alerts: AlertChannel, limits: WatchdogLimits | None = None) -> None:
        self._alerts = alerts
        self.limits = limits or WatchdogLimits()
        self.alarms: list[str] = []

    def _raise(self, subject: str, body: str) -> list[str]:
        _log.error("%s: %s", subject, body)
        self.alarms.append(subject)
        self._alerts.send(subject, body)
        return [subject]

    def check_data(self, latest: datetime | None, now: datetime) -> list[str]:
        """Alarm if the newest market data is older than the limit (or missing)."""
        if latest is None:
            return self._raise("stale data", f"no market data at all at {now.isoformat()}")
        age = now - latest
        if age > self.limits.stale_data:
            return self._raise("stale data", f"newest bar {latest.isoformat()} is {age} old at {now.isoformat()}")
        return []

    def check_broker(self, connected: bool, name: str = "broker") -> list[str]:
        """Alarm while the broker link is down."""
        return [] if connected else self._raise("broker disconnected", f"{name}: connection lost; reconnecting")

    def check_cycle(self, seconds: float, cycle: int) -> list[str]:
        """Alarm if one cycle took longer than the limit."""
        limit = self.limits.cycle_overrun.total_seconds()
        if seconds > limit:
            return self._raise("cycle overrun", f"cycle {cycle} took {seconds:.3f}s (limit {limit:.3f}s)")
        return []


class RestartTracker:
    """Counts consecutive start-ups without a completed cycle and escalates at the limit."""

    def __init__(self, state: KeyValueStore, alerts: AlertChannel, limit: int = 3) -> None:
        self._state = state
        self._alerts = alerts
        self._limit = limit

    @property
    def failed(self) -> int:
        """Start-ups so far that have not completed a cycle."""
        value = self._state.get(_RESTARTS_KEY)
        return value if isinstance(value, int) else 0

    def starting(self) -> int:
        """Call at start-up. The previous start failed if no cycle reset the counter since."""
        failed = self.failed
        if failed >= self._limit:
            self._alerts.send(
                "daemon restart loop",
                f"{failed} restarts in a row without completing a cycle; operator attention needed",
            )
        self._state.put(_RESTARTS_KEY, failed + 1)
        return failed

    def progressed(self) -> None:
        """A cycle completed: the start-up succeeded."""
        if self.failed:
            self._state.put(_RESTARTS_KEY, 0)
