"""The sequenced event stream behind ``/ws/stream``: numbering, a bounded replay buffer, fan-out.

Every event gets the next sequence number and lands in a ring buffer of the last ``capacity``
events. A reconnecting client names the last sequence it saw; ``open`` hands it the buffered
events after that one and registers its queue *under the same lock* that ``deliver`` takes, so no
event falls between the backlog and the live queue and none is sent twice. A client further
behind than the buffer gets ``GapTooOld`` and must resync from the REST snapshot.

In-process by default. With a ``RedisStreamRelay`` the sequence number is assigned by Redis (a
Lua script INCRs a counter and PUBLISHes in one atomic step), so every API process numbers events
identically and a client can resume on any of them.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from qgtm_core import Clock, EventBus, JsonValue, WallClock, to_jsonable

__all__ = ["GapTooOld", "StreamHub", "StreamMessage", "StreamRelay", "Subscription"]


@dataclass(frozen=True, slots=True)
class StreamMessage:
    """One sequenced event; its wire form is serialised once, however many clients receive it."""

    seq: int
    kind: str
    at: str
    data: JsonValue
    wire: str = field(default="", compare=False, repr=False)

    def __post_init__(self) -> None:
        text = json.dumps({"type": "event", "seq": self.seq, "kind": self.kind, "at": self.at, "data": self.data})
        object.__setattr__(self, "wire", text)

    def to_json(self) -> str:
        """The wire form: ``{"type": "event", "seq": ..., "kind": ..., "at": ..., "data": ...}``."""
        return self.wire


class GapTooOld(Exception):  # noqa: N818 - it names the condition the client is told about
    """The client's last sequence is older than the buffer holds (or newer than the head)."""

    def __init__(self, last_seq: int, oldest: int, head: int) -> None:
        super().__init__(
            f"gap too old, resync: last_seq {last_seq} is outside the replay buffer "
            f"(oldest {oldest}, head {head}); fetch the REST snapshot and reconnect without last_seq"
        )
        self.last_seq = last_seq
        self.oldest = oldest
        self.head = head


@dataclass(eq=False)
class Subscription:
    """One connected client: its queue lives on the event loop that serves it."""

    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue[StreamMessage]
    backlog: tuple[StreamMessage, ...]
    overflowed: bool = field(default=False)

    def _offer(self, message: StreamMessage) -> None:
        if self.overflowed:
            return
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            self.overflowed = True


def _offer_all(subs: list[Subscription], message: StreamMessage) -> None:
    for sub in subs:
        sub._offer(message)


class StreamRelay(Protocol):
    """Cross-process sequencing and fan-out (Redis); it calls ``hub.deliver`` for every event."""

    def publish(self, kind: str, at: str, data: JsonValue) -> None: ...

    def start(self, hub: StreamHub) -> None: ...

    def close(self) -> None: ...


class StreamHub:
    """Thread-safe: ``publish`` may be called from the daemon thread, a bus handler or a request."""

    def __init__(
        self,
        capacity: int = 10_000,
        *,
        clock: Clock | None = None,
        relay: StreamRelay | None = None,
        client_queue: int = 10_000,
    ) -> None:
        if capacity < 1:
            msg = f"stream buffer capacity must be at least 1, got {capacity}"
            raise ValueError(msg)
        self._buffer: deque[StreamMessage] = deque(maxlen=capacity)
        self._clock = clock or WallClock()
        self._relay = relay
        self._client_queue = client_queue
        self._lock = threading.Lock()
        self._subs: set[Subscription] = set()
        self._head = 0
        if relay is not None:
            relay.start(self)

    @property
    def head_seq(self) -> int:
        """The last sequence number delivered to this hub (0 before any)."""
        return self._head

    @property
    def clients(self) -> int:
        """Connected clients."""
        return len(self._subs)

    def publish(self, kind: str, data: Mapping[str, JsonValue]) -> None:
        """Sequence and fan out one event (through Redis when a relay is configured)."""
        at = self._clock.now().isoformat()
        payload = to_jsonable(dict(data))
        if self._relay is not None:
            self._relay.publish(kind, at, payload)
            return
        with self._lock:
            self._deliver_locked(StreamMessage(self._head + 1, kind, at, payload))

    def deliver(self, message: StreamMessage) -> None:
        """Accept an already-sequenced event (from the relay); repeats and stale numbers are dropped."""
        with self._lock:
            if message.seq <= self._head:
                return
            if message.seq != self._head + 1:
                # a hole (this process missed events): resuming across it must not look complete
                self._buffer.clear()
            self._deliver_locked(message)

    def _deliver_locked(self, message: StreamMessage) -> None:
        self._head = message.seq
        self._buffer.append(message)
        by_loop: dict[asyncio.AbstractEventLoop, list[Subscription]] = {}
        for sub in self._subs:
            by_loop.setdefault(sub.loop, []).append(sub)
        for loop, subs in by_loop.items():
            # one cross-thread wake-up per loop and event, not one per client
            loop.call_soon_threadsafe(_offer_all, subs, message)

    def attach(self, bus: EventBus, topics: Sequence[str]) -> None:
        """Stream every event the bus carries on ``topics`` (kind = topic)."""
        for topic in topics:
            bus.subscribe(topic, self._forwarder(topic))

    def _forwarder(self, kind: str) -> Callable[[Mapping[str, JsonValue]], None]:
        def forward(event: Mapping[str, JsonValue]) -> None:
            self.publish(kind, event)

        return forward

    def open(self, last_seq: int | None, loop: asyncio.AbstractEventLoop) -> Subscription:
        """Register a client; its backlog holds what it missed after ``last_seq``."""
        with self._lock:
            backlog: tuple[StreamMessage, ...] = ()
            if last_seq is not None and last_seq != self._head:
                oldest = self._buffer[0].seq if self._buffer else self._head + 1
                if last_seq > self._head or last_seq < oldest - 1:
                    raise GapTooOld(last_seq, oldest, self._head)
                backlog = tuple(m for m in self._buffer if m.seq > last_seq)
            sub = Subscription(loop, asyncio.Queue(maxsize=self._client_queue), backlog)
            self._subs.add(sub)
            return sub

    def close(self, sub: Subscription) -> None:
        """Forget a client."""
        with self._lock:
            self._subs.discard(sub)
