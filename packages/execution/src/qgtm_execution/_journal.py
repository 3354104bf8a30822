"""A journaling wrapper that lets an in-process broker (the paper venue) survive a SIGKILL.

A real broker keeps its own books when our process dies; the simulated venue lives inside our
process and would vanish with it. ``JournalingBroker`` appends every state-changing call the
venue accepted (submit, cancel, market event) to a SQLite journal (WAL), and on
start-up rebuilds a fresh venue by replaying the journal at the recorded times. The venue is
deterministic, so the rebuilt one has the same orders, fills, cash and positions.

The journal is written *after* the venue accepted the call: a kill in between is the same as a
kill before the order reached the broker, which the OMS already handles (it looks the order up).
Market events are journaled under a key and applied at most once, so a restarted replay that
feeds the same bar again does not fill the same orders twice.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Protocol

from qgtm_core import (
    ClientOrderId,
    Clock,
    Fill,
    InstrumentId,
    Order,
    OrderIntent,
    Position,
)
from qgtm_execution._codec import decode_intent, encode

__all__ = ["JournalingBroker", "ReplayableVenue"]


class ReplayableVenue(Protocol):
    """A ``Broker`` that the market moves by ``on_bar`` (the simulated venue's shape)."""

    def submit(self, intent: OrderIntent) -> Order: ...

    def cancel(self, client_order_id: ClientOrderId) -> Order: ...

    def order(self, client_order_id: ClientOrderId) -> Order | None: ...

    def open_orders(self) -> Sequence[Order]: ...

    def fills_since(self, cursor: int) -> tuple[Sequence[Fill], int]: ...

    def positions(self) -> Mapping[InstrumentId, Position]: ...

    def cash(self) -> Decimal: ...

    def on_bar(self, instrument: InstrumentId, open_price: float, at: datetime) -> tuple[Fill, ...]: ...


class _SwitchClock:
    """Recorded times while replaying the journal, the live clock afterwards."""

    def __init__(self, live: Clock) -> None:
        self.live = live
        self.replaying: datetime | None = None

    def now(self) -> datetime:
        return self.replaying if self.replaying is not None else self.live.now()


class JournalingBroker:
    """Implements ``Broker`` (and ``on_bar``) over a venue rebuilt from a durable journal."""

    def __init__(self, path: Path | str, factory: Callable[[Clock], ReplayableVenue], clock: Clock) -> None:
        if isinstance(path, Path):
            path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS journal (seq INTEGER PRIMARY KEY, at TEXT NOT NULL, kind TEXT NOT NULL, "
            "key TEXT UNIQUE, body TEXT NOT NULL)"
        )
        self._clock = _SwitchClock(clock)
        self.venue = factory(self._clock)
        self.submits = 0
        self.replayed = self._replay()

    def _replay(self) -> int:
        rows = self._db.execute("SELECT at, kind, body FROM journal ORDER BY seq").fetchall()
        for at, kind, body in rows:
            self._clock.replaying = datetime.fromisoformat(str(at))
            if kind == "submit":
                self.venue.submit(decode_intent(str(body)))
            elif kind == "cancel":
                self.venue.cancel(ClientOrderId(str(body)))
            else:
                bar = json.loads(str(body))
                self.venue.on_bar(
                    InstrumentId(bar["instrument"]), float(bar["open"]), datetime.fromisoformat(bar["at"])
                )
        self._clock.replaying = None
        return len(rows)

    def _append(self, kind: str, body: str, key: str | None = None) -> None:
        self._db.execute(
            "INSERT INTO journal (at, kind, key, body) VALUES (?, ?, ?, ?)",
            (self._clock.now().isoformat(), kind, key, body),
        )

    def submit(self, intent: OrderIntent) -> Order:
        """Send to the venue, then journal what it accepted."""
        order = self.venue.submit(intent)
        self._append("submit", encode(intent))
        self.submits += 1
        return order

    def cancel(self, client_order_id: ClientOrderId) -> Order:
        """Cancel at the venue, then journal it."""
        order = self.venue.cancel(client_order_id)
        self._append("cancel", client_order_id)
        return order

    def on_bar(self, instrument: InstrumentId, open_price: float, at: datetime) -> tuple[Fill, ...]:
        """Move the market once per (instrument, time); a repeat after a restart is ignored."""
        key = f"{instrument}|{at.isoformat()}"
        if self._db.execute("SELECT 1 FROM journal WHERE key = ?", (key,)).fetchone() is not None:
            return ()
        fills = self.venue.on_bar(instrument, open_price, at)
        body = json.dumps({"instrument": instrument, "open": open_price, "at": at.isoformat()})
        self._append("bar", body, key)
        return fills

    def sent_client_order_ids(self) -> list[ClientOrderId]:
        """Every client order id the venue ever accepted, in order (crash tests count these)."""
        rows = self._db.execute("SELECT body FROM journal WHERE kind = 'submit' ORDER BY seq").fetchall()
        return [decode_intent(str(r[0])).client_order_id for r in rows]

    def order(self, client_order_id: ClientOrderId) -> Order | None:
        """Latest state of an order at the venue."""
        return self.venue.order(client_order_id)

    def open_orders(self) -> Sequence[Order]:
        """Orders still working at the venue."""
        return self.venue.open_orders()

    def fills_since(self, cursor: int) -> tuple[Sequence[Fill], int]:
        """Venue fills after ``cursor``."""
        return self.venue.fills_since(cursor)

    def positions(self) -> Mapping[InstrumentId, Position]:
        """Venue positions."""
        return self.venue.positions()

    def cash(self) -> Decimal:
        """Venue cash."""
        return self.venue.cash()

    def close(self) -> None:
        """Close the journal."""
        self._db.close()
