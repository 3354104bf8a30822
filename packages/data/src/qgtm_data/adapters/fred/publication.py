"""When FRED series become knowable.

Daily series: 08:30 ET on the next US federal business day. CPI: the BLS release (see
``cpi_release``). Other monthly series: 16:00 ET on the first business day of the next month.
"""

from __future__ import annotations

import polars as pl

from qgtm_data._rules import cpi_release, monthly_release, next_business_morning_expr

__all__ = ["MONTHLY", "available_at"]

MONTHLY = frozenset({"CPIAUCSL", "FEDFUNDS"})


def available_at(series: str, sessions: pl.Series) -> pl.Series:
    """``available_at`` for each observation date of ``series``."""
    if series == "CPIAUCSL":
        return cpi_release(sessions)
    if series in MONTHLY:
        return monthly_release(sessions)
    return next_business_morning_expr(sessions)
