"""Cached trading calendars. Building one costs ~0.5 s, so each is built once per process."""

from __future__ import annotations

from functools import lru_cache

import exchange_calendars as xcals
import numpy as np
import numpy.typing as npt
from pandas.tseries.holiday import USFederalHolidayCalendar

from qgtm_core import DataError

__all__ = ["federal_holidays", "is_session", "session_dates"]

_EARLIEST = "1960-01-04"


@lru_cache(maxsize=16)
def session_dates(calendar: str) -> npt.NDArray[np.datetime64]:
    """All session dates of an exchange calendar (``datetime64[D]``, sorted) from 1960 to its end."""
    try:
        cal = xcals.get_calendar(calendar, start=_EARLIEST)
    except ValueError as exc:  # e.g. XSHG records holidays only from 1991
        msg = f"calendar {calendar!r} cannot check sessions back to {_EARLIEST}: {exc}"
        raise DataError(msg) from exc
    sessions = cal.sessions
    return np.asarray(sessions.values.astype("datetime64[D]"))


def is_session(calendar: str, days: npt.NDArray[np.datetime64]) -> npt.NDArray[np.bool_]:
    """Whether each day is an open session of ``calendar`` (``"WEEKDAYS"``: Monday to Friday)."""
    if calendar == "WEEKDAYS":
        return np.asarray(np.is_busday(days), dtype=np.bool_)
    sessions = session_dates(calendar)
    return np.isin(days.astype("datetime64[D]"), sessions)


@lru_cache(maxsize=1)
def federal_holidays() -> npt.NDArray[np.datetime64]:
    """US federal holidays 1900-2100 (the FRED, BLS and CFTC publication calendar)."""
    holidays = USFederalHolidayCalendar().holidays(start="1900-01-01", end="2100-12-31")
    return np.asarray(holidays.values.astype("datetime64[D]"))
