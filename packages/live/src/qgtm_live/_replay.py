"""The daemon loop over a replay schedule: advance the clock, let the world move, run a cycle.

``before_cycle`` is where the world moves (the paper venue sees the new bar open and fills);
``after_cycle`` is where progress and metrics are reported. A stop request (SIGTERM) ends the
loop between cycles, never inside one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from qgtm_core import CycleResult, ManualClock, Pipeline

__all__ = ["DaemonStats", "ReplayDaemon"]


@dataclass(slots=True)
class DaemonStats:
    """Counters the daemon keeps while it runs."""

    cycles: int = 0
    stopped_early: bool = False


class ReplayDaemon:
    """Runs the pipeline at each scheduled time of an accelerated replay clock."""

    def __init__(
        self,
        pipeline: Pipeline,
        clock: ManualClock,
        before_cycle: Callable[[datetime], None] | None = None,
        after_cycle: Callable[[CycleResult], None] | None = None,
    ) -> None:
        self._pipeline = pipeline
        self._clock = clock
        self._before = before_cycle
        self._after = after_cycle
        self._stop = False
        self.stats = DaemonStats()

    def request_stop(self) -> None:
        """Finish the current cycle, then stop (safe from a signal handler)."""
        self._stop = True

    def run(self, schedule: Iterable[datetime], max_cycles: int | None = None) -> DaemonStats:
        """Run one cycle per scheduled time until the schedule, ``max_cycles`` or a stop ends it."""
        for at in schedule:
            if self._stop or (max_cycles is not None and self.stats.cycles >= max_cycles):
                self.stats.stopped_early = self._stop
                break
            self._clock.advance_to(at)
            if self._before is not None:
                self._before(at)
            result = self._pipeline.run_cycle(self.stats.cycles + 1)
            self.stats.cycles += 1
            if self._after is not None:
                self._after(result)
        return self.stats
