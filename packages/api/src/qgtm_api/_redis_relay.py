"""Redis sequencing and fan-out for the stream, so several API processes serve one numbering.

``publish`` runs a Lua script that INCRs the sequence counter and PUBLISHes the numbered event;
Redis runs scripts atomically, so numbers reach every subscriber in order. Each process listens
on the channel in a background thread and hands events to its hub. The daemon, which serves no
clients, can publish through a relay with no hub attached.
"""

from __future__ import annotations

import json
import threading
from typing import cast

import redis

from qgtm_api._stream import StreamHub, StreamMessage
from qgtm_core import JsonValue

__all__ = ["RedisStreamRelay"]

_SCRIPT = """
local seq = redis.call('INCR', KEYS[1])
redis.call('PUBLISH', ARGV[1], '{"seq":' .. seq .. ',"event":' .. ARGV[2] .. '}')
return seq
"""


def _decode(raw: bytes) -> StreamMessage:
    outer = cast("dict[str, JsonValue]", json.loads(raw))
    event = cast("dict[str, JsonValue]", outer["event"])
    return StreamMessage(int(cast("int", outer["seq"])), str(event["kind"]), str(event["at"]), event["data"])


class RedisStreamRelay:
    """Implements ``StreamRelay`` over one Redis channel and one counter key."""

    def __init__(self, client: redis.Redis, channel: str = "qgtm:stream") -> None:
        self._client = client
        self._channel = channel
        self._counter = f"{channel}:seq"
        self._script = client.register_script(_SCRIPT)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pubsub: redis.client.PubSub | None = None

    def publish(self, kind: str, at: str, data: JsonValue) -> None:
        """Number and publish atomically."""
        event = json.dumps({"kind": kind, "at": at, "data": data})
        self._script(keys=[self._counter], args=[self._channel, event])

    def start(self, hub: StreamHub) -> None:
        """Subscribe (confirmed before returning) and feed ``hub`` from a background thread."""
        pubsub = redis.client.PubSub(self._client.connection_pool, ignore_subscribe_messages=True)
        pubsub.subscribe(self._channel)
        pubsub.get_message(timeout=1.0)
        self._pubsub = pubsub

        def listen() -> None:
            while not self._stop.is_set():
                message = pubsub.get_message(timeout=0.05)
                if message is not None:
                    hub.deliver(_decode(cast("bytes", message["data"])))

        self._thread = threading.Thread(target=listen, name="qgtm-stream-relay", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop the listener and release the subscription."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
        if self._pubsub is not None:
            self._pubsub.close()
