"""When Alpaca data is knowable.

A daily bar (``t`` = midnight ET of the session) is final at the 16:00 ET close plus ``delay``;
an intraday bar (``t`` = its start) covers ``[t, t + timeframe)`` and is knowable at its end plus
``delay``. A streamed message is knowable when it was received.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

import polars as pl

from qgtm_data._batch import TS_UTC
from qgtm_data._rules import local_time

__all__ = ["historical_stamps", "received_stamps"]

_SPAN = {"1Min": timedelta(minutes=1), "1Hour": timedelta(hours=1)}


def historical_stamps(timeframe: str, delay: timedelta) -> list[pl.Expr]:
    """``session``, ``as_of`` and ``available_at`` of REST bars of ``timeframe``."""
    local_day = pl.col("t").dt.convert_time_zone("America/New_York").dt.date()
    if timeframe == "1Day":
        as_of = local_time(local_day, time(16, 0), "America/New_York")
    else:
        as_of = pl.col("t") + pl.lit(_SPAN[timeframe])
    return [local_day.alias("session"), as_of.alias("as_of"), (as_of + pl.lit(delay)).alias("available_at")]


def received_stamps(received_at: datetime, span: timedelta) -> list[pl.Expr]:
    """Stream rows: ``as_of`` = ``t`` + ``span`` (0 for quotes), ``available_at`` = receipt."""
    return [
        pl.col("t").dt.convert_time_zone("America/New_York").dt.date().alias("session"),
        (pl.col("t") + pl.lit(span)).alias("as_of"),
        pl.lit(received_at).cast(TS_UTC).alias("available_at"),
    ]
