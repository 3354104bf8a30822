"""Schema migrations shared by the SQLite and PostgreSQL state stores.

A small versioned table (``schema_version``) instead of alembic or yoyo: the schema is four
tables written in the common subset of SQL both engines accept, the stores use the stdlib
``sqlite3`` and ``psycopg`` drivers directly (no SQLAlchemy engine to configure), and the daemon
must migrate itself at start-up without a separate tool. Each migration runs in one transaction
with its version row, so a crash mid-migration leaves the previous version intact.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

__all__ = ["MIGRATIONS", "Migration", "apply_migrations"]


@dataclass(frozen=True, slots=True)
class Migration:
    """One schema step; ``statements`` use only SQL that SQLite and PostgreSQL both accept."""

    version: int
    description: str
    statements: tuple[str, ...]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "OMS intents, orders, fills and key-value state",
        (
            "CREATE TABLE intents (client_order_id TEXT PRIMARY KEY, body TEXT NOT NULL)",
            "CREATE TABLE orders (client_order_id TEXT PRIMARY KEY, body TEXT NOT NULL)",
            "CREATE TABLE fills (execution_id TEXT PRIMARY KEY, seq BIGINT NOT NULL, body TEXT NOT NULL)",
            "CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        ),
    ),
    Migration(
        2,
        "order status column for open-order queries at start-up",
        (
            "ALTER TABLE orders ADD COLUMN status TEXT NOT NULL DEFAULT 'new'",
            "CREATE INDEX orders_status ON orders (status)",
            "CREATE UNIQUE INDEX fills_seq ON fills (seq)",
        ),
    ),
)

Execute = Callable[[str, Sequence[object]], Sequence[tuple[object, ...]]]
"""Runs one statement with parameters (placeholders already in the driver's style)."""

Transaction = Callable[[Callable[[], None]], None]
"""Runs a callable inside one database transaction."""


def apply_migrations(execute: Execute, transaction: Transaction, placeholder: str) -> int:
    """Bring the schema up to the newest migration; return the resulting version."""
    execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL)", ())
    rows = execute("SELECT MAX(version) FROM schema_version", ())
    current = int(str(rows[0][0])) if rows and rows[0][0] is not None else 0
    for migration in MIGRATIONS:
        if migration.version <= current:
            continue

        def step(m: Migration = migration) -> None:
            for statement in m.statements:
                execute(statement, ())
            execute(
                "INSERT INTO schema_version (version, description) VALUES (?, ?)".replace("?", placeholder),
                (m.version, m.description),
            )

        transaction(step)
        current = migration.version
    return current
