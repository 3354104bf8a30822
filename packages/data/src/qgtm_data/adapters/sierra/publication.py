"""Sierra rows become knowable when the poller reads them, not when Sierra stamped them.

``as_of`` is Sierra's stamp (chart time zone -> UTC); ``available_at`` is the poll time, which is
when a strategy could first have acted on the row.
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from qgtm_data._batch import TS_UTC

__all__ = ["stamps"]


def stamps(zone: str, polled_at: datetime) -> list[pl.Expr]:
    """``session`` (local date), ``as_of`` (UTC) and ``available_at`` (the poll time)."""
    local = pl.col("stamp").dt.replace_time_zone(zone, ambiguous="earliest", non_existent="null")
    return [
        local.dt.date().alias("session"),
        local.dt.convert_time_zone("UTC").cast(TS_UTC).alias("as_of"),
        pl.lit(polled_at).cast(TS_UTC).alias("available_at"),
    ]
