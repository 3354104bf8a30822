"""Decimal arithmetic for prices, quantities and cash.

Floats are for analytics; anything that becomes an order, a fill or a ledger entry is a
``Decimal`` rounded to the instrument's tick or lot, so that accounting never drifts by a
binary-fraction cent.
"""

from __future__ import annotations

import math
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal

__all__ = ["ZERO", "round_to_increment", "to_decimal"]

ZERO = Decimal(0)


def to_decimal(value: float | int | str | Decimal) -> Decimal:
    """Convert without binary noise: floats go through ``repr`` (shortest round-trip form)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            msg = f"cannot convert non-finite float {value!r} to Decimal"
            raise ValueError(msg)
        return Decimal(repr(value))
    return Decimal(value)


def round_to_increment(value: Decimal, increment: Decimal, *, toward_zero: bool = False) -> Decimal:
    """Round ``value`` to a multiple of ``increment`` (tick or lot size).

    ``toward_zero`` is for quantities: a target of 10.7 lots becomes 10, never 11, so sizing can
    only shrink a position relative to what risk approved.
    """
    if increment <= 0:
        msg = f"increment must be positive, got {increment}"
        raise ValueError(msg)
    steps = (value / increment).quantize(Decimal(1), rounding=ROUND_DOWN if toward_zero else ROUND_HALF_EVEN)
    return (steps * increment).quantize(increment)
