from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from hypothesis import given, settings
from hypothesis import strategies as st
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from qgtm_api import (
    ApiServices,
    BackgroundServer,
    GapTooOld,
    InMemoryState,
    RedisStreamRelay,
    Scope,
    StreamHub,
    StreamMessage,
    create_app,
)
from qgtm_signals import InProcessBus

from .conftest import Api, running_api


def _hello(ws: ClientConnection, token: str | None, last_seq: int | None = None) -> dict[str, Any]:
    ws.send(json.dumps({"type": "hello", "api_key": token, "last_seq": last_seq}))
    answer: dict[str, Any] = json.loads(ws.recv(timeout=5))
    return answer


def _events(ws: ClientConnection, count: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    while len(out) < count:
        message = json.loads(ws.recv(timeout=5))
        if message["type"] == "event":
            out.append(message)
    return out


def _closed_code(ws: ClientConnection) -> int:
    with pytest.raises(ConnectionClosed) as info:
        ws.recv(timeout=5)
    assert info.value.rcvd is not None
    return info.value.rcvd.code


def test_client_that_drops_and_reconnects_gets_every_missed_message_once_in_order(api: Api) -> None:
    hub = api.services.hub
    url = api.server.ws_url + "/ws/stream"
    token = api.tokens[Scope.READ]
    with connect(url) as ws:
        assert _hello(ws, token)["type"] == "welcome"
        for n in range(1, 4):
            hub.publish("price", {"instrument": "GLD", "n": n})
        first = _events(ws, 3)
    assert [m["seq"] for m in first] == [1, 2, 3]
    assert first[0]["kind"] == "price"
    assert first[2]["data"] == {"instrument": "GLD", "n": 3}
    for n in range(4, 9):  # published while the client is away
        hub.publish("fill", {"n": n})
    with connect(url) as ws:
        welcome = _hello(ws, token, last_seq=3)
        assert (welcome["type"], welcome["resumed_from"], welcome["head_seq"]) == ("welcome", 3, 8)
        hub.publish("pnl", {"n": 9})
        resumed = _events(ws, 6)
    assert [m["seq"] for m in resumed] == [4, 5, 6, 7, 8, 9]
    assert [m["data"]["n"] for m in resumed] == [4, 5, 6, 7, 8, 9]


def test_gap_older_than_the_buffer_gets_a_clear_resync_message() -> None:
    with running_api(hub=StreamHub(capacity=5)) as api:
        for n in range(20):
            api.services.hub.publish("price", {"n": n})
        with connect(api.server.ws_url + "/ws/stream") as ws:
            answer = _hello(ws, api.tokens[Scope.READ], last_seq=3)
            assert answer["type"] == "resync"
            assert answer["message"].startswith("gap too old, resync")
            assert (answer["oldest_seq"], answer["head_seq"]) == (16, 20)
            assert _closed_code(ws) == 4410
        with connect(api.server.ws_url + "/ws/stream") as ws:  # a client from a previous server life
            assert _hello(ws, api.tokens[Scope.READ], last_seq=99)["type"] == "resync"
        with connect(api.server.ws_url + "/ws/stream") as ws:  # the oldest resumable point still works
            assert _hello(ws, api.tokens[Scope.READ], last_seq=15)["type"] == "welcome"
            assert [m["seq"] for m in _events(ws, 5)] == [16, 17, 18, 19, 20]


def test_stream_refuses_bad_hello_and_bad_keys(api: Api) -> None:
    url = api.server.ws_url + "/ws/stream"
    with connect(url) as ws:
        answer = _hello(ws, None)
        assert (answer["type"], answer["code"]) == ("error", 4401)
        assert _closed_code(ws) == 4401
    with connect(url) as ws:
        ws.send(json.dumps({"type": "hello", "last_seq": -1}))
        answer = json.loads(ws.recv(timeout=5))
        assert answer["message"].startswith("bad hello: last_seq")
        assert _closed_code(ws) == 4400
    with connect(url) as ws:
        ws.send("not json")
        assert json.loads(ws.recv(timeout=5))["message"].startswith("bad hello: message: Invalid JSON")
        assert _closed_code(ws) == 4400
    with connect(url, additional_headers={"X-API-Key": api.tokens[Scope.READ]}) as ws:
        assert _hello(ws, None)["type"] == "welcome"


def test_heartbeats_and_hello_timeout() -> None:
    with running_api(heartbeat_seconds=0.1) as api:
        api.services.hub.publish("price", {"n": 1})
        with connect(api.server.ws_url + "/ws/stream") as ws:
            assert _hello(ws, api.tokens[Scope.READ])["heartbeat_seconds"] == 0.1
            beat = json.loads(ws.recv(timeout=5))
            assert (beat["type"], beat["head_seq"]) == ("heartbeat", 1)
    services = dataclasses.replace(ApiServices.in_memory(InMemoryState()), hello_timeout_seconds=0.1)
    with BackgroundServer(create_app("1", services)) as server, connect(server.ws_url + "/ws/stream") as ws:
        answer = json.loads(ws.recv(timeout=5))
        assert answer["message"] == "no hello message received in time"
        assert _closed_code(ws) == 4408


def test_clients_gauge_and_bus_topics_reach_the_stream(api: Api) -> None:
    bus = InProcessBus()
    api.services.hub.attach(bus, ["fill", "signal"])
    with connect(api.server.ws_url + "/ws/stream") as ws:
        _hello(ws, api.tokens[Scope.READ])
        assert "qgtm_ws_clients 1.0" in api.client.get("/metrics").text
        bus.publish("fill", {"instrument": "SLV"})
        bus.publish("other", {"ignored": True})
        bus.publish("signal", {"instrument": "GLD"})
        got = _events(ws, 2)
    assert [(m["kind"], m["data"]["instrument"]) for m in got] == [("fill", "SLV"), ("signal", "GLD")]
    deadline = time.monotonic() + 5
    while api.services.hub.clients and time.monotonic() < deadline:
        time.sleep(0.01)
    assert "qgtm_ws_clients 0.0" in api.client.get("/metrics").text


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.integers(min_value=1, max_value=8), st.just(0)), min_size=1, max_size=30))
def test_hub_resume_is_exactly_once_in_order_under_any_drop_pattern(script: list[int]) -> None:
    """Positive n publishes n events; 0 drops the client, which reconnects from its last seen seq."""

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        hub = StreamHub(capacity=1_000)
        received: list[int] = []
        sub = hub.open(None, loop)
        connected = True
        for step in script:
            if step == 0:
                if connected:
                    await asyncio.sleep(0)
                    while not sub.queue.empty():
                        received.append(sub.queue.get_nowait().seq)
                    hub.close(sub)
                    connected = False
                else:
                    sub = hub.open(received[-1] if received else 0, loop)
                    received.extend(m.seq for m in sub.backlog)
                    connected = True
                continue
            for _ in range(step):
                hub.publish("x", {})
        if not connected:
            sub = hub.open(received[-1] if received else 0, loop)
            received.extend(m.seq for m in sub.backlog)
        await asyncio.sleep(0)
        while not sub.queue.empty():
            received.append(sub.queue.get_nowait().seq)
        hub.close(sub)
        assert received == list(range(1, hub.head_seq + 1))

    asyncio.run(scenario())


