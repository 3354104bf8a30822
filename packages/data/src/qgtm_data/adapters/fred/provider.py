"""FRED series -> ``FRED/{SERIES_ID}``, from a downloaded file or over HTTP.

Yields and breakevens can be zero or negative (DFII10 was negative in 2012 and 2020), so only
index-level series get the positive-price and spike checks. ``as_of`` is midnight UTC of the
observation date (the day the value refers to).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import polars as pl
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential

from qgtm_core import DataError
from qgtm_data._batch import TS_UTC, FeedBatch, Kind, QuarantineRecord
from qgtm_data.adapters.fred.parsing import parse_fred, parse_fred_text
from qgtm_data.adapters.fred.publication import MONTHLY, available_at

__all__ = ["LEVEL_SERIES", "FredHttpProvider", "FredProvider"]

LEVEL_SERIES = frozenset({"DTWEXBGS", "DTWEXB", "CPIAUCSL", "GVZCLS"})
"""Series that are price-like levels (strictly positive)."""


def _batch(source: str, series: str, frame: pl.DataFrame, rejects: list[QuarantineRecord]) -> FeedBatch:
    stamped = frame.with_columns(
        pl.col("session").cast(pl.Datetime("us")).dt.replace_time_zone("UTC").cast(TS_UTC).alias("as_of"),
        available_at(series, frame.get_column("session")).alias("available_at"),
    ).select("row", "session", "as_of", "available_at", "value")
    level = series in LEVEL_SERIES
    notes = (
        ("discontinued in 2019; a different basis from DTWEXBGS, never splice the two",) if series == "DTWEXB" else ()
    )
    return FeedBatch(
        source=source,
        instrument="FRED",
        feed=series,
        kind=Kind.SERIES,
        frame=stamped,
        value_columns=("value",),
        price_columns=("value",) if level else (),
        jump_columns=("value",) if level and series not in MONTHLY else (),
        calendar=None if series in MONTHLY else "WEEKDAYS",
        rejects=tuple(replace(r, instrument="FRED", feed=series) for r in rejects),
        notes=notes,
    )


@dataclass(frozen=True)
class FredProvider:
    """A downloaded FRED CSV; ``series`` is the id in its header (``DTWEXB`` for the old index)."""

    path: Path
    series: str

    def load(self) -> list[FeedBatch]:
        """One batch."""
        frame, rejects = parse_fred(self.path, self.series)
        return [_batch(str(self.path), self.series, frame, rejects)]


@dataclass(frozen=True)
class FredHttpProvider:
    """FRED's CSV endpoint (``/graph/fredgraph.csv?id=SERIES``); transient failures are retried.

    A 4xx answer (unknown series, bad key) is not retried: it raises ``DataError`` at once.
    """

    base_url: str
    series: str
    timeout: float = 10.0

    def load(self) -> list[FeedBatch]:
        """Fetch, parse and stamp one series."""
        url = f"{self.base_url.rstrip('/')}/graph/fredgraph.csv"
        text = self._fetch(url)
        with tempfile.TemporaryDirectory() as scratch:
            frame, rejects = parse_fred_text(text, self.series, f"{url}?id={self.series}", Path(scratch) / "body.csv")
        return [_batch(f"{url}?id={self.series}", self.series, frame, rejects)]

    @retry(
        retry=retry_if_exception_type(httpx.TransportError),
        stop=stop_after_attempt(3),
        wait=wait_exponential(multiplier=0.05, max=1),
        reraise=True,
    )
    def _fetch(self, url: str) -> str:
        response = httpx.get(url, params={"id": self.series}, timeout=self.timeout)
        if response.status_code != httpx.codes.OK:
            msg = f"{url}?id={self.series}: HTTP {response.status_code}: {response.text[:200]}"
            raise DataError(msg)
        return response.text
