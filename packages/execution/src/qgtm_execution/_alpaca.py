"""Alpaca through alpaca-py: orders, positions, account and the trade-update stream.

Fills are derived from order snapshots, from whichever source sees them first: the trade stream
(fast) or a REST sweep of recent orders (complete, run on every ``fills_since`` and after each
reconnect, so fills missed while the link was down are recovered). Each fill's execution id is
``<alpaca order id>:<cumulative filled qty>``, the same whichever source produced it, so the two
sources never double count; a snapshot older than one already seen adds nothing.

REST calls retry connection failures with exponential backoff and jitter (tenacity); when the
link comes back the adapter sweeps orders before answering, and reports a submit whose response
was lost as ``SubmitOutcomeUnknownError`` so the OMS looks the order up instead of re-sending.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Protocol, TypeVar, cast

import requests

with warnings.catch_warnings():
    # alpaca-py still imports websockets.legacy, which warns on import; nothing we can change here.
    warnings.filterwarnings("ignore", category=DeprecationWarning, module="websockets.legacy")
    from alpaca.common.enums import Sort
    from alpaca.common.exceptions import APIError
    from alpaca.trading.client import TradingClient
    from alpaca.trading.enums import OrderSide, QueryOrderStatus
    from alpaca.trading.enums import TimeInForce as AlpacaTif
    from alpaca.trading.requests import (
        GetOrdersRequest,
        LimitOrderRequest,
        MarketOrderRequest,
        OrderRequest,
        StopLimitOrderRequest,
        StopOrderRequest,
    )
    from alpaca.trading.stream import TradingStream
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_random_exponential

from qgtm_core import (
    BrokerError,
    ClientOrderId,
    CorrelationId,
    ExecutionId,
    Fill,
    InstrumentId,
    Order,
    OrderIntent,
    OrderStatus,
    OrderType,
    Position,
    Side,
    TimeInForce,
)
from qgtm_execution._errors import BrokerDisconnectedError, SubmitOutcomeUnknownError

__all__ = ["AlpacaApiError", "AlpacaBroker"]

_log = logging.getLogger("qgtm.execution.alpaca")

_STATUS = {
    "new": OrderStatus.ACCEPTED,
    "accepted": OrderStatus.ACCEPTED,
    "pending_new": OrderStatus.SUBMITTED,
    "accepted_for_bidding": OrderStatus.ACCEPTED,
    "calculated": OrderStatus.ACCEPTED,
    "held": OrderStatus.ACCEPTED,
    "done_for_day": OrderStatus.ACCEPTED,
    "replaced": OrderStatus.CANCELLED,
    "pending_replace": OrderStatus.ACCEPTED,
    "partially_filled": OrderStatus.PARTIALLY_FILLED,
    "filled": OrderStatus.FILLED,
    "pending_cancel": OrderStatus.CANCEL_PENDING,
    "canceled": OrderStatus.CANCELLED,
    "rejected": OrderStatus.REJECTED,
    "suspended": OrderStatus.REJECTED,
    "expired": OrderStatus.EXPIRED,
    "stopped": OrderStatus.EXPIRED,
}
_CORRELATION_LEN = len("sig-YYYYMMDD-HHMMSS-xxxx")
_ORDER_TYPES = {t.value for t in OrderType}
_TIFS = {t.value for t in TimeInForce}

T = TypeVar("T")


class AlpacaApiError(BrokerError):
    """Alpaca answered with an error status (refused order, unknown order, bad credentials)."""

    def __init__(self, what: str, status: int, message: str) -> None:
        super().__init__(f"alpaca: {what} failed ({status}: {message})")
        self.status = status


class _Snapshot(Protocol):
    """The fields of an alpaca-py ``Order`` this adapter reads."""

    id: object
    client_order_id: str
    symbol: str | None
    qty: str | float | None
    filled_qty: str | float | None
    filled_avg_price: str | float | None
    side: object
    type: object
    time_in_force: object
    limit_price: str | float | None
    stop_price: str | float | None
    status: object
    updated_at: datetime


def _value(enum_or_str: object) -> str:
    return str(getattr(enum_or_str, "value", enum_or_str))


def _dec(value: str | float | None) -> Decimal:
    return Decimal(0) if value is None else Decimal(str(value))


def _opt(value: str | float | None) -> Decimal | None:
    return None if value is None else Decimal(str(value))


class AlpacaBroker:
    """Implements ``Broker`` over the Alpaca trading API."""

    def __init__(
        self,
        api_key: str,
        secret_key: str,
        *,
        paper: bool = True,
        url_override: str | None = None,
        stream_url: str | None = None,
        stream: bool = True,
        symbols: Mapping[InstrumentId, str] | None = None,
        attempts: int = 4,
        backoff_seconds: float = 0.1,
        backoff_max_seconds: float = 5.0,
        on_reconnect: Callable[[], None] | None = None,
        history_since: datetime | None = None,
        stream_wait_seconds: float = 5.0,
    ) -> None:
        self._client = TradingClient(api_key, secret_key, paper=paper, url_override=url_override)
        self._symbols = dict(symbols or {})
        self._instruments = {v: k for k, v in self._symbols.items()}
        self._attempts = attempts
        self._backoff = (backoff_seconds, backoff_max_seconds)
        self._on_reconnect = on_reconnect
        self._since = history_since or datetime(2000, 1, 1, tzinfo=UTC)
        self._stream_wait = stream_wait_seconds
        self._lock = threading.Lock()
        self._fills: list[Fill] = []
        self._cum: dict[str, Decimal] = {}
        self._coid_of: dict[str, ClientOrderId] = {}
        self._connected = True
        self.reconnects = 0
        self.stream_updates = 0
        self._stream: TradingStream | None = None
        self._stream_thread: threading.Thread | None = None
        self._sweep()
        if stream:
            self._start_stream(api_key, secret_key, paper, stream_url)

    # ------------------------------------------------------------------ plumbing

    def _symbol(self, instrument: InstrumentId) -> str:
        return self._symbols.get(instrument, str(instrument))

    def _instrument(self, symbol: str) -> InstrumentId:
        return self._instruments.get(symbol, InstrumentId(symbol))

    def _call(self, fn: Callable[[], T], what: str = "request") -> T:
        """One REST call with backoff and jitter on connection loss; sweep after a reconnect."""
        lo, hi = self._backoff
        retrying = Retrying(
            stop=stop_after_attempt(self._attempts),
            wait=wait_random_exponential(multiplier=lo, max=hi),
            retry=retry_if_exception_type(requests.ConnectionError),
            reraise=True,
        )
        try:
            result = retrying(fn)
        except APIError as exc:
            raise AlpacaApiError(what, int(exc.status_code or 0), str(exc.message)) from exc
        except requests.ConnectionError as exc:
            self._connected = False
            msg = f"alpaca: connection lost ({exc.__class__.__name__})"
            raise BrokerDisconnectedError(msg) from exc
        if not self._connected:
            self._connected = True
            self.reconnects += 1
            _log.warning("alpaca: reconnected; reconciling orders and fills")
            self._sweep()
            if self._on_reconnect is not None:
                self._on_reconnect()
        return result

    @property
    def connected(self) -> bool:
        """False after a call failed on a lost connection, until one succeeds again."""
        return self._connected

    # ------------------------------------------------------------------ snapshots -> our types

    def _order(self, raw: _Snapshot) -> Order:
        coid = ClientOrderId(raw.client_order_id)
        symbol = raw.symbol or ""
        kind = OrderType(_value(raw.type)) if _value(raw.type) in _ORDER_TYPES else OrderType.MARKET
        tif = _value(raw.time_in_force)
        intent = OrderIntent(
            client_order_id=coid,
            correlation_id=CorrelationId(coid[:_CORRELATION_LEN] if coid.startswith("sig-") else "external"),
            instrument=self._instrument(symbol),
            side=Side(_value(raw.side)),
            quantity=_dec(raw.qty),
            order_type=kind,
            time_in_force=TimeInForce(tif) if tif in _TIFS else TimeInForce.DAY,
            limit_price=_opt(raw.limit_price),
            stop_price=_opt(raw.stop_price),
        )
        filled = _dec(raw.filled_qty)
        return Order(
            intent=intent,
            status=_STATUS.get(_value(raw.status), OrderStatus.ACCEPTED),
            updated_at=raw.updated_at,
            broker_order_id=str(raw.id),
            filled_quantity=filled,
            average_fill_price=_opt(raw.filled_avg_price) if filled > 0 else None,
        )

    def _observe(self, raw: _Snapshot, price: Decimal | None, at: datetime) -> None:
        """Record the fill implied by a snapshot whose cumulative quantity grew."""
        oid = str(raw.id)
        cum = _dec(raw.filled_qty)
        with self._lock:
            self._coid_of[oid] = ClientOrderId(raw.client_order_id)
            seen = self._cum.get(oid, Decimal(0))
            if cum <= seen:
                return
            avg = _dec(raw.filled_avg_price)
            if price is None:
                # From a REST snapshot: the price of the new part follows from the two averages.
                prev_avg = self._fills_value(oid) / seen if seen > 0 else Decimal(0)
                price = (avg * cum - prev_avg * seen) / (cum - seen)
            self._cum[oid] = cum
            self._fills.append(
                Fill(
                    execution_id=ExecutionId(f"{oid}:{cum}"),
                    client_order_id=ClientOrderId(raw.client_order_id),
                    instrument=self._instrument(raw.symbol or ""),
                    side=Side(_value(raw.side)),
                    quantity=cum - seen,
                    price=price,
                    commission=Decimal(0),
                    at=at,
                    correlation_id=self._order(raw).intent.correlation_id,
                )
            )

    def _fills_value(self, oid: str) -> Decimal:
        return sum((f.price * f.quantity for f in self._fills if f.execution_id.startswith(oid + ":")), Decimal(0))

    def _sweep(self) -> None:
        """Read every order since ``history_since`` and record fills not seen yet."""
        after = self._since
        request = GetOrdersRequest(status=QueryOrderStatus.ALL, limit=500, after=after, direction=Sort.ASC)
        raws = cast("list[_Snapshot]", self._call_raw(lambda: self._client.get_orders(request)))
        for raw in raws:
            self._observe(raw, None, raw.updated_at)

    def _call_raw(self, fn: Callable[[], T], what: str = "request") -> T:
        try:
            return fn()
        except APIError as exc:
            raise AlpacaApiError(what, int(exc.status_code or 0), str(exc.message)) from exc
        except requests.ConnectionError as exc:
            self._connected = False
            msg = f"alpaca: connection lost ({exc.__class__.__name__})"
            raise BrokerDisconnectedError(msg) from exc

    # ------------------------------------------------------------------ stream

    def _start_stream(self, api_key: str, secret_key: str, paper: bool, url: str | None) -> None:
        stream = TradingStream(api_key, secret_key, paper=paper, url_override=cast("str", url))
        stream._reconnect_min_backoff = self._backoff[0]
        stream._reconnect_max_backoff = self._backoff[1]
        stream.subscribe_trade_updates(self._on_trade_update)
        self._stream = stream
        self._stream_thread = threading.Thread(target=stream.run, name="alpaca-trade-stream", daemon=True)
        self._stream_thread.start()
        deadline = time.monotonic() + self._stream_wait
        while not self.streaming and time.monotonic() < deadline:
            time.sleep(0.01)
        if not self.streaming:
            _log.warning("alpaca: trade stream not up after %.1fs; REST sweeps will cover fills", self._stream_wait)

    @property
    def streaming(self) -> bool:
        """True while the trade-update stream is connected and listening."""
        return self._stream is not None and bool(getattr(self._stream, "_running", False))

    async def _on_trade_update(self, update: object) -> None:
        self.stream_updates += 1
        event = _value(getattr(update, "event", ""))
        if event in {"fill", "partial_fill"}:
            raw = cast("_Snapshot", getattr(update, "order"))  # noqa: B009 -- typed access to an untyped model
            price = getattr(update, "price", None)
            at = cast("datetime", getattr(update, "timestamp"))  # noqa: B009 -- same
            self._observe(raw, None if price is None else Decimal(str(price)), at)

    def close(self) -> None:
        """Stop the trade stream."""
        if self._stream is None or self._stream_thread is None:
            return
        stream = self._stream
        loop = getattr(stream, "_loop", None)
        # Closing the socket makes alpaca-py log a "websocket error, restarting" warning before it
        # sees that it was asked to stop; that line is expected here, so it is muted while we close.
        stream_log = logging.getLogger("alpaca.trading.stream")
        level = stream_log.level
        stream_log.setLevel(logging.ERROR)
        try:
            if isinstance(loop, asyncio.AbstractEventLoop) and loop.is_running():
                asyncio.run_coroutine_threadsafe(stream.stop_ws(), loop).result(5)
                # Closing the socket wakes the consumer now instead of at its next 5 s receive timeout.
                asyncio.run_coroutine_threadsafe(stream.close(), loop).result(5)
            self._stream_thread.join(10)
        finally:
            stream_log.setLevel(level)
        self._stream = None

    # ------------------------------------------------------------------ Broker port

    def submit(self, intent: OrderIntent) -> Order:
        """Send one order; a lost response is reported as an unknown outcome."""
        common = {
            "symbol": self._symbol(intent.instrument),
            "qty": float(intent.quantity),
            "side": OrderSide.BUY if intent.side is Side.BUY else OrderSide.SELL,
            "time_in_force": AlpacaTif(intent.time_in_force.value),
            "client_order_id": intent.client_order_id,
        }
        limit = None if intent.limit_price is None else float(intent.limit_price)
        stop = None if intent.stop_price is None else float(intent.stop_price)
        request: OrderRequest
        if intent.order_type is OrderType.LIMIT:
            request = LimitOrderRequest(limit_price=limit, **common)
        elif intent.order_type is OrderType.STOP:
            request = StopOrderRequest(stop_price=stop, **common)
        elif intent.order_type is OrderType.STOP_LIMIT:
            request = StopLimitOrderRequest(limit_price=limit, stop_price=stop, **common)
        else:
            request = MarketOrderRequest(**common)
        try:
            raw = cast("_Snapshot", self._call_raw(lambda: self._client.submit_order(request), intent.client_order_id))
        except BrokerDisconnectedError as exc:
            msg = f"{intent.client_order_id}: submit outcome unknown ({exc})"
            raise SubmitOutcomeUnknownError(msg) from exc
        self._observe(raw, None, raw.updated_at)
        return self._order(raw)

    def cancel(self, client_order_id: ClientOrderId) -> Order:
        """Request a cancel and return the order's state after it."""
        current = self.order(client_order_id)
        if current is None:
            msg = f"alpaca: unknown client order id {client_order_id}"
            raise BrokerError(msg)
        if current.status.is_terminal:
            return current
        oid = str(current.broker_order_id)
        self._call(lambda: self._client.cancel_order_by_id(oid), f"cancel {client_order_id}")
        after = self.order(client_order_id)
        return after if after is not None else current

    def order(self, client_order_id: ClientOrderId) -> Order | None:
        """Look an order up by client order id; None if Alpaca has never seen it."""
        try:
            raw = cast(
                "_Snapshot",
                self._call(lambda: self._client.get_order_by_client_id(client_order_id), f"lookup {client_order_id}"),
            )
        except AlpacaApiError as exc:
            if exc.status == 404:
                return None
            raise
        self._observe(raw, None, raw.updated_at)
        return self._order(raw)

    def open_orders(self) -> Sequence[Order]:
        """Orders still working."""
        request = GetOrdersRequest(status=QueryOrderStatus.OPEN, limit=500)
        raws = cast("list[_Snapshot]", self._call(lambda: self._client.get_orders(request)))
        return [self._order(r) for r in raws]

    def fills_since(self, cursor: int) -> tuple[Sequence[Fill], int]:
        """Fills after ``cursor`` (this process's fill sequence), after a REST sweep."""
        self._call(self._sweep)
        with self._lock:
            return list(self._fills[cursor:]), len(self._fills)

    def positions(self) -> Mapping[InstrumentId, Position]:
        """Signed positions (Alpaca reports shorts with negative quantities)."""
        raws = self._call(self._client.get_all_positions)
        out: dict[InstrumentId, Position] = {}
        for raw in cast("list[object]", raws):
            symbol = str(getattr(raw, "symbol"))  # noqa: B009 -- untyped model
            qty = Decimal(str(getattr(raw, "qty")))  # noqa: B009 -- same
            if qty != 0:
                instrument = self._instrument(symbol)
                out[instrument] = Position(instrument, qty, Decimal(str(getattr(raw, "avg_entry_price"))))  # noqa: B009 -- same
        return out

    def cash(self) -> Decimal:
        """Cash balance."""
        account = self._call(self._client.get_account)
        return Decimal(str(getattr(account, "cash")))  # noqa: B009 -- untyped model

    def clock_offset(self) -> timedelta:
        """Broker clock minus local clock, measured at the midpoint of one round trip."""
        sent = time.time()
        clock = self._call(self._client.get_clock)
        received = time.time()
        broker = cast("datetime", getattr(clock, "timestamp"))  # noqa: B009 -- untyped model
        return broker - datetime.fromtimestamp((sent + received) / 2, UTC)
