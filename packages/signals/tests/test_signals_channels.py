from __future__ import annotations

import json
import socket
import threading
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import redis

from qgtm_core import ManualClock
from qgtm_signals import (
    DeliveryError,
    DeliveryLog,
    RedisBus,
    RedisChannel,
    SignalPublisher,
    Subscriber,
    Tier,
    WebhookChannel,
    sign_body,
    verify_signature,
)

from .conftest import SECRET, Receiver, make_signal

START = datetime(2024, 3, 4, 15, 0, tzinfo=UTC)


def _webhook(url: str, sleeps: list[float], attempts: int = 4) -> WebhookChannel:
    return WebhookChannel(
        url, SECRET, httpx.Client(timeout=2.0), max_attempts=attempts, backoff_seconds=0.5, sleep=sleeps.append
    )


def test_signature_round_trip_and_rejections() -> None:
    body = b'{"a":1}'
    sig = sign_body(SECRET, 1_700_000_000, body)
    assert sig.startswith("sha256=")
    assert verify_signature(SECRET, 1_700_000_000, body, sig)
    assert not verify_signature(b"other", 1_700_000_000, body, sig)
    assert not verify_signature(SECRET, 1_700_000_000, body + b" ", sig)
    assert not verify_signature(SECRET, 1_700_000_001, body, sig)
    now = datetime.fromtimestamp(1_700_000_000, UTC)
    assert verify_signature(SECRET, 1_700_000_000, body, sig, now=now + timedelta(minutes=4))
    assert not verify_signature(SECRET, 1_700_000_000, body, sig, now=now + timedelta(minutes=6))


def test_webhook_delivery_through_publisher_is_signed_and_logged(receiver: Receiver) -> None:
    clock = ManualClock(START)
    log = DeliveryLog(":memory:")
    publisher = SignalPublisher(log, clock)
    publisher.subscribe(Subscriber("fund-a", Tier.REALTIME, _webhook(receiver.url, [])))
    publisher.publish([make_signal()])
    report = publisher.pump()
    assert receiver.verified == [True]
    payload = json.loads(receiver.bodies[0])
    assert payload["subscriber"] == "fund-a"
    assert payload["signal"]["instrument"] == "GLD"
    assert report.delivered[0].matches(receiver.bodies[0])
    assert report.delivered[0].channel == "webhook"


def test_webhook_retries_transient_errors_with_exponential_backoff(receiver: Receiver) -> None:
    receiver.script = [503, 429, 200]
    sleeps: list[float] = []
    attempts = _webhook(receiver.url, sleeps).deliver("m1", b'{"x":1}')
    assert attempts == 3
    assert len(receiver.bodies) == 3
    assert all(receiver.verified)
    assert sleeps == [0.5, 1.0]


def test_webhook_gives_up_after_max_attempts(receiver: Receiver) -> None:
    receiver.script = [500, 500, 500]
    sleeps: list[float] = []
    with pytest.raises(DeliveryError, match="after 3 attempts") as info:
        _webhook(receiver.url, sleeps, attempts=3).deliver("m2", b"{}")
    assert info.value.attempts == 3
    assert len(receiver.bodies) == 3


def test_webhook_client_error_is_not_retried(receiver: Receiver) -> None:
    receiver.script = [400]
    with pytest.raises(DeliveryError, match="refused with HTTP 400") as info:
        _webhook(receiver.url, []).deliver("m3", b"{}")
    assert info.value.attempts == 1
    assert len(receiver.bodies) == 1


def test_webhook_unreachable_endpoint_is_retried_then_fails() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    sleeps: list[float] = []
    with pytest.raises(DeliveryError, match="not delivered after 2 attempts"):
        _webhook(f"http://127.0.0.1:{port}/hook", sleeps, attempts=2).deliver("m4", b"{}")
    assert sleeps == [0.5]


def test_webhook_configuration_is_checked_and_secret_not_in_repr() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        WebhookChannel("http://127.0.0.1:1/", SECRET, httpx.Client(), max_attempts=0)
    with pytest.raises(ValueError, match="secret"):
        WebhookChannel("http://127.0.0.1:1/", b"", httpx.Client())
    assert SECRET.decode() not in repr(WebhookChannel("http://127.0.0.1:1/", SECRET, httpx.Client()))


@pytest.mark.services
def test_redis_channel_publishes_to_subscribers(redis_client: redis.Redis) -> None:
    name = f"qgtm-test-signals-{time.time_ns()}"
    pubsub = redis_client.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(name)
    pubsub.get_message(timeout=1.0)
    assert RedisChannel(redis_client, name).deliver("m5", b'{"k":"v"}') == 1
    message = pubsub.get_message(timeout=2.0)
    assert message is not None
    assert message["data"] == b'{"k":"v"}'
    pubsub.close()


def test_redis_channel_failure_is_a_delivery_error() -> None:
    dead = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    with pytest.raises(DeliveryError, match="not published"):
        RedisChannel(dead, "x").deliver("m6", b"{}")


@pytest.mark.services
def test_redis_bus_fans_out_across_connections(redis_client: redis.Redis) -> None:
    prefix = f"qgtm-test-{time.time_ns()}:"
    a = RedisBus(redis.Redis(host="127.0.0.1", port=6379), prefix)
    b = RedisBus(redis.Redis(host="127.0.0.1", port=6379), prefix)
    got: list[object] = []
    done = threading.Event()

    def handler(event: object) -> None:
        got.append(event)
        if len(got) == 3:
            done.set()

    b.subscribe("orders", handler)
    b.subscribe("orders", lambda _e: None)
    for n in range(3):
        a.publish("orders", {"n": n})
    assert done.wait(3.0)
    assert got == [{"n": 0}, {"n": 1}, {"n": 2}]
    assert a.published == 3
    a.close()
    b.close()
