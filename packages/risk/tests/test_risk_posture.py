"""Graded posture: degrade at once, recover slowly, survive a restart."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from _risk_helpers import MemoryKv, SqliteKv

from qgtm_core import Posture
from qgtm_risk import PostureController, PostureThresholds, SensorReadings


def reading(drawdown: float = 0.0, vol: float = 0.1, healthy: bool = True, age_days: float = 0.0) -> SensorReadings:
    return SensorReadings(healthy, timedelta(days=age_days), drawdown, vol)


def test_each_sensor_sets_its_grade() -> None:
    controller = PostureController(MemoryKv())
    assert controller.raw(reading()) == (Posture.FULL, "all sensors normal")
    assert controller.raw(reading(drawdown=0.11))[0] is Posture.REDUCED
    assert controller.raw(reading(drawdown=0.16))[0] is Posture.NO_NEW_ENTRIES
    assert controller.raw(reading(drawdown=0.21)) == (Posture.FLATTEN, "drawdown 21.00%")
    assert controller.raw(reading(vol=0.40))[0] is Posture.REDUCED
    assert controller.raw(reading(vol=0.70))[0] is Posture.NO_NEW_ENTRIES
    assert controller.raw(reading(vol=float("nan")))[0] is Posture.FULL
    assert controller.raw(reading(healthy=False)) == (Posture.NO_NEW_ENTRIES, "health check failing")
    assert controller.raw(reading(age_days=5))[0] is Posture.NO_NEW_ENTRIES
    both = controller.raw(reading(healthy=False, age_days=5))[1]
    assert "health" in both
    assert "old" in both


def test_degrades_immediately_and_recovers_one_grade_after_calm_cycles() -> None:
    controller = PostureController(MemoryKv(), PostureThresholds(recovery_cycles=3))
    assert controller.update(reading(drawdown=0.21))[0] is Posture.FLATTEN
    # Back to normal readings: held for two cycles, then one grade better per three calm cycles.
    grades = [controller.update(reading())[0] for _ in range(9)]
    assert grades == [Posture.FLATTEN] * 2 + [Posture.NO_NEW_ENTRIES] * 3 + [Posture.REDUCED] * 3 + [Posture.FULL]
    assert controller.current is Posture.FULL


def test_hysteresis_band_prevents_flip_flop_at_a_threshold() -> None:
    controller = PostureController(MemoryKv(), PostureThresholds(recovery_cycles=1, recovery_band=0.8))
    path = [0.105, 0.095, 0.105, 0.095, 0.09, 0.079]  # drawdown hovering at the 10% reduced threshold
    grades = [controller.update(reading(drawdown=d)) for d in path]
    assert [g for g, _ in grades] == [Posture.REDUCED] * 5 + [Posture.FULL]
    assert "recovery band" in grades[1][1]
    assert "recovered" in grades[-1][1]


def test_calm_streak_resets_when_readings_worsen_again() -> None:
    controller = PostureController(MemoryKv(), PostureThresholds(recovery_cycles=3))
    controller.update(reading(drawdown=0.12))
    controller.update(reading())
    controller.update(reading())
    _, why = controller.update(reading(drawdown=0.09))  # inside the band: not calm
    assert "recovery band" in why
    assert controller.update(reading())[1] == "holding reduced: 1/3 calm cycles"


def test_posture_survives_a_restart(tmp_path: Path) -> None:
    store = SqliteKv(tmp_path / "state.db")
    PostureController(store).update(reading(drawdown=0.16))
    store.close()
    reopened = SqliteKv(tmp_path / "state.db")
    assert PostureController(reopened).current is Posture.NO_NEW_ENTRIES
    reopened.close()
