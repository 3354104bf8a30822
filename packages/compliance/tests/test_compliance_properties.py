"""Property: whatever the target, holdings and prices, the approved target breaches no configured limit."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from _compliance_helpers import MARKS, account, at, target
from hypothesis import given, settings
from hypothesis import strategies as st

from qgtm_compliance import FEDERAL_LEVELS_2021, RuleBookCompliance, default_rule_book
from qgtm_core import DEFAULT_UNIVERSE, AssetClass, ComplianceAction, InstrumentId

TRADABLE = sorted(i for i in DEFAULT_UNIVERSE.tradable())
CAP = 0.35
CAPS = {"SPY": 0.2}
CLASS_CAPS = {"metal_etf": 0.6, "miner_etf": 0.3, "metal_future": 0.8}
RESTRICTED = ("QQQ",)
EPS = 1e-9

GATE = RuleBookCompliance(
    default_rule_book(CAP, RESTRICTED, instrument_limits=CAPS, asset_class_limits=CLASS_CAPS), DEFAULT_UNIVERSE
)

weights = st.dictionaries(st.sampled_from(TRADABLE), st.floats(-3.0, 3.0, allow_nan=False), max_size=len(TRADABLE))
moves = st.fixed_dictionaries({i: st.floats(0.2, 5.0) for i in TRADABLE})  # market move: price multipliers
holdings = st.dictionaries(st.sampled_from(TRADABLE), st.integers(-50, 50).filter(bool), max_size=4)
days = st.integers(0, (date(2026, 11, 20) - date(2002, 1, 2)).days).map(lambda d: date(2002, 1, 2) + timedelta(d))


@settings(max_examples=300, deadline=None)
@given(weights, moves, holdings, st.floats(1_000.0, 5e9), days)
def test_no_approved_target_breaches_a_configured_limit(
    requested: dict[str, float], move: dict[str, float], held: dict[str, int], cash: float, day: date
) -> None:
    marks = {k: str((Decimal(MARKS[k]) * Decimal(str(move[k]))).quantize(Decimal("0.01"))) for k in TRADABLE}
    when = at(day)
    acct = account(when, cash, held, marks)
    if acct.equity <= 0:
        return
    result = GATE.check(target(when, requested), acct)
    approved = result.approved.weights
    equity = float(acct.equity)
    for instrument, weight in approved.items():
        cap = CAPS.get(instrument, CAP)
        assert abs(weight) <= cap + EPS, (instrument, weight)
        if instrument in RESTRICTED:
            assert weight == 0.0
    for name, cap in CLASS_CAPS.items():
        gross = sum(abs(w) for i, w in approved.items() if DEFAULT_UNIVERSE[i].asset_class is AssetClass(name))
        assert gross <= cap + EPS
    active = GATE.book.active(day)
    levels = FEDERAL_LEVELS_2021 if "federal" in active.label else None
    for future in ("GC", "SI"):
        instrument = InstrumentId(future)
        if instrument in approved and levels is not None:
            value = float(acct.marks[instrument] * DEFAULT_UNIVERSE[instrument].multiplier)
            assert abs(approved[instrument]) * equity / value <= levels[future].position_limit * (1 + EPS)
    # Intraday margin era: an approved increase of securities exposure never leaves a margin deficit.
    if "intraday" in active.label:
        securities = {
            i: w for i, w in approved.items() if DEFAULT_UNIVERSE[i].asset_class is not AssetClass.METAL_FUTURE
        }
        increased = [i for i, w in securities.items() if abs(w) > abs(acct.weight(i)) + EPS]
        if increased:
            assert sum(abs(w) * (0.25 if w >= 0 else 0.30) for w in securities.values()) <= 1.0 + EPS
    # Every change is explained: each instrument whose weight moved has a violation naming it.
    for instrument, weight in requested.items():
        if approved[InstrumentId(instrument)] != weight:
            assert any(v.instrument == instrument and v.action is not ComplianceAction.FLAG for v in result.violations)
