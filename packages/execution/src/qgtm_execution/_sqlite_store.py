"""SQLite state store (WAL, the default backend)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path

from qgtm_execution._migrations import apply_migrations
from qgtm_execution._sql_store import SqlStateStore

__all__ = ["SqliteStateStore"]


class SqliteStateStore(SqlStateStore):
    """A durable store in one SQLite file (``:memory:`` for tests).

    In WAL mode ``synchronous=NORMAL`` (the default here) makes every commit survive a crash of
    this process (SIGKILL included); ``power_safe=True`` (``synchronous=FULL``) also survives a power
    cut at the price of one fsync per write, which a production host should pay.
    """

    def __init__(self, path: Path | str, *, power_safe: bool = False) -> None:
        if isinstance(path, Path):
            path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(f"PRAGMA synchronous={'FULL' if power_safe else 'NORMAL'}")
        self._db.execute("PRAGMA busy_timeout=5000")
        super().__init__(self._execute, "?")
        self.schema_version = apply_migrations(self._execute, self._transaction, "?")

    def _execute(self, sql: str, params: Sequence[object]) -> Sequence[tuple[object, ...]]:
        return self._db.execute(sql, tuple(params)).fetchall()

    def _transaction(self, body: Callable[[], None]) -> None:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            body()
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    @property
    def journal_mode(self) -> str:
        """The SQLite journal mode in force (``wal`` unless the file is in memory)."""
        return str(self._db.execute("PRAGMA journal_mode").fetchone()[0])

    def close(self) -> None:
        """Close the connection."""
        self._db.close()
