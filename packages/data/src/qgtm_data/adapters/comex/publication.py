"""COMEX daily bars: the session is dated by its settlement day, 13:30 ET (gold/silver settle).

Yahoo's daily bar for the front month is final once the electronic session day ends at 17:00 ET;
``available_at`` is that time plus ``delay``.
"""

from __future__ import annotations

from datetime import time, timedelta

import polars as pl

from qgtm_data._rules import local_time

__all__ = ["stamps"]


def stamps(delay: timedelta) -> list[pl.Expr]:
    """``as_of`` = 13:30 ET settlement, ``available_at`` = 17:00 ET + ``delay``."""
    return [
        local_time(pl.col("session"), time(13, 30), "America/New_York").alias("as_of"),
        (local_time(pl.col("session"), time(17, 0), "America/New_York") + pl.lit(delay)).alias("available_at"),
    ]
