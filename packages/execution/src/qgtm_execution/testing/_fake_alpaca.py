"""A faithful local fake of the Alpaca trading API (REST v2 + trade_updates WebSocket) on loopback.

It speaks the wire format the real ``alpaca-py`` client parses: the same paths
(``/v2/orders``, ``/v2/orders:by_client_order_id``, ``/v2/positions``, ``/v2/account``,
``/v2/clock``), the same JSON fields, the same error bodies (``{"code", "message"}`` with 401,
404, 422) and the trade stream's authenticate/listen handshake and ``trade_updates`` events.
Point the real client at it with ``TradingClient(url_override=server.base_url)`` and
``TradingStream(url_override=server.stream_url)``.

Test controls (not part of Alpaca): ``fill`` and ``set_price`` (also ``POST /_fake/prices`` for
another process) move the market, ``auto_fill``
fills market orders at once, ``drop`` closes every connection and refuses new ones until
``restore``, and ``submitted`` counts every order the server ever accepted.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import cast

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

__all__ = ["FakeAlpacaServer"]

_OPEN = {"new", "accepted", "pending_new", "partially_filled", "pending_cancel"}
_ACCOUNT_ID = "904837e3-3b76-47ec-b432-046db621571b"


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def _num(value: Decimal) -> str:
    return format(value.normalize(), "f")


@dataclass
class _Order:
    id: str
    client_order_id: str
    symbol: str
    qty: Decimal
    side: str
    type: str
    time_in_force: str
    limit_price: Decimal | None
    stop_price: Decimal | None
    created_at: datetime
    status: str = "new"
    filled_qty: Decimal = Decimal(0)
    filled_avg_price: Decimal | None = None
    filled_at: datetime | None = None
    canceled_at: datetime | None = None
    updated_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "client_order_id": self.client_order_id,
            "created_at": _iso(self.created_at),
            "updated_at": _iso(self.updated_at),
            "submitted_at": _iso(self.created_at),
            "filled_at": None if self.filled_at is None else _iso(self.filled_at),
            "expired_at": None,
            "canceled_at": None if self.canceled_at is None else _iso(self.canceled_at),
            "failed_at": None,
            "replaced_at": None,
            "replaced_by": None,
            "replaces": None,
            "asset_id": str(uuid.uuid5(uuid.NAMESPACE_OID, self.symbol)),
            "symbol": self.symbol,
            "asset_class": "us_equity",
            "notional": None,
            "qty": _num(self.qty),
            "filled_qty": _num(self.filled_qty),
            "filled_avg_price": None if self.filled_avg_price is None else _num(self.filled_avg_price),
            "order_class": "",
            "order_type": self.type,
            "type": self.type,
            "side": self.side,
            "time_in_force": self.time_in_force,
            "limit_price": None if self.limit_price is None else _num(self.limit_price),
            "stop_price": None if self.stop_price is None else _num(self.stop_price),
            "status": self.status,
            "extended_hours": False,
            "legs": None,
            "trail_percent": None,
            "trail_price": None,
            "hwm": None,
        }


@dataclass
class _Position:
    qty: Decimal = Decimal(0)
    avg: Decimal = Decimal(0)


def _error(status: int, code: int, message: str) -> JSONResponse:
    return JSONResponse({"code": code, "message": message}, status_code=status)


class FakeAlpacaServer:
    """The fake, served by uvicorn in a background thread on 127.0.0.1."""

    def __init__(
        self,
        key_id: str = "fake-key",
        secret_key: str = "fake-secret",  # noqa: S107 -- a test double's well-known dummy credential
        cash: Decimal = Decimal(100_000),
        *,
        auto_fill: bool = True,
        port: int = 0,
        clock_skew_seconds: float = 0.0,
    ) -> None:
        self.key_id = key_id
        self.secret_key = secret_key
        self.cash = cash
        self.auto_fill = auto_fill
        self.clock_skew_seconds = clock_skew_seconds
        self.prices: dict[str, Decimal] = {}
        self.orders: dict[str, _Order] = {}
        self.submitted: list[str] = []
        self.positions: dict[str, _Position] = {}
        self._lock = threading.RLock()
        self._clients: set[WebSocket] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port = port or self._free_port()
        self._app = Starlette(
            routes=[
                Route("/v2/orders", self._orders_endpoint, methods=["GET", "POST", "DELETE"]),
                Route("/v2/orders:by_client_order_id", self._by_client_id, methods=["GET"]),
                Route("/v2/orders/{order_id}", self._order_endpoint, methods=["GET", "DELETE"]),
                Route("/v2/positions", self._positions_endpoint, methods=["GET"]),
                Route("/v2/account", self._account_endpoint, methods=["GET"]),
                Route("/v2/clock", self._clock_endpoint, methods=["GET"]),
                Route("/_fake/prices", self._prices_endpoint, methods=["POST"]),
                WebSocketRoute("/stream", self._stream),
            ]
        )

    # ------------------------------------------------------------------ lifecycle

    @staticmethod
    def _free_port() -> int:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return int(s.getsockname()[1])

    @property
    def base_url(self) -> str:
        """REST base URL (pass as ``url_override``)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def stream_url(self) -> str:
        """Trade stream URL (pass as the stream's ``url_override``)."""
        return f"ws://127.0.0.1:{self.port}/stream"

    def start(self) -> FakeAlpacaServer:
        """Serve until ``stop`` (or ``drop``)."""
        config = uvicorn.Config(
            self._app, host="127.0.0.1", port=self.port, log_level="error", ws="websockets-sansio", lifespan="off"
        )
        self._server = uvicorn.Server(config)
        server = self._server

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            loop.run_until_complete(server.serve())
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.close()

        self._thread = threading.Thread(target=serve, name="fake-alpaca", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                msg = f"fake Alpaca server did not start on port {self.port}"
                raise RuntimeError(msg)
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Shut the server down, closing every connection (state is kept)."""
        if self._server is None or self._thread is None:
            return
        self._server.should_exit = True
        self._server.force_exit = True
        self._thread.join(10)
        self._server = None
        self._thread = None
        self._clients.clear()

    def drop(self) -> None:
        """The connection drops: REST and stream are unreachable until ``restore``."""
        self.stop()

    def restore(self) -> None:
        """Accept connections again on the same port."""
        self.start()

    def __enter__(self) -> FakeAlpacaServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ market controls

    def set_price(self, symbol: str, price: Decimal) -> None:
        """The price market orders fill at."""
        with self._lock:
            self.prices[symbol] = price

    def order_by_client_id(self, client_order_id: str) -> dict[str, object] | None:
        """An order's JSON as the API would return it."""
        with self._lock:
            for order in self.orders.values():
                if order.client_order_id == client_order_id:
                    return order.json()
        return None

    def position_quantities(self) -> dict[str, Decimal]:
        """Signed position per symbol (non-zero only)."""
        with self._lock:
            return {s: p.qty for s, p in self.positions.items() if p.qty != 0}

    def fill(self, client_order_id: str, qty: Decimal, price: Decimal) -> None:
        """Execute ``qty`` of an open order at ``price`` and push the trade update."""
        with self._lock:
            order = next(o for o in self.orders.values() if o.client_order_id == client_order_id)
            if order.status not in _OPEN:
                msg = f"order {client_order_id} is {order.status}, cannot fill"
                raise ValueError(msg)
            qty = min(qty, order.qty - order.filled_qty)
            now = datetime.now(UTC)
            total = order.filled_qty + qty
            prev_value = (order.filled_avg_price or Decimal(0)) * order.filled_qty
            order.filled_avg_price = (prev_value + price * qty) / total
            order.filled_qty = total
            order.updated_at = now
            order.status = "filled" if total == order.qty else "partially_filled"
            if order.status == "filled":
                order.filled_at = now
            signed = qty if order.side == "buy" else -qty
            self._apply_position(order.symbol, signed, price)
            self.cash -= signed * price
            pos = self.positions[order.symbol].qty
            event = "fill" if order.status == "filled" else "partial_fill"
            self._push(
                {
                    "event": event,
                    "execution_id": str(uuid.uuid4()),
                    "order": order.json(),
                    "timestamp": _iso(now),
                    "position_qty": _num(pos),
                    "price": _num(price),
                    "qty": _num(qty),
                }
            )

    def _apply_position(self, symbol: str, signed: Decimal, price: Decimal) -> None:
        pos = self.positions.setdefault(symbol, _Position())
        new = pos.qty + signed
        if pos.qty == 0 or (pos.qty > 0) != (new > 0):
            pos.avg = price
        elif (pos.qty > 0) == (signed > 0):
            pos.avg = (pos.avg * pos.qty + price * signed) / new
        pos.qty = new

    def _push(self, data: dict[str, object]) -> None:
        text = json.dumps({"stream": "trade_updates", "data": data})
        loop = self._loop
        if loop is None or self._server is None:
            return
        for ws in list(self._clients):
            asyncio.run_coroutine_threadsafe(self._send(ws, text), loop)

    async def _send(self, ws: WebSocket, text: str) -> None:
        try:
            await ws.send_text(text)
        except (RuntimeError, WebSocketDisconnect):
            self._clients.discard(ws)

    # ------------------------------------------------------------------ REST

    def _authorised(self, request: Request) -> bool:
        return (
            request.headers.get("APCA-API-KEY-ID") == self.key_id
            and request.headers.get("APCA-API-SECRET-KEY") == self.secret_key
        )

    async def _orders_endpoint(self, request: Request) -> Response:
        if not self._authorised(request):
            return _error(401, 40110000, "request is not authorized")
        if request.method == "POST":
            return self._submit(cast("dict[str, object]", await request.json()))
        if request.method == "DELETE":
            with self._lock:
                out = [{"id": o.id, "status": 200} for o in self.orders.values() if self._cancel(o)]
            return JSONResponse(out, status_code=207)
        status = request.query_params.get("status", "open")
        limit = int(request.query_params.get("limit", "50"))
        after = request.query_params.get("after")
        ascending = request.query_params.get("direction", "desc") == "asc"
        with self._lock:
            orders = sorted(self.orders.values(), key=lambda o: o.created_at, reverse=not ascending)
            if after is not None:
                cutoff = datetime.fromisoformat(after.replace("Z", "+00:00"))
                orders = [o for o in orders if o.created_at > cutoff]
            if status == "open":
                orders = [o for o in orders if o.status in _OPEN]
            elif status == "closed":
                orders = [o for o in orders if o.status not in _OPEN]
            return JSONResponse([o.json() for o in orders[:limit]])

    def _submit(self, body: dict[str, object]) -> Response:
        try:
            qty = Decimal(str(body["qty"]))
            side = str(body["side"])
            kind = str(body.get("type", "market"))
            symbol = str(body["symbol"])
        except KeyError as exc:
            return _error(422, 40010001, f"{exc.args[0]} is required")
        if qty <= 0 or side not in {"buy", "sell"}:
            return _error(422, 40010001, "qty must be > 0 and side buy or sell")
        cid = str(body.get("client_order_id") or uuid.uuid4())
        with self._lock:
            if any(o.client_order_id == cid for o in self.orders.values()):
                return _error(422, 40010001, "client_order_id must be unique")
            limit = body.get("limit_price")
            stop = body.get("stop_price")
            order = _Order(
                id=str(uuid.uuid4()),
                client_order_id=cid,
                symbol=symbol,
                qty=qty,
                side=side,
                type=kind,
                time_in_force=str(body.get("time_in_force", "day")),
                limit_price=None if limit is None else Decimal(str(limit)),
                stop_price=None if stop is None else Decimal(str(stop)),
                created_at=datetime.now(UTC),
                status="accepted" if self.auto_fill else "new",
            )
            self.orders[order.id] = order
            self.submitted.append(cid)
            self._push({"event": "new", "order": order.json(), "timestamp": _iso(order.created_at)})
            if self.auto_fill and kind == "market":
                self.fill(cid, qty, self.prices.get(symbol, Decimal(100)))
            return JSONResponse(order.json())

    async def _prices_endpoint(self, request: Request) -> Response:
        """Test control (not Alpaca): ``{"GLD": "180.5"}`` sets the prices market orders fill at."""
        body = cast("dict[str, object]", await request.json())
        for symbol, price in body.items():
            self.set_price(symbol, Decimal(str(price)))
        return Response(status_code=204)

    async def _by_client_id(self, request: Request) -> Response:
        if not self._authorised(request):
            return _error(401, 40110000, "request is not authorized")
        found = self.order_by_client_id(request.query_params.get("client_order_id", ""))
        return _error(404, 40410000, "order not found") if found is None else JSONResponse(found)

    def _cancel(self, order: _Order) -> bool:
        if order.status not in _OPEN:
            return False
        order.status = "canceled"
        order.canceled_at = order.updated_at = datetime.now(UTC)
        self._push({"event": "canceled", "order": order.json(), "timestamp": _iso(order.updated_at)})
        return True

    async def _order_endpoint(self, request: Request) -> Response:
        if not self._authorised(request):
            return _error(401, 40110000, "request is not authorized")
        with self._lock:
            order = self.orders.get(request.path_params["order_id"])
            if order is None:
                return _error(404, 40410000, "order not found")
            if request.method == "DELETE":
                if not self._cancel(order):
                    return _error(422, 42210000, f"order is already in {order.status} state")
                return Response(status_code=204)
            return JSONResponse(order.json())

    async def _positions_endpoint(self, request: Request) -> Response:
        if not self._authorised(request):
            return _error(401, 40110000, "request is not authorized")
        out = []
        with self._lock:
            for symbol, pos in sorted(self.positions.items()):
                if pos.qty == 0:
                    continue
                price = self.prices.get(symbol, pos.avg)
                out.append(
                    {
                        "asset_id": str(uuid.uuid5(uuid.NAMESPACE_OID, symbol)),
                        "symbol": symbol,
                        "exchange": "ARCA",
                        "asset_class": "us_equity",
                        "asset_marginable": True,
                        "avg_entry_price": _num(pos.avg),
                        "qty": _num(pos.qty),
                        "side": "long" if pos.qty > 0 else "short",
                        "market_value": _num(pos.qty * price),
                        "cost_basis": _num(pos.qty * pos.avg),
                        "unrealized_pl": _num(pos.qty * (price - pos.avg)),
                        "current_price": _num(price),
                        "qty_available": _num(pos.qty),
                    }
                )
        return JSONResponse(out)

    async def _account_endpoint(self, request: Request) -> Response:
        if not self._authorised(request):
            return _error(401, 40110000, "request is not authorized")
        with self._lock:
            value = sum((p.qty * self.prices.get(s, p.avg) for s, p in self.positions.items()), Decimal(0))
            cash = self.cash
        return JSONResponse(
            {
                "id": _ACCOUNT_ID,
                "account_number": "PA3FAKE0001",
                "status": "ACTIVE",
                "currency": "USD",
                "cash": _num(cash),
                "portfolio_value": _num(cash + value),
                "equity": _num(cash + value),
                "buying_power": _num(cash * 2),
                "pattern_day_trader": False,
                "trading_blocked": False,
                "transfers_blocked": False,
                "account_blocked": False,
                "shorting_enabled": True,
                "multiplier": "2",
                "created_at": "2024-01-02T14:30:00Z",
            }
        )

    async def _clock_endpoint(self, request: Request) -> Response:
        if not self._authorised(request):
            return _error(401, 40110000, "request is not authorized")
        now = datetime.fromtimestamp(time.time() + self.clock_skew_seconds, UTC)
        return JSONResponse({"timestamp": _iso(now), "is_open": True, "next_open": _iso(now), "next_close": _iso(now)})

    # ------------------------------------------------------------------ stream

    async def _stream(self, ws: WebSocket) -> None:
        await ws.accept()
        try:
            auth = json.loads(await ws.receive_text())
            data = auth.get("data", {})
            ok = data.get("key_id") == self.key_id and data.get("secret_key") == self.secret_key
            status = "authorized" if ok else "unauthorized"
            reply = {"stream": "authorization", "data": {"action": "authenticate", "status": status}}
            await ws.send_text(json.dumps(reply))
            if not ok:
                await ws.close()
                return
            while True:
                msg = json.loads(await ws.receive_text())
                if msg.get("action") == "listen":
                    streams = msg.get("data", {}).get("streams", [])
                    await ws.send_text(json.dumps({"stream": "listening", "data": {"streams": streams}}))
                    if "trade_updates" in streams:
                        self._clients.add(ws)
        except WebSocketDisconnect:
            pass
        finally:
            self._clients.discard(ws)
