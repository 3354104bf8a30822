"""The in-process event bus (the embedded default; Redis replaces it when configured)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping

from qgtm_core import JsonValue

__all__ = ["InProcessBus"]

Handler = Callable[[Mapping[str, JsonValue]], None]


class InProcessBus:
    """Implements ``EventBus``: synchronous delivery in subscription order; a failing handler propagates."""

    def __init__(self) -> None:
        self._handlers: dict[str, list[Handler]] = defaultdict(list)
        self.published = 0

    def publish(self, topic: str, event: Mapping[str, JsonValue]) -> None:
        """Deliver ``event`` to every handler of ``topic``."""
        self.published += 1
        for handler in self._handlers.get(topic, ()):
            handler(event)

    def subscribe(self, topic: str, handler: Handler) -> None:
        """Register a handler."""
        self._handlers[topic].append(handler)
