"""SPDR publishes the day's NAV and holdings (struck at 16:15 ET) on its site that evening."""

from __future__ import annotations

from datetime import time, timedelta

import polars as pl

from qgtm_data._rules import local_time

__all__ = ["stamps"]


def stamps(delay: timedelta) -> list[pl.Expr]:
    """``as_of`` at the 16:15 ET NAV strike, ``available_at`` that plus ``delay``."""
    strike = local_time(pl.col("session"), time(16, 15), "America/New_York")
    return [strike.alias("as_of"), (strike + pl.lit(delay)).alias("available_at")]
