"""Alpaca market data through alpaca-py: historical bars (REST) and the live bar/quote stream.

``url_override`` points the clients at another server (the loopback fake in tests). The stream
runs alpaca-py's own loop in a thread; each message becomes a one-row ``FeedBatch`` handed to
``on_batch`` (which should validate it) and marks ``{symbol}.bars`` / ``{symbol}.quotes`` fresh
on the optional watchdog. alpaca-py only logs a handler exception and reconnects, so an error from
``on_batch`` is first recorded in ``errors`` and raised as a watchdog alarm, then re-raised.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

import polars as pl

from qgtm_core import DataError
from qgtm_data._batch import Adjustment, FeedBatch, Kind
from qgtm_data._watchdog import FreshnessWatchdog
from qgtm_data.adapters.alpaca._sdk import (
    AlpacaAdjustment,
    DataFeed,
    StockBarsRequest,
    StockDataStream,
    StockHistoricalDataClient,
    TimeFrame,
    TimeFrameUnit,
)
from qgtm_data.adapters.alpaca.parsing import bars_frame, quotes_frame
from qgtm_data.adapters.alpaca.publication import historical_stamps, received_stamps

__all__ = ["AlpacaHistoricalBars", "AlpacaLiveStream"]

_TIMEFRAMES = {
    "1Day": TimeFrame(1, TimeFrameUnit.Day),
    "1Hour": TimeFrame(1, TimeFrameUnit.Hour),
    "1Min": TimeFrame(1, TimeFrameUnit.Minute),
}
_BAR_VALUES = ("open", "high", "low", "close", "volume")


@dataclass(frozen=True)
class AlpacaHistoricalBars:
    """Unadjusted bars of ``symbols`` over ``[start, end]`` (one batch per symbol)."""

    api_key: str
    secret_key: str
    symbols: Sequence[str]
    start: datetime
    end: datetime
    timeframe: str = "1Day"
    delay: timedelta = timedelta(minutes=15)
    url_override: str | None = None
    feed: str = "iex"

    def load(self) -> list[FeedBatch]:
        """Fetch every page, then one batch per symbol in request order."""
        if self.timeframe not in _TIMEFRAMES:
            msg = f"alpaca: unsupported timeframe {self.timeframe!r} (have: {', '.join(_TIMEFRAMES)})"
            raise DataError(msg)
        client = StockHistoricalDataClient(self.api_key, self.secret_key, raw_data=True, url_override=self.url_override)
        request = StockBarsRequest(
            symbol_or_symbols=list(self.symbols),
            timeframe=_TIMEFRAMES[self.timeframe],
            start=self.start,
            end=self.end,
            adjustment=AlpacaAdjustment.RAW,
            feed=DataFeed(self.feed),
        )
        # raw_data=True: alpaca-py returns the JSON mapping symbol -> list of bar objects
        raw = cast("Mapping[str, Sequence[Mapping[str, object]]]", client.get_stock_bars(request))
        base = self.url_override or "https://data.alpaca.markets"
        batches = []
        for symbol in self.symbols:
            source = f"{base}/v2/stocks/bars?symbols={symbol}&timeframe={self.timeframe}"
            frame, rejects = bars_frame(raw.get(symbol, []), source)
            stamped = frame.with_columns(*historical_stamps(self.timeframe, self.delay))
            batches.append(
                FeedBatch(
                    source=source,
                    instrument=symbol,
                    feed=f"alpaca_{self.timeframe.lower()}",
                    kind=Kind.BARS,
                    frame=stamped.select("row", "session", "as_of", "available_at", *_BAR_VALUES),
                    value_columns=_BAR_VALUES,
                    price_columns=_BAR_VALUES[:4],
                    jump_columns=("close",),
                    calendar="XNYS",
                    adjustment=Adjustment.NONE,
                    rejects=tuple(rejects),
                )
            )
        return batches


class AlpacaLiveStream:
    """Minute bars and quotes of ``symbols`` as one-row batches; ``clock`` stamps receipt."""

    def __init__(
        self,
        api_key: str,
        secret_key: str,
        symbols: Sequence[str],
        on_batch: Callable[[FeedBatch], None],
        clock: Callable[[], datetime],
        url_override: str | None = None,
        watchdog: FreshnessWatchdog | None = None,
    ) -> None:
        self._watchdog = watchdog
        self.errors: list[Exception] = []
        self._stream = StockDataStream(api_key, secret_key, raw_data=True, url_override=url_override)
        self._source = url_override or "wss://stream.data.alpaca.markets/v2/iex"
        self._on_batch = on_batch
        self._clock = clock
        self._counter = 0
        self._stream.subscribe_bars(self._bar, *symbols)
        self._stream.subscribe_quotes(self._quote, *symbols)
        self._thread: threading.Thread | None = None

    async def _bar(self, message: object) -> None:
        self._emit(cast("Mapping[str, object]", message), quote=False)

    async def _quote(self, message: object) -> None:
        self._emit(cast("Mapping[str, object]", message), quote=True)

    def _emit(self, message: Mapping[str, object], *, quote: bool) -> None:
        self._counter += 1
        received = self._clock()
        feed = f"{message.get('S', '')}.{'quotes' if quote else 'bars'}"
        if self._watchdog is not None:
            self._watchdog.observe(feed, received)
        if quote:
            frame, rejects = quotes_frame([message], self._source)
            values: tuple[str, ...] = ("bid", "ask", "bid_size", "ask_size")
            span = timedelta(0)
        else:
            frame, rejects = bars_frame([message], self._source, symbol_key="S")
            values, span = _BAR_VALUES, timedelta(minutes=1)
        stamped = frame.with_columns(
            *received_stamps(received, span), pl.lit(self._counter).cast(pl.Int64).alias("row")
        )
        batch = FeedBatch(
            source=self._source,
            instrument=str(message.get("S", "")),
            feed="alpaca_quotes" if quote else "alpaca_1min",
            kind=Kind.QUOTES if quote else Kind.BARS,
            frame=stamped.select("row", "instrument", "session", "as_of", "available_at", *values),
            value_columns=values,
            price_columns=("bid", "ask") if quote else _BAR_VALUES[:4],
            calendar=None,
            rejects=tuple(rejects),
        )
        try:
            self._on_batch(batch)
        except Exception as exc:
            # alpaca-py would only log a handler error and reconnect: raise the alarm first
            self.errors.append(exc)
            if self._watchdog is not None:
                self._watchdog.fail(feed, received, f"handler error: {exc}")
            raise

    def start(self) -> None:
        """Run the stream in a background thread."""
        self._thread = threading.Thread(target=self._stream.run, name="alpaca-stream", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the stream and wait for its thread."""
        self._stream.stop()
        if self._thread is not None:
            self._thread.join(timeout=10)
