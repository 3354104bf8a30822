"""Fake Alpaca market-data API on loopback: REST ``/v2/stocks/bars`` and the msgpack WebSocket.

REST follows the v2 data API: key headers ``APCA-API-KEY-ID``/``APCA-API-SECRET-KEY`` (403
``{"message": "forbidden."}`` otherwise), ``symbols``/``timeframe``/``start``/``end``/``limit``/
``page_token`` query parameters, bars keyed by symbol, and ``next_page_token`` pagination.

The stream follows ``wss://stream.data.alpaca.markets/v2/{feed}``: msgpack frames that are lists
of messages; ``[{"T": "success", "msg": "connected"}]`` on connect, an ``auth`` action answered
with ``authenticated`` or an error 402, a ``subscribe`` action answered with the subscription,
then bar (``"T": "b"``) and quote (``"T": "q"``) messages whose ``t`` is a msgpack Timestamp.
"""

from __future__ import annotations

import asyncio
import base64
import json
import threading
from collections.abc import Mapping, Sequence
from datetime import datetime
from http.server import BaseHTTPRequestHandler
from types import TracebackType
from urllib.parse import parse_qs, urlparse

import msgpack  # type: ignore[import-untyped]  # msgpack ships no type information
from websockets.asyncio.server import ServerConnection, serve

from qgtm_data.testing._http import LoopbackHttpServer

__all__ = ["FakeAlpacaDataApi", "FakeAlpacaStream", "stream_bar", "stream_quote"]

_TIMEFRAMES = frozenset({"1Min", "1Hour", "1Day"})


class FakeAlpacaDataApi(LoopbackHttpServer):
    """``bars`` maps symbol -> bars as the API returns them (``t`` RFC 3339, ``o h l c v n vw``)."""

    def __init__(
        self, bars: Mapping[str, Sequence[Mapping[str, object]]], key: str, secret: str, page_size: int = 1000
    ) -> None:
        self.requests: list[dict[str, str]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                fake.requests.append(query)
                if self.headers.get("APCA-API-KEY-ID") != key or self.headers.get("APCA-API-SECRET-KEY") != secret:
                    self._json(403, {"message": "forbidden."})
                    return
                if url.path != "/v2/stocks/bars":
                    self._json(404, {"message": "Not Found"})
                    return
                if query.get("timeframe") not in _TIMEFRAMES:
                    self._json(422, {"message": f"invalid timeframe: {query.get('timeframe')}"})
                    return
                self._json(200, fake.page(bars, query, page_size))

            def _json(self, status: int, body: object) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                return

        super().__init__(Handler)

    @staticmethod
    def page(
        bars: Mapping[str, Sequence[Mapping[str, object]]], query: Mapping[str, str], page_size: int
    ) -> dict[str, object]:
        """One page of the multi-symbol answer, in (symbol, time) order as the real API pages."""
        start = query.get("start", "")
        end = query.get("end", "9999")
        rows = [
            (symbol, bar)
            for symbol in sorted(query.get("symbols", "").split(","))
            for bar in bars.get(symbol, ())
            if start <= str(bar["t"]) <= end
        ]
        offset = int(base64.b64decode(query["page_token"]).decode()) if query.get("page_token") else 0
        limit = min(int(query.get("limit") or page_size), page_size)
        chunk = rows[offset : offset + limit]
        out: dict[str, list[Mapping[str, object]]] = {}
        for symbol, bar in chunk:
            out.setdefault(symbol, []).append(bar)
        more = offset + limit < len(rows)
        token = base64.b64encode(str(offset + limit).encode()).decode() if more else None
        return {"bars": out, "next_page_token": token}


def stream_bar(symbol: str, at: datetime, o: float, h: float, lo: float, c: float, v: float) -> dict[str, object]:
    """A minute-bar stream message (``t`` is the bar's start)."""
    return {"T": "b", "S": symbol, "o": o, "h": h, "l": lo, "c": c, "v": v, "t": msgpack.Timestamp.from_datetime(at)}


def stream_quote(
    symbol: str, at: datetime, bid: float, ask: float, bid_size: float, ask_size: float
) -> dict[str, object]:
    """A quote stream message."""
    return {
        "T": "q",
        "S": symbol,
        "bx": "V",
        "bp": bid,
        "bs": bid_size,
        "ax": "V",
        "ap": ask,
        "as": ask_size,
        "c": ["R"],
        "z": "B",
        "t": msgpack.Timestamp.from_datetime(at),
    }


class FakeAlpacaStream:
    """Serves the market-data WebSocket; after a subscription it sends ``script`` then stays idle."""

    def __init__(self, key: str, secret: str, script: Sequence[Mapping[str, object]]) -> None:
        self.received: list[dict[str, object]] = []
        self._key, self._secret, self._script = key, secret, list(script)
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._port = 0
        self._thread = threading.Thread(target=self._run, name="fake-alpaca-ws", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout=10):
            msg = "fake Alpaca stream did not start"
            raise RuntimeError(msg)

    @property
    def url(self) -> str:
        """``ws://127.0.0.1:<port>/v2/iex``."""
        return f"ws://127.0.0.1:{self._port}/v2/iex"

    def _run(self) -> None:
        self._loop.run_until_complete(self._serve())

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        async with serve(self._session, "127.0.0.1", 0) as server:
            self._port = next(iter(server.sockets)).getsockname()[1]
            self._ready.set()
            await self._stop.wait()

    async def _session(self, ws: ServerConnection) -> None:
        await ws.send(msgpack.packb([{"T": "success", "msg": "connected"}]))
        auth = msgpack.unpackb(await ws.recv(), timestamp=3)
        self.received.append(auth)
        if auth.get("action") != "auth" or auth.get("key") != self._key or auth.get("secret") != self._secret:
            await ws.send(msgpack.packb([{"T": "error", "code": 402, "msg": "auth failed"}]))
            await ws.close()
            return
        await ws.send(msgpack.packb([{"T": "success", "msg": "authenticated"}]))
        subscribe = msgpack.unpackb(await ws.recv(), timestamp=3)
        self.received.append(subscribe)
        channels = {k: list(subscribe.get(k, [])) for k in ("trades", "quotes", "bars")}
        await ws.send(msgpack.packb([{"T": "subscription", **channels}]))
        wanted = {"b": set(channels["bars"]), "q": set(channels["quotes"]), "t": set(channels["trades"])}
        for message in self._script:
            symbols = wanted.get(str(message["T"]), set())
            if message["S"] in symbols or "*" in symbols:
                await ws.send(msgpack.packb([message], datetime=False))
        await ws.wait_closed()

    def close(self) -> None:
        """Stop the server thread."""
        stop = self._stop
        if stop is not None:
            self._loop.call_soon_threadsafe(stop.set)
        self._thread.join(timeout=5)
        self._loop.close()

    def __enter__(self) -> FakeAlpacaStream:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