def test_hub_overflow_and_validation() -> None:
    async def scenario() -> None:
        hub = StreamHub(capacity=10, client_queue=2)
        sub = hub.open(None, asyncio.get_running_loop())
        for n in range(5):
            hub.publish("x", {"n": n})
        await asyncio.sleep(0)
        assert sub.overflowed
        assert sub.queue.qsize() == 2

    asyncio.run(scenario())
    with pytest.raises(ValueError, match="capacity"):
        StreamHub(capacity=0)
    hub = StreamHub(capacity=3)
    hub.deliver(StreamMessage(1, "x", "t", None))
    hub.deliver(StreamMessage(1, "x", "t", None))  # a repeat is ignored
    hub.deliver(StreamMessage(5, "x", "t", None))  # a hole: older history is no longer resumable
    assert hub.head_seq == 5
    loop = asyncio.new_event_loop()
    with pytest.raises(GapTooOld):
        hub.open(1, loop)
    loop.close()


@pytest.fixture
def relay_pair(redis_url: str) -> Iterator[tuple[StreamHub, StreamHub]]:
    channel = f"qgtm-test-stream-{time.time_ns()}"
    relays = [RedisStreamRelay(redis.Redis.from_url(redis_url), channel) for _ in range(2)]
    hubs = (StreamHub(relay=relays[0]), StreamHub(relay=relays[1]))
    yield hubs
    for relay in relays:
        relay.close()


@pytest.mark.services
def test_redis_fan_out_numbers_events_identically_in_every_process(relay_pair: tuple[StreamHub, StreamHub]) -> None:
    a, b = relay_pair
    for n in range(5):
        (a if n % 2 else b).publish("price", {"n": n, "px": 2301.5})
    deadline = time.monotonic() + 5
    while (a.head_seq < 5 or b.head_seq < 5) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert a.head_seq == b.head_seq == 5
    services = ApiServices.in_memory(InMemoryState(), hub=b)
    _, token = services.keys.create("r", Scope.READ)
    with BackgroundServer(create_app("1", services)) as server, connect(server.ws_url + "/ws/stream") as ws:
        assert _hello(ws, token, last_seq=2)["type"] == "welcome"
        a.publish("price", {"n": 5, "px": 2302.25})
        got = _events(ws, 4)
    assert [m["seq"] for m in got] == [3, 4, 5, 6]
    assert [m["data"]["n"] for m in got] == [2, 3, 4, 5]
    assert got[-1]["data"]["px"] == 2302.25
