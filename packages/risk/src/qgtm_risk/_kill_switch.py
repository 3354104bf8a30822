"""The kill switch: tripped by a limit or by hand, persisted, cleared only by an explicit reset."""

from __future__ import annotations

from datetime import datetime

from qgtm_core import KeyValueStore, KillSwitchError

__all__ = ["KillSwitch"]

_KEY = "risk.kill_switch"


class KillSwitch:
    """State lives in a ``KeyValueStore`` so a restarted daemon is still halted."""

    def __init__(self, store: KeyValueStore) -> None:
        self._store = store

    @property
    def tripped(self) -> bool:
        """True until ``reset`` is called."""
        state = self._store.get(_KEY)
        return isinstance(state, dict) and state.get("tripped") is True

    @property
    def reason(self) -> str | None:
        """Why it was tripped, if it is."""
        state = self._store.get(_KEY)
        if isinstance(state, dict) and state.get("tripped") is True:
            reason = state.get("reason")
            return reason if isinstance(reason, str) else None
        return None

    def trip(self, reason: str, at: datetime) -> None:
        """Halt new orders; the first reason is kept if already tripped."""
        if not self.tripped:
            self._store.put(_KEY, {"tripped": True, "reason": reason, "at": at.isoformat()})

    def reset(self, by: str, at: datetime) -> None:
        """Clear the switch; ``by`` names who did it, for the record."""
        self._store.put(_KEY, {"tripped": False, "reset_by": by, "at": at.isoformat()})

    def ensure_clear(self) -> None:
        """Raise ``KillSwitchError`` if tripped: a guard for any code path about to send an order."""
        if self.tripped:
            msg = f"kill switch tripped: {self.reason or 'no reason recorded'}; reset it explicitly to trade"
            raise KillSwitchError(msg)
