"""Interactive Brokers through ib_async: placeOrder, positions, executions, market depth.

IB numbers orders with per-connection integers, so our client order id travels in ``orderRef``
and every lookup goes by it. IB itself does not refuse a repeated ``orderRef``; this adapter does
(it checks open, this-session and completed orders first), which gives the OMS the same
"the broker refuses the duplicate" guarantee as Alpaca. Fills are keyed by IB's ``execId``.
After a reconnect (tenacity: exponential backoff with jitter) ``reqExecutions`` and
``reqCompletedOrders`` bring back whatever happened while the link was down.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Protocol

from ib_async import CommissionReport, Contract, Execution, LimitOrder, MarketOrder, StopLimitOrder, StopOrder, Trade
from ib_async import Fill as IbFill
from ib_async import Order as IbOrder
from ib_async import Position as IbPosition
from ib_async.objects import AccountValue
from ib_async.ticker import Ticker
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
from qgtm_execution._routing import Quote

__all__ = ["IbBroker", "IbClient"]

_log = logging.getLogger("qgtm.execution.ib")
_CORRELATION_LEN = len("sig-YYYYMMDD-HHMMSS-xxxx")
_STATUS = {
    "PendingSubmit": OrderStatus.SUBMITTED,
    "ApiPending": OrderStatus.SUBMITTED,
    "PreSubmitted": OrderStatus.ACCEPTED,
    "Submitted": OrderStatus.ACCEPTED,
    "PendingCancel": OrderStatus.CANCEL_PENDING,
    "ApiCancelled": OrderStatus.CANCELLED,
    "Cancelled": OrderStatus.CANCELLED,
    "Filled": OrderStatus.FILLED,
    "Inactive": OrderStatus.REJECTED,
}
_TYPES = {"MKT": OrderType.MARKET, "LMT": OrderType.LIMIT, "STP": OrderType.STOP, "STP LMT": OrderType.STOP_LIMIT}


class IbClient(Protocol):
    """The part of ``ib_async.IB`` this adapter uses (the real class satisfies it)."""

    def isConnected(self) -> bool: ...  # noqa: N802 -- ib_async's names

    def connect(self, host: str, port: int, clientId: int, timeout: float) -> object: ...  # noqa: N803 -- same

    def placeOrder(self, contract: Contract, order: IbOrder) -> Trade: ...  # noqa: N802 -- same

    def cancelOrder(self, order: IbOrder) -> object: ...  # noqa: N802 -- same

    def trades(self) -> list[Trade]: ...

    def reqCompletedOrders(self, apiOnly: bool) -> list[Trade]: ...  # noqa: N802, N803 -- same

    def reqExecutions(self) -> list[IbFill]: ...  # noqa: N802 -- same

    def fills(self) -> list[IbFill]: ...

    def positions(self) -> list[IbPosition]: ...

    def accountValues(self) -> list[AccountValue]: ...  # noqa: N802 -- same

    def reqMktDepth(self, contract: Contract, numRows: int) -> Ticker: ...  # noqa: N802, N803 -- same


class IbBroker:
    """Implements ``Broker`` over an ``ib_async.IB`` connection."""

    def __init__(
        self,
        ib: IbClient,
        contracts: Mapping[InstrumentId, Contract],
        *,
        host: str = "127.0.0.1",
        port: int = 7497,
        client_id: int = 17,
        attempts: int = 5,
        backoff_seconds: float = 0.5,
        backoff_max_seconds: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._ib = ib
        self._contracts = dict(contracts)
        self._by_con = {c.symbol: i for i, c in self._contracts.items()}
        self._where = (host, port, client_id)
        self._retry = (attempts, backoff_seconds, backoff_max_seconds)
        self._sleep = sleep
        self._fills: list[Fill] = []
        self._seen: set[str] = set()
        self.reconnects = 0
        self._connected_once = False
        self.ensure_connected()

    # ------------------------------------------------------------------ connection

    def ensure_connected(self) -> None:
        """Connect (or reconnect) with backoff and jitter; after a reconnect, recover executions."""
        if self._ib.isConnected():
            return
        attempts, lo, hi = self._retry
        host, port, client_id = self._where
        retrying = Retrying(
            stop=stop_after_attempt(attempts),
            wait=wait_random_exponential(multiplier=lo, max=hi),
            retry=retry_if_exception_type((ConnectionError, TimeoutError, OSError)),
            reraise=True,
            sleep=self._sleep,
        )
        try:
            retrying(lambda: self._ib.connect(host, port, clientId=client_id, timeout=10))
        except (ConnectionError, TimeoutError, OSError) as exc:
            msg = f"ib: cannot connect to {host}:{port} as client {client_id} ({exc})"
            raise BrokerDisconnectedError(msg) from exc
        if self._connected_once:
            self.reconnects += 1
        self._connected_once = True
        _log.info("ib: connected to %s:%s; recovering executions", host, port)
        for fill in self._ib.reqExecutions():
            self._observe(fill)

    def _live(self) -> IbClient:
        self.ensure_connected()
        return self._ib

    # ------------------------------------------------------------------ mapping

    def _contract(self, instrument: InstrumentId) -> Contract:
        try:
            return self._contracts[instrument]
        except KeyError:
            msg = f"ib: no contract configured for {instrument}"
            raise BrokerError(msg) from None

    def _instrument(self, contract: Contract) -> InstrumentId:
        return self._by_con.get(contract.symbol, InstrumentId(contract.symbol))

    def _order(self, trade: Trade) -> Order:
        o, st = trade.order, trade.orderStatus
        coid = ClientOrderId(o.orderRef)
        kind = _TYPES.get(o.orderType, OrderType.MARKET)
        limit = Decimal(str(o.lmtPrice)) if kind in (OrderType.LIMIT, OrderType.STOP_LIMIT) else None
        stop = Decimal(str(o.auxPrice)) if kind in (OrderType.STOP, OrderType.STOP_LIMIT) else None
        tif = o.tif.lower()
        intent = OrderIntent(
            client_order_id=coid,
            correlation_id=CorrelationId(coid[:_CORRELATION_LEN] if coid.startswith("sig-") else "external"),
            instrument=self._instrument(trade.contract),
            side=Side.BUY if o.action == "BUY" else Side.SELL,
            quantity=Decimal(str(o.totalQuantity)),
            order_type=kind,
            time_in_force=TimeInForce(tif) if tif in {t.value for t in TimeInForce} else TimeInForce.DAY,
            limit_price=limit,
            stop_price=stop,
        )
        filled = Decimal(str(st.filled))
        status = _STATUS.get(st.status, OrderStatus.ACCEPTED)
        if status is OrderStatus.ACCEPTED and filled > 0:
            status = OrderStatus.PARTIALLY_FILLED
        at = trade.log[-1].time if trade.log else datetime.now(UTC)
        return Order(
            intent=intent,
            status=status,
            updated_at=at,
            broker_order_id=str(o.permId or o.orderId),
            filled_quantity=filled,
            average_fill_price=Decimal(str(st.avgFillPrice)) if filled > 0 else None,
            reject_reason=trade.advancedError or None,
        )

    def _observe(self, fill: IbFill) -> None:
        ex: Execution = fill.execution
        if ex.execId in self._seen or not ex.orderRef:
            return
        self._seen.add(ex.execId)
        report: CommissionReport = fill.commissionReport
        coid = ClientOrderId(ex.orderRef)
        self._fills.append(
            Fill(
                execution_id=ExecutionId(ex.execId),
                client_order_id=coid,
                instrument=self._instrument(fill.contract),
                side=Side.BUY if ex.side == "BOT" else Side.SELL,
                quantity=Decimal(str(ex.shares)),
                price=Decimal(str(ex.price)),
                commission=Decimal(str(report.commission)),
                at=ex.time,
                correlation_id=CorrelationId(coid[:_CORRELATION_LEN]) if coid.startswith("sig-") else None,
            )
        )

    def _find(self, client_order_id: ClientOrderId) -> Trade | None:
        ib = self._live()
        for trade in [*ib.trades(), *ib.reqCompletedOrders(apiOnly=True)]:
            if trade.order.orderRef == client_order_id:
                return trade
        return None

    # ------------------------------------------------------------------ Broker port

    def submit(self, intent: OrderIntent) -> Order:
        """placeOrder with ``orderRef`` = client order id; a repeat is refused before it reaches IB."""
        if self._find(intent.client_order_id) is not None:
            msg = f"ib: duplicate client order id {intent.client_order_id}"
            raise BrokerError(msg)
        action = "BUY" if intent.side is Side.BUY else "SELL"
        qty = float(intent.quantity)
        common = {"orderRef": intent.client_order_id, "tif": intent.time_in_force.value.upper()}
        order: IbOrder
        if intent.order_type is OrderType.LIMIT:
            order = LimitOrder(action, qty, float(intent.limit_price or 0), **common)
        elif intent.order_type is OrderType.STOP:
            order = StopOrder(action, qty, float(intent.stop_price or 0), **common)
        elif intent.order_type is OrderType.STOP_LIMIT:
            order = StopLimitOrder(action, qty, float(intent.limit_price or 0), float(intent.stop_price or 0), **common)
        else:
            order = MarketOrder(action, qty, **common)
        contract = self._contract(intent.instrument)
        try:
            trade = self._live().placeOrder(contract, order)
        except (ConnectionError, TimeoutError, OSError) as exc:
            msg = f"{intent.client_order_id}: submit outcome unknown ({exc})"
            raise SubmitOutcomeUnknownError(msg) from exc
        return self._order(trade)

    def cancel(self, client_order_id: ClientOrderId) -> Order:
        """cancelOrder, then the order as IB reports it."""
        trade = self._find(client_order_id)
        if trade is None:
            msg = f"ib: unknown client order id {client_order_id}"
            raise BrokerError(msg)
        if not _STATUS.get(trade.orderStatus.status, OrderStatus.ACCEPTED).is_terminal:
            self._live().cancelOrder(trade.order)
        return self._order(trade)

    def order(self, client_order_id: ClientOrderId) -> Order | None:
        """Look up by ``orderRef``; None if IB has never seen it."""
        trade = self._find(client_order_id)
        return None if trade is None else self._order(trade)

    def open_orders(self) -> Sequence[Order]:
        """Orders still working."""
        orders = [self._order(t) for t in self._live().trades()]
        return [o for o in orders if not o.status.is_terminal]

    def fills_since(self, cursor: int) -> tuple[Sequence[Fill], int]:
        """Executions after ``cursor`` (deduplicated by execId)."""
        for fill in self._live().fills():
            self._observe(fill)
        return list(self._fills[cursor:]), len(self._fills)

    def positions(self) -> Mapping[InstrumentId, Position]:
        """Signed positions; IB's average cost is per contract, divided back by the multiplier."""
        out: dict[InstrumentId, Position] = {}
        for p in self._live().positions():
            if p.position:
                multiplier = Decimal(str(p.contract.multiplier or 1))
                instrument = self._instrument(p.contract)
                out[instrument] = Position(instrument, Decimal(str(p.position)), Decimal(str(p.avgCost)) / multiplier)
        return out

    def cash(self) -> Decimal:
        """``TotalCashValue`` in USD."""
        for value in self._live().accountValues():
            if value.tag == "TotalCashValue" and value.currency == "USD":
                return Decimal(value.value)
        msg = "ib: the account reports no TotalCashValue in USD"
        raise BrokerError(msg)

    def quote(self, instrument: InstrumentId, rows: int = 5) -> Quote | None:
        """Top of the market-depth book (for routing), or None while the book is empty."""
        ticker = self._live().reqMktDepth(self._contract(instrument), numRows=rows)
        if not ticker.domBids or not ticker.domAsks:
            return None
        return Quote(Decimal(str(ticker.domBids[0].price)), Decimal(str(ticker.domAsks[0].price)))
