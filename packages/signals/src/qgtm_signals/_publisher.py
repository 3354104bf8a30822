"""The signal publisher: queue each signal per subscriber with its tier's release time, then pump.

``publish`` never delivers; it only writes queue rows stamped with the earliest release time.
``pump`` delivers the rows whose release time the injected clock has reached. Calling ``pump``
often (each cycle, or on a timer) gives real-time subscribers their signal at once and delayed
ones theirs no earlier than their delay, whatever the clock is (wall, replay or manual).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from qgtm_core import Clock, Signal, canonical_bytes, digest
from qgtm_signals._channels import Channel
from qgtm_signals._delivery_log import DeliveryLog, Receipt
from qgtm_signals._errors import DeliveryError, SignalsError
from qgtm_signals._tiers import Tier, TierSchedule

__all__ = ["PumpReport", "SignalPublisher", "Subscriber", "signal_message_id"]


@dataclass(frozen=True, slots=True)
class Subscriber:
    """Who gets signals, how fresh, and through which channel."""

    subscriber_id: str
    tier: Tier
    channel: Channel = field(repr=False)

    def __post_init__(self) -> None:
        if not self.subscriber_id or not self.subscriber_id.replace("-", "").replace("_", "").isalnum():
            msg = f"subscriber id {self.subscriber_id!r}: use letters, digits, '-' and '_' only"
            raise SignalsError(msg)


@dataclass(frozen=True, slots=True)
class PumpReport:
    """What one ``pump`` did."""

    delivered: tuple[Receipt, ...]
    failed: tuple[tuple[str, str, str], ...]
    pending: int


def signal_message_id(signal: Signal) -> str:
    """A stable id: the same signal published twice is one message (first 24 hex of its digest)."""
    return "sigmsg-" + digest(signal)[:24]


class SignalPublisher:
    """Publishes signals to subscribers by tier; every hand-off is recorded in the delivery log."""

    def __init__(self, log: DeliveryLog, clock: Clock, schedule: TierSchedule | None = None) -> None:
        self._log = log
        self._clock = clock
        self._schedule = schedule or TierSchedule()
        self._subscribers: dict[str, Subscriber] = {}

    def subscribe(self, subscriber: Subscriber) -> None:
        """Add a subscriber; ids are unique because receipts are keyed by them."""
        if subscriber.subscriber_id in self._subscribers:
            msg = f"subscriber {subscriber.subscriber_id!r} is already registered"
            raise SignalsError(msg)
        self._subscribers[subscriber.subscriber_id] = subscriber

    @property
    def subscribers(self) -> tuple[Subscriber, ...]:
        """Registered subscribers in registration order."""
        return tuple(self._subscribers.values())

    def publish(self, signals: Iterable[Signal]) -> int:
        """Queue every signal for every subscriber; return the number of new queue rows."""
        now = self._clock.now()
        queued = 0
        for signal in signals:
            message_id = signal_message_id(signal)
            for sub in self._subscribers.values():
                release = self._schedule.release_at(sub.tier, now)
                body = canonical_bytes(
                    {
                        "message_id": message_id,
                        "subscriber": sub.subscriber_id,
                        "tier": sub.tier.value,
                        "published_at": now,
                        "release_at": release,
                        "signal": signal,
                    }
                )
                queued += self._log.enqueue(sub.subscriber_id, message_id, sub.tier.value, body, now, release)
        return queued

    def pump(self) -> PumpReport:
        """Deliver everything due at the clock's current time; failures are logged, not raised."""
        now = self._clock.now()
        delivered: list[Receipt] = []
        failed: list[tuple[str, str, str]] = []
        for pending in self._log.due(now):
            sub = self._subscribers.get(pending.subscriber)
            if sub is None:
                continue  # unsubscribed since queueing: keep the row pending for when it returns
            try:
                attempts = sub.channel.deliver(pending.message_id, pending.body)
            except DeliveryError as exc:
                self._log.mark_failed(pending, exc.attempts, str(exc))
                failed.append((pending.subscriber, pending.message_id, str(exc)))
                continue
            delivered.append(self._log.mark_delivered(pending, sub.channel.name, self._clock.now(), attempts))
        return PumpReport(tuple(delivered), tuple(failed), self._log.pending_count())
