"""Vectorised publication rules: ``as_of`` and ``available_at`` columns for each kind of source.

Every rule answers "when could a careful researcher first have known this row?" and errs late:
a rule that is a little late costs a little freshness, a rule that is early leaks the future.
Business days follow the US federal holiday calendar (FRED, BLS, CFTC) or an exchange calendar.
"""

from __future__ import annotations

from datetime import time, timedelta
from typing import Literal

import numpy as np
import numpy.typing as npt
import polars as pl

from qgtm_data._batch import TS_UTC
from qgtm_data._calendars import federal_holidays

__all__ = [
    "annual_release",
    "cot_release",
    "cpi_release",
    "local_time",
    "monthly_release",
    "next_business_morning_expr",
]


def local_time(day: pl.Expr, at: time, zone: str) -> pl.Expr:
    """``day`` (Date) at local wall time ``at`` in ``zone``, as UTC."""
    offset = pl.duration(hours=at.hour, minutes=at.minute, seconds=at.second)
    naive = day.cast(pl.Datetime("us")) + offset
    return naive.dt.replace_time_zone(zone, ambiguous="earliest", non_existent="null").dt.convert_time_zone("UTC")


def _busday(days: pl.Series, offset: int, roll: Literal["forward", "backward"] = "forward") -> pl.Series:
    raw: npt.NDArray[np.datetime64] = days.to_numpy().astype("datetime64[D]")
    moved = np.busday_offset(raw, offset, roll=roll, holidays=federal_holidays())
    return pl.Series(days.name, moved, dtype=pl.Date)


def next_business_morning_expr(days: pl.Series, at: time = time(8, 30)) -> pl.Series:
    """08:30 ET on the next US federal business day after each day (FRED daily series)."""
    nxt = _busday(days, 1, roll="backward")
    return pl.select(local_time(pl.lit(nxt), at, "America/New_York")).to_series().cast(TS_UTC)


def cpi_release(months: pl.Series) -> pl.Series:
    """CPI for month M: 08:30 ET on the first federal business day on or after the 15th of M+1.

    BLS publishes between the 10th and the 15th (later during shutdowns); without the BLS
    release calendar bundled we take the latest usual day, which never leaks.
    """
    target = months.dt.offset_by("1mo").dt.month_start().dt.offset_by("14d")
    day = _busday(target, 0)
    return pl.select(local_time(pl.lit(day), time(8, 30), "America/New_York")).to_series().cast(TS_UTC)


def monthly_release(months: pl.Series, business_day: int = 1, at: time = time(16, 0)) -> pl.Series:
    """A monthly value (dated the 1st) at ``at`` ET on the ``business_day``-th business day of M+1."""
    first = months.dt.offset_by("1mo").dt.month_start()
    day = _busday(first, business_day - 1)
    return pl.select(local_time(pl.lit(day), at, "America/New_York")).to_series().cast(TS_UTC)


def annual_release(years_first_day: pl.Series, business_day: int = 5) -> pl.Series:
    """An annual value (dated Jan 1) at noon ET on the ``business_day``-th business day of Y+1."""
    first = years_first_day.dt.offset_by("1y").dt.truncate("1y")
    day = _busday(first, business_day - 1)
    return pl.select(local_time(pl.lit(day), time(12, 0), "America/New_York")).to_series().cast(TS_UTC)


def cot_release(as_of_days: pl.Series) -> pl.Series:
    """CFTC COT: Friday 15:30 ET of the report week, one business day later per federal holiday.

    Each federal holiday between the ``as_of`` day (exclusive) and that Friday (inclusive) pushes
    the release back one federal business day (Thanksgiving week releases on Monday).
    """
    raw = as_of_days.to_numpy().astype("datetime64[D]")
    weekday = (raw.astype("int64") - 4) % 7  # 1970-01-01 was a Thursday: Monday == 0
    friday = raw + (4 - weekday).astype("timedelta64[D]")
    holidays = federal_holidays()
    lo = np.searchsorted(holidays, raw, side="right")
    hi = np.searchsorted(holidays, friday, side="right")
    shifts = hi - lo
    release = np.where(
        shifts > 0,
        np.busday_offset(friday, shifts, roll="forward", holidays=holidays),
        friday,
    )
    day = pl.Series("release", release, dtype=pl.Date)
    return pl.select(local_time(pl.lit(day), time(15, 30), "America/New_York")).to_series().cast(TS_UTC)


def plus(stamps: pl.Expr, delay: timedelta) -> pl.Expr:
    """``stamps`` + ``delay`` (a publication lag)."""
    return stamps + pl.lit(delay)
