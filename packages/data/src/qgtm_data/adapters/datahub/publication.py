"""When DataHub gold averages were knowable.

A monthly average (World Bank Pink Sheet, 1960 on) is published early in the next month: the
5th federal business day of M+1 at noon ET, a conservative bound. Before 1960 each month carries
its year's *annual* value (Timothy Green's table), which was only knowable after the year ended,
so those months get the annual rule: the 5th business day of Y+1. Dating them by their month would
leak up to eleven months of the future.
"""

from __future__ import annotations

from datetime import date, time

import polars as pl

from qgtm_data._rules import annual_release, monthly_release

__all__ = ["ANNUAL_UNTIL", "available_at"]

ANNUAL_UNTIL = date(1960, 1, 1)
"""Monthly rows before this date repeat the annual average."""


def available_at(sessions: pl.Series, annual: bool) -> pl.Series:
    """``available_at`` for each period start."""
    yearly = annual_release(sessions.dt.truncate("1y"))
    if annual:
        return yearly
    monthly = monthly_release(sessions, business_day=5, at=time(12, 0))
    return pl.select(pl.when(pl.lit(sessions) < ANNUAL_UNTIL).then(yearly).otherwise(monthly)).to_series()
