from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qgtm_core import JsonValue, ManualClock
from qgtm_signals import (
    DeliveryError,
    DeliveryLog,
    EventBusChannel,
    InProcessBus,
    SignalPublisher,
    SignalsError,
    Subscriber,
    Tier,
    signal_message_id,
)

from .conftest import make_signal

START = datetime(2024, 3, 4, 15, 0, tzinfo=UTC)


class Recorder:
    """Collects what a bus topic delivered, with the clock time of arrival."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.seen: list[tuple[datetime, dict[str, JsonValue]]] = []

    def __call__(self, event: object) -> None:
        assert isinstance(event, dict)
        self.seen.append((self.clock.now(), event))


def _rig(clock: ManualClock, tiers: dict[str, Tier]) -> tuple[SignalPublisher, dict[str, Recorder], DeliveryLog]:
    bus = InProcessBus()
    log = DeliveryLog(":memory:")
    publisher = SignalPublisher(log, clock)
    recorders: dict[str, Recorder] = {}
    for name, tier in tiers.items():
        recorders[name] = Recorder(clock)
        bus.subscribe(f"signal.{name}", recorders[name])
        publisher.subscribe(Subscriber(name, tier, EventBusChannel(bus, f"signal.{name}")))
    return publisher, recorders, log


@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(steps=st.lists(st.tuples(st.integers(min_value=0, max_value=400), st.booleans()), min_size=1, max_size=25))
def test_delayed_subscriber_never_receives_a_signal_before_its_delay(steps: list[tuple[int, bool]]) -> None:
    """Random interleavings of clock moves, publishes and pumps: no delayed message arrives early."""
    clock = ManualClock(START)
    publisher, rec, _ = _rig(clock, {"fast": Tier.REALTIME, "slow": Tier.DELAYED})
    published_at: dict[str, datetime] = {}
    for n, (advance_s, publish) in enumerate(steps):
        clock.advance_to(clock.now() + timedelta(seconds=advance_s))
        if publish:
            signal = make_signal(conviction=(n % 10) / 10)
            published_at.setdefault(signal_message_id(signal), clock.now())
            publisher.publish([signal])
        publisher.pump()
    clock.advance_to(clock.now() + timedelta(minutes=15))
    publisher.pump()
    for arrived, event in rec["slow"].seen:
        assert arrived >= published_at[str(event["message_id"])] + timedelta(minutes=15)
    for arrived, event in rec["fast"].seen:
        assert arrived == published_at[str(event["message_id"])]
    # after the delay everything published has arrived, exactly once per subscriber
    assert sorted(str(e["message_id"]) for _, e in rec["slow"].seen) == sorted(published_at)
    assert sorted(str(e["message_id"]) for _, e in rec["fast"].seen) == sorted(published_at)


def test_delayed_tier_releases_at_the_delay_not_a_second_before() -> None:
    clock = ManualClock(START)
    publisher, rec, log = _rig(clock, {"slow": Tier.DELAYED})
    publisher.publish([make_signal()])
    clock.advance_to(START + timedelta(minutes=15) - timedelta(microseconds=1))
    assert publisher.pump().delivered == ()
    assert rec["slow"].seen == []
    assert log.pending_count() == 1
    clock.advance_to(START + timedelta(minutes=15))
    report = publisher.pump()
    assert len(report.delivered) == 1
    assert report.pending == 0
    receipt = report.delivered[0]
    assert receipt.delivered_at == START + timedelta(minutes=15)
    assert receipt.channel == "websocket"
    body = json.dumps(rec["slow"].seen[0][1], sort_keys=True, separators=(",", ":")).encode()
    assert receipt.matches(body)
    assert rec["slow"].seen[0][1]["tier"] == "delayed"


def test_publishing_the_same_signal_twice_delivers_once() -> None:
    clock = ManualClock(START)
    publisher, rec, _ = _rig(clock, {"fast": Tier.REALTIME})
    assert publisher.publish([make_signal()]) == 1
    assert publisher.publish([make_signal()]) == 0
    publisher.pump()
    publisher.pump()
    assert len(rec["fast"].seen) == 1


def test_receipt_chain_verifies_and_detects_tampering(tmp_path: Path) -> None:
    path = tmp_path / "deliveries.sqlite"
    clock = ManualClock(START)
    bus = InProcessBus()
    log = DeliveryLog(path)
    publisher = SignalPublisher(log, clock)
    publisher.subscribe(Subscriber("a", Tier.REALTIME, EventBusChannel(bus)))
    publisher.subscribe(Subscriber("b", Tier.REALTIME, EventBusChannel(bus)))
    publisher.publish([make_signal("GLD"), make_signal("SLV")])
    publisher.pump()
    assert [r.seq for r in log.receipts()] == [1, 2, 3, 4]
    assert {r.subscriber for r in log.receipts("a")} == {"a"}
    assert log.verify() is None
    log.close()
    db = sqlite3.connect(path)
    db.execute("UPDATE receipts SET delivered_us = delivered_us + 1 WHERE seq = 3")
    db.commit()
    db.close()
    assert DeliveryLog(path).verify() == 3


class FailingChannel:
    name = "webhook"

    def deliver(self, message_id: str, body: bytes) -> int:
        raise DeliveryError(f"endpoint down for {message_id}", 4)


def test_failed_delivery_is_logged_with_reason_and_others_still_delivered() -> None:
    clock = ManualClock(START)
    bus = InProcessBus()
    seen: list[object] = []
    bus.subscribe("signal", seen.append)
    log = DeliveryLog(":memory:")
    publisher = SignalPublisher(log, clock)
    publisher.subscribe(Subscriber("broken", Tier.REALTIME, FailingChannel()))
    publisher.subscribe(Subscriber("ok", Tier.REALTIME, EventBusChannel(bus)))
    publisher.publish([make_signal()])
    report = publisher.pump()
    assert len(report.delivered) == 1
    assert len(seen) == 1
    assert report.failed[0][0] == "broken"
    [(sub, _, attempts, reason)] = log.failures()
    assert (sub, attempts) == ("broken", 4)
    assert "endpoint down" in reason


def test_messages_of_an_unregistered_subscriber_stay_pending(tmp_path: Path) -> None:
    clock = ManualClock(START)
    path = tmp_path / "d.sqlite"
    first = SignalPublisher(DeliveryLog(path), clock)
    first.subscribe(Subscriber("x", Tier.REALTIME, EventBusChannel(InProcessBus())))
    first.publish([make_signal()])
    restarted = SignalPublisher(DeliveryLog(path), clock)
    assert restarted.pump().pending == 1
    bus = InProcessBus()
    got: list[object] = []
    bus.subscribe("signal", got.append)
    restarted.subscribe(Subscriber("x", Tier.REALTIME, EventBusChannel(bus)))
    assert restarted.subscribers[0].subscriber_id == "x"
    assert len(restarted.pump().delivered) == 1
    assert len(got) == 1


def test_bad_subscribers_are_refused() -> None:
    publisher = SignalPublisher(DeliveryLog(":memory:"), ManualClock(START))
    publisher.subscribe(Subscriber("dup", Tier.REALTIME, EventBusChannel(InProcessBus())))
    with pytest.raises(SignalsError, match="already registered"):
        publisher.subscribe(Subscriber("dup", Tier.DELAYED, EventBusChannel(InProcessBus())))
    with pytest.raises(SignalsError, match="letters, digits"):
        Subscriber("bad id!", Tier.REALTIME, EventBusChannel(InProcessBus()))


def test_naive_times_are_refused_by_the_log() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        DeliveryLog(":memory:").due(datetime(2024, 1, 1))
