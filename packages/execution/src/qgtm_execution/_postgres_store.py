"""PostgreSQL state store, used when ``state.database_url`` is set.

One autocommit connection: every write is its own committed transaction, like the SQLite store.
``schema`` isolates deployments (and tests) sharing one database.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import psycopg

from qgtm_core import ConfigError
from qgtm_execution._migrations import apply_migrations
from qgtm_execution._sql_store import SqlStateStore

__all__ = ["PostgresStateStore"]

_SCHEMA_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class PostgresStateStore(SqlStateStore):
    """A durable store in one PostgreSQL schema."""

    def __init__(self, url: str, schema: str = "qgtm", connect_timeout: float = 5.0) -> None:
        if not _SCHEMA_RE.match(schema):
            msg = f"state.schema: {schema!r} is not a plain lower-case SQL identifier"
            raise ConfigError(msg)
        try:
            self._db = psycopg.connect(url, autocommit=True, connect_timeout=int(max(1, connect_timeout)))
        except psycopg.OperationalError as exc:
            msg = f"state.database_url: cannot connect to PostgreSQL ({exc})"
            raise ConfigError(msg) from exc
        self.schema = schema
        self._db.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        self._db.execute(f'SET search_path TO "{schema}"')
        super().__init__(self._execute, "%s")
        self.schema_version = apply_migrations(self._execute, self._transaction, "%s")

    def _execute(self, sql: str, params: Sequence[object]) -> Sequence[tuple[object, ...]]:
        cur = self._db.execute(sql.encode(), tuple(params))
        return cur.fetchall() if cur.description is not None else []

    def _transaction(self, body: Callable[[], None]) -> None:
        with self._db.transaction():
            body()

    def drop_schema(self) -> None:
        """Remove the schema and everything in it (tests and tear-down only)."""
        self._db.execute(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')

    def close(self) -> None:
        """Close the connection."""
        self._db.close()
