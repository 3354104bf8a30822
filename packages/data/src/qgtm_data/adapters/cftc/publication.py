"""COT: positions as of Tuesday's close, released Friday 15:30 ET (later in holiday weeks)."""

from __future__ import annotations

from datetime import time

import polars as pl

from qgtm_data._rules import cot_release, local_time

__all__ = ["stamps"]


def stamps(frame: pl.DataFrame) -> pl.DataFrame:
    """Add ``as_of`` (the report date's 15:00 ET close of positions) and ``available_at``."""
    return frame.with_columns(
        local_time(pl.col("session"), time(15, 0), "America/New_York").alias("as_of"),
        cot_release(frame.get_column("session")).alias("available_at"),
    )
