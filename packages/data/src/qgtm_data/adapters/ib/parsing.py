"""ib_async objects -> frames and depth snapshots.

Historical ``BarData.date`` is a ``date`` for daily bars and a tz-aware datetime (the bar start,
with ``formatDate=2``) for intraday bars. Real-time bars are 5-second bars stamped at their start.
A DOM side is a list of ``DOMLevel(price, size, marketMaker)``, best level first.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, date, datetime

import polars as pl
from ib_async import BarData, DOMLevel, RealTimeBar, Ticker

from qgtm_core import DataError
from qgtm_data._batch import TS_UTC
from qgtm_data._capture import DepthLevel, Mbp10

__all__ = ["book", "historical_frame", "quote_row", "realtime_frame"]


def historical_frame(bars: Sequence[BarData], source: str) -> pl.DataFrame:
    """``row``, ``start`` (UTC; midnight UTC for daily bars), ``daily`` flag and OHLCV."""
    starts: list[datetime] = []
    daily: list[bool] = []
    for row, bar in enumerate(bars, start=1):
        if isinstance(bar.date, datetime):
            if bar.date.tzinfo is None:
                msg = f"{source}: row {row}: field 'date': naive bar time {bar.date!r}; request formatDate=2"
                raise DataError(msg)
            starts.append(bar.date.astimezone(UTC))
            daily.append(False)
        elif isinstance(bar.date, date):
            starts.append(datetime(bar.date.year, bar.date.month, bar.date.day, tzinfo=UTC))
            daily.append(True)
    return pl.DataFrame(
        {
            "row": list(range(1, len(bars) + 1)),
            "start": starts,
            "daily": daily,
            "open": [b.open for b in bars],
            "high": [b.high for b in bars],
            "low": [b.low for b in bars],
            "close": [b.close for b in bars],
            "volume": [float(b.volume) for b in bars],
        },
        schema_overrides={"start": TS_UTC, "row": pl.Int64},
    )


def realtime_frame(bar: RealTimeBar, row: int) -> pl.DataFrame:
    """One 5-second bar as a frame with ``row``, ``start`` and OHLCV."""
    return pl.DataFrame(
        {
            "row": [row],
            "start": [bar.time.astimezone(UTC)],
            "open": [bar.open_],
            "high": [bar.high],
            "low": [bar.low],
            "close": [bar.close],
            "volume": [float(bar.volume)],
        },
        schema_overrides={"start": TS_UTC, "row": pl.Int64},
    )


def quote_row(ticker: Ticker, row: int, received: datetime) -> pl.DataFrame:
    """Top of book from a ticker; IB's NaN (no value yet) stays NaN for the validator to reject."""
    stamp = ticker.time.astimezone(UTC) if ticker.time is not None else received
    return pl.DataFrame(
        {
            "row": [row],
            "start": [stamp],
            "bid": [float(ticker.bid)],
            "ask": [float(ticker.ask)],
            "bid_size": [float(ticker.bidSize)],
            "ask_size": [float(ticker.askSize)],
        },
        schema_overrides={"start": TS_UTC, "row": pl.Int64},
    )


def _levels(levels: Sequence[DOMLevel]) -> list[DepthLevel]:
    return [DepthLevel(float(lvl.price), float(lvl.size)) for lvl in levels if not math.isnan(lvl.price)]


def book(instrument: str, ticker: Ticker, received: datetime) -> Mbp10:
    """The ticker's current depth as an MBP-10 snapshot."""
    event = ticker.time.astimezone(UTC) if ticker.time is not None else received
    return Mbp10(instrument, event, received, _levels(ticker.domBids[:10]), _levels(ticker.domAsks[:10]))
