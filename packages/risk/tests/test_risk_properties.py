"""Properties: no approved target breaches a limit; a tripped kill switch blocks every order until reset."""

from __future__ import annotations

import tempfile
from datetime import date, timedelta
from pathlib import Path

import pytest
from _risk_helpers import MemoryKv, SqliteKv, account, at, features, target
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from qgtm_core import InstrumentId, Posture
from qgtm_risk import FactorRiskModel, PortfolioRiskGate, PortfolioRiskLimits, PostureThresholds, historical

NAMES = ["GLD", "SLV", "SPY", "QQQ", "GC", "SI", "IAU"]
DAYS = [date(2016, 3, 1), date(2019, 6, 3), date(2020, 3, 23)]
EPS = 1e-9

weights = st.dictionaries(st.sampled_from(NAMES), st.floats(-2.0, 2.0, allow_nan=False), max_size=len(NAMES))
holdings = st.dictionaries(st.sampled_from(NAMES), st.integers(-300, 300), max_size=4)
limits = st.builds(
    PortfolioRiskLimits,
    max_gross_leverage=st.floats(0.2, 2.0),
    max_net_leverage=st.floats(0.1, 1.5),
    max_instrument_weight=st.floats(0.05, 1.0),
    max_drawdown=st.floats(0.05, 0.5),
    max_daily_loss=st.floats(0.02, 0.3),
    max_var=st.one_of(st.none(), st.floats(0.002, 0.05)),
    reduced_leverage_scale=st.floats(0.1, 1.0),
)
# One cycle: a target, a market move (price multiplier), a health verdict, a volatility reading.
cycles = st.lists(st.tuples(weights, st.floats(0.6, 1.5), st.booleans(), st.floats(0.05, 0.9)), min_size=1, max_size=6)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(limits, holdings, cycles, st.sampled_from(DAYS))
def test_no_approved_target_ever_breaches_a_limit(
    model: FactorRiskModel,
    lim: PortfolioRiskLimits,
    held: dict[str, int],
    path: list[tuple[dict[str, float], float, bool, float]],
    day: date,
) -> None:
    healthy = [True]
    gate = PortfolioRiskGate(
        lim, MemoryKv(), model, thresholds=PostureThresholds(recovery_cycles=2), health=lambda: healthy[0]
    )
    price = 100.0
    for k, (requested, move, health, vol) in enumerate(path):
        price *= move
        healthy[0] = health
        when = at(day + timedelta(days=k))
        acct = account(when, 100_000.0, held, price)
        if acct.equity <= 0:
            return
        result = gate.assess(target(when, requested), acct, features(when, dict.fromkeys(NAMES, vol)))
        approved = result.approved.weights
        report = result.report
        current = {i: acct.weight(i) for i in set(approved) | set(acct.positions)}
        event(f"posture {report.posture.value}, kill switch {report.kill_switch}")
        for binding in report.bindings:
            event(f"bound by {binding.limit.value}")
        if report.kill_switch:
            assert approved == pytest.approx({i: current[i] for i in approved})
            continue
        gross_cap = lim.max_gross_leverage * (lim.reduced_leverage_scale if report.posture is Posture.REDUCED else 1)
        assert sum(abs(w) for w in approved.values()) <= gross_cap + EPS
        assert abs(sum(approved.values())) <= lim.max_net_leverage + EPS
        assert all(abs(w) <= lim.max_instrument_weight + EPS for w in approved.values())
        if lim.max_var is not None and any(approved.values()):
            estimate = model.estimate(when.date())
            assert historical(estimate.returns @ estimate.vector(approved), lim.var_level).var <= lim.max_var + EPS
        if report.posture is Posture.FLATTEN:
            assert not any(approved.values())
        if report.posture is Posture.NO_NEW_ENTRIES:
            for instrument, w in approved.items():
                c = current.get(instrument, 0.0)
                assert abs(w) <= abs(c) + EPS
                assert w * c >= 0
        # Every weight the gate changed is explained by a binding on that instrument.
        for instrument, w in requested.items():
            if approved[InstrumentId(instrument)] != pytest.approx(w, abs=1e-15):
                assert any(b.instrument == instrument for b in report.bindings)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(holdings, st.lists(st.tuples(weights, st.floats(0.6, 1.5)), min_size=1, max_size=5), st.booleans())
def test_kill_switch_blocks_every_new_order_until_reset_across_restarts(
    held: dict[str, int], path: list[tuple[dict[str, float], float]], restart_each_cycle: bool
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "state.db"
        store = SqliteKv(db)
        lim = PortfolioRiskLimits(max_var=None)
        PortfolioRiskGate(lim, store).kill_switch.trip("operator halt", at(DAYS[0]))
        store.close()
        price = 100.0
        store = SqliteKv(db)  # the daemon restarts
        gate = PortfolioRiskGate(lim, store)
        for k, (requested, move) in enumerate(path):
            price *= move
            when = at(DAYS[0] + timedelta(days=k))
            acct = account(when, 100_000.0, held, price)
            if restart_each_cycle:
                store.close()
                store = SqliteKv(db)
                gate = PortfolioRiskGate(lim, store)
            result = gate.assess(target(when, requested), acct, features(when))
            # No new order: the approved book is exactly what is held, so step 8 has nothing to send.
            assert all(result.approved.weights[i] == acct.weight(i) for i in result.approved.weights)
            assert result.report.kill_switch
        gate.kill_switch.reset("risk officer", at(DAYS[0]))
        store.close()
        store = SqliteKv(db)
        assert not PortfolioRiskGate(lim, store).kill_switch.tripped
        store.close()
