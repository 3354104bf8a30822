from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qgtm_core import (
    DEFAULT_UNIVERSE,
    AssetClass,
    ConfigError,
    Direction,
    FeatureSet,
    InstrumentId,
    PipelineError,
    Signal,
    StrategyId,
)
from qgtm_core.config import PortfolioConfig
from qgtm_portfolio import (
    ConvictionWeightedAggregator,
    MultiStrategyAggregator,
    PortfolioConstraints,
    RegimeWeights,
    StrategyReturnTracker,
    StrategyWeighting,
    VolatilityTarget,
    build_aggregator,
)

T0 = datetime(2024, 1, 2, 21, tzinfo=UTC)
GLD, SLV, GDX, SPY = InstrumentId("GLD"), InstrumentId("SLV"), InstrumentId("GDX"), InstrumentId("SPY")


def sig(
    strategy: str, instrument: InstrumentId, direction: Direction, conviction: float, family: str = "other"
) -> Signal:
    return Signal(StrategyId(strategy), instrument, direction, conviction, 5, T0, family=family)


def feats(at: datetime = T0, **vols: float) -> FeatureSet:
    return FeatureSet(at, {InstrumentId(k): {"vol_fast": v, "ret_1": 0.0} for k, v in vols.items()})


def test_conviction_weights_are_the_mean_signed_conviction_times_max_weight() -> None:
    agg = MultiStrategyAggregator(constraints=PortfolioConstraints(max_weight=0.4, cash_buffer=0.0))
    target = agg.aggregate(
        [sig("a", GLD, Direction.LONG, 1.0), sig("b", GLD, Direction.SHORT, 0.5), sig("c", SLV, Direction.LONG, 0.25)],
        feats(),
    )
    # GLD: 0.4 * (1.0 - 0.5) / 2 = 0.1 ; SLV: 0.4 * 0.25 = 0.1
    assert target.weights[GLD] == pytest.approx(0.1)
    assert target.weights[SLV] == pytest.approx(0.1)
    assert [c.strategy for c in target.explanations[GLD]] == ["a", "b"]
    assert [c.weight for c in target.explanations[GLD]] == pytest.approx([0.2, -0.1])


def test_same_weights_as_the_legacy_conviction_aggregator_when_no_limit_binds() -> None:
    signals = [
        sig("a", GLD, Direction.LONG, 0.3),
        sig("b", SLV, Direction.SHORT, 0.2),
        sig("c", GLD, Direction.LONG, 0.1),
    ]
    legacy = ConvictionWeightedAggregator(0.4, 0.05, long_only=False).aggregate(signals, feats())
    new = MultiStrategyAggregator(constraints=PortfolioConstraints(0.4, False, 0.05)).aggregate(signals, feats())
    assert new.weights == pytest.approx(legacy.weights)


def test_voting_ignores_conviction_and_needs_a_quorum() -> None:
    agg = MultiStrategyAggregator(
        StrategyWeighting.VOTING, PortfolioConstraints(max_weight=0.3, cash_buffer=0.0), voting_quorum=0.5
    )
    signals = [
        sig("a", GLD, Direction.LONG, 0.1),
        sig("b", GLD, Direction.LONG, 0.9),
        sig("c", GLD, Direction.SHORT, 1.0),
        sig("a", SLV, Direction.LONG, 1.0),
        sig("b", SLV, Direction.SHORT, 1.0),
    ]
    target = agg.aggregate(signals, feats())
    # GLD: net vote +1 of 3 (33% < 50% quorum) -> 0; with quorum 0.3 it would be 0.3 * 1/3
    assert target.weights[GLD] == 0.0
    assert target.weights[SLV] == 0.0
    assert all("no quorum" in c.note for c in target.explanations[GLD])
    loose = MultiStrategyAggregator(
        StrategyWeighting.VOTING, PortfolioConstraints(max_weight=0.3, cash_buffer=0.0), voting_quorum=0.3
    )
    assert loose.aggregate(signals, feats()).weights[GLD] == pytest.approx(0.1)


def test_long_only_cuts_shorts_and_says_why() -> None:
    agg = MultiStrategyAggregator(constraints=PortfolioConstraints(long_only=True))
    target = agg.aggregate([sig("a", SLV, Direction.SHORT, 1.0)], feats())
    assert target.weights[SLV] == 0.0
    assert "long-only" in target.explanations[SLV][0].note


