"""Interactive Brokers through ib_async: historical bars, and streaming 5-second bars, quotes and
market depth.

Every streamed update becomes a one-row ``FeedBatch`` for the validation wall, marks its feed
fresh on the watchdog, and (for depth) is appended to the capture file. IB errors arrive on
``errorEvent``; an error for one of our subscriptions is raised on the watchdog at once and kept
in ``errors``: a rejected depth subscription surfaces in milliseconds, never swallowed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

import polars as pl
from ib_async import BarDataList, Contract, RealTimeBarList, Ticker

from qgtm_data._batch import Adjustment, FeedBatch, Kind
from qgtm_data._capture import CaptureWriter
from qgtm_data._watchdog import FreshnessWatchdog
from qgtm_data.adapters.ib.parsing import book, historical_frame, quote_row, realtime_frame
from qgtm_data.adapters.ib.publication import historical_stamps, received_stamps

__all__ = ["DEPTH_CODES", "INFO_CODES", "IbClient", "IbError", "IbHistoricalBars", "IbLiveFeed"]

INFO_CODES = frozenset({2104, 2106, 2107, 2108, 2119, 2158})
"""IB status messages (data farm connection OK, etc.) that are not errors."""

DEPTH_CODES = frozenset({309, 317, 10092})
"""Depth errors: too many depth requests, depth RESET, depth not supported for the contract."""

_OHLCV = ("open", "high", "low", "close", "volume")


class _Event(Protocol):
    def connect(self, handler: Callable[..., object]) -> object: ...


class IbClient(Protocol):
    """The part of ``ib_async.IB`` this adapter uses (the fake client implements the same)."""

    @property
    def errorEvent(self) -> _Event: ...  # noqa: N802 - ib_async's name

    def reqHistoricalData(  # noqa: N802 - ib_async's name
        self,
        contract: Contract,
        endDateTime: str,  # noqa: N803 - ib_async parameter names
        durationStr: str,  # noqa: N803 - ib_async parameter names
        barSizeSetting: str,  # noqa: N803 - ib_async parameter names
        whatToShow: str,  # noqa: N803 - ib_async parameter names
        useRTH: bool,  # noqa: N803 - ib_async parameter names
        formatDate: int = 1,  # noqa: N803 - ib_async parameter names
    ) -> BarDataList: ...

    def reqRealTimeBars(self, contract: Contract, barSize: int, whatToShow: str, useRTH: bool) -> RealTimeBarList: ...  # noqa: N802, N803 - ib_async parameter names

    def reqMktData(self, contract: Contract) -> Ticker: ...  # noqa: N802 - ib_async parameter names

    def reqMktDepth(self, contract: Contract, numRows: int = 5) -> Ticker: ...  # noqa: N802, N803 - ib_async parameter names


@dataclass(frozen=True)
class IbError:
    """An error IB reported for one of our subscriptions."""

    feed: str
    code: int
    message: str
    at: datetime


@dataclass(frozen=True)
class IbHistoricalBars:
    """Historical TRADES bars of ``contract`` (as ``instrument``) via ``reqHistoricalData``."""

    client: IbClient
    contract: Contract
    instrument: str
    duration: str = "1 D"
    bar_size: str = "1 min"
    delay: timedelta = timedelta(seconds=2)

    def load(self) -> list[FeedBatch]:
        """One batch."""
        stamps = historical_stamps(self.bar_size, self.delay)
        bars = self.client.reqHistoricalData(self.contract, "", self.duration, self.bar_size, "TRADES", False, 2)
        source = f"ib:{self.contract.symbol}:{self.bar_size}"
        frame = historical_frame(list(bars), source).with_columns(*stamps)
        return [
            FeedBatch(
                source=source,
                instrument=self.instrument,
                feed=f"ib_{self.bar_size.replace(' ', '')}",
                kind=Kind.BARS,
                frame=frame.select("row", "session", "as_of", "available_at", *_OHLCV),
                value_columns=_OHLCV,
                price_columns=_OHLCV[:4],
                jump_columns=("close",),
                calendar="WEEKDAYS",
                adjustment=Adjustment.NONE,
            )
        ]


@dataclass
class IbLiveFeed:
    """Streams bars (``{instrument}.bars``), quotes (``.quotes``) and depth (``.depth``)."""

    client: IbClient
    contract: Contract
    instrument: str
    on_batch: Callable[[FeedBatch], None]
    clock: Callable[[], datetime]
    watchdog: FreshnessWatchdog
    capture: CaptureWriter | None = None
    errors: list[IbError] = field(default_factory=list)
    _rows: int = 0
    _bars_req_id: int = -1

    def start(self) -> None:
        """Subscribe to 5-second bars, top of book and 10 levels of depth."""
        self.client.errorEvent.connect(self._on_error)
        bars = self.client.reqRealTimeBars(self.contract, 5, "TRADES", False)
        bars.updateEvent += self._on_bars
        quotes = self.client.reqMktData(self.contract)
        quotes.updateEvent += self._on_quote
        depth = self.client.reqMktDepth(self.contract, numRows=10)
        depth.updateEvent += self._on_depth
        self._bars_req_id = int(bars.reqId)

    def _feed(self, kind: str) -> str:
        return f"{self.instrument}.{kind}"

    def _next_row(self) -> int:
        self._rows += 1
        return self._rows

    def _emit(
        self, kind: str, frame: pl.DataFrame, batch_kind: Kind, values: tuple[str, ...], prices: tuple[str, ...]
    ) -> None:
        self.on_batch(
            FeedBatch(
                source=f"ib:{self.contract.symbol}:{kind}",
                instrument=self.instrument,
                feed=f"ib_{kind}",
                kind=batch_kind,
                frame=frame.select("row", "session", "as_of", "available_at", *values),
                value_columns=values,
                price_columns=prices,
                calendar=None,
            )
        )

    def _on_bars(self, bars: RealTimeBarList, has_new_bar: bool) -> None:
        if not has_new_bar:
            return
        received = self.clock()
        self.watchdog.observe(self._feed("bars"), received)
        frame = realtime_frame(bars[-1], self._next_row()).with_columns(
            *received_stamps(received, timedelta(seconds=5))
        )
        self._emit("5secs", frame, Kind.BARS, _OHLCV, _OHLCV[:4])

    def _on_quote(self, ticker: Ticker) -> None:
        received = self.clock()
        self.watchdog.observe(self._feed("quotes"), received)
        frame = quote_row(ticker, self._next_row(), received).with_columns(*received_stamps(received, timedelta(0)))
        self._emit("quotes", frame, Kind.QUOTES, ("bid", "ask", "bid_size", "ask_size"), ("bid", "ask"))

    def _on_depth(self, ticker: Ticker) -> None:
        received = self.clock()
        self.watchdog.observe(self._feed("depth"), received)
        if self.capture is not None:
            self.capture.append(book(self.instrument, ticker, received))

    def _on_error(self, req_id: int, code: int, message: str, contract: Contract | None) -> None:
        if code in INFO_CODES:
            return
        if req_id == self._bars_req_id:
            kind = "bars"
        elif code in DEPTH_CODES:
            kind = "depth"
        else:
            kind = "quotes"
        error = IbError(self._feed(kind), code, message, self.clock())
        self.errors.append(error)
        self.watchdog.fail(error.feed, error.at, f"IB error {code}: {message}")
