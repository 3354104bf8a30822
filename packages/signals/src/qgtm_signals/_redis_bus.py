"""``EventBus`` over Redis pub/sub, for fan-out across processes (the daemon and API workers).

Events are canonical JSON on channel ``{prefix}{topic}``. One background thread per bus reads
the subscription and calls handlers in arrival order; Redis pub/sub is at-most-once, so anything
that needs replay (the WebSocket stream) keeps its own sequence numbers and buffer.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import defaultdict
from collections.abc import Callable, Mapping
from typing import cast

import redis

from qgtm_core import JsonValue, canonical_bytes

__all__ = ["RedisBus"]

_log = logging.getLogger(__name__)
Handler = Callable[[Mapping[str, JsonValue]], None]


class RedisBus:
    """Implements ``EventBus``; ``close()`` stops the listener thread."""

    def __init__(self, client: redis.Redis, prefix: str = "qgtm:bus:") -> None:
        self._client = client
        self._prefix = prefix
        self._handlers: dict[str, list[Handler]] = defaultdict(list)
        self._pubsub = redis.client.PubSub(client.connection_pool, ignore_subscribe_messages=True)
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self.published = 0

    def publish(self, topic: str, event: Mapping[str, JsonValue]) -> None:
        """PUBLISH the event as canonical JSON."""
        self._client.publish(self._prefix + topic, canonical_bytes(dict(event)))
        self.published += 1

    def subscribe(self, topic: str, handler: Handler) -> None:
        """Register a handler; the Redis subscription is confirmed before this returns."""
        with self._lock:
            first = topic not in self._handlers
            self._handlers[topic].append(handler)
            if first:
                self._pubsub.subscribe(self._prefix + topic)
                self._pubsub.get_message(timeout=1.0)  # consume the subscribe confirmation
            if self._thread is None:
                self._thread = threading.Thread(target=self._listen, name="qgtm-redis-bus", daemon=True)
                self._thread.start()

    def _listen(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                message = self._pubsub.get_message(timeout=0.05)
            if message is None:
                continue
            topic = cast("bytes", message["channel"]).decode().removeprefix(self._prefix)
            event = cast("dict[str, JsonValue]", json.loads(cast("bytes", message["data"])))
            for handler in list(self._handlers.get(topic, ())):
                handler(event)

    def close(self) -> None:
        """Stop listening and release the connection."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
        self._pubsub.close()