def test_instrument_asset_class_and_gross_caps_bind_in_turn() -> None:
    constraints = PortfolioConstraints(
        max_weight=0.3,
        cash_buffer=0.2,
        max_asset_class_weight={AssetClass.METAL_ETF: 0.4},
        universe=DEFAULT_UNIVERSE,
    )
    agg = MultiStrategyAggregator(constraints=constraints)
    raw_max = 0.3  # one signal at full conviction asks for max_weight
    signals = [
        sig("a", GLD, Direction.LONG, 1.0),
        sig("a", SLV, Direction.LONG, 1.0),
        sig("a", GDX, Direction.LONG, 1.0),
        sig("a", SPY, Direction.SHORT, 1.0),
    ]
    target = agg.aggregate(signals, feats())
    # metals: 0.3 + 0.3 = 0.6 > 0.4 -> x2/3 -> 0.2 each; book 0.2+0.2+0.3+0.3 = 1.0 > 0.8 -> x0.8
    assert target.weights[GLD] == pytest.approx(raw_max * (0.4 / 0.6) * 0.8)
    assert target.weights[GDX] == pytest.approx(0.3 * 0.8)
    assert target.weights[SPY] == pytest.approx(-0.3 * 0.8)
    assert target.gross == pytest.approx(0.8)
    assert "asset_class:metal_etf" in target.explanations[GLD][0].note


