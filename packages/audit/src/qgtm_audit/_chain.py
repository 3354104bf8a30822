"""A hash-chained audit log in SQLite: every record hashes its content and its predecessor.

Altering, deleting or reordering any record breaks the chain at that record, and ``verify``
names the first record that does not check out. Writes are committed in batches (and on
``flush``) so a replay of thousands of cycles is not bound by fsync.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from qgtm_core import AuditEntry, AuditRecord, CorrelationId, JsonValue, canonical_bytes

__all__ = ["GENESIS_HASH", "SqliteHashChainLog", "VerifyResult", "record_hash"]

GENESIS_HASH = "0" * 64

_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    correlation_id TEXT NOT NULL,
    step TEXT NOT NULL,
    actor TEXT NOT NULL,
    input_digest TEXT NOT NULL,
    output_digest TEXT NOT NULL,
    summary TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    record_hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_correlation ON audit (correlation_id);
"""


def record_hash(seq: int, entry: AuditEntry, prev_hash: str) -> str:
    """SHA-256 over the canonical form of the record's content and its predecessor's hash."""
    return hashlib.sha256(canonical_bytes({"seq": seq, "entry": entry, "prev_hash": prev_hash})).hexdigest()


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """Outcome of a verification: ok, how many records, and the first problem if any.

    ``signed_size`` and ``root_hash`` describe the latest signed tree head (Merkle logs only).
    """

    ok: bool
    records: int
    head_hash: str
    first_bad_seq: int | None = None
    problem: str | None = None
    signed_size: int | None = None
    root_hash: str | None = None


class SqliteHashChainLog:
    """Implements ``AuditLog``."""

    def __init__(self, path: Path | str, batch_size: int = 500) -> None:
        if isinstance(path, Path):
            path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path))
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)
        self._batch = batch_size
        self._pending = 0
        row = self._db.execute("SELECT seq, record_hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
        self._next_seq: int = int(row[0]) + 1 if row else 1
        self._head: str = str(row[1]) if row else GENESIS_HASH

    @property
    def head_hash(self) -> str:
        """Hash of the last record (the genesis hash when empty)."""
        return self._head

    def append(self, entry: AuditEntry) -> AuditRecord:
        """Append one record; durable at the next batch boundary or ``flush``."""
        seq = self._next_seq
        digest = record_hash(seq, entry, self._head)
        self._db.execute(
            "INSERT INTO audit VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                seq,
                entry.at.isoformat(),
                entry.correlation_id,
                entry.step,
                entry.actor,
                entry.input_digest,
                entry.output_digest,
                json.dumps(entry.summary, sort_keys=True),
                self._head,
                digest,
            ),
        )
        record = AuditRecord(seq=seq, entry=entry, prev_hash=self._head, record_hash=digest)
        self._next_seq, self._head = seq + 1, digest
        self._pending += 1
        if self._pending >= self._batch:
            self.flush()
        return record

    def flush(self) -> None:
        """Commit pending records."""
        self._db.commit()
        self._pending = 0

    def close(self) -> None:
        """Flush and close."""
        self.flush()
        self._db.close()

    def records(self, correlation_id: str | None = None) -> Iterator[AuditRecord]:
        """Stored records in sequence order, optionally of one cycle."""
        query = "SELECT * FROM audit"
        params: tuple[str, ...] = ()
        if correlation_id is not None:
            query += " WHERE correlation_id = ?"
            params = (correlation_id,)
        for row in self._db.execute(query + " ORDER BY seq", params):
            summary: JsonValue = json.loads(row[7])
            entry = AuditEntry(
                at=datetime.fromisoformat(row[1]),
                correlation_id=CorrelationId(row[2]),
                step=row[3],
                actor=row[4],
                input_digest=row[5],
                output_digest=row[6],
                summary=summary,
            )
            yield AuditRecord(seq=row[0], entry=entry, prev_hash=row[8], record_hash=row[9])

    def verify(self) -> VerifyResult:
        """Recompute the chain; name the first record that was altered, deleted or reordered."""
        expected_prev = GENESIS_HASH
        expected_seq = 1
        count = 0
        for record in self.records():
            if record.seq != expected_seq:
                return VerifyResult(
                    False,
                    count,
                    expected_prev,
                    expected_seq,
                    f"record {expected_seq} is missing (found {record.seq} next)",
                )
            if record.prev_hash != expected_prev:
                return VerifyResult(
                    False,
                    count,
                    expected_prev,
                    record.seq,
                    f"record {record.seq} does not link to record {record.seq - 1}",
                )
            if record_hash(record.seq, record.entry, record.prev_hash) != record.record_hash:
                return VerifyResult(
                    False,
                    count,
                    expected_prev,
                    record.seq,
                    f"record {record.seq} content does not match its hash",
                )
            expected_prev = record.record_hash
            expected_seq += 1
            count += 1
        return VerifyResult(True, count, expected_prev)
