"""The state store over SQL: one implementation of ``OrderStore`` and ``KeyValueStore`` for both
SQLite and PostgreSQL, differing only in the driver and the parameter placeholder.

Each write commits before returning, so an intent is durable before the broker ever sees it; a
fill's execution id is the primary key, so a repeated report is recognised and ignored.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from qgtm_core import Fill, JsonValue, Order, OrderIntent, OrderStatus
from qgtm_execution._codec import decode_fill, decode_intent, decode_order, encode
from qgtm_execution._migrations import Execute

__all__ = ["SqlStateStore"]


class SqlStateStore:
    """Shared SQL; subclasses open the connection and run the migrations."""

    def __init__(self, execute: Execute, placeholder: str) -> None:
        self._x = execute
        self._p = placeholder

    def _sql(self, text: str) -> str:
        return text.replace("?", self._p)

    def record_intent(self, intent: OrderIntent) -> bool:
        """Store an intent; False if this client order id was already recorded."""
        sql = "INSERT INTO intents VALUES (?, ?) ON CONFLICT (client_order_id) DO NOTHING RETURNING client_order_id"
        return bool(self._x(self._sql(sql), (intent.client_order_id, encode(intent))))

    def intents(self) -> Sequence[OrderIntent]:
        """Every intent ever recorded, by client order id."""
        rows = self._x("SELECT body FROM intents ORDER BY client_order_id", ())
        return [decode_intent(str(r[0])) for r in rows]

    def update_order(self, order: Order) -> None:
        """Upsert the latest known state of an order."""
        sql = (
            "INSERT INTO orders (client_order_id, body, status) VALUES (?, ?, ?) ON CONFLICT (client_order_id) "
            "DO UPDATE SET body = excluded.body, status = excluded.status"
        )
        self._x(self._sql(sql), (order.client_order_id, encode(order), order.status.value))

    def orders(self) -> Sequence[Order]:
        """Every order, by client order id."""
        rows = self._x("SELECT body FROM orders ORDER BY client_order_id", ())
        return [decode_order(str(r[0])) for r in rows]

    def open_orders(self) -> Sequence[Order]:
        """Orders not in a terminal status."""
        terminal = [s.value for s in OrderStatus if s.is_terminal]
        marks = ", ".join("?" for _ in terminal)
        rows = self._x(
            self._sql(f"SELECT body FROM orders WHERE status NOT IN ({marks}) ORDER BY client_order_id"),  # noqa: S608 -- only placeholders are interpolated
            tuple(terminal),
        )
        return [decode_order(str(r[0])) for r in rows]

    def record_fill(self, fill: Fill) -> bool:
        """Store a fill; False if its execution id was already recorded (a duplicate report)."""
        sql = (
            "INSERT INTO fills (execution_id, seq, body) "
            "SELECT ?, COALESCE(MAX(seq), 0) + 1, ? FROM fills WHERE true "
            "ON CONFLICT (execution_id) DO NOTHING RETURNING execution_id"
        )
        return bool(self._x(self._sql(sql), (fill.execution_id, encode(fill))))

    def fills(self) -> Sequence[Fill]:
        """Every fill, in the order recorded."""
        return [decode_fill(str(r[0])) for r in self._x("SELECT body FROM fills ORDER BY seq", ())]

    def get(self, key: str) -> JsonValue:
        """Stored value or None."""
        rows = self._x(self._sql("SELECT value FROM kv WHERE key = ?"), (key,))
        if not rows:
            return None
        value: JsonValue = json.loads(str(rows[0][0]))
        return value

    def put(self, key: str, value: JsonValue) -> None:
        """Upsert a value."""
        sql = "INSERT INTO kv VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value"
        self._x(self._sql(sql), (key, json.dumps(value, sort_keys=True)))
