"""SQLite state store (WAL): OMS intents, orders and fills, plus small key-value state.

Implements ``OrderStore`` and ``KeyValueStore``. Each write commits before returning: an intent
is durable before the broker ever sees it, and a fill's execution id is a primary key, so a
repeated report is recognised and ignored.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from pathlib import Path

from qgtm_core import Fill, JsonValue, Order, OrderIntent
from qgtm_execution._codec import decode_fill, decode_order, encode

__all__ = ["SqliteStateStore"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS intents (client_order_id TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS orders (client_order_id TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS fills (execution_id TEXT PRIMARY KEY, seq INTEGER NOT NULL, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


class SqliteStateStore:
    """A durable store in one SQLite file (``:memory:`` for tests)."""

    def __init__(self, path: Path | str) -> None:
        if isinstance(path, Path):
            path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    def record_intent(self, intent: OrderIntent) -> bool:
        """Store an intent; False if this client order id was already recorded."""
        cur = self._db.execute("INSERT OR IGNORE INTO intents VALUES (?, ?)", (intent.client_order_id, encode(intent)))
        return cur.rowcount == 1

    def update_order(self, order: Order) -> None:
        """Upsert the latest known state of an order."""
        self._db.execute(
            "INSERT INTO orders VALUES (?, ?) ON CONFLICT(client_order_id) DO UPDATE SET body = excluded.body",
            (order.client_order_id, encode(order)),
        )

    def orders(self) -> Sequence[Order]:
        """Every order, by client order id."""
        rows = self._db.execute("SELECT body FROM orders ORDER BY client_order_id").fetchall()
        return [decode_order(r[0]) for r in rows]

    def record_fill(self, fill: Fill) -> bool:
        """Store a fill; False if its execution id was already recorded (a duplicate report)."""
        (count,) = self._db.execute("SELECT COUNT(*) FROM fills").fetchone()
        cur = self._db.execute(
            "INSERT OR IGNORE INTO fills VALUES (?, ?, ?)", (fill.execution_id, int(count), encode(fill))
        )
        return cur.rowcount == 1

    def fills(self) -> Sequence[Fill]:
        """Every fill, in the order recorded."""
        return [decode_fill(r[0]) for r in self._db.execute("SELECT body FROM fills ORDER BY seq").fetchall()]

    def get(self, key: str) -> JsonValue:
        """Stored value or None."""
        row = self._db.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        value: JsonValue = json.loads(row[0])
        return value

    def put(self, key: str, value: JsonValue) -> None:
        """Upsert a value."""
        self._db.execute(
            "INSERT INTO kv VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, json.dumps(value, sort_keys=True)),
        )
