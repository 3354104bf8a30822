"""Cycles per second of the full ten-step paper pipeline over the bundled real daily data.

Usage: uv run python benchmarks/bench_pipeline.py [--cycles N]
Prints cycles/s and the p50/p99 latency of one cycle and of each step.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from qgtm_app.paths import new_run
from qgtm_app.wiring import build_paper_rig
from qgtm_core import PipelineStep, QgtmSettings
from qgtm_core.config import RunConfig

REPO = Path(__file__).resolve().parent.parent


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cycles", type=int, default=0, help="0 = every session of the bundled data")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = QgtmSettings(run=RunConfig(data_dir=REPO / "data", var_dir=Path(tmp)))
        rig = build_paper_rig(settings, new_run(Path(tmp)))
        schedule = rig.schedule[: args.cycles] if args.cycles else rig.schedule
        cycle_ms: list[float] = []
        step_ms: dict[PipelineStep, list[float]] = {s: [] for s in PipelineStep}
        started = time.perf_counter()
        for number, at in enumerate(schedule, start=1):
            rig.clock.advance_to(at)
            rig.feed_venue(at)
            t = time.perf_counter()
            result = rig.pipeline.run_cycle(number)
            cycle_ms.append((time.perf_counter() - t) * 1e3)
            for step, nanos in result.step_nanos.items():
                step_ms[step].append(nanos / 1e6)
        elapsed = time.perf_counter() - started
        rig.close()
    print(f"full pipeline, {len(schedule)} daily cycles of {', '.join(settings.run.instruments)}")
    print(f"  cycles per second: {len(schedule) / elapsed:,.0f}")
    print(f"  cycle latency ms: p50 {statistics.median(cycle_ms):.3f}  p99 {percentile(cycle_ms, 0.99):.3f}")
    for step, values in step_ms.items():
        print(f"    {step.value:<22} p50 {statistics.median(values):.3f}  p99 {percentile(values, 0.99):.3f}")


if __name__ == "__main__":
    main()
