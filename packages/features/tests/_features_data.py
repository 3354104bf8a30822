"""Real and generated inputs for the feature tests (no other qgtm package is imported)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl

DATA = Path(__file__).resolve().parents[3] / "data"
TS = pl.Datetime("us", "UTC")


def yahoo(name: str) -> pl.DataFrame:
    """A bundled Yahoo daily file as a bar frame: as_of 21:00 UTC, available 15 minutes later."""
    frame = pl.read_csv(DATA / name, try_parse_dates=True)
    as_of = pl.col("Date").cast(pl.Datetime("us")).dt.replace_time_zone("UTC") + pl.duration(hours=21)
    return frame.select(
        as_of.alias("as_of"),
        (as_of + pl.duration(minutes=15)).alias("available_at"),
        pl.col("Open").alias("open"),
        pl.col("High").alias("high"),
        pl.col("Low").alias("low"),
        pl.col("Close").alias("close"),
        pl.col("Volume").cast(pl.Float64).alias("volume"),
    )


def fred(name: str) -> pl.DataFrame:
    """A bundled FRED file as a series frame, known the next day at 13:00 UTC; blanks dropped."""
    frame = pl.read_csv(DATA / "fred" / name, schema_overrides={name.removesuffix(".csv"): pl.Utf8})
    value = frame.columns[1]
    frame = frame.filter(pl.col(value).str.strip_chars() != "").drop_nulls()
    day = pl.col("date").str.to_date().cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
    return frame.select(
        day.alias("as_of"),
        (day + pl.duration(days=1, hours=13)).alias("available_at"),
        pl.col(value).cast(pl.Float64).alias("value"),
    )


def generated_bars(seed: int, n: int, start_price: float = 100.0) -> pl.DataFrame:
    """Random-walk OHLCV bars with consistent high/low around open and close."""
    rng = np.random.default_rng(seed)
    close = start_price * np.exp(np.cumsum(rng.normal(0.0, 0.015, n)))
    open_ = close * np.exp(rng.normal(0.0, 0.005, n))
    high = np.maximum(open_, close) * np.exp(np.abs(rng.normal(0.0, 0.006, n)))
    low = np.minimum(open_, close) * np.exp(-np.abs(rng.normal(0.0, 0.006, n)))
    start = datetime(2001, 1, 1, 21, tzinfo=UTC)
    stamps = [start + timedelta(days=i) for i in range(n)]
    return pl.DataFrame(
        {
            "as_of": stamps,
            "available_at": [s + timedelta(minutes=15) for s in stamps],
            "open": open_,
            "high": high,
            "low": low,
            "close": close,
            "volume": rng.uniform(1e5, 1e6, n),
        },
        schema_overrides={"as_of": TS, "available_at": TS},
    )


def same(a: float, b: float) -> bool:
    """Equal up to float rounding, NaN equal to NaN."""
    return bool(np.isclose(a, b, rtol=1e-8, atol=1e-10, equal_nan=True))
