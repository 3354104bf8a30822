"""Delivery channels: WebSocket (through the event bus the API streams), HTTPS webhook, Redis pub/sub.

A channel delivers one already-serialised body and returns how many attempts it took, or raises
``DeliveryError``. Channels never decide *when* to deliver; the publisher does (see ``_tiers``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Protocol, cast

import httpx
import redis
from tenacity import RetryError, Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from qgtm_core import Clock, EventBus, JsonValue, WallClock
from qgtm_signals._errors import DeliveryError
from qgtm_signals._hmac import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign_body

__all__ = ["Channel", "EventBusChannel", "RedisChannel", "WebhookChannel"]

_RETRYABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


class Channel(Protocol):
    """One way of getting a message to one subscriber."""

    @property
    def name(self) -> str:
        """Channel kind recorded in the delivery log (``websocket``, ``webhook``, ``redis``)."""
        ...

    def deliver(self, message_id: str, body: bytes) -> int:
        """Deliver ``body``; return the number of attempts, raise ``DeliveryError`` on failure."""
        ...


class EventBusChannel:
    """WebSocket delivery: publish on the event bus topic the API's ``/ws/stream`` fans out."""

    def __init__(self, bus: EventBus, topic: str = "signal") -> None:
        self._bus = bus
        self._topic = topic

    @property
    def name(self) -> str:
        """``websocket``."""
        return "websocket"

    def deliver(self, message_id: str, body: bytes) -> int:
        """One synchronous publish; a failing handler propagates as a programming error."""
        event = cast("dict[str, JsonValue]", json.loads(body))
        self._bus.publish(self._topic, event)
        return 1


class RedisChannel:
    """Redis pub/sub delivery on one channel name."""

    def __init__(self, client: redis.Redis, channel: str) -> None:
        self._client = client
        self._channel = channel

    @property
    def name(self) -> str:
        """``redis``."""
        return "redis"

    def deliver(self, message_id: str, body: bytes) -> int:
        """PUBLISH once; a connection failure is a ``DeliveryError`` naming the channel."""
        try:
            self._client.publish(self._channel, body)
        except redis.RedisError as exc:
            msg = f"redis channel {self._channel!r}: message {message_id} not published: {exc}"
            raise DeliveryError(msg, 1) from exc
        return 1


class _RetryableStatusError(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status


def _retryable(exc: BaseException) -> bool:
    return isinstance(exc, _RetryableStatusError | httpx.TransportError)


class WebhookChannel:
    """HTTPS POST signed with HMAC-SHA256, retried with exponential backoff on transient failures.

    Transport errors, timeouts, 408/425/429 and 5xx are retried; any other 4xx means the
    subscriber refused the message and retrying would not help, so it fails at once.
    """

    def __init__(
        self,
        url: str,
        secret: bytes,
        client: httpx.Client,
        *,
        max_attempts: int = 5,
        backoff_seconds: float = 0.5,
        max_backoff_seconds: float = 30.0,
        clock: Clock | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if max_attempts < 1:
            msg = f"webhook {url}: max_attempts must be at least 1, got {max_attempts}"
            raise ValueError(msg)
        if not secret:
            msg = f"webhook {url}: an HMAC secret is required"
            raise ValueError(msg)
        self._url = url
        self._secret = secret
        self._client = client
        self._max_attempts = max_attempts
        self._backoff = backoff_seconds
        self._max_backoff = max_backoff_seconds
        self._clock = clock or WallClock()
        self._sleep = sleep

    def __repr__(self) -> str:
        return f"WebhookChannel(url={self._url!r})"  # never the secret

    @property
    def name(self) -> str:
        """``webhook``."""
        return "webhook"

    def _post_once(self, message_id: str, body: bytes) -> None:
        timestamp = int(self._clock.now().timestamp())
        headers = {
            "Content-Type": "application/json",
            "X-QGTM-Message-Id": message_id,
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: sign_body(self._secret, timestamp, body),
        }
        response = self._client.post(self._url, content=body, headers=headers)
        if response.status_code in _RETRYABLE_STATUS:
            raise _RetryableStatusError(response.status_code)
        if response.is_error:
            msg = f"webhook {self._url}: message {message_id} refused with HTTP {response.status_code}"
            raise DeliveryError(msg, 0)

    def deliver(self, message_id: str, body: bytes) -> int:
        """POST until accepted or attempts run out."""
        retrying = Retrying(
            stop=stop_after_attempt(self._max_attempts),
            wait=wait_exponential(multiplier=self._backoff, max=self._max_backoff),
            retry=retry_if_exception(_retryable),
            sleep=self._sleep,
        )
        try:
            for attempt in retrying:
                with attempt:
                    self._post_once(message_id, body)
        except RetryError as exc:
            last = exc.last_attempt.exception()
            msg = f"webhook {self._url}: message {message_id} not delivered after {self._max_attempts} attempts: {last}"
            raise DeliveryError(msg, self._max_attempts) from last
        except DeliveryError as exc:
            exc.attempts = retrying.statistics.get("attempt_number", 1)
            raise
        attempts: int = retrying.statistics.get("attempt_number", 1)
        return attempts
