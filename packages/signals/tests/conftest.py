"""Shared fixtures: signals, a loopback webhook receiver and a real Redis connection."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import redis

from qgtm_core import Direction, InstrumentId, Signal, StrategyId
from qgtm_signals import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify_signature

SECRET = b"test-webhook-secret"


def make_signal(instrument: str = "GLD", conviction: float = 0.6, minute: int = 0) -> Signal:
    return Signal(
        strategy=StrategyId("gold_trend"),
        instrument=InstrumentId(instrument),
        direction=Direction.LONG,
        conviction=conviction,
        horizon_bars=5,
        as_of=datetime(2024, 3, 4, 20, minute, tzinfo=UTC),
    )


@dataclass
class Receiver:
    """What the loopback webhook server saw; ``script`` is the status to answer per request."""

    script: list[int] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)
    verified: list[bool] = field(default_factory=list)
    url: str = ""


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            ok = verify_signature(SECRET, int(self.headers[TIMESTAMP_HEADER]), body, self.headers[SIGNATURE_HEADER])
            state.bodies.append(body)
            state.verified.append(ok)
            status = state.script.pop(0) if state.script else 200
            payload = json.dumps({"ok": ok}).encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def redis_client() -> Iterator[redis.Redis]:
    client = redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.ConnectionError:
        if os.environ.get("QGTM_REQUIRE_SERVICES"):
            raise
        pytest.skip("Redis at 127.0.0.1:6379 is unreachable and QGTM_REQUIRE_SERVICES is unset")
    yield client
    client.close()
