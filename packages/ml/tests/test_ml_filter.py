from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qgtm_core import (
    ConfigError,
    Contribution,
    DataError,
    Direction,
    FeatureSet,
    InstrumentId,
    IntegrityError,
    MetaAction,
    Signal,
    StrategyId,
    TargetPortfolio,
)
from qgtm_core.config import MlConfig
from qgtm_core.signing import MinisignKeyPair
from qgtm_ml import (
    FilterSettings,
    ForewarningLevel,
    MetaLabeller,
    MetaPolicy,
    ModelCard,
    MonteCarloForewarner,
    RegimeMetaFilter,
    RegimeTracker,
    build_regime_stack,
    meta_row,
    meta_rows,
    save_hmm,
)

T0 = datetime(2024, 3, 1, 21, tzinfo=UTC)
GLD, SLV = InstrumentId("GLD"), InstrumentId("SLV")


def sig(strategy: str, instrument: InstrumentId, direction: Direction, conviction: float = 1.0) -> Signal:
    return Signal(StrategyId(strategy), instrument, direction, conviction, 20, T0)


def target_of(parts: dict[InstrumentId, list[tuple[str, float]]]) -> TargetPortfolio:
    return TargetPortfolio(
        T0,
        {i: sum(w for _, w in p) for i, p in parts.items()},
        {i: tuple(Contribution(StrategyId(s), w) for s, w in p) for i, p in parts.items()},
    )


def feats(at: datetime = T0, **values: dict[str, float]) -> FeatureSet:
    return FeatureSet(at, {InstrumentId(k): v for k, v in values.items()})


class FixedMeta(MetaLabeller):
    """A stand-in with chosen probabilities per signal side, to test the filter's arithmetic."""

    def __init__(self, p_long: float, p_short: float) -> None:  # no booster needed
        self.p_long, self.p_short = p_long, p_short
        self.feature_names = ()

    def probability(self, x: np.ndarray) -> np.ndarray:
        return np.where(x[:, 0] > 0, self.p_long, self.p_short)


def test_without_models_every_signal_is_kept_with_a_reason() -> None:
    result = RegimeMetaFilter().filter(
        target_of({GLD: [("a", 0.2)]}), [sig("a", GLD, Direction.LONG), sig("b", SLV, Direction.FLAT)], feats()
    )
    assert result.target.weights == {GLD: 0.2}
    assert [d.reason for d in result.decisions] == ["no meta-labeller loaded", "flat signal: nothing to filter"]
    assert result.regime == "unclassified"


def test_meta_probabilities_keep_reduce_or_reject_contributions() -> None:
    f = RegimeMetaFilter(meta=FixedMeta(p_long=0.5, p_short=0.1), policy=MetaPolicy(0.55, 0.45, 0.5))
    target = target_of({GLD: [("a", 0.2), ("b", -0.05)]})
    result = f.filter(target, [sig("a", GLD, Direction.LONG), sig("b", GLD, Direction.SHORT)], feats())
    a, b = result.decisions
    assert (a.action, a.scale, a.probability) == (MetaAction.REDUCE, pytest.approx(0.75), 0.5)
    assert (b.action, b.scale) == (MetaAction.REJECT, 0.0)
    assert b.reason.startswith("meta-label p=0.10 (reject")
    # the short is rejected, so the long stands alone, reduced: 0.2 * 0.75 = 0.15 (<= 0.15 aggregated)
    assert result.target.weights[GLD] == pytest.approx(0.15)
    assert sum(c.weight for c in result.target.explanations[GLD]) == pytest.approx(0.15)


def test_rejecting_one_side_of_a_hedge_never_grows_the_position() -> None:
    f = RegimeMetaFilter(meta=FixedMeta(p_long=0.9, p_short=0.1))
    target = target_of({GLD: [("a", 0.3), ("b", -0.25)]})
    result = f.filter(target, [sig("a", GLD, Direction.LONG), sig("b", GLD, Direction.SHORT)], feats())
    assert result.target.weights[GLD] == pytest.approx(0.05)
    assert sum(c.weight for c in result.target.explanations[GLD]) == pytest.approx(0.05)


def test_legacy_explanations_that_do_not_sum_to_the_weight_are_rescaled() -> None:
    target = TargetPortfolio(T0, {GLD: 0.1, SLV: 0.3}, {GLD: (Contribution(StrategyId("a"), 0.4),)})
    result = RegimeMetaFilter(meta=FixedMeta(0.5, 0.5)).filter(target, [sig("a", GLD, Direction.LONG)], feats())
    assert result.target.weights[GLD] == pytest.approx(0.075)
    assert result.target.weights[SLV] == 0.3  # no explanation: untouched


