"""Commission schedules of the simulated venue.

Each schedule is a small frozen value with ``__call__(quantity, price, multiplier)`` so the venue
needs no branching per broker: the app picks the schedule that mirrors the real account.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

__all__ = ["BpsCommission", "CommissionSchedule", "FuturesCommission", "PerShareCommission"]

_CENT = Decimal("0.01")
_ONE = Decimal(1)


class CommissionSchedule(Protocol):
    """Commission of one fill, in account currency, rounded to the cent."""

    def __call__(self, quantity: Decimal, price: Decimal, multiplier: Decimal = _ONE) -> Decimal: ...


@dataclass(frozen=True, slots=True)
class PerShareCommission:
    """``per_share`` per unit with a ``minimum`` per order fill (IBKR-style fixed schedule)."""

    per_share: Decimal = Decimal("0.005")
    minimum: Decimal = Decimal("1.00")

    def __call__(self, quantity: Decimal, price: Decimal, multiplier: Decimal = _ONE) -> Decimal:
        """Commission for one fill."""
        return max(self.minimum, (quantity * self.per_share).quantize(_CENT))


@dataclass(frozen=True, slots=True)
class BpsCommission:
    """``bps`` basis points of the fill's notional, at least ``minimum`` (typical of crypto/FX/EU brokers)."""

    bps: Decimal = Decimal(1)
    minimum: Decimal = Decimal(0)

    def __call__(self, quantity: Decimal, price: Decimal, multiplier: Decimal = _ONE) -> Decimal:
        """Commission for one fill."""
        notional = quantity * price * multiplier
        return max(self.minimum, (notional * self.bps / Decimal(10_000)).quantize(_CENT))


@dataclass(frozen=True, slots=True)
class FuturesCommission:
    """Broker fee ``per_contract`` plus the exchange and clearing fee ``exchange_fee`` per contract."""

    per_contract: Decimal = Decimal("0.85")
    exchange_fee: Decimal = Decimal("1.50")

    def __call__(self, quantity: Decimal, price: Decimal, multiplier: Decimal = _ONE) -> Decimal:
        """Commission for one fill."""
        return (quantity * (self.per_contract + self.exchange_fee)).quantize(_CENT)
