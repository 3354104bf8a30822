"""A fake ``ib_async.IB`` that follows the real event sequences with ib_async's own objects.

A placed order walks PendingSubmit -> PreSubmitted -> Submitted (each appended to ``trade.log``,
as TWS reports them); each fill appends an ``execDetails`` ``Fill`` (with its
``CommissionReport``) and moves the status to Submitted-with-filled or Filled; a cancel goes
PendingCancel -> Cancelled; a rejection (``reject_next``) is Inactive. ``disconnect`` makes every call raise
``ConnectionError`` as a dropped socket does, and the session's ``trades()``/``fills()`` are
cleared on reconnect, exactly like a new IB session: only ``reqExecutions`` and
``reqCompletedOrders`` remember what happened before.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import UTC, datetime

from ib_async import CommissionReport, Contract, Execution, Trade
from ib_async import Fill as IbFill
from ib_async import Order as IbOrder
from ib_async import OrderStatus as IbOrderStatus
from ib_async import Position as IbPosition
from ib_async.objects import AccountValue, DOMLevel, TradeLogEntry
from ib_async.ticker import Ticker

__all__ = ["FakeIB"]


class FakeIB:
    """Implements ``IbClient``; move the market with ``fill`` and ``set_depth``."""

    def __init__(self, cash: float = 100_000.0, account: str = "DU0000001", commission: float = 1.0) -> None:
        self.account = account
        self.cash = cash
        self.commission = commission
        self.connected = False
        self.refuse_connects = 0
        self.reject_next: str | None = None
        self.placed: list[str] = []
        self._next_id = 1
        self._session: list[Trade] = []
        self._all: list[Trade] = []
        self._executions: list[IbFill] = []
        self._session_fills: list[IbFill] = []
        self._positions: dict[str, tuple[Contract, float, float]] = {}
        self._depth: dict[str, Ticker] = defaultdict(Ticker)

    def _check(self) -> None:
        if not self.connected:
            msg = "Not connected"
            raise ConnectionError(msg)

    @staticmethod
    def _log(trade: Trade, status: str, message: str = "") -> None:
        trade.orderStatus = replace(trade.orderStatus, status=status)
        trade.log.append(TradeLogEntry(datetime.now(UTC), status, message))

    # ------------------------------------------------------------------ connection

    def isConnected(self) -> bool:  # noqa: N802 -- ib_async's name
        """As ``IB.isConnected``."""
        return self.connected

    def connect(self, host: str, port: int, clientId: int, timeout: float) -> FakeIB:  # noqa: N803 -- ib_async's name
        """As ``IB.connect``; fails ``refuse_connects`` times first. A new session starts empty."""
        if self.refuse_connects:
            self.refuse_connects -= 1
            msg = f"connect to {host}:{port} refused"
            raise ConnectionRefusedError(msg)
        self.connected = True
        self._session = [t for t in self._all if not t.isDone()]
        self._session_fills = []
        return self

    def disconnect(self) -> None:
        """The socket drops."""
        self.connected = False

    # ------------------------------------------------------------------ orders

    def placeOrder(self, contract: Contract, order: IbOrder) -> Trade:  # noqa: N802 -- ib_async's name
        """PendingSubmit -> PreSubmitted -> Submitted (or Inactive when ``reject_next`` says so)."""
        self._check()
        # Like IB.placeOrder, the order object is numbered in place.
        order.orderId, order.permId, order.clientId = self._next_id, 1_000_000 + self._next_id, 17
        self._next_id += 1
        trade = Trade(contract, order, IbOrderStatus(orderId=order.orderId, remaining=order.totalQuantity))
        self._log(trade, "PendingSubmit")
        self._session.append(trade)
        self._all.append(trade)
        self.placed.append(order.orderRef)
        if self.reject_next is not None:
            trade.advancedError, self.reject_next = self.reject_next, None
            self._log(trade, "Inactive", trade.advancedError)
            return trade
        self._log(trade, "PreSubmitted")
        self._log(trade, "Submitted")
        return trade

    def cancelOrder(self, order: IbOrder) -> Trade:  # noqa: N802 -- ib_async's name
        """PendingCancel -> Cancelled."""
        self._check()
        trade = next(t for t in self._all if t.order.orderId == order.orderId)
        self._log(trade, "PendingCancel")
        self._log(trade, "Cancelled")
        return trade

    def fill(self, order_ref: str, shares: float, price: float) -> IbFill:
        """An execution: execDetails + commissionReport, then the status update (even while disconnected)."""
        trade = next(t for t in self._all if t.order.orderRef == order_ref)
        st = trade.orderStatus
        shares = min(shares, st.remaining)
        cum = st.filled + shares
        avg = (st.avgFillPrice * st.filled + price * shares) / cum
        exec_id = f"0000e0d5.{len(self._executions) + 1:08x}.01.01"
        side = "BOT" if trade.order.action == "BUY" else "SLD"
        execution = Execution(
            execId=exec_id,
            time=datetime.now(UTC),
            acctNumber=self.account,
            exchange="SMART",
            side=side,
            shares=shares,
            price=price,
            permId=trade.order.permId,
            clientId=17,
            orderId=trade.order.orderId,
            cumQty=cum,
            avgPrice=avg,
            orderRef=order_ref,
        )
        fill = IbFill(trade.contract, execution, CommissionReport(exec_id, self.commission, "USD"), execution.time)
        trade.fills.append(fill)
        self._executions.append(fill)
        if self.connected:
            self._session_fills.append(fill)
        trade.orderStatus = replace(
            st, filled=cum, remaining=trade.order.totalQuantity - cum, avgFillPrice=avg, lastFillPrice=price
        )
        self._log(trade, "Filled" if trade.orderStatus.remaining == 0 else "Submitted", f"Fill {shares}@{price}")
        signed = shares if side == "BOT" else -shares
        contract, qty, cost = self._positions.get(trade.contract.symbol, (trade.contract, 0.0, 0.0))
        multiplier = float(trade.contract.multiplier or 1)
        new_qty = qty + signed
        avg_cost = price * multiplier if qty == 0 or (qty > 0) != (new_qty > 0) else cost
        if qty != 0 and (qty > 0) == (signed > 0):
            avg_cost = (cost * qty + price * multiplier * signed) / new_qty
        self._positions[trade.contract.symbol] = (contract, new_qty, avg_cost)
        self.cash -= signed * price * multiplier + self.commission
        return fill

    # ------------------------------------------------------------------ queries

    def trades(self) -> list[Trade]:
        """This session's trades (plus orders still open from before, as TWS re-reports them)."""
        self._check()
        return list(self._session)

    def reqCompletedOrders(self, apiOnly: bool) -> list[Trade]:  # noqa: N802, N803 -- ib_async's names
        """Every finished order of the account."""
        self._check()
        return [t for t in self._all if t.isDone()]

    def reqExecutions(self) -> list[IbFill]:  # noqa: N802 -- ib_async's name
        """Every execution of the day, including those while disconnected."""
        self._check()
        return list(self._executions)

    def fills(self) -> list[IbFill]:
        """Executions this session has seen."""
        self._check()
        return list(self._session_fills)

    def positions(self) -> list[IbPosition]:
        """Positions with IB's average cost per contract."""
        self._check()
        return [IbPosition(self.account, c, q, cost) for c, q, cost in self._positions.values() if q]

    def accountValues(self) -> list[AccountValue]:  # noqa: N802 -- ib_async's name
        """A few account tags."""
        self._check()
        return [
            AccountValue(self.account, "NetLiquidation", f"{self.cash:.2f}", "USD", ""),
            AccountValue(self.account, "TotalCashValue", f"{self.cash:.2f}", "USD", ""),
        ]

    def set_depth(self, symbol: str, bids: list[tuple[float, float]], asks: list[tuple[float, float]]) -> None:
        """Set the market-depth book of a symbol."""
        ticker = self._depth[symbol]
        ticker.domBids = [DOMLevel(p, s, "") for p, s in bids]
        ticker.domAsks = [DOMLevel(p, s, "") for p, s in asks]

    def reqMktDepth(self, contract: Contract, numRows: int) -> Ticker:  # noqa: N802, N803 -- ib_async's names
        """The depth ticker of a contract."""
        self._check()
        ticker = self._depth[contract.symbol]
        ticker.contract = contract
        return ticker
