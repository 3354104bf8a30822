"""LBMA auctions: the gold AM fix at 10:30 and PM at 15:00 London, silver at 12:00 London.

Prices are published on the LBMA site within minutes of the auction; ``delay`` covers that.
"""

from __future__ import annotations

from datetime import time, timedelta

import polars as pl

from qgtm_data._rules import local_time

__all__ = ["AUCTION_TIMES", "stamps"]

AUCTION_TIMES = {"am": time(10, 30), "pm": time(15, 0), "silver": time(12, 0)}


def stamps(auction: str, delay: timedelta) -> list[pl.Expr]:
    """``as_of`` (the auction, London time, in UTC) and ``available_at`` (auction + delay)."""
    as_of = local_time(pl.col("session"), AUCTION_TIMES[auction], "Europe/London")
    return [as_of.alias("as_of"), (as_of + pl.lit(delay)).alias("available_at")]