@settings(max_examples=100, deadline=None)
@given(
    parts=st.lists(
        st.tuples(st.sampled_from(["a", "b", "c"]), st.floats(-0.5, 0.5)),
        min_size=1,
        max_size=6,
        unique_by=lambda t: t[0],
    ),
    p_long=st.floats(0, 1),
    p_short=st.floats(0, 1),
)
def test_the_filter_never_increases_or_flips_a_weight(
    parts: list[tuple[str, float]], p_long: float, p_short: float
) -> None:
    target = target_of({GLD: parts})
    signals = [sig(s, GLD, Direction.LONG if w >= 0 else Direction.SHORT) for s, w in parts]
    result = RegimeMetaFilter(meta=FixedMeta(p_long, p_short)).filter(target, signals, feats())
    before, after = target.weights[GLD], result.target.weights[GLD]
    assert abs(after) <= abs(before) + 1e-12
    assert after * before >= 0
    assert sum(c.weight for c in result.target.explanations[GLD]) == pytest.approx(after, abs=1e-12)


def _jumpy_tracker() -> tuple[RegimeTracker, FeatureSet]:
    tracker = RegimeTracker(None, change_threshold=0.3)
    rng = np.random.default_rng(5)
    calm = rng.normal(0, 0.004, 300)
    tracker.warm_up(np.concatenate([calm, [0.06, -0.07]]), np.full(302, 0.1))
    return tracker, feats(GLD={"ret_1": 0.08, "vol_fast": 0.5})


def test_a_change_point_reduces_every_signal() -> None:
    tracker, features = _jumpy_tracker()
    f = RegimeMetaFilter(tracker, settings=FilterSettings(change_point_scale=0.5))
    result = f.filter(target_of({GLD: [("a", 0.2)]}), [sig("a", GLD, Direction.LONG)], features)
    (d,) = result.decisions
    assert d.action is MetaAction.REDUCE
    assert d.scale == 0.5
    assert "change point p=" in d.reason
    assert result.target.weights[GLD] == pytest.approx(0.1)
    assert "change point" in result.regime


def _seeded_filter(history: np.ndarray, forewarner: MonteCarloForewarner) -> RegimeMetaFilter:
    f = RegimeMetaFilter(forewarner=forewarner)
    f.seed_returns({GLD: history})
    return f


def test_forewarner_probability_grows_with_leverage_on_real_gold_returns(gld) -> None:
    r = gld.close[1:] / gld.close[:-1] - 1
    fw = MonteCarloForewarner(catastrophic_drawdown=0.15, horizon_days=63, paths=1000)
    probs = [fw.probability(np.array([w]), r[:, None]) for w in (0.25, 1.0, 2.0, 3.0)]
    assert probs[0] == 0.0
    assert probs == sorted(probs)
    assert probs[-1] > 0.5
    assert fw.level(0.0) is ForewarningLevel.GREEN
    assert fw.level(0.1) is ForewarningLevel.ORANGE
    assert fw.level(0.5) is ForewarningLevel.RED


def test_orange_scales_the_book_and_runs_once_a_day(gld) -> None:
    r = gld.close[1:] / gld.close[:-1] - 1
    fw = MonteCarloForewarner(catastrophic_drawdown=0.15, paths=500, orange_probability=0.01, red_probability=0.99)
    f = _seeded_filter(r, fw)
    result = f.filter(target_of({GLD: [("a", 1.0)]}), [sig("a", GLD, Direction.LONG)], feats(GLD={"ret_1": 0.0}))
    warning = f.forewarning
    assert warning is not None
    assert warning.level is ForewarningLevel.ORANGE
    assert warning.day == T0.date()
    assert result.target.weights[GLD] == pytest.approx(0.5)
    assert "forewarner orange" in result.decisions[0].reason
    # later the same day: the estimate is reused, not recomputed, even for a smaller book
    f.filter(target_of({GLD: [("a", 0.01)]}), [sig("a", GLD, Direction.LONG)], feats(T0 + timedelta(hours=1)))
    assert f.forewarning is warning


def test_red_halts_new_entries_but_lets_positions_shrink(gld) -> None:
    r = gld.close[1:] / gld.close[:-1] - 1
    fw = MonteCarloForewarner(catastrophic_drawdown=0.05, paths=300, orange_probability=0.01, red_probability=0.01)
    f = RegimeMetaFilter(forewarner=fw)
    f.seed_returns({GLD: r, SLV: r[::-1]})
    f.seed_reference_weights({GLD: 0.3})
    target = target_of({GLD: [("a", 0.5)], SLV: [("b", 0.2)]})
    result = f.filter(
        target,
        [sig("a", GLD, Direction.LONG), sig("b", SLV, Direction.LONG)],
        feats(GLD={"ret_1": 0.0}, SLV={"ret_1": 0.0}),
    )
    assert f.forewarning is not None
    assert f.forewarning.level is ForewarningLevel.RED
    assert result.target.weights[GLD] == pytest.approx(0.3)  # held at the existing size
    assert result.target.weights[SLV] == 0.0  # new entry refused
    by_instrument = {d.instrument: d for d in result.decisions}
    assert by_instrument[SLV].action is MetaAction.REJECT
    assert by_instrument[GLD].action is MetaAction.REDUCE
    assert "no new entries" in by_instrument[GLD].reason
    assert sum(c.weight for c in result.target.explanations[GLD]) == pytest.approx(0.3)


