"""The delivery log: every queued message, when it may be released, and proof of what went out.

Two tables in one SQLite file. ``deliveries`` is the work queue (pending -> delivered | failed),
so a restart loses no delayed signal. ``receipts`` is append-only and hash-linked: each delivered
message gets a record of (subscriber, message id, SHA-256 of the exact body, channel, time), and
each record's hash covers the previous one, so the log cannot be edited after the fact without
``verify`` noticing. A subscriber holding a body can show it matches the receipt's digest.
"""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

__all__ = ["DeliveryLog", "PendingDelivery", "Receipt"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    subscriber TEXT NOT NULL,
    message_id TEXT NOT NULL,
    tier TEXT NOT NULL,
    body BLOB NOT NULL,
    published_us INTEGER NOT NULL,
    release_us INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    detail TEXT NOT NULL DEFAULT '',
    UNIQUE (subscriber, message_id)
);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (status, release_us);
CREATE TABLE IF NOT EXISTS receipts (
    seq INTEGER PRIMARY KEY,
    subscriber TEXT NOT NULL,
    message_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    body_sha256 TEXT NOT NULL,
    release_us INTEGER NOT NULL,
    delivered_us INTEGER NOT NULL,
    attempts INTEGER NOT NULL,
    prev_hash TEXT NOT NULL,
    record_hash TEXT NOT NULL
);
"""
_GENESIS = "0" * 64
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)


def _us(at: datetime) -> int:
    if at.tzinfo is None:
        msg = "delivery log times must be timezone-aware"
        raise ValueError(msg)
    return (at - _EPOCH) // _MICRO


def _dt(us: int) -> datetime:
    return _EPOCH + us * _MICRO


@dataclass(frozen=True, slots=True)
class PendingDelivery:
    """A queued message for one subscriber."""

    row_id: int
    subscriber: str
    message_id: str
    body: bytes
    release_at: datetime


@dataclass(frozen=True, slots=True)
class Receipt:
    """Proof that ``subscriber`` was sent the body with digest ``body_sha256`` at ``delivered_at``."""

    seq: int
    subscriber: str
    message_id: str
    channel: str
    body_sha256: str
    release_at: datetime
    delivered_at: datetime
    attempts: int
    prev_hash: str
    record_hash: str

    def matches(self, body: bytes) -> bool:
        """True when ``body`` is exactly what this receipt says was sent."""
        return hashlib.sha256(body).hexdigest() == self.body_sha256


def _receipt_hash(prev: str, subscriber: str, message_id: str, channel: str, sha: str, rel: int, dlv: int) -> str:
    text = f"{prev}|{subscriber}|{message_id}|{channel}|{sha}|{rel}|{dlv}"
    return hashlib.sha256(text.encode()).hexdigest()


class DeliveryLog:
    """SQLite delivery queue and receipt chain (``:memory:`` for tests)."""

    def __init__(self, path: Path | str) -> None:
        if isinstance(path, Path):
            path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    def enqueue(
        self, subscriber: str, message_id: str, tier: str, body: bytes, published_at: datetime, release_at: datetime
    ) -> bool:
        """Queue a message; False when this subscriber already has this message (idempotent publish)."""
        cur = self._db.execute(
            "INSERT OR IGNORE INTO deliveries (subscriber, message_id, tier, body, published_us, release_us)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (subscriber, message_id, tier, body, _us(published_at), _us(release_at)),
        )
        return cur.rowcount == 1

    def due(self, now: datetime) -> list[PendingDelivery]:
        """Pending messages whose release time has been reached, oldest release first."""
        rows = self._db.execute(
            "SELECT id, subscriber, message_id, body, release_us FROM deliveries"
            " WHERE status = 'pending' AND release_us <= ? ORDER BY release_us, id",
            (_us(now),),
        ).fetchall()
        return [PendingDelivery(r[0], r[1], r[2], bytes(r[3]), _dt(r[4])) for r in rows]

    def pending_count(self) -> int:
        """Messages still waiting for their release time (or for a channel)."""
        (count,) = self._db.execute("SELECT COUNT(*) FROM deliveries WHERE status = 'pending'").fetchone()
        return int(count)

    def mark_delivered(self, pending: PendingDelivery, channel: str, delivered_at: datetime, attempts: int) -> Receipt:
        """Close the queue row and append a hash-linked receipt, in one transaction."""
        sha = hashlib.sha256(pending.body).hexdigest()
        rel, dlv = _us(pending.release_at), _us(delivered_at)
        with self._transaction():
            row = self._db.execute("SELECT seq, record_hash FROM receipts ORDER BY seq DESC LIMIT 1").fetchone()
            seq, prev = (1, _GENESIS) if row is None else (int(row[0]) + 1, str(row[1]))
            record_hash = _receipt_hash(prev, pending.subscriber, pending.message_id, channel, sha, rel, dlv)
            self._db.execute(
                "INSERT INTO receipts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (seq, pending.subscriber, pending.message_id, channel, sha, rel, dlv, attempts, prev, record_hash),
            )
            self._db.execute(
                "UPDATE deliveries SET status = 'delivered', attempts = ? WHERE id = ?", (attempts, pending.row_id)
            )
        return Receipt(
            seq,
            pending.subscriber,
            pending.message_id,
            channel,
            sha,
            pending.release_at,
            delivered_at,
            attempts,
            prev,
            record_hash,
        )

    def mark_failed(self, pending: PendingDelivery, attempts: int, detail: str) -> None:
        """Give up on a message; the reason stays in the log for the operator."""
        self._db.execute(
            "UPDATE deliveries SET status = 'failed', attempts = ?, detail = ? WHERE id = ?",
            (attempts, detail, pending.row_id),
        )

    def failures(self) -> list[tuple[str, str, int, str]]:
        """(subscriber, message id, attempts, reason) of every failed delivery."""
        rows = self._db.execute(
            "SELECT subscriber, message_id, attempts, detail FROM deliveries WHERE status = 'failed' ORDER BY id"
        ).fetchall()
        return [(str(r[0]), str(r[1]), int(r[2]), str(r[3])) for r in rows]

    def receipts(self, subscriber: str | None = None) -> list[Receipt]:
        """Receipts in delivery order, optionally for one subscriber."""
        sql = "SELECT * FROM receipts"
        args: tuple[str, ...] = ()
        if subscriber is not None:
            sql += " WHERE subscriber = ?"
            args = (subscriber,)
        rows = self._db.execute(sql + " ORDER BY seq", args).fetchall()
        return [Receipt(r[0], r[1], r[2], r[3], r[4], _dt(r[5]), _dt(r[6]), r[7], r[8], r[9]) for r in rows]

    def verify(self) -> int | None:
        """Recompute the receipt chain; the first bad sequence number, or None when intact."""
        prev = _GENESIS
        for r in self.receipts():
            expected = _receipt_hash(
                prev, r.subscriber, r.message_id, r.channel, r.body_sha256, _us(r.release_at), _us(r.delivered_at)
            )
            if r.prev_hash != prev or r.record_hash != expected:
                return r.seq
            prev = r.record_hash
        return None

    def _transaction(self) -> _Tx:
        return _Tx(self._db)


class _Tx:
    """BEGIN IMMEDIATE ... COMMIT/ROLLBACK around a block (the connection is in autocommit mode)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        self._db.execute("ROLLBACK" if exc_type is not None else "COMMIT")
