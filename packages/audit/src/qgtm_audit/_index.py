"""The state-store index of a log: runs of sequence numbers -> (correlation id, segment, offset).

One row covers a run of consecutive records of one cycle in one segment (the ten steps of a cycle
are normally one row), so the index costs a tenth of a row per record; a sequence number is found
by its run and then a short walk in the segment from the run's first frame.

The segments are the source of truth; the index is derived data that a log rebuilds on open when it
lags (it is written after the segment fsync, so a crash can only leave it behind, never ahead of a
durable record that is not there: rows past the log's end are deleted on open). SQLite by default,
PostgreSQL when the app gives a URL; several logs can share one PostgreSQL table, keyed by log id.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Protocol

import psycopg

from qgtm_core import ConfigError

__all__ = ["AuditIndex", "IndexRow", "PostgresAuditIndex", "SqliteAuditIndex", "open_index"]

IndexRow = tuple[int, int, str, int, int]
"""(first seq, last seq, correlation id, first seq of the segment, byte offset of the first frame)."""


class AuditIndex(Protocol):
    """Where a log finds the records of one cycle without reading every segment."""

    def last_seq(self, log_id: str) -> int: ...

    def add(self, log_id: str, rows: Sequence[IndexRow]) -> None: ...

    def truncate_after(self, log_id: str, seq: int) -> None: ...

    def seqs(self, log_id: str, correlation_id: str) -> list[int]: ...

    def locate(self, log_id: str, seq: int) -> tuple[int, int, int] | None: ...

    def close(self) -> None: ...


def _expand(runs: Iterable[tuple[int, int]]) -> list[int]:
    """Sequence numbers of runs, once each: a reader and the writer may both index the same records
    (each catching up), so runs can overlap."""
    return sorted({seq for first, last in runs for seq in range(int(first), int(last) + 1)})


_SQLITE_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit_runs (
    log_id TEXT NOT NULL,
    first_seq INTEGER NOT NULL,
    last_seq INTEGER NOT NULL,
    correlation_id TEXT NOT NULL,
    segment INTEGER NOT NULL,
    offset INTEGER NOT NULL,
    PRIMARY KEY (log_id, first_seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS audit_runs_correlation ON audit_runs (log_id, correlation_id, first_seq);
"""


class SqliteAuditIndex:
    """Index in a SQLite file (WAL; durability comes from the segments, so ``synchronous=NORMAL``).

    The log's writer thread adds rows while the caller's thread reads, so one lock serialises use.
    """

    def __init__(self, path: Path | str) -> None:
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SQLITE_SCHEMA)

    def last_seq(self, log_id: str) -> int:
        """Highest indexed sequence number (0 when empty)."""
        with self._lock:
            row = self._db.execute("SELECT MAX(last_seq) FROM audit_runs WHERE log_id = ?", (log_id,)).fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    def add(self, log_id: str, rows: Sequence[IndexRow]) -> None:
        """Insert rows in one transaction."""
        with self._lock, self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO audit_runs VALUES (?, ?, ?, ?, ?, ?)", [(log_id, *row) for row in rows]
            )

    def truncate_after(self, log_id: str, seq: int) -> None:
        """Forget rows past the end of the log."""
        with self._lock, self._db:
            self._db.execute("DELETE FROM audit_runs WHERE log_id = ? AND first_seq > ?", (log_id, seq))
            self._db.execute("UPDATE audit_runs SET last_seq = ? WHERE log_id = ? AND last_seq > ?", (seq, log_id, seq))

    def seqs(self, log_id: str, correlation_id: str) -> list[int]:
        """Sequence numbers of one cycle's records, in order."""
        with self._lock:
            cursor = self._db.execute(
                "SELECT first_seq, last_seq FROM audit_runs WHERE log_id = ? AND correlation_id = ? ORDER BY first_seq",
                (log_id, correlation_id),
            )
            return _expand(cursor)

    def locate(self, log_id: str, seq: int) -> tuple[int, int, int] | None:
        """(segment, offset of the run's first frame, the run's first seq) for ``seq``, if indexed."""
        with self._lock:
            row = self._db.execute(
                "SELECT segment, offset, first_seq FROM audit_runs WHERE log_id = ? AND first_seq <= ? "
                "AND last_seq >= ? ORDER BY first_seq DESC LIMIT 1",
                (log_id, seq, seq),
            ).fetchone()
        return (int(row[0]), int(row[1]), int(row[2])) if row else None

    def close(self) -> None:
        """Close the connection."""
        self._db.close()


