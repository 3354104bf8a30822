"""When IB data is knowable.

Historical intraday bars cover ``[start, start + bar size)`` and are knowable at their end plus
``delay``; daily futures bars close with the CME day session at 17:00 ET. Streamed rows are
knowable when received (``available_at`` = the clock at the callback).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

import polars as pl

from qgtm_core import DataError
from qgtm_data._batch import TS_UTC
from qgtm_data._rules import local_time

__all__ = ["BAR_SIZES", "historical_stamps", "received_stamps"]

BAR_SIZES = {"5 secs": timedelta(seconds=5), "1 min": timedelta(minutes=1), "1 hour": timedelta(hours=1), "1 day": None}


def historical_stamps(bar_size: str, delay: timedelta) -> list[pl.Expr]:
    """``session``, ``as_of`` and ``available_at`` for historical bars of ``bar_size``."""
    if bar_size not in BAR_SIZES:
        msg = f"ib: unsupported bar size {bar_size!r} (have: {', '.join(BAR_SIZES)})"
        raise DataError(msg)
    span = BAR_SIZES[bar_size]
    if span is None:
        session = pl.col("start").dt.date()
        as_of = local_time(session, time(17, 0), "America/New_York")
    else:
        session = pl.col("start").dt.convert_time_zone("America/New_York").dt.date()
        as_of = pl.col("start") + pl.lit(span)
    return [session.alias("session"), as_of.alias("as_of"), (as_of + pl.lit(delay)).alias("available_at")]


def received_stamps(received: datetime, span: timedelta) -> list[pl.Expr]:
    """Streamed rows: ``as_of`` = ``start`` + ``span``, ``available_at`` = receipt."""
    return [
        pl.col("start").dt.convert_time_zone("America/New_York").dt.date().alias("session"),
        (pl.col("start") + pl.lit(span)).alias("as_of"),
        pl.lit(received).cast(TS_UTC).alias("available_at"),
    ]
