"""Feature library speed: batch history, the Kalman hedge ratio, and one live update.

    uv run python benchmarks/bench_features.py

Inputs are generated (20 instruments do not exist in data/): 20 years of daily OHLCV bars
(5,040 sessions) per instrument plus two daily macro series. Prints the median of several runs
and the ratio to each target from issue 5.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl

from qgtm_core import InstrumentId, PitSnapshot
from qgtm_features import FeatureLibrary, FeatureParams, KalmanHedgeRatio, LibraryFeatureEngine, run_filter

YEARS, SESSIONS, INSTRUMENTS = 20, 5_040, 20
TS = pl.Datetime("us", "UTC")


def _bars(seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.012, SESSIONS)))
    open_ = close * np.exp(rng.normal(0.0, 0.004, SESSIONS))
    start = datetime(2004, 1, 2, 21, tzinfo=UTC)
    stamps = [start + timedelta(days=i) for i in range(SESSIONS)]
    return pl.DataFrame(
        {
            "as_of": stamps,
            "available_at": [s + timedelta(minutes=15) for s in stamps],
            "open": open_,
            "high": np.maximum(open_, close) * 1.004,
            "low": np.minimum(open_, close) * 0.996,
            "close": close,
            "volume": rng.uniform(1e5, 1e6, SESSIONS),
        },
        schema_overrides={"as_of": TS, "available_at": TS},
    )


def _series(seed: int, bars: pl.DataFrame) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    return bars.select("as_of", "available_at").with_columns(value=1.0 + np.cumsum(rng.normal(0, 0.03, SESSIONS)))


def _median(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    names = ["GLD", "SLV", "SPY", *(f"X{i:02d}" for i in range(INSTRUMENTS - 3))]
    bars = {InstrumentId(n): _bars(i) for i, n in enumerate(names)}
    series = {"DFII10": _series(100, bars[InstrumentId("GLD")]), "DTWEXBGS": _series(101, bars[InstrumentId("GLD")])}
    library = FeatureLibrary(FeatureParams())
    history = library.history(bars, series)
    n_features = len(library.bar_table.names) * INSTRUMENTS + history.cross.width - 2
    print(f"inputs: {YEARS} years x {INSTRUMENTS} instruments ({SESSIONS} daily bars each), 2 macro series")
    print(f"features: {len(library.bar_table.names)} per instrument, {history.cross.width - 2} cross/filter/series")

    full = _median(lambda: library.history(bars, series), 5)
    bar_only = _median(lambda: [library.bar_table.batch(v) for v in bars.values()], 5)
    print(f"[1] all features, batch, 20y x 20 instruments: {full:.3f} s  (target 0.5 s, ratio {full / 0.5:.2f})")
    print(
        f"    of which bar features of the 20 instruments: {bar_only:.3f} s; {n_features / full:,.0f} feature-series/s"
    )

    pair = pl.DataFrame({"GLD": bars[InstrumentId("GLD")]["close"], "SLV": bars[InstrumentId("SLV")]["close"]})
    kalman = _median(lambda: run_filter(KalmanHedgeRatio(), pair), 5)
    print(
        f"[2] Kalman gold/silver hedge ratio (filterpy), 20 years: {kalman:.3f} s"
        f"  (target 0.12 s, ratio {kalman / 0.12:.2f})"
    )

    engine = LibraryFeatureEngine(FeatureParams())
    stamps = bars[InstrumentId("GLD")].get_column("available_at").to_list()
    snapshots = [
        PitSnapshot(
            at=at,
            bars={k: v.head(i + 1) for k, v in bars.items()},
            series={k: v.head(i + 1) for k, v in series.items()},
        )
        for i, at in enumerate(stamps[-60:], start=SESSIONS - 60)
    ]
    engine.compute(snapshots[0])  # warm the Kalman state once, as the daemon does at start-up
    timings = []
    for snapshot in snapshots[1:]:
        start = time.perf_counter()
        engine.compute(snapshot)
        timings.append(time.perf_counter() - start)
    live = statistics.median(timings)
    print(
        f"[3] one live update of all features, 20 instruments: {live * 1e3:.2f} ms median, "
        f"{max(timings) * 1e3:.2f} ms max  (target 1 ms, ratio {live / 1e-3:.1f})"
    )
    tails = {k: v.tail(library.bar_table.lookback) for k, v in bars.items()}
    one = _median(lambda: [library.bar_table.latest(v) for v in tails.values()], 20)
    print(f"    for scale: bar features of one instrument on its tail: {one / INSTRUMENTS * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