def test_asset_class_caps_need_a_universe_and_known_instruments() -> None:
    with pytest.raises(ConfigError, match="needs a universe"):
        PortfolioConstraints(max_asset_class_weight={AssetClass.METAL_ETF: 0.4})
    constraints = PortfolioConstraints(max_asset_class_weight={AssetClass.METAL_ETF: 0.4}, universe=DEFAULT_UNIVERSE)
    with pytest.raises(PipelineError, match="'PLAT' that is not in the universe"):
        MultiStrategyAggregator(constraints=constraints).aggregate(
            [sig("a", InstrumentId("PLAT"), Direction.LONG, 1)], feats()
        )


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"max_weight": 0.0}, "max_weight"),
        ({"cash_buffer": 1.0}, "cash_buffer"),
        ({"max_asset_class_weight": {AssetClass.METAL_ETF: -0.1}, "universe": DEFAULT_UNIVERSE}, "metal_etf"),
    ],
)
def test_bad_constraints_are_refused(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        PortfolioConstraints(**kwargs)  # type: ignore[arg-type]


def test_volatility_target_scales_the_book_to_the_target() -> None:
    target_vol = VolatilityTarget(annual_vol=0.05, max_scale=2.0, assumed_correlation=0.0)
    agg = MultiStrategyAggregator(
        constraints=PortfolioConstraints(max_weight=0.4, cash_buffer=0.0), volatility_target=target_vol
    )
    # one position 0.4 at 25% vol = 10% book vol -> halved to hit 5%
    target = agg.aggregate([sig("a", GLD, Direction.LONG, 1.0)], feats(GLD=0.25))
    assert target.weights[GLD] == pytest.approx(0.2)
    assert "vol target x0.500" in target.explanations[GLD][0].note
    # unknown vol -> untouched
    assert agg.aggregate([sig("a", GLD, Direction.LONG, 1.0)], feats(GLD=float("nan"))).weights[GLD] == pytest.approx(
        0.4
    )


def test_book_vol_uses_the_constant_correlation_formula() -> None:
    vt = VolatilityTarget(annual_vol=0.1, assumed_correlation=1.0)
    # perfectly correlated: vol of 0.5*0.2 + 0.5*0.2 is 0.2
    assert vt.book_vol({GLD: 0.5, SLV: 0.5}, feats(GLD=0.2, SLV=0.2)) == pytest.approx(0.2)
    vt0 = VolatilityTarget(annual_vol=0.1, assumed_correlation=0.0)
    assert vt0.book_vol({GLD: 0.5, SLV: 0.5}, feats(GLD=0.2, SLV=0.2)) == pytest.approx((2 * 0.1**2) ** 0.5)
    for bad in (
        {"annual_vol": 0.0},
        {"annual_vol": 0.1, "max_scale": 0.0},
        {"annual_vol": 0.1, "assumed_correlation": -1.0},
    ):
        with pytest.raises(ConfigError):
            VolatilityTarget(**bad)  # type: ignore[arg-type]


def test_regime_weights_shrink_a_family_in_its_regime_only() -> None:
    weights = RegimeWeights({"turbulent": {"trend": 0.5}})
    regime = {"now": "turbulent"}
    agg = MultiStrategyAggregator(
        constraints=PortfolioConstraints(max_weight=0.4, cash_buffer=0.0),
        regime_weights=weights,
        regime=lambda _f: regime["now"],
    )
    signals = [sig("t", GLD, Direction.LONG, 1.0, family="trend"), sig("m", SLV, Direction.LONG, 1.0, family="mr")]
    target = agg.aggregate(signals, feats())
    assert target.weights[GLD] == pytest.approx(0.2)
    assert target.weights[SLV] == pytest.approx(0.4)
    assert "regime[turbulent]=0.50" in target.explanations[GLD][0].note
    regime["now"] = "calm"
    assert agg.aggregate(signals, feats(T0 + timedelta(days=1))).weights[GLD] == pytest.approx(0.4)
    with pytest.raises(ConfigError, match=r"regime_weights\['x'\]\['trend'\]"):
        RegimeWeights({"x": {"trend": 3.0}})


def test_inverse_volatility_uses_instrument_vols_until_a_track_record_exists() -> None:
    agg = MultiStrategyAggregator(
        StrategyWeighting.INVERSE_VOLATILITY, PortfolioConstraints(max_weight=0.4, cash_buffer=0.0)
    )
    signals = [sig("calm", GLD, Direction.LONG, 0.5), sig("wild", SLV, Direction.LONG, 0.5)]
    agg.aggregate(signals, feats(GLD=0.1, SLV=0.3))
    assert agg.last_budgets[StrategyId("calm")] / agg.last_budgets[StrategyId("wild")] == pytest.approx(3.0)


def test_risk_parity_uses_the_measured_strategy_returns() -> None:
    tracker = StrategyReturnTracker(window=50)
    # b is twice as volatile as a, and uncorrelated
    a = [0.01 * ((-1) ** k) for k in range(40)]
    b = [0.02 * ((-1) ** (k // 2)) for k in range(40)]
    tracker.seed({StrategyId("a"): a, StrategyId("b"): b})
    agg = MultiStrategyAggregator(
        StrategyWeighting.RISK_PARITY, PortfolioConstraints(cash_buffer=0.0), tracker=tracker, min_history=20
    )
    agg.aggregate([sig("a", GLD, Direction.LONG, 0.5), sig("b", SLV, Direction.LONG, 0.5)], feats())
    ratio = agg.last_budgets[StrategyId("a")] / agg.last_budgets[StrategyId("b")]
    assert ratio == pytest.approx(2.0, rel=0.05)
    assert sum(agg.last_budgets.values()) == pytest.approx(2.0)
    inv = MultiStrategyAggregator(StrategyWeighting.INVERSE_VOLATILITY, tracker=tracker, min_history=20)
    inv.aggregate([sig("a", GLD, Direction.LONG, 0.5), sig("b", SLV, Direction.LONG, 0.5)], feats(T0 + timedelta(1)))
    assert inv.last_budgets[StrategyId("a")] / inv.last_budgets[StrategyId("b")] == pytest.approx(2.0, rel=0.05)


def test_tracker_credits_last_cycles_scores_with_this_bars_return_once() -> None:
    tracker = StrategyReturnTracker(window=3)
    a = StrategyId("a")
    tracker.observe(feats(), {a: {GLD: 0.5}})
    later = FeatureSet(T0 + timedelta(days=1), {GLD: {"ret_1": 0.02}, SLV: {"ret_1": float("nan")}})
    tracker.observe(later, {a: {GLD: -1.0, SLV: 1.0}})
    tracker.observe(later, {a: {GLD: 1.0}})  # same bar again: ignored
    assert tracker.history(a) == pytest.approx((0.01,))
    last = FeatureSet(T0 + timedelta(days=2), {GLD: {"ret_1": 0.01}, SLV: {"ret_1": 0.03}})
    tracker.observe(last, {})
    assert tracker.history(a) == pytest.approx((0.01, 0.02))
    assert tracker.aligned([a], 3) is None
    assert tracker.aligned([a, StrategyId("unknown")], 1) is None
    assert tracker.aligned([a], 2) == [pytest.approx([0.01, 0.02])]
    with pytest.raises(ValueError, match="window"):
        StrategyReturnTracker(window=1)


def test_build_aggregator_from_config() -> None:
    config = PortfolioConfig(
        method="risk_parity",
        volatility_target=0.1,
        max_asset_class_weight={"metal_etf": 0.5},
        regime_weights={"turbulent": {"trend": 0.5}},
    )
    agg = build_aggregator(config, DEFAULT_UNIVERSE, regime=lambda _f: "turbulent")
    target = agg.aggregate([sig("t", GLD, Direction.LONG, 1.0, family="trend")], feats(GLD=0.1))
    assert agg.last_regime == "turbulent"
    assert 0 < target.weights[GLD] <= 0.4
    with pytest.raises(ConfigError, match="unknown asset class 'bonds'"):
        build_aggregator(PortfolioConfig(max_asset_class_weight={"bonds": 0.5}), DEFAULT_UNIVERSE)
    with pytest.raises(ValueError, match="voting_quorum"):
        MultiStrategyAggregator(voting_quorum=1.5)


_INSTRUMENTS = [i for i in DEFAULT_UNIVERSE if DEFAULT_UNIVERSE[i].tradable]
_signal = st.builds(
    sig,
    st.sampled_from(["s1", "s2", "s3", "s4"]),
    st.sampled_from(_INSTRUMENTS),
    st.sampled_from(list(Direction)),
    st.floats(0.0, 1.0),
    st.sampled_from(["trend", "mr"]),
)


@settings(max_examples=150, deadline=None)
@given(
    signals=st.lists(_signal, max_size=30),
    method=st.sampled_from(list(StrategyWeighting)),
    max_weight=st.floats(0.05, 1.0),
    cash_buffer=st.floats(0.0, 0.5),
    metal_cap=st.floats(0.0, 1.0),
    long_only=st.booleans(),
    vol=st.floats(0.05, 0.8),
    target_vol=st.none() | st.floats(0.02, 0.4),
)
def test_no_target_breaches_a_limit_and_contributions_add_up(
    signals: list[Signal],
    method: StrategyWeighting,
    max_weight: float,
    cash_buffer: float,
    metal_cap: float,
    long_only: bool,
    vol: float,
    target_vol: float | None,
) -> None:
    constraints = PortfolioConstraints(
        max_weight, long_only, cash_buffer, {AssetClass.METAL_ETF: metal_cap}, DEFAULT_UNIVERSE
    )
    vt = VolatilityTarget(target_vol, max_scale=3.0) if target_vol is not None else None
    agg = MultiStrategyAggregator(
        method, constraints, volatility_target=vt, regime_weights=RegimeWeights({"unclassified": {"mr": 2.0}})
    )
    target = agg.aggregate(signals, feats(**dict.fromkeys(_INSTRUMENTS, vol)))
    eps = 1e-9
    assert target.gross <= 1 - cash_buffer + eps
    metals = sum(abs(w) for i, w in target.weights.items() if DEFAULT_UNIVERSE[i].asset_class is AssetClass.METAL_ETF)
    assert metals <= metal_cap + eps
    for instrument, weight in target.weights.items():
        assert abs(weight) <= max_weight + eps
        if long_only:
            assert weight >= 0.0
        assert sum(c.weight for c in target.explanations[instrument]) == pytest.approx(weight, abs=1e-12)
    assert set(target.weights) == {s.instrument for s in signals}


def test_notes_carry_the_budget_regime_rationale_and_constraints() -> None:
    agg = MultiStrategyAggregator(constraints=PortfolioConstraints(max_weight=0.4, cash_buffer=0.5))
    with_why = Signal(StrategyId("a"), GLD, Direction.LONG, 1.0, 5, T0, rationale="sma gap 3%")
    target = agg.aggregate([with_why, sig("b", SLV, Direction.LONG, 1.0)], feats())
    assert (
        target.explanations[GLD][0].note
        == "conviction budget=1.000 regime[unclassified]=1.00; sma gap 3%; gross_budget x0.625"
    )
    assert target.explanations[SLV][0].note == "conviction budget=1.000 regime[unclassified]=1.00; gross_budget x0.625"
