"""The daemon loop: for each scheduled time, wait for it, let the world move, run one cycle.

It is restartable at any instant. Before a cycle it writes ``{cycle, at, done: false}`` to the
key-value store, after it ``done: true``; a restarted daemon skips finished cycles and re-runs an
unfinished one *with the same number at the same time*, so the pipeline re-derives the same
correlation id and client order ids and the OMS recognises what it had already sent.

``before_cycle`` is where the world moves (the paper venue sees the new bar open and fills);
``after_cycle`` is where progress and metrics are reported. A stop request (SIGTERM) ends the
loop between cycles, never inside one. A halted executor (reconciliation mismatch) ends it with
an alarm. Watchdogs, the heartbeat and the model hot swap are optional collaborators.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from qgtm_core import BrokerError, Clock, CycleResult, KeyValueStore, ManualClock, Pipeline
from qgtm_live._heartbeat import Heartbeat
from qgtm_live._hot_swap import ModelHotSwap
from qgtm_live._watchdog import RestartTracker, Watchdog

__all__ = ["CYCLE_KEY", "Daemon", "DaemonStats", "ReplayDaemon", "WallClockPacer"]

_log = logging.getLogger("qgtm.live")
CYCLE_KEY = "live.cycle"


@dataclass(slots=True)
class DaemonStats:
    """Counters the daemon keeps while it runs."""

    cycles: int = 0
    stopped_early: bool = False
    resumed_at_cycle: int | None = None
    halted: str | None = None
    hot_swaps: int = 0
    broker_errors: int = 0
    alarms: list[str] = field(default_factory=list)


class WallClockPacer:
    """Waits (interruptibly) until a scheduled wall-clock time."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._stop = threading.Event()

    def stop(self) -> None:
        """Wake a waiting daemon so it can stop."""
        self._stop.set()

    def wait_until(self, at: datetime) -> bool:
        """Sleep until ``at``; False if stopped first."""
        while not self._stop.is_set():
            remaining = (at - self._clock.now()).total_seconds()
            if remaining <= 0:
                return True
            self._stop.wait(min(remaining, 1.0))
        return False


class Daemon:
    """Runs the pipeline at each scheduled time."""

    def __init__(
        self,
        pipeline: Pipeline,
        clock: Clock,
        before_cycle: Callable[[datetime], None] | None = None,
        after_cycle: Callable[[CycleResult], None] | None = None,
        *,
        state: KeyValueStore | None = None,
        heartbeat: Heartbeat | None = None,
        watchdog: Watchdog | None = None,
        restarts: RestartTracker | None = None,
        pacer: WallClockPacer | None = None,
        hot_swap: ModelHotSwap[object] | None = None,
        session_open: Callable[[datetime], datetime | None] | None = None,
        halted: Callable[[], str | None] | None = None,
        latest_data: Callable[[datetime], datetime | None] | None = None,
        broker_connected: Callable[[], bool] | None = None,
    ) -> None:
        self._pipeline = pipeline
        self._clock = clock
        self._before = before_cycle
        self._after = after_cycle
        self._state = state
        self._heartbeat = heartbeat
        self._watchdog = watchdog
        self._restarts = restarts
        self._pacer = pacer
        self._hot_swap = hot_swap
        self._session_open = session_open
        self._halted = halted
        self._latest_data = latest_data
        self._connected = broker_connected
        self._stop = False
        self.stats = DaemonStats()

    def request_stop(self) -> None:
        """Finish the current cycle, then stop (safe from a signal handler)."""
        self._stop = True
        if self._pacer is not None:
            self._pacer.stop()

    def _resume_point(self) -> tuple[int, datetime | None, bool]:
        """(next cycle number, time of the last recorded cycle, whether it finished)."""
        if self._state is None:
            return 1, None, True
        saved = self._state.get(CYCLE_KEY)
        if not isinstance(saved, dict):
            return 1, None, True
        cycle, at, done = int(str(saved["cycle"])), datetime.fromisoformat(str(saved["at"])), bool(saved["done"])
        self.stats.resumed_at_cycle = cycle + 1 if done else cycle
        return (cycle + 1 if done else cycle), at, done

    def _mark(self, cycle: int, at: datetime, done: bool) -> None:
        if self._state is not None:
            self._state.put(CYCLE_KEY, {"cycle": cycle, "at": at.isoformat(), "done": done})

    def _checks(self, at: datetime) -> None:
        if self._watchdog is None:
            return
        if self._latest_data is not None:
            self.stats.alarms += self._watchdog.check_data(self._latest_data(at), at)
        if self._connected is not None:
            self.stats.alarms += self._watchdog.check_broker(self._connected())

    def run(self, schedule: Iterable[datetime], max_cycles: int | None = None) -> DaemonStats:
        """Run one cycle per scheduled time until the schedule, ``max_cycles``, a stop or a halt ends it."""
        if self._restarts is not None:
            self._restarts.starting()
        cycle, last_at, last_done = self._resume_point()
        for at in schedule:
            if last_at is not None and (at < last_at or (at == last_at and last_done)):
                continue
            if self._stop or (max_cycles is not None and self.stats.cycles >= max_cycles):
                self.stats.stopped_early = self._stop
                break
            if self._pacer is not None and not self._pacer.wait_until(at):
                self.stats.stopped_early = True
                break
            if isinstance(self._clock, ManualClock):
                self._clock.advance_to(at)
            if self._hot_swap is not None and self._hot_swap.on_cycle(
                self._session_open(at) if self._session_open else None
            ):
                self.stats.hot_swaps += 1
            if self._before is not None:
                self._before(at)
            self._checks(at)
            self._mark(cycle, at, done=False)
            started = time.perf_counter()
            try:
                result = self._pipeline.run_cycle(cycle)
            except BrokerError as exc:
                # The link dropped mid-cycle: skip this time, keep the cycle number (unfinished), and
                # let the next cycle's reconciliation recover whatever happened meanwhile.
                self.stats.broker_errors += 1
                _log.error("cycle %d at %s skipped: %s", cycle, at.isoformat(), exc)
                if self._watchdog is not None:
                    self.stats.alarms += self._watchdog.check_broker(False, str(exc))
                continue
            elapsed = time.perf_counter() - started
            self._mark(cycle, at, done=True)
            self.stats.cycles += 1
            if self._restarts is not None:
                self._restarts.progressed()
            if self._heartbeat is not None:
                self._heartbeat.beat(datetime.now(UTC), cycle)
            if self._watchdog is not None:
                self.stats.alarms += self._watchdog.check_cycle(elapsed, cycle)
            if self._after is not None:
                self._after(result)
            cycle += 1
            halted = self._halted() if self._halted is not None else None
            if halted is not None:
                self.stats.halted = halted
                _log.error("trading halted, daemon stopping: %s", halted)
                break
        return self.stats


class ReplayDaemon(Daemon):
    """The daemon over an accelerated replay clock (the name the app has always used)."""
