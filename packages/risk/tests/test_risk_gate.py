"""The full risk gate: which limit binds, the kill switch, the posture, the VaR limit, the report."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from _risk_helpers import DATA, MemoryKv, account, at, features, target

from qgtm_core import ConfigError, InstrumentId, KillSwitchError, Posture, RiskLimit
from qgtm_core.config import RiskConfig
from qgtm_risk import (
    FactorRiskModel,
    LeverageDrawdownRiskGate,
    PortfolioRiskGate,
    PortfolioRiskLimits,
    PostureThresholds,
    RiskLimits,
    StressReplayer,
    VarMethod,
    build_risk_gate,
)

GLD, SLV, SPY = InstrumentId("GLD"), InstrumentId("SLV"), InstrumentId("SPY")
DAY = date(2019, 6, 3)


def gate(limits: PortfolioRiskLimits | None = None, **kwargs: object) -> PortfolioRiskGate:
    return PortfolioRiskGate(limits or PortfolioRiskLimits(max_var=None), MemoryKv(), **kwargs)  # type: ignore[arg-type]


def test_instrument_gross_and_net_limits_bind_in_order() -> None:
    g = gate(PortfolioRiskLimits(max_gross_leverage=1.0, max_net_leverage=0.5, max_instrument_weight=0.6, max_var=None))
    when = at(DAY)
    result = g.assess(target(when, {"GLD": 0.9, "SLV": 0.4, "SPY": -0.1}), account(when, 100_000), features(when))
    w = result.approved.weights
    assert sum(abs(v) for v in w.values()) <= 1.0
    assert abs(sum(w.values())) <= 0.5
    assert abs(w[GLD]) <= 0.6
    limits = [b.limit for b in result.report.bindings]
    assert limits[0] is RiskLimit.INSTRUMENT_WEIGHT
    assert RiskLimit.GROSS_LEVERAGE in limits
    assert RiskLimit.NET_LEVERAGE in limits
    gld = [b for b in result.report.bindings if b.instrument == GLD]
    assert gld[0].requested_weight == 0.9
    assert gld[-1].approved_weight == pytest.approx(w[GLD])
    assert result.report.posture is Posture.FULL


def test_drawdown_trips_the_kill_switch_and_holds_the_book() -> None:
    g = gate(PortfolioRiskLimits(max_drawdown=0.2, max_daily_loss=0.9, max_var=None))
    day1, day2 = at(DAY), at(DAY + timedelta(days=1))
    g.assess(target(day1, {"GLD": 0.5}), account(day1, 100_000), features(day1))
    held = account(day2, 40_000, {"GLD": 300})  # equity 70,000: 30% below the peak
    result = g.assess(target(day2, {"GLD": 0.9, "SLV": 0.3}), held, features(day2))
    assert g.kill_switch.tripped
    assert "drawdown 30.00%" in (g.kill_switch.reason or "")
    assert result.approved.weights == {GLD: held.weight(GLD), SLV: 0.0}
    assert {b.limit for b in result.report.bindings} == {RiskLimit.DRAWDOWN}
    assert result.report.bindings[0].message.startswith("kill switch tripped: drawdown")
    assert result.report.kill_switch
    with pytest.raises(KillSwitchError, match="drawdown"):
        g.kill_switch.ensure_clear()


def test_daily_loss_against_the_previous_close_trips_the_kill_switch() -> None:
    g = gate(PortfolioRiskLimits(max_drawdown=0.9, max_daily_loss=0.05, max_var=None))
    day1, day2 = at(DAY), at(DAY + timedelta(days=1))
    g.assess(target(day1, {}), account(day1, 100_000), features(day1))
    g.assess(target(day1, {}), account(day1, 104_000), features(day1))  # later the same day: close 104k
    result = g.assess(target(day2, {}), account(day2, 98_000), features(day2))
    assert result.report.metrics["daily_loss"] == pytest.approx(1 - 98_000 / 104_000)
    assert g.kill_switch.tripped
    assert "daily loss" in (g.kill_switch.reason or "")
    assert result.report.bindings == ()  # nothing requested, nothing to block
    blocked = g.assess(target(day2, {"GLD": 0.2}), account(day2, 98_000), features(day2))
    assert [b.limit for b in blocked.report.bindings] == [RiskLimit.DAILY_LOSS]


def test_manual_trip_blocks_until_explicit_reset() -> None:
    g = gate()
    when = at(DAY)
    g.kill_switch.trip("operator halt", when)
    g.kill_switch.trip("second reason ignored", when)
    assert g.kill_switch.reason == "operator halt"
    blocked = g.assess(target(when, {"GLD": 0.3}), account(when, 100_000), features(when))
    assert blocked.approved.weights == {GLD: 0.0}
    assert [b.limit for b in blocked.report.bindings] == [RiskLimit.KILL_SWITCH]
    g.kill_switch.reset("ops@desk", when)
    g.kill_switch.ensure_clear()
    assert g.kill_switch.reason is None
    free = g.assess(target(when, {"GLD": 0.3}), account(when, 100_000), features(when))
    assert free.approved.weights == {GLD: 0.3}


def test_posture_flatten_no_new_entries_and_reduced() -> None:
    when = at(DAY)
    flat = gate(health=lambda: True, thresholds=PostureThresholds(drawdown_flatten=0.0))
    result = flat.assess(target(when, {"GLD": 0.3}), account(when, 50_000, {"SLV": 100}), features(when))
    assert result.report.posture is Posture.FLATTEN
    assert result.approved.weights == {GLD: 0.0, SLV: 0.0}
    sick = gate(health=lambda: False)
    held = account(when, 50_000, {"GLD": 100, "SLV": -100})  # GLD +1/6, SLV -1/6 of equity
    result = sick.assess(target(when, {"GLD": 0.5, "SLV": 0.1, "SPY": 0.2}), held, features(when))
    assert result.report.posture is Posture.NO_NEW_ENTRIES
    w = result.approved.weights
    assert w[GLD] == pytest.approx(held.weight(GLD))
    assert w[SLV] == 0.0  # covering a short is allowed, flipping it long is not
    assert w[SPY] == 0.0
    assert all(b.limit is RiskLimit.POSTURE for b in result.report.bindings)
    volatile = gate(PortfolioRiskLimits(max_gross_leverage=1.0, reduced_leverage_scale=0.5, max_var=None))
    result = volatile.assess(target(when, {"GLD": 0.8}), account(when, 50_000), features(when, {"GLD": 0.45}))
    assert result.report.posture is Posture.REDUCED
    assert result.approved.weights[GLD] == pytest.approx(0.5)
    assert result.report.bindings[0].limit is RiskLimit.POSTURE
    assert result.report.metrics["volatility"] == pytest.approx(0.45)


def test_stale_data_freezes_entries() -> None:
    g = gate()
    when = at(DAY)
    stale = features(when - timedelta(days=6))
    result = g.assess(target(when, {"GLD": 0.3}), account(when, 100_000), stale)
    assert result.report.posture is Posture.NO_NEW_ENTRIES
    assert "old" in result.report.bindings[0].message


@pytest.mark.parametrize("method", list(VarMethod))
def test_var_limit_scales_the_book_to_the_limit(model: FactorRiskModel, method: VarMethod) -> None:
    g = gate(PortfolioRiskLimits(max_var=0.01, var_method=method), model=model)
    when = at(DAY)
    result = g.assess(target(when, {"SLV": 0.8, "GLD": 0.2}), account(when, 100_000), features(when))
    assert result.report.bindings[-1].limit is RiskLimit.VAR
    assert method.value in result.report.bindings[-1].message
    assert result.report.metrics["var_limit_measure"] > 0.01
    approved = result.approved.weights
    assert approved[SLV] / approved[GLD] == pytest.approx(4.0)
    again = gate(PortfolioRiskLimits(max_var=0.01, var_method=method), model=model)
    check = again.assess(result.approved, account(when, 100_000), features(when))
    assert check.report.metrics["var_limit_measure"] <= 0.01
    assert check.report.bindings == ()
    key = {
        "historical": "var_historical_99",
        "parametric": "var_parametric_99",
        "cornish_fisher": "var_cornish_fisher_99",
    }
    assert check.report.metrics[key[method.value]] == pytest.approx(check.report.metrics["var_limit_measure"])


def test_report_carries_var_table_betas_and_stress(model: FactorRiskModel, stress: StressReplayer) -> None:
    g = gate(PortfolioRiskLimits(max_var=None), model=model, stress=stress)
    when = at(DAY)
    metrics = g.assess(target(when, {"GLD": 0.5, "SPY": 0.3}), account(when, 100_000), features(when)).report.metrics
    assert {
        f"{m}_{k}_{lvl}"
        for m in ("var", "cvar")
        for k in ("historical", "parametric", "cornish_fisher")
        for lvl in (95, 99)
    } <= set(metrics)
    assert metrics["beta_gold"] == pytest.approx(0.5, abs=0.05)
    assert metrics["beta_equities"] == pytest.approx(0.3, abs=0.05)
    assert metrics["stress_gold_crash_2013"] < 0
    assert metrics["model_age_days"] >= 1
    empty = g.assess(target(when, {}), account(when, 100_000), features(when)).report.metrics
    assert "var_historical_99" not in empty
    assert empty["stress_covid_2020"] == 0.0


def test_first_version_gate_still_works() -> None:
    store = MemoryKv()
    old = LeverageDrawdownRiskGate(RiskLimits(1.0, 1.0, 0.25), store)
    when = at(DAY)
    result = old.assess(target(when, {"GLD": 0.8, "SLV": 0.6}), account(when, 100_000), features(when))
    assert sum(result.approved.weights.values()) == pytest.approx(1.0)
    later = datetime(2019, 6, 4, 21, tzinfo=when.tzinfo)
    old.assess(target(later, {"GLD": 0.5}), account(later, 70_000), features(later))
    assert old.kill_switch.tripped


def test_gate_from_configuration() -> None:
    g = build_risk_gate(
        RiskConfig(max_instrument_weight=0.3, var_method="parametric", max_var=0.002, stale_after_hours=1),
        MemoryKv(),
        DATA,
    )
    assert g.limits.var_method is VarMethod.PARAMETRIC
    assert g.posture.thresholds.stale_after == timedelta(hours=1)
    when = at(DAY)
    result = g.assess(target(when, {"GLD": 0.5}), account(when, 100_000), features(when))
    assert [b.limit for b in result.report.bindings] == [RiskLimit.INSTRUMENT_WEIGHT, RiskLimit.VAR]


def test_reset_rebases_the_peak_so_the_switch_does_not_retrip() -> None:
    g = gate(PortfolioRiskLimits(max_drawdown=0.2, max_daily_loss=0.9, max_var=None))
    day1, day2, day3 = at(DAY), at(DAY + timedelta(days=1)), at(DAY + timedelta(days=2))
    g.assess(target(day1, {}), account(day1, 100_000), features(day1))
    g.assess(target(day2, {}), account(day2, 70_000), features(day2))
    assert g.kill_switch.tripped
    g.kill_switch.reset("risk officer", day2)
    resumed = g.assess(target(day3, {"GLD": 0.1}), account(day3, 69_000), features(day3))
    assert not g.kill_switch.tripped
    assert resumed.report.peak_equity == 69_000
    assert resumed.report.drawdown == 0.0
    assert resumed.report.metrics["daily_loss"] == 0.0
    assert resumed.approved.weights[GLD] == 0.1
    later = g.assess(target(day3, {"GLD": 0.1}), account(day3, 69_500), features(day3))
    assert later.report.peak_equity == 69_500  # rebased once, then tracked as usual


def test_limits_are_validated() -> None:
    with pytest.raises(ConfigError, match=r"max_var must be positive, got -0\.1"):
        PortfolioRiskLimits(max_var=-0.1)
    with pytest.raises(ConfigError, match=r"var_level must be in \(0.5, 1\)"):
        PortfolioRiskLimits(var_level=0.3)
