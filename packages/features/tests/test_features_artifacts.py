"""Normalisation artifacts, microstructure arithmetic, the engine front and table plumbing."""

from __future__ import annotations

import json
import math
from pathlib import Path

import polars as pl
import pytest

from qgtm_core import InstrumentId, IntegrityError, PitSnapshot, digest
from qgtm_features import (
    BasicFeatureEngine,
    Feature,
    FeatureLibrary,
    FeatureTable,
    LibraryFeatureEngine,
    NormalisationStats,
    bar_table,
    microstructure_table,
)

from ._features_data import generated_bars, yahoo


def test_normalisation_stats_round_trip_with_digest(tmp_path: Path) -> None:
    frame = pl.DataFrame({"a": [1.0, 2.0, 3.0, float("nan")], "b": [10.0, 10.0, 10.0, 10.0]})
    stats = NormalisationStats.fit(frame, ["a", "b"], fitted_on="test window")
    assert stats.mean["a"] == 2.0
    assert stats.std["a"] == 1.0
    path = tmp_path / "norm.json"
    recorded = stats.save(path)
    assert recorded == digest(stats.payload())
    loaded = NormalisationStats.load(path, expected_digest=recorded)
    assert loaded == stats
    # live values use the stored statistics: never re-estimated from what they see
    assert loaded.apply({"a": 4.0, "b": 11.0, "c": 5.0}) == {"a": 2.0, "b": 0.0, "c": 5.0}


def test_tampered_or_unexpected_normalisation_artifact_is_refused(tmp_path: Path) -> None:
    stats = NormalisationStats.fit(pl.DataFrame({"a": [1.0, 2.0, 4.0]}), ["a"])
    path = tmp_path / "norm.json"
    stats.save(path)
    body = json.loads(path.read_text())
    body["mean"]["a"] = 0.0
    path.write_text(json.dumps(body))
    with pytest.raises(IntegrityError, match="does not match"):
        NormalisationStats.load(path)
    stats.save(path)
    with pytest.raises(IntegrityError, match="not the expected"):
        NormalisationStats.load(path, expected_digest="0" * 64)
    path.write_text("{not json")
    with pytest.raises(IntegrityError, match="not a normalisation artifact"):
        NormalisationStats.load(path)


def test_normalisation_fit_names_bad_columns() -> None:
    frame = pl.DataFrame({"a": [1.0, float("nan")]})
    with pytest.raises(ValueError, match="'zz' not in the frame"):
        NormalisationStats.fit(frame, ["zz"])
    with pytest.raises(ValueError, match="fewer than 2 finite"):
        NormalisationStats.fit(frame, ["a"])


def test_microstructure_on_a_hand_made_book() -> None:
    frame = pl.DataFrame(
        {
            "bid_px_1": [100.0, 100.0, 100.0],
            "bid_sz_1": [300.0, 300.0, 100.0],
            "ask_px_1": [101.0, 101.0, 101.0],
            "ask_sz_1": [100.0, 100.0, 100.0],
        }
    )
    out = microstructure_table(levels=1, velocity_window=2).batch(frame).row(0, named=True)
    assert out["imbalance_1"] == pytest.approx(0.5)
    assert out["microprice"] == pytest.approx(100.75)  # (100 * 100 + 101 * 300) / 400
    assert out["spread"] == 1.0
    assert out["mid"] == 100.5
    assert out["spread_bps"] == pytest.approx(1.0 / 100.5 * 1e4)
    last = microstructure_table(levels=1, velocity_window=2).batch(frame).row(2, named=True)
    assert last["depth_withdrawal_velocity_2"] == pytest.approx((400.0 - 200.0) / 2)
    with pytest.raises(ValueError, match="must be positive"):
        microstructure_table(levels=0)


def test_tables_refuse_duplicate_names_and_bad_lookback() -> None:
    f = Feature("x", 1, pl.col("close"), ("close",))
    with pytest.raises(ValueError, match="duplicate feature names: x"):
        FeatureTable((f, f))
    with pytest.raises(ValueError, match="lookback"):
        Feature("y", 0, pl.col("close"), ("close",))


def test_empty_history_gives_nan_features() -> None:
    table = FeatureTable((Feature("x", 1, pl.col("close"), ("close",)),))
    value = table.latest(pl.DataFrame({"close": []}, schema={"close": pl.Float64}))
    assert math.isnan(value["x"])


def test_basic_engine_keeps_the_historical_names() -> None:
    gld = yahoo("etf/GLD_daily_yahoo_2004_2024.csv").head(300)
    slv = generated_bars(1, 300, 15.0).with_columns(gld.get_column("as_of"), gld.get_column("available_at"))
    at = gld.get_column("available_at")[-1]
    engine = BasicFeatureEngine(fast_window=10, slow_window=50)
    features = engine.compute(PitSnapshot(at=at, bars={InstrumentId("GLD"): gld, InstrumentId("SLV"): slv}))
    closes = gld.get_column("close")
    assert features.get(InstrumentId("GLD"), "close") == closes[-1]
    assert features.get(InstrumentId("GLD"), "sma_fast") == pytest.approx(closes.tail(10).mean())
    assert features.get(InstrumentId("GLD"), "sma_slow") == pytest.approx(closes.tail(50).mean())
    assert features.get(InstrumentId("GLD"), "mom_slow") == pytest.approx(closes[-1] / closes[-51] - 1.0)
    assert features.cross["gold_silver_ratio"] == pytest.approx(closes[-1] / slv.get_column("close")[-1])
    with pytest.raises(ValueError, match="shorter"):
        BasicFeatureEngine(50, 10)


def test_engine_on_a_young_history_pads_and_reports_nan() -> None:
    short = generated_bars(2, 5)
    engine = LibraryFeatureEngine()
    features = engine.compute(PitSnapshot(at=short.get_column("available_at")[-1], bars={InstrumentId("GLD"): short}))
    assert math.isnan(features.get(InstrumentId("GLD"), "sma_fast"))
    assert features.get(InstrumentId("GLD"), "ret_1") == pytest.approx(short["close"][-1] / short["close"][-2] - 1)
    empty = engine.compute(PitSnapshot(at=short.get_column("available_at")[-1], bars={}))
    assert dict(empty.values) == {}
    assert FeatureLibrary().aligned({}, {}).height == 0


def test_history_feature_sets_are_what_the_live_engine_sees() -> None:
    gld = yahoo("etf/GLD_daily_yahoo_2004_2024.csv").head(400)
    slv = generated_bars(3, 400, 15.0).with_columns(gld.get_column("as_of"), gld.get_column("available_at"))
    bars = {InstrumentId("GLD"): gld, InstrumentId("SLV"): slv.head(390)}
    history = FeatureLibrary().history(bars, {})
    sets = list(history.feature_sets())
    assert len(sets) == 390  # the aligned dates: both instruments traded
    last = sets[-1]
    assert last.at == gld.get_column("available_at")[389]
    assert last.get(InstrumentId("GLD"), "close") == gld.get_column("close")[389]
    assert last.cross["gold_silver_ratio"] == pytest.approx(gld["close"][389] / slv["close"][389])
    assert "as_of" not in last.cross


def test_bar_table_rejects_inverted_windows() -> None:
    with pytest.raises(ValueError, match="shorter than slow_window"):
        bar_table(50, 20)