_PG_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit_runs (
    log_id TEXT NOT NULL,
    first_seq BIGINT NOT NULL,
    last_seq BIGINT NOT NULL,
    correlation_id TEXT NOT NULL,
    segment BIGINT NOT NULL,
    "offset" BIGINT NOT NULL,
    PRIMARY KEY (log_id, first_seq)
);
CREATE INDEX IF NOT EXISTS audit_runs_correlation ON audit_runs (log_id, correlation_id, first_seq);
"""


class PostgresAuditIndex:
    """Index in PostgreSQL; batches go in with ``COPY`` so the index keeps up with the segments."""

    def __init__(self, url: str, connect_timeout: int = 5) -> None:
        try:
            self._db = psycopg.connect(url, autocommit=True, connect_timeout=connect_timeout)
        except psycopg.OperationalError as exc:
            msg = f"audit.index_url: cannot connect to PostgreSQL ({exc})"
            raise ConfigError(msg) from None
        with self._db.transaction():
            self._db.execute("SELECT pg_advisory_xact_lock(hashtext('qgtm_audit_index_schema'))")
            self._db.execute(_PG_SCHEMA)

    def last_seq(self, log_id: str) -> int:
        """Highest indexed sequence number (0 when empty)."""
        row = self._db.execute("SELECT MAX(last_seq) FROM audit_runs WHERE log_id = %s", (log_id,)).fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    def add(self, log_id: str, rows: Sequence[IndexRow]) -> None:
        """Insert rows in one transaction (rows past a recovered end were deleted on open)."""
        with (
            self._db.transaction(),
            self._db.cursor() as cursor,
            cursor.copy(
                'COPY audit_runs (log_id, first_seq, last_seq, correlation_id, segment, "offset") FROM STDIN'
            ) as copy,
        ):
            for row in rows:
                copy.write_row((log_id, *row))

    def truncate_after(self, log_id: str, seq: int) -> None:
        """Forget rows past the end of the log."""
        with self._db.transaction():
            self._db.execute("DELETE FROM audit_runs WHERE log_id = %s AND first_seq > %s", (log_id, seq))
            self._db.execute(
                "UPDATE audit_runs SET last_seq = %s WHERE log_id = %s AND last_seq > %s", (seq, log_id, seq)
            )

    def seqs(self, log_id: str, correlation_id: str) -> list[int]:
        """Sequence numbers of one cycle's records, in order."""
        cursor = self._db.execute(
            "SELECT first_seq, last_seq FROM audit_runs WHERE log_id = %s AND correlation_id = %s ORDER BY first_seq",
            (log_id, correlation_id),
        )
        return _expand(cursor)

    def locate(self, log_id: str, seq: int) -> tuple[int, int, int] | None:
        """(segment, offset of the run's first frame, the run's first seq) for ``seq``, if indexed."""
        row = self._db.execute(
            'SELECT segment, "offset", first_seq FROM audit_runs WHERE log_id = %s AND first_seq <= %s '
            "AND last_seq >= %s ORDER BY first_seq DESC LIMIT 1",
            (log_id, seq, seq),
        ).fetchone()
        return (int(row[0]), int(row[1]), int(row[2])) if row else None

    def close(self) -> None:
        """Close the connection."""
        self._db.close()


def open_index(url: str | None, directory: Path) -> AuditIndex:
    """PostgreSQL when ``url`` is given, else ``<directory>/index.sqlite``."""
    if url:
        return PostgresAuditIndex(url)
    return SqliteAuditIndex(directory / "index.sqlite")
