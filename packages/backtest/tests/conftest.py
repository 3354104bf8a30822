"""Shared fixtures: real GLD daily bars from the bundled data."""

from __future__ import annotations

from datetime import time, timedelta
from pathlib import Path

import polars as pl
import pytest

from qgtm_backtest import BarFeed

DATA = Path(__file__).resolve().parents[3] / "data"


def gld_daily_frame() -> pl.DataFrame:
    frame = pl.read_csv(DATA / "etf" / "GLD_daily_yahoo_2004_2024.csv", try_parse_dates=True)
    return frame.select(
        pl.col("Date").dt.combine(time(21, 0)).dt.replace_time_zone("UTC").alias("as_of"),
        pl.col("Open").alias("open"),
        pl.col("High").alias("high"),
        pl.col("Low").alias("low"),
        pl.col("Close").alias("close"),
        pl.col("Volume").cast(pl.Float64).alias("volume"),
    )


@pytest.fixture(scope="session")
def gld_frame() -> pl.DataFrame:
    return gld_daily_frame()


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session")
def gld_feed(gld_frame: pl.DataFrame) -> BarFeed:
    return BarFeed.from_frame("GLD", gld_frame, timedelta(hours=6, minutes=30))
