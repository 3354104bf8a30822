"""Builders shared by the compliance tests."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal

from qgtm_core import (
    DEFAULT_UNIVERSE,
    AccountState,
    ClientOrderId,
    ExecutionId,
    Fill,
    InstrumentId,
    Position,
    Side,
    TargetPortfolio,
)

MARKS = {
    "GLD": "180",
    "SLV": "22",
    "IAU": "38",
    "GDX": "30",
    "SIL": "28",
    "SPY": "450",
    "QQQ": "380",
    "GC": "2000",
    "SI": "25",
}


def at(day: date, hour: int = 20) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def account(
    when: datetime, cash: float, holdings: Mapping[str, float] | None = None, marks: Mapping[str, str] | None = None
) -> AccountState:
    marks_ = {InstrumentId(k): Decimal(v) for k, v in (marks or MARKS).items()}
    positions = {
        InstrumentId(k): Position(InstrumentId(k), Decimal(str(q)), marks_[InstrumentId(k)])
        for k, q in (holdings or {}).items()
    }
    multipliers = {i: DEFAULT_UNIVERSE[i].multiplier for i in marks_}
    return AccountState(when, Decimal(str(cash)), positions, marks_, multipliers)


def target(when: datetime, weights: Mapping[str, float]) -> TargetPortfolio:
    return TargetPortfolio(when, {InstrumentId(k): v for k, v in weights.items()})


def fill(eid: str, instrument: str, side: Side, qty: int, price: str, when: datetime, order: str | None = None) -> Fill:
    return Fill(
        ExecutionId(eid),
        ClientOrderId(order or f"o-{eid}"),
        InstrumentId(instrument),
        side,
        Decimal(qty),
        Decimal(price),
        Decimal(0),
        when,
    )
