"""Hot swap of a signed model, only at the next session open.

A model changed mid-session would make the morning's and the afternoon's decisions
incomparable; so a new artifact is only *staged* when it appears and *installed* at the first
cycle of the next session. The loader (ml's verified, signature-checked load) and the installer
are callables handed in by the app: this package never reads model files itself.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Generic, TypeVar

__all__ = ["ModelHotSwap"]

_log = logging.getLogger("qgtm.live.hot_swap")
M = TypeVar("M")


class ModelHotSwap(Generic[M]):
    """Polls ``loader`` (returns a verified new model or None) and installs at a session open."""

    def __init__(self, loader: Callable[[], M | None], install: Callable[[M], None]) -> None:
        self._loader = loader
        self._install = install
        self._staged: M | None = None
        self._session: datetime | None = None
        self.installed = 0

    @property
    def staged(self) -> M | None:
        """A model waiting for the next session open."""
        return self._staged

    def on_cycle(self, session_open: datetime | None) -> bool:
        """Call before every cycle with its session's open; True if a model was installed now."""
        new = self._loader()
        if new is not None:
            self._staged = new
        first_of_session = session_open is not None and session_open != self._session
        if session_open is not None:
            self._session = session_open
        if first_of_session and self._staged is not None:
            self._install(self._staged)
            _log.info("installed a new model at the session open %s", session_open)
            self._staged = None
            self.installed += 1
            return True
        return False
