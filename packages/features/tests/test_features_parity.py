"""Batch == incremental for every feature, on real and generated series; the future is refused."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qgtm_core import InstrumentId, LookAheadError, PitSnapshot
from qgtm_features import (
    Feature,
    FeatureLibrary,
    FeatureParams,
    FeatureTable,
    LibraryFeatureEngine,
    bar_table,
    cross_table,
    depth_columns,
    microstructure_table,
    series_table,
)

from ._features_data import fred, generated_bars, same, yahoo

GLD = yahoo("etf/GLD_daily_yahoo_2004_2024.csv")
SLV = yahoo("etf/SLV_daily_yahoo_2006_2024.csv")
SPY = yahoo("equities/SPY_daily_yahoo_1993_2024.csv")
DFII10 = fred("DFII10.csv")
DOLLAR = fred("DTWEXBGS.csv")
LIBRARY = FeatureLibrary(FeatureParams(eigen_instruments=("GLD", "SLV", "SPY")))
BARS = {InstrumentId("GLD"): GLD, InstrumentId("SLV"): SLV, InstrumentId("SPY"): SPY}
SERIES = {"DFII10": DFII10, "DTWEXBGS": DOLLAR}
ALIGNED = LIBRARY.aligned(BARS, SERIES)
CROSS = LIBRARY.cross_table_for(
    ["GLD", "SLV", "SPY"], [c for c in ALIGNED.columns if c not in ("as_of", "available_at")]
)
_SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _assert_parity(table: FeatureTable, frame: pl.DataFrame, cut: int) -> None:
    """The live value at ``cut`` (tail of the history up to it) equals the batch value at ``cut``."""
    batch = table.batch(frame).row(cut, named=True)
    live = table.latest(frame.head(cut + 1))
    assert set(live) == set(table.names)
    wrong = {name: (batch[name], live[name]) for name in table.names if not same(batch[name], live[name])}
    assert not wrong, f"batch != incremental at row {cut}: {wrong}"


@_SETTINGS
@given(cut=st.integers(min_value=0, max_value=GLD.height - 1))
def test_every_bar_feature_live_equals_batch_on_real_gold(cut: int) -> None:
    _assert_parity(bar_table(20, 100), GLD, cut)


@_SETTINGS
@given(seed=st.integers(0, 10_000), n=st.integers(2, 420), data=st.data())
def test_every_bar_feature_live_equals_batch_on_generated_bars(seed: int, n: int, data: st.DataObject) -> None:
    frame = generated_bars(seed, n)
    cut = data.draw(st.integers(0, n - 1))
    fast = data.draw(st.integers(2, 30))
    _assert_parity(bar_table(fast, fast + data.draw(st.integers(1, 120))), frame, cut)


@_SETTINGS
@given(cut=st.integers(min_value=0, max_value=ALIGNED.height - 1))
def test_every_cross_feature_live_equals_batch_on_real_data(cut: int) -> None:
    assert {"eig_divergence", "gold_real_yield_beta_252", "gold_silver_ratio_z"} <= set(CROSS.names)
    _assert_parity(CROSS, ALIGNED.drop("available_at"), cut)


@_SETTINGS
@given(seed=st.integers(0, 10_000), n=st.integers(3, 400), data=st.data())
def test_every_cross_feature_live_equals_batch_on_generated_data(seed: int, n: int, data: st.DataObject) -> None:
    frames = {i: generated_bars(seed + k, n) for k, i in enumerate(("GLD", "SLV", "SPY", "GDX"))}
    aligned = pl.DataFrame({i: f.get_column("close") for i, f in frames.items()}).with_columns(
        frames["GLD"].get_column("as_of"),
        DFII10.get_column("value").head(n).alias("DFII10"),
        (DOLLAR.get_column("value").head(n)).alias("DTWEXBGS"),
        (
            frames["GLD"].get_column("close")
            * 10.2
            * frames["GDX"].get_column("open")
            / frames["GDX"].get_column("close")
        ).alias("GC"),
        pl.lit(0.1).alias("GLD_OZ"),
    )
    table = cross_table(eigen_instruments=("GLD", "SLV", "SPY", "GDX"), eigen_windows=(5, 15, 40))
    _assert_parity(table, aligned, data.draw(st.integers(0, n - 1)))


@_SETTINGS
@given(cut=st.integers(min_value=0, max_value=DFII10.height - 1))
def test_every_series_feature_live_equals_batch_on_real_real_yield(cut: int) -> None:
    _assert_parity(series_table(), DFII10.select("value"), cut)


@_SETTINGS
@given(seed=st.integers(0, 10_000), n=st.integers(1, 300), data=st.data())
def test_every_microstructure_feature_live_equals_batch(seed: int, n: int, data: st.DataObject) -> None:
    rng = np.random.default_rng(seed)
    levels = 3
    mid = 100 + np.cumsum(rng.normal(0, 0.05, n))
    cols: dict[str, np.ndarray] = {}
    for i in range(1, levels + 1):
        cols[f"bid_px_{i}"] = mid - 0.01 * i - rng.uniform(0, 0.02, n)
        cols[f"ask_px_{i}"] = mid + 0.01 * i + rng.uniform(0, 0.02, n)
        cols[f"bid_sz_{i}"] = rng.uniform(1, 500, n)
        cols[f"ask_sz_{i}"] = rng.uniform(1, 500, n)
    frame = pl.DataFrame(cols).select(depth_columns(levels))
    _assert_parity(microstructure_table(levels, 5), frame, data.draw(st.integers(0, n - 1)))


def test_live_engine_equals_batch_history_bar_by_bar_including_kalman() -> None:
    """The engine, fed one session after another, reproduces the batch history exactly."""
    engine = LibraryFeatureEngine(LIBRARY.params)
    end = GLD.filter(pl.col("as_of").dt.year() == 2012).get_column("available_at")
    history = LIBRARY.history(
        {k: v.filter(pl.col("available_at") <= end[-1]) for k, v in BARS.items()},
        {k: v.filter(pl.col("available_at") <= end[-1]) for k, v in SERIES.items()},
    )
    for at in end.to_list()[-40:]:
        snapshot = PitSnapshot(
            at=at,
            bars={k: v.filter(pl.col("available_at") <= at) for k, v in BARS.items()},
            series={k: v.filter(pl.col("available_at") <= at) for k, v in SERIES.items()},
        )
        live = engine.compute(snapshot)
        cross_row = history.cross.filter(pl.col("available_at") == at).row(0, named=True)
        for name, value in cross_row.items():
            if name not in ("as_of", "available_at"):
                assert same(value, live.cross[name]), (at, name, value, live.cross[name])
        for instrument, frame in history.bars.items():
            row = frame.filter(pl.col("available_at") == at).row(0, named=True)
            for name in LIBRARY.bar_table.names:
                assert same(row[name], live.get(instrument, name)), (at, instrument, name)
    assert np.isfinite(live.cross["gs_kf_beta"])
    assert np.isfinite(live.cross["eig_divergence"])


def test_engine_restarts_filters_after_a_gap_like_a_fresh_batch() -> None:
    engine = LibraryFeatureEngine()
    stamps = GLD.get_column("available_at").to_list()
    for at in (stamps[2000], stamps[3000]):  # a jump of 1000 bars: the tail no longer reaches back
        snapshot = PitSnapshot(at=at, bars={k: v.filter(pl.col("available_at") <= at) for k, v in BARS.items()})
        live = engine.compute(snapshot)
    history = FeatureLibrary().history(snapshot.bars, {})
    row = history.cross.row(history.cross.height - 1, named=True)
    assert same(row["gs_kf_beta"], live.cross["gs_kf_beta"])
    assert same(row["gold_kf_slope"], live.cross["gold_kf_slope"])


def test_a_feature_reading_the_next_row_is_refused() -> None:
    peeking = Feature("tomorrow_return", 2, pl.col("close").shift(-1) / pl.col("close") - 1.0, ("close",))
    table = FeatureTable((peeking,))
    with pytest.raises(LookAheadError, match="tomorrow_return"):
        table.assert_causal(GLD.head(300))


def test_a_feature_reading_a_centred_window_is_refused() -> None:
    centred = Feature("centred_mean", 5, pl.col("close").rolling_mean(5, center=True), ("close",))
    with pytest.raises(LookAheadError, match="centred_mean"):
        FeatureTable((centred,)).assert_causal(GLD.head(300), cut=150)


def test_every_library_table_is_causal_on_real_data() -> None:
    LIBRARY.bar_table.assert_causal(GLD.head(600))
    CROSS.assert_causal(ALIGNED.drop("available_at").head(900))
    series_table().assert_causal(DFII10.select("value").head(600))


def test_causality_probe_needs_rows() -> None:
    with pytest.raises(ValueError, match="at least 3 rows"):
        LIBRARY.bar_table.assert_causal(GLD.head(2))
