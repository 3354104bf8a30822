"""Data-layer benchmarks: ingest of every bundled daily source, PIT snapshot latency over 50
series, and the full-history PIT panel of 50 series x 20 years, with peak memory of each.

    uv run python benchmarks/bench_data.py

Targets (issue 3): snapshot median < 1 ms over 50 series; panel 50 x 20 years < 200 ms.
"""

from __future__ import annotations

import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import numpy as np
import polars as pl

from qgtm_core import DEFAULT_UNIVERSE
from qgtm_data import (
    RESEARCH_SYMBOLS,
    TS_UTC,
    Ingestor,
    PitSeries,
    QuarantineTable,
    ShardStore,
    ValidationRules,
    Validator,
    bundled_adapters,
    pit_panel,
)

DATA = Path(__file__).resolve().parents[1] / "data"
T = TypeVar("T")


def _peak(fn: Callable[[], T]) -> tuple[T, float, float]:
    """Result, seconds, and the process's peak RSS (MiB) after the call.

    tracemalloc cannot see polars' Rust allocations (and slows Python-heavy code ~10x), so memory
    is the OS high-water mark: monotone over the run, so each figure is "peak so far".
    """
    start = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - start
    return result, elapsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_ingest(root: Path) -> ShardStore:
    known = frozenset(str(i) for i in DEFAULT_UNIVERSE) | RESEARCH_SYMBOLS
    ingestor = Ingestor(
        ShardStore(root / "store"),
        Validator(ValidationRules(instruments=known), lambda: datetime.now(UTC)),
        QuarantineTable(root / "q.sqlite"),
    )
    adapters = bundled_adapters(DATA)
    reports, elapsed, peak = _peak(lambda: ingestor.ingest_all(adapters))
    rows = sum(r.accepted + r.quarantined for r in reports)
    shards = sum(len(r.shards) for r in reports)
    print(f"ingest (cold): {len(adapters)} files, {len(reports)} feeds, {rows:,} rows, {shards} shards")
    print(f"  {elapsed:.2f} s  ({rows / elapsed:,.0f} rows/s)  peak RSS {peak:.0f} MiB")
    again, elapsed2, peak2 = _peak(lambda: ingestor.ingest_all(bundled_adapters(DATA)))
    print(
        f"ingest (again, no-op): {elapsed2:.2f} s, {sum(len(r.shards) for r in again)} new shards, "
        f"peak RSS {peak2:.0f} MiB"
    )
    _, verify_s, _ = _peak(ingestor.store.verify)
    print(f"verify: {len(ingestor.store.manifest())} shards re-hashed in {verify_s:.2f} s")
    return ingestor.store


def _synthetic(n_series: int, years: int) -> dict[str, pl.DataFrame]:
    """Business-daily series with next-morning availability, like FRED daily data."""
    days = pl.date_range(
        datetime(2006, 1, 2, tzinfo=UTC).date(), datetime(2006 + years, 1, 1, tzinfo=UTC).date(), "1d", eager=True
    )
    days = days.filter(days.dt.weekday() <= 5)
    rng = np.random.default_rng(1)
    out = {}
    for i in range(n_series):
        as_of = days.cast(pl.Datetime("us")).dt.replace_time_zone("UTC").cast(TS_UTC)
        out[f"S{i:02d}"] = pl.DataFrame(
            {
                "as_of": as_of,
                "available_at": as_of + timedelta(hours=13 + i % 5),
                "value": rng.standard_normal(days.len()).cumsum(),
            }
        )
    return out


def bench_snapshot_and_panel(store: ShardStore) -> None:
    real = {f"{i}/{f}": store.read(i, f) for i, f in store.feeds()}
    series = dict(list(real.items())[:50])
    assert len(series) == 50, len(series)
    indexed, build_s, build_peak = _peak(lambda: {k: PitSeries(v) for k, v in series.items()})
    print(f"PIT index of 50 real stored feeds: {build_s * 1e3:.1f} ms, peak RSS {build_peak:.0f} MiB")
    rng = np.random.default_rng(0)
    start, end = datetime(2006, 1, 1, tzinfo=UTC), datetime(2024, 1, 1, tzinfo=UTC)
    span = (end - start).total_seconds()
    times = [start + timedelta(seconds=float(s)) for s in rng.uniform(0, span, 2000)]

    def snapshot(at: datetime) -> dict[str, pl.DataFrame]:
        return {k: s.history(at) for k, s in indexed.items()}

    def latest(at: datetime) -> dict[str, dict[str, object] | None]:
        return {k: s.latest(at) for k, s in indexed.items()}

    for name, fn in (("snapshot(at) histories", snapshot), ("latest row per series", latest)):
        samples = []
        for at in times:
            t0 = time.perf_counter()
            fn(at)
            samples.append(time.perf_counter() - t0)
        samples.sort()
        median, p99 = statistics.median(samples), samples[int(len(samples) * 0.99)]
        print(f"{name} over 50 series: median {median * 1e3:.3f} ms, p99 {p99 * 1e3:.3f} ms (target median < 1 ms)")
    _, _, snap_peak = _peak(lambda: [snapshot(at) for at in times[:200]])
    print(f"  peak RSS after snapshots: {snap_peak:.0f} MiB")

    synthetic = _synthetic(50, 20)
    steps = synthetic["S00"].get_column("available_at")
    rows = sum(f.height for f in synthetic.values())
    runs = []
    for _ in range(5):
        panel, elapsed, peak = _peak(lambda: pit_panel(synthetic, steps))
        runs.append(elapsed)
    print(
        f"PIT panel 50 series x 20 years ({rows:,} rows, {panel.height} steps x {panel.width - 1} cols): "
        f"best {min(runs) * 1e3:.1f} ms, median {statistics.median(runs) * 1e3:.1f} ms (target < 200 ms), "
        f"peak RSS {peak:.0f} MiB"
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        store = bench_ingest(Path(scratch))
        bench_snapshot_and_panel(store)


if __name__ == "__main__":
    main()
