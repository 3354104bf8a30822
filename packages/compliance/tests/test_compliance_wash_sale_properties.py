"""Invariants of the wash-sale ledger over generated trade sequences: basis and shares are conserved."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from qgtm_compliance import WashSaleLedger
from qgtm_core import InstrumentId

X = InstrumentId("X")
# Each step: days after the previous trade, buy (True) or sell, shares, price in cents.
steps = st.lists(
    st.tuples(st.integers(0, 40), st.booleans(), st.integers(1, 50), st.integers(100, 20_000)), max_size=40
)


@settings(max_examples=300, deadline=None)
@given(steps)
def test_basis_and_shares_are_conserved_and_disallowed_never_exceeds_the_loss(
    trades: list[tuple[int, bool, int, int]],
) -> None:
    ledger = WashSaleLedger()
    day = date(2024, 1, 2)
    held = 0
    cost = Decimal(0)
    for gap, is_buy, shares, cents in trades:
        day += timedelta(days=gap)
        price = Decimal(cents) / 100
        if is_buy:
            ledger.buy(X, Decimal(shares), price * shares, day)
            held += shares
            cost += price * shares
        elif held > 0:
            sold = min(shares, held)
            ledger.sell(X, Decimal(sold), price * sold, day)
            held -= sold
    open_basis = sum((lot.basis for lot in ledger.lots(X)), Decimal(0))
    sold_basis = sum((d.basis for d in ledger.dispositions), Decimal(0))
    moved = sum((a.disallowed_loss for a in ledger.adjustments), Decimal(0))
    # Basis in = cost of purchases + every disallowed loss moved into a replacement lot.
    assert abs(open_basis + sold_basis - (cost + moved)) < Decimal("1e-9")
    assert sum((lot.quantity for lot in ledger.lots(X)), Decimal(0)) == held
    assert ledger.short_quantity(X) == 0
    assert abs(sum((d.disallowed_loss for d in ledger.dispositions), Decimal(0)) - moved) < Decimal("1e-9")
    for disposition in ledger.dispositions:
        assert disposition.disallowed_loss >= 0
        assert disposition.disallowed_loss <= max(Decimal(0), -disposition.gain) + Decimal("1e-9")
        assert disposition.holding_start <= disposition.acquired
    replaced = [a.replacement_lot_id for a in ledger.adjustments]
    assert len(replaced) == len(set(replaced))  # a share replaces at most one loss
    for adjustment in ledger.adjustments:
        assert abs((adjustment.replacement_acquired - adjustment.sold).days) <= 30
