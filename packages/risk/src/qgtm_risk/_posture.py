"""The graded posture (full, reduced, no new entries, flatten) with hysteresis.

Sensors are read every cycle; the worst reading sets the raw posture. Degrading is immediate.
Recovering needs the sensors to clear a stricter band (``recovery_band`` times each threshold) for
``recovery_cycles`` cycles in a row, and then moves one grade at a time. So a drawdown hovering at
its threshold cannot flip the book between grades every day. State is kept in the ``KeyValueStore``
so a restart does not reset the posture to full.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from qgtm_core import KeyValueStore, Posture

__all__ = ["PostureController", "PostureThresholds", "SensorReadings"]

_ORDER = (Posture.FULL, Posture.REDUCED, Posture.NO_NEW_ENTRIES, Posture.FLATTEN)
_KEY = "risk.posture"


@dataclass(frozen=True, slots=True)
class SensorReadings:
    """What the posture is computed from this cycle."""

    healthy: bool
    data_age: timedelta
    drawdown: float
    volatility: float


@dataclass(frozen=True, slots=True)
class PostureThresholds:
    """Sensor levels at which each grade starts (volatility annualised, drawdown as a fraction)."""

    drawdown_reduced: float = 0.10
    drawdown_no_new: float = 0.15
    drawdown_flatten: float = 0.20
    volatility_reduced: float = 0.35
    volatility_no_new: float = 0.60
    stale_after: timedelta = timedelta(days=4)
    recovery_band: float = 0.8
    recovery_cycles: int = 3


def _worse(a: Posture, b: Posture) -> Posture:
    return a if _ORDER.index(a) >= _ORDER.index(b) else b


class PostureController:
    """Turns sensor readings into a posture; remembers its grade and recovery count in ``store``."""

    def __init__(self, store: KeyValueStore, thresholds: PostureThresholds | None = None) -> None:
        self._store = store
        self.thresholds = thresholds or PostureThresholds()

    def raw(self, readings: SensorReadings, scale: float = 1.0) -> tuple[Posture, str]:
        """Posture the readings call for, with thresholds multiplied by ``scale``, and why."""
        t = self.thresholds
        posture, reasons = Posture.FULL, []
        checks = (
            (not readings.healthy, Posture.NO_NEW_ENTRIES, "health check failing"),
            (readings.data_age > t.stale_after * scale, Posture.NO_NEW_ENTRIES, f"data {readings.data_age} old"),
            (readings.drawdown >= t.drawdown_flatten * scale, Posture.FLATTEN, f"drawdown {readings.drawdown:.2%}"),
            (
                readings.drawdown >= t.drawdown_no_new * scale,
                Posture.NO_NEW_ENTRIES,
                f"drawdown {readings.drawdown:.2%}",
            ),
            (readings.drawdown >= t.drawdown_reduced * scale, Posture.REDUCED, f"drawdown {readings.drawdown:.2%}"),
            (
                math.isfinite(readings.volatility) and readings.volatility >= t.volatility_no_new * scale,
                Posture.NO_NEW_ENTRIES,
                f"volatility {readings.volatility:.1%}",
            ),
            (
                math.isfinite(readings.volatility) and readings.volatility >= t.volatility_reduced * scale,
                Posture.REDUCED,
                f"volatility {readings.volatility:.1%}",
            ),
        )
        for hit, grade, reason in checks:
            if hit:
                if _ORDER.index(grade) > _ORDER.index(posture):
                    reasons = [reason]
                elif grade is posture and reason not in reasons:
                    reasons.append(reason)
                posture = _worse(posture, grade)
        return posture, "; ".join(reasons) or "all sensors normal"

    @property
    def current(self) -> Posture:
        """The posture in force (full if none was ever stored)."""
        state = self._store.get(_KEY)
        value = state.get("posture") if isinstance(state, dict) else None
        return Posture(value) if isinstance(value, str) else Posture.FULL

    def _streak(self) -> int:
        state = self._store.get(_KEY)
        streak = state.get("streak") if isinstance(state, dict) else 0
        return streak if isinstance(streak, int) else 0

    def update(self, readings: SensorReadings) -> tuple[Posture, str]:
        """Advance one cycle: degrade at once, recover one grade after enough calm cycles."""
        current = self.current
        raw, reason = self.raw(readings)
        if _ORDER.index(raw) > _ORDER.index(current):
            posture, streak = raw, 0
        else:
            calm, _ = self.raw(readings, self.thresholds.recovery_band)
            if _ORDER.index(calm) < _ORDER.index(current):
                streak = self._streak() + 1
                if streak >= self.thresholds.recovery_cycles:
                    posture, streak = _ORDER[_ORDER.index(current) - 1], 0
                    reason = f"recovered after {self.thresholds.recovery_cycles} calm cycles"
                else:
                    posture = current
                    reason = f"holding {current.value}: {streak}/{self.thresholds.recovery_cycles} calm cycles"
            else:
                posture, streak = current, 0
                if current is not Posture.FULL and raw is not current:
                    reason = f"holding {current.value} until sensors clear the recovery band"
        self._store.put(_KEY, {"posture": posture.value, "streak": streak})
        return posture, reason
