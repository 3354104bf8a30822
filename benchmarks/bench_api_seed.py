"""A realistic portfolio for the API benchmark: a few positions, so /v1/portfolio serialises real data."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from qgtm_api import InMemoryState, PortfolioView, PositionView


def seeded_state() -> InMemoryState:
    state = InMemoryState()
    positions = [
        PositionView(
            instrument=symbol,
            quantity=Decimal(qty),
            average_price=Decimal(avg),
            mark=Decimal(mark),
            market_value=Decimal(qty) * Decimal(mark),
            unrealized_pnl=Decimal(qty) * (Decimal(mark) - Decimal(avg)),
            realized_pnl=Decimal("1250.40"),
        )
        for symbol, qty, avg, mark in (
            ("GLD", 1200, "185.20", "190.75"),
            ("SLV", -3000, "22.10", "21.85"),
            ("GDX", 800, "30.05", "31.40"),
            ("SPY", 150, "470.00", "472.35"),
        )
    ]
    state.portfolio_view = PortfolioView(
        at=datetime(2024, 3, 4, 21, tzinfo=UTC),
        cash=Decimal("512345.67"),
        equity=Decimal("1000000.00"),
        realized_pnl=Decimal("5001.60"),
        unrealized_pnl=Decimal("9830.25"),
        commissions=Decimal("412.50"),
        positions=positions,
    )
    return state
