"""Every strategy: documented, typed, warm-up safe, and pointing the way its hypothesis says."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from qgtm_core import ConfigError, Direction, FeatureSet, InstrumentId, Signal
from qgtm_strategies import CATALOGUE, REGISTRY, StrategyBook, build_strategies

AT = datetime(2020, 1, 2, 21, 15, tzinfo=UTC)
L, S, F = Direction.LONG, Direction.SHORT, Direction.FLAT


def fs(values: Mapping[str, Mapping[str, float]] | None = None, **cross: float) -> FeatureSet:
    return FeatureSet(at=AT, values={InstrumentId(k): dict(v) for k, v in (values or {}).items()}, cross=cross)


def both(**x: float) -> dict[str, dict[str, float]]:
    return {"GLD": dict(x), "SLV": dict(x)}


# name -> (features, {instrument: expected direction}) for a case the hypothesis calls bullish and one it calls bearish
SCENARIOS: dict[str, list[tuple[FeatureSet, dict[str, Direction]]]] = {
    "gold_trend": [
        (fs({"GLD": {"sma_fast": 105.0, "sma_slow": 100.0}}), {"GLD": L}),
        (fs({"GLD": {"sma_fast": 95.0, "sma_slow": 100.0}}), {"GLD": F}),  # long-only by default
    ],
    "tsmom_1m": [(fs(both(mom_20=0.05)), {"GLD": L, "SLV": L}), (fs(both(mom_20=-0.05)), {"GLD": S})],
    "tsmom_3m": [(fs(both(mom_60=0.05)), {"GLD": L}), (fs(both(mom_60=-0.05)), {"SLV": S})],
    "tsmom_12m": [(fs(both(mom_250=0.2)), {"GLD": L}), (fs(both(mom_250=-0.2)), {"GLD": S})],
    "ma_crossover_50_200": [
        (fs(both(sma_50=105.0, sma_200=100.0)), {"GLD": L}),
        (fs(both(sma_50=95.0, sma_200=100.0)), {"GLD": S}),
    ],
    "donchian_breakout": [
        (fs(both(close=110.0, donchian_high_55=105.0, donchian_low_55=90.0)), {"GLD": L}),
        (fs(both(close=85.0, donchian_high_55=105.0, donchian_low_55=90.0)), {"GLD": S}),
    ],
    "kalman_trend": [(fs(gold_kf_slope_z=2.5), {"GLD": L}), (fs(gold_kf_slope_z=-2.5), {"GLD": S})],
    "vol_targeted_trend": [
        (fs(both(mom_120=0.1, vol_cc_60=0.2)), {"GLD": L}),
        (fs(both(mom_120=-0.1, vol_cc_60=0.2)), {"GLD": S}),
    ],
    "vol_breakout": [
        (fs(both(range_ratio_14=3.0, ret_1=0.02)), {"GLD": L}),
        (fs(both(range_ratio_14=3.0, ret_1=-0.02)), {"GLD": S}),
    ],
    "vol_compression_breakout": [
        (
            fs(both(vol_parkinson_20=0.1, vol_cc_60=0.2, close=110.0, donchian_high_20=105.0, donchian_low_20=95.0)),
            {"GLD": L},
        ),
        (
            fs(both(vol_parkinson_20=0.1, vol_cc_60=0.2, close=90.0, donchian_high_20=105.0, donchian_low_20=95.0)),
            {"GLD": S},
        ),
    ],
    "zscore_mr": [(fs(both(zscore_fast=-3.0)), {"GLD": L}), (fs(both(zscore_fast=3.0)), {"GLD": S})],
    "ewm_zscore_mr": [(fs(both(zscore_ewm_fast=-3.0)), {"GLD": L}), (fs(both(zscore_ewm_fast=3.0)), {"GLD": S})],
    "rsi_mr": [(fs(both(rsi_14=20.0)), {"GLD": L}), (fs(both(rsi_14=80.0)), {"GLD": S})],
    "bollinger_mr": [(fs(both(bb_pct_20=-1.5)), {"GLD": L}), (fs(both(bb_pct_20=1.5)), {"GLD": S})],
    "short_term_reversal": [(fs(both(mom_5=-0.06)), {"GLD": L}), (fs(both(mom_5=0.06)), {"GLD": S})],
    "gold_silver_ratio_mr": [
        (fs(gold_silver_ratio_z=3.0), {"SLV": L, "GLD": S}),
        (fs(gold_silver_ratio_z=-3.0), {"SLV": S, "GLD": L}),
    ],
    "kalman_pairs": [
        (fs(gs_kf_spread_z=-3.0, gs_kf_beta=0.8), {"GLD": L, "SLV": S}),
        (fs(gs_kf_spread_z=3.0, gs_kf_beta=0.8), {"GLD": S, "SLV": L}),
    ],
    "miners_vs_metal": [
        (fs(miners_gold_ratio_z=-3.0), {"GDX": L, "GLD": S}),
        (fs(miners_gold_ratio_z=3.0), {"GDX": S}),
    ],
    "silver_catch_up": [
        (fs({"GLD": {"mom_60": 0.05}}, gold_silver_ratio_mom_20=0.1), {"SLV": L}),
        (fs({"GLD": {"mom_60": -0.05}}, gold_silver_ratio_mom_20=0.1), {"SLV": F}),
    ],
    "risk_on_off": [
        (fs(equity_drawdown_60=-0.1, equity_vol_20=0.3), {"GLD": L, "SPY": F}),
        (fs(equity_drawdown_60=-0.01, equity_vol_20=0.1), {"GLD": F, "SPY": L}),
    ],
    "cot_gold_mm_contrarian": [
        (fs(COT_GOLD_MM_NET_pct_156=0.02), {"GLD": L}),
        (fs(COT_GOLD_MM_NET_pct_156=0.98), {"GLD": S}),
        (fs(COT_GOLD_MM_NET_pct_156=0.5), {"GLD": F}),
    ],
    "cot_silver_mm_contrarian": [
        (fs(COT_SILVER_MM_NET_pct_156=0.02), {"SLV": L}),
        (fs(COT_SILVER_MM_NET_pct_156=0.98), {"SLV": S}),
    ],
    "cot_gold_commercial": [
        (fs(COT_GOLD_COMM_NET_pct_156=0.98), {"GLD": L}),
        (fs(COT_GOLD_COMM_NET_pct_156=0.02), {"GLD": S}),
    ],
    "real_yield_momentum": [(fs(real_yield_chg_20=-0.5), {"GLD": L}), (fs(real_yield_chg_20=0.5), {"GLD": F})],
    "real_yield_beta": [
        (fs(gold_real_yield_beta_252=-0.02, real_yield_z_252=2.0), {"GLD": L}),
        (fs(gold_real_yield_beta_252=-0.02, real_yield_z_252=-2.0), {"GLD": S}),
        (fs(gold_real_yield_beta_252=0.02, real_yield_z_252=2.0), {"GLD": F}),
    ],
    "dollar_momentum": [(fs(dollar_mom_20=-0.04), {"GLD": L, "SLV": L}), (fs(dollar_mom_20=0.04), {"GLD": S})],
    "etf_flow_momentum": [(fs(GLD_TONNES_pchg_20=0.05), {"GLD": L}), (fs(GLD_TONNES_pchg_20=-0.05), {"GLD": F})],
    "seasonality_month": [
        (fs({"GLD": {"month": 1.0}}), {"GLD": L}),
        (fs({"GLD": {"month": 3.0}}), {"GLD": S}),
        (fs({"GLD": {"month": 4.0}}), {"GLD": F}),
    ],
    "turn_of_month": [
        (fs({"GLD": {"day_of_month": 1.0}}), {"GLD": L}),
        (fs({"GLD": {"day_of_month": 15.0}}), {"GLD": F}),
    ],
    "futures_carry": [(fs(gold_basis_z_60=-3.0), {"GLD": L}), (fs(gold_basis_z_60=3.0), {"GLD": S})],
}


def test_the_library_has_at_least_29_uniquely_named_strategies() -> None:
    names = [cls.name for cls in CATALOGUE]
    assert len(names) >= 29
    assert len(set(names)) == len(names)
    assert set(REGISTRY) == set(names)
    assert {"gold_trend", "gold_silver_ratio_mr"} <= set(REGISTRY)  # the configured defaults stay valid


def test_the_families_a_metals_desk_runs_are_covered() -> None:
    families = {cls.family for cls in CATALOGUE}
    assert {
        "trend",
        "momentum",
        "volatility",
        "mean_reversion",
        "pairs",
        "positioning",
        "macro",
        "flows",
        "seasonality",
        "relative_value",
        "regime",
        "carry",
        "instability",
    } <= families


@pytest.mark.parametrize("cls", CATALOGUE, ids=lambda c: c.name)
def test_every_strategy_documents_its_hypothesis_and_has_frozen_strict_params(cls: type) -> None:
    assert len(cls.hypothesis()) > 30
    params = cls.params_type()
    with pytest.raises(ValidationError):
        cls.params_type(no_such_parameter=1)
    with pytest.raises(ValidationError):
        params.horizon_bars = 3  # frozen
    for key in cls.grid:
        assert key in cls.params_type.model_fields, f"{cls.name}: grid key {key} is not a parameter"


@pytest.mark.parametrize("cls", CATALOGUE, ids=lambda c: c.name)
def test_every_strategy_stays_silent_or_flat_while_features_warm_up(cls: type) -> None:
    nan = float("nan")
    warming = fs(both(**dict.fromkeys(("close", "mom_20", "sma_fast"), nan)), eig_divergence=nan)
    for features in (fs(), warming):
        assert all(s.direction is F for s in cls().generate(features))


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_every_strategy_points_where_its_hypothesis_says(name: str) -> None:
    for features, expected in SCENARIOS[name]:
        signals = {s.instrument: s for s in REGISTRY[name]().generate(features)}
        for instrument, direction in expected.items():
            signal = signals[InstrumentId(instrument)]
            assert signal.direction is direction, (name, instrument, signal)
            assert signal.strategy == name
            assert (signal.conviction > 0) == (direction is not F)


def test_scenarios_cover_every_stateless_strategy() -> None:
    assert set(SCENARIOS) == set(REGISTRY) - {"eigen_divergence"}


_value = st.one_of(st.floats(-5, 5), st.just(float("nan")), st.floats(-200, 200))
INSTRUMENT_KEYS = sorted({k for cases in SCENARIOS.values() for f, _ in cases for v in f.values.values() for k in v})
CROSS_KEYS = sorted({k for cases in SCENARIOS.values() for f, _ in cases for k in f.cross} | {"eig_divergence"})


@settings(max_examples=60, deadline=None)
@given(
    instrument=st.dictionaries(st.sampled_from(INSTRUMENT_KEYS), _value),
    cross=st.dictionaries(st.sampled_from(CROSS_KEYS), _value),
)
def test_any_features_give_well_formed_signals_never_orders(
    instrument: dict[str, float], cross: dict[str, float]
) -> None:
    features = FeatureSet(at=AT, values={InstrumentId(i): instrument for i in ("GLD", "SLV", "SPY")}, cross=cross)
    book = StrategyBook(build_strategies(list(REGISTRY)))
    for signal in book.generate(features):
        assert isinstance(signal, Signal)
        assert 0.0 <= signal.conviction <= 1.0
        assert signal.horizon_bars >= 1
        assert signal.size_hint is not None
        assert 0.0 <= signal.size_hint <= 1.0
        assert not math.isnan(signal.conviction)


def test_unknown_strategy_names_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="unknown strategy 'nope'"):
        build_strategies(["gold_trend", "nope"])


def test_wrong_parameter_type_is_refused() -> None:
    other_params = type(REGISTRY["tsmom_1m"]()).params_type()
    with pytest.raises(TypeError, match="parameters must be GoldTrendParams"):
        type(REGISTRY["gold_trend"]())(other_params)