def test_forewarner_without_enough_history_gives_no_estimate() -> None:
    f = RegimeMetaFilter(forewarner=MonteCarloForewarner())
    result = f.filter(target_of({GLD: [("a", 0.4)]}), [sig("a", GLD, Direction.LONG)], feats(GLD={"ret_1": 0.01}))
    assert result.target.weights[GLD] == 0.4
    assert f.forewarning is not None
    assert f.forewarning.level is ForewarningLevel.GREEN
    assert "no estimate" in f.forewarning.reason


def test_forewarner_rejects_bad_inputs() -> None:
    fw = MonteCarloForewarner()
    with pytest.raises(DataError, match="no return history for held instrument"):
        fw.assess(date(2024, 1, 1), {GLD: 0.5}, {})
    with pytest.raises(DataError, match="do not match"):
        fw.probability(np.array([1.0, 1.0]), np.zeros((100, 1)))
    with pytest.raises(DataError, match="finite rows"):
        fw.probability(np.array([1.0]), np.zeros((3, 1)))
    assert fw.assess(date(2024, 1, 1), {GLD: 0.0}, {}).probability == 0.0
    for bad in ({"catastrophic_drawdown": 1.0}, {"paths": 0}, {"orange_probability": 0.5, "red_probability": 0.1}):
        with pytest.raises(ValueError, match="forewarn"):
            MonteCarloForewarner(**bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="orange_scale"):
        FilterSettings(orange_scale=2.0)
    with pytest.raises(ValueError, match="min_history_days"):
        FilterSettings(min_history_days=1)


def test_returns_are_recorded_once_per_cycle() -> None:
    f = RegimeMetaFilter(
        forewarner=MonteCarloForewarner(), settings=FilterSettings(min_history_days=2, history_days=10)
    )
    empty = target_of({})
    for k in range(3):
        at = T0 + timedelta(days=k)
        f.filter(empty, [], feats(at, GLD={"ret_1": 0.01 * k}))
        f.filter(empty, [], feats(at, GLD={"ret_1": 0.5}))
    assert list(f._history[GLD]) == [0.0, 0.01, 0.02]


def test_build_regime_stack_loads_verified_signed_models(tmp_path: Path, gld_hmm, gld_meta) -> None:
    key = MinisignKeyPair.generate()
    key.save(tmp_path / "k.key", tmp_path / "k.pub")
    save_hmm(gld_hmm, tmp_path, ModelCard("regime_hmm", "x", T0, {}, {}), signer=key)
    gld_meta.save(tmp_path, signer=key)
    stack = build_regime_stack(MlConfig(enabled=True, model_dir=tmp_path, public_key=tmp_path / "k.pub"))
    features = feats(GLD={"ret_1": 0.01, "vol_fast": 0.15, "zscore_fast": 1.0, "mom_slow": 0.05})
    result = stack.filter.filter(target_of({GLD: [("a", 0.2)]}), [sig("a", GLD, Direction.LONG)], features)
    (d,) = result.decisions
    assert d.probability is not None
    assert 0 <= d.probability <= 1
    assert result.regime.split(" ")[0] in {"calm", "turbulent"}
    assert stack.tracker.label(features) == result.regime.split(" ")[0]
    (tmp_path / "regime_hmm.hmm.json").write_text("{}")
    with pytest.raises(IntegrityError):
        build_regime_stack(MlConfig(enabled=True, model_dir=tmp_path))


def test_build_regime_stack_without_models() -> None:
    stack = build_regime_stack(MlConfig(forewarn=False))
    result = stack.filter.filter(target_of({GLD: [("a", 0.2)]}), [sig("a", GLD, Direction.LONG)], feats())
    assert result.decisions[0].reason == "no meta-labeller loaded"
    assert stack.filter.forewarning is None


def test_batched_meta_rows_equal_the_single_row_definition() -> None:
    signals = [sig("a", GLD, Direction.LONG, 0.3), sig("b", SLV, Direction.SHORT, 0.9), sig("c", GLD, Direction.SHORT)]
    features = feats(GLD={"ret_1": 0.01, "vol_fast": 0.2, "zscore_fast": 1.0, "mom_slow": 0.1}, SLV={"ret_1": -0.02})
    expected = np.array([meta_row(s, features, 0.7, 0.1) for s in signals])
    np.testing.assert_array_equal(meta_rows(signals, features, 0.7, 0.1), expected)


def test_bad_ml_configuration_is_a_config_error_naming_the_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"ml: need 0 <= reduce \(0.6\) <= keep \(0.5\)"):
        build_regime_stack(MlConfig(keep_threshold=0.5, reduce_threshold=0.6))
    with pytest.raises(ConfigError, match=r"ml\.public_key: .*absent\.pub is not a file"):
        build_regime_stack(MlConfig(public_key=tmp_path / "absent.pub"))
