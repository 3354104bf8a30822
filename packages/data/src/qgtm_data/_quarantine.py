"""The quarantine table (SQLite) and the counters that make rejected rows visible as metrics."""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from qgtm_data._batch import QuarantineRecord

__all__ = ["DataMetrics", "QuarantineTable"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS quarantine (
    id INTEGER PRIMARY KEY,
    recorded_at TEXT NOT NULL,
    source TEXT NOT NULL,
    instrument TEXT NOT NULL,
    feed TEXT NOT NULL,
    row INTEGER NOT NULL,
    field TEXT NOT NULL,
    reason TEXT NOT NULL,
    value TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS quarantine_source ON quarantine (source, row);
"""


class DataMetrics:
    """Counters of accepted and rejected rows, keyed by ``instrument/feed`` and reason.

    A plain mapping so any exporter (Prometheus, logs, the CLI) can read it without this package
    choosing one.
    """

    def __init__(self) -> None:
        self.accepted: Counter[str] = Counter()
        self.rejected: Counter[tuple[str, str]] = Counter()

    def count_accepted(self, key: str, rows: int) -> None:
        """Add ``rows`` clean rows for ``key``."""
        self.accepted[key] += rows

    def count_rejected(self, records: Iterable[QuarantineRecord]) -> None:
        """Count each record under ``(instrument/feed, reason)``."""
        for record in records:
            self.rejected[(f"{record.instrument}/{record.feed}", record.reason)] += 1

    def rejected_total(self) -> int:
        """All rejected rows (a row failing two checks counts twice, once per reason)."""
        return sum(self.rejected.values())


class QuarantineTable:
    """Append-only SQLite table of rejected rows: source, row, field, reason, offending value."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path)
        self._db.executescript(_SCHEMA)

    def add(self, records: Iterable[QuarantineRecord]) -> int:
        """Insert ``records`` in one transaction; returns how many were written."""
        now = datetime.now(UTC).isoformat()
        rows = [(now, r.source, r.instrument, r.feed, r.row, r.field, r.reason, r.value) for r in records]
        with self._db:
            self._db.executemany(
                "INSERT INTO quarantine (recorded_at, source, instrument, feed, row, field, reason, value)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
        return len(rows)

    def records(self, source: str | None = None) -> list[QuarantineRecord]:
        """Stored records in insertion order, optionally of one source."""
        sql = "SELECT source, row, field, reason, value, instrument, feed FROM quarantine"
        params: tuple[str, ...] = ()
        if source is not None:
            sql += " WHERE source = ?"
            params = (source,)
        cursor = self._db.execute(sql + " ORDER BY id", params)
        return [QuarantineRecord(s, int(r), f, why, v, i, feed) for s, r, f, why, v, i, feed in cursor.fetchall()]

    def counts(self) -> list[tuple[str, str, int]]:
        """``(instrument/feed, reason, rows)`` for every kind of rejection, most frequent first."""
        cursor = self._db.execute(
            "SELECT instrument || '/' || feed, reason, COUNT(*) AS n FROM quarantine"
            " GROUP BY instrument, feed, reason ORDER BY n DESC, 1, 2"
        )
        return [(str(k), str(r), int(n)) for k, r, n in cursor.fetchall()]

    def count(self) -> int:
        """Number of quarantined records."""
        (total,) = self._db.execute("SELECT COUNT(*) FROM quarantine").fetchone()
        return int(total)

    def close(self) -> None:
        """Close the database."""
        self._db.close()
