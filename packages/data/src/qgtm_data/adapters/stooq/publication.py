"""Stooq publishes US daily bars after the close; same rule as any US daily bar."""

from __future__ import annotations

from datetime import time, timedelta

import polars as pl

from qgtm_data._rules import local_time

__all__ = ["stamps"]


def stamps(delay: timedelta) -> list[pl.Expr]:
    """``as_of`` at the 16:00 ET close, ``available_at`` the close plus ``delay``."""
    close = local_time(pl.col("session"), time(16, 0), "America/New_York")
    return [close.alias("as_of"), (close + pl.lit(delay)).alias("available_at")]
