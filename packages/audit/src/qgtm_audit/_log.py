"""``MerkleAuditLog``: the verifiable audit log (RFC 6962 tree over hash-chained records).

Directory layout::

    <dir>/log.json          format, log id, public key (a convenience copy; auditors bring their own)
    <dir>/segments/*.seg    framed canonical-JSON records, append-only
    <dir>/heads.jsonl       signed tree heads, append-only
    <dir>/index.sqlite      correlation-id / sequence index (unless a PostgreSQL index is given)

Appends are buffered and made durable ``batch_size`` at a time (one fsync per batch), so a replay is
not bound by disk latency; ``flush`` forces it. A head is signed every ``sign_every`` durable records
and on ``close``; opening the log for writing recovers from a torn final write, but refuses to cut
anything a signed head vouches for.
"""

from __future__ import annotations

import json
import os
import queue
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from hashlib import sha256
from json.encoder import encode_basestring as _esc
from pathlib import Path

import psycopg
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from qgtm_audit._chain import GENESIS_HASH, VerifyResult
from qgtm_audit._heads import HeadStore, sign_head
from qgtm_audit._index import AuditIndex, IndexRow, SqliteAuditIndex
from qgtm_audit._merkle import MerkleTree
from qgtm_audit._record import decode_record, encode_record
from qgtm_audit._segments import (
    SEGMENT_HEADER_SIZE as _SEGMENT_HEADER,
)
from qgtm_audit._segments import (
    SegmentScan,
    SegmentWriter,
    frame,
    scan_segments,
    scan_tail,
    segment_path,
    truncate_torn,
)
from qgtm_audit._verify import HEADS_FILE, SEGMENTS_DIR, verify_directory
from qgtm_audit.verifier import SignedTreeHead, load_public_key
from qgtm_core import AuditEntry, AuditRecord, ConfigError, IntegrityError, JsonValue

__all__ = ["LOG_FORMAT", "MerkleAuditLog", "is_merkle_log"]

LOG_FORMAT = "qgtm-merkle-audit/1"
_META = "log.json"
_FRAME_HEADER = 8


def is_merkle_log(directory: Path) -> bool:
    """Whether ``directory`` holds a Merkle audit log."""
    return (directory / _META).is_file()


def _raw_public(key: Ed25519PublicKey) -> str:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


def _add_run(rows: list[list[int | str]], seq: int, correlation_id: str, segment: int, offset: int) -> None:
    """Extend the last run when this record continues it (same cycle, same segment), else start one."""
    if rows:
        last = rows[-1]
        if last[1] == seq - 1 and last[2] == correlation_id and last[3] == segment:
            last[1] = seq
            return
    rows.append([seq, seq, correlation_id, segment, offset])


class _Batch:
    """Framed records bound for disk: ``(first seq of a new segment or 0, bytes)`` chunks, and index rows."""

    __slots__ = ("chunks", "count", "rows", "upto")

    def __init__(self) -> None:
        self.chunks: list[tuple[int, bytearray]] = []
        self.rows: list[list[int | str]] = []  # [first seq, last seq, correlation id, segment, offset]
        self.count = 0
        self.upto = 0

    def index_rows(self) -> list[IndexRow]:
        """The runs as the index stores them."""
        return [(int(r[0]), int(r[1]), str(r[2]), int(r[3]), int(r[4])) for r in self.rows]


class MerkleAuditLog:
    """Implements ``AuditLog``; also proves inclusion and consistency against signed tree heads.

    ``signing_key`` is required to write; ``read_only=True`` opens an existing log for proofs and
    traces without writing its segments or heads (a torn tail is then simply not read; the derived
    index may still be caught up). A background thread does the ``write``/``fsync``/index work of
    each batch while the caller keeps appending; ``flush`` waits for it.
    """

    def __init__(
        self,
        directory: Path | str,
        *,
        signing_key: Ed25519PrivateKey | None = None,
        index: AuditIndex | None = None,
        batch_size: int = 1000,
        sign_every: int = 10_000,
        sign_interval_s: float = 60.0,
        segment_records: int = 65_536,
        read_only: bool = False,
    ) -> None:
        if batch_size < 1 or sign_every < 1 or segment_records < 2 or segment_records & (segment_records - 1):
            msg = "audit: batch_size and sign_every must be >= 1 and segment_records a power of two >= 2"
            raise ConfigError(msg)
        if signing_key is None and not read_only:
            msg = f"{directory}: a signing key is required to write an audit log"
            raise ConfigError(msg)
        self._dir = Path(directory)
        self._read_only = read_only
        self._key = signing_key
        self._batch_size, self._sign_every, self._sign_interval = batch_size, sign_every, sign_interval_s
        self._log_id, self._public, self._per_segment = self._load_meta(segment_records)
        self._heads_store = HeadStore(self._dir / HEADS_FILE)
        self._heads = self._load_heads()
        scan = self._recover(scan_segments(self._dir / SEGMENTS_DIR))
        self._tree = MerkleTree(levels=scan.levels) if scan.levels is not None else MerkleTree(bytes(scan.leaves))
        self._size = scan.size
        self._tail_end = scan.end
        self._offsets = scan.offsets
        self._segments = scan.segments
        self._head = scan.leaves[-32:].hex() if scan.leaves else GENESIS_HASH
        self._durable = scan.size
        self._index = index if index is not None else SqliteAuditIndex(self._dir / "index.sqlite")
        self._catch_up_index()
        self._last_signed_at = time.monotonic()
        self._closed = False
        self._pending = _Batch()
        self._writer: SegmentWriter | None = None
        self._queue: queue.Queue[_Batch | None] = queue.Queue(maxsize=4)
        self._done = threading.Condition()
        self._failure: BaseException | None = None
        self._thread: threading.Thread | None = None
        if not read_only:
            current = scan.segments[-1][1] if scan.segments else None
            self._writer = SegmentWriter(self._dir / SEGMENTS_DIR, scan.size + 1, current)
            if current is None:
                self._segments.append((scan.size + 1, segment_path(self._dir / SEGMENTS_DIR, scan.size + 1)))
            self._segment_first = self._writer.first_seq
            self._segment_bytes = self._writer.size
            self._thread = threading.Thread(target=self._drain, name=f"audit-writer-{self._log_id[:8]}", daemon=True)
            self._thread.start()

    # ------------------------------------------------------------------ opening

    def _load_meta(self, segment_records: int) -> tuple[str, Ed25519PublicKey, int]:
        meta_path = self._dir / _META
        if meta_path.is_file():
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            if not isinstance(meta, dict) or meta.get("format") != LOG_FORMAT:
                msg = f"{meta_path}: not a {LOG_FORMAT} log"
                raise IntegrityError(msg)
            public = load_public_key(str(meta["public_key"]).encode())
            if self._key is not None and _raw_public(self._key.public_key()) != _raw_public(public):
                msg = f"{meta_path}: the signing key given does not match this log's public key"
                raise IntegrityError(msg)
            return str(meta["log_id"]), public, int(meta["segment_records"])
        if self._read_only or self._key is None:
            msg = f"{self._dir}: no Merkle audit log here ({_META} missing)"
            raise ConfigError(msg)
        (self._dir / SEGMENTS_DIR).mkdir(parents=True, exist_ok=True)
        public = self._key.public_key()
        log_id = uuid.uuid4().hex
        meta = {
            "format": LOG_FORMAT,
            "log_id": log_id,
            "public_key": _raw_public(public),
            "segment_records": segment_records,
        }
        tmp = meta_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(meta, sort_keys=True, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, meta_path)
        return log_id, public, segment_records

    def _load_heads(self) -> list[SignedTreeHead]:
        heads, torn = self._heads_store.load()
        if torn is not None and not self._read_only:
            self._heads_store.cut(torn)
        return heads

    def _recover(self, scan: SegmentScan) -> SegmentScan:
        signed = self._heads[-1].size if self._heads else 0
        if scan.problem is not None:
            msg = f"{self._dir}: audit log is damaged: {scan.problem}; run 'qgtm audit verify'"
            raise IntegrityError(msg)
        if scan.size < signed:
            msg = f"{self._dir}: a signed tree head covers {signed} records but only {scan.size} can be read"
            raise IntegrityError(msg)
        if scan.torn is not None and not self._read_only:
            path, offset = scan.torn
            truncate_torn(path, offset)
            if offset == 0:
                scan.segments = [s for s in scan.segments if s[1] != path]
            scan.torn = None
        return scan

    def _catch_up_index(self) -> None:
        indexed = self._index.last_seq(self._log_id)
        if indexed > self._durable:
            self._index.truncate_after(self._log_id, self._durable)
            indexed = self._durable
        batch = _Batch()
        for seq in range(indexed + 1, self._durable + 1):
            record = self.record(seq)
            path, offset = self._locate(seq)
            _add_run(batch.rows, seq, record.entry.correlation_id, int(path.stem), offset)
            if len(batch.rows) >= 10_000:
                self._index.add(self._log_id, batch.index_rows()[:-1])
                batch.rows = batch.rows[-1:]
        if batch.rows:
            self._index.add(self._log_id, batch.index_rows())

    # ------------------------------------------------------------------ background writer

    def _drain(self) -> None:
        """Writer thread: write and fsync each batch, then index it; ``durable_size`` follows."""
        writer = self._writer
        assert writer is not None
        while True:
            batch = self._queue.get()
            if batch is None:
                return
            try:
                for roll_to, data in batch.chunks:
                    if roll_to:
                        writer.roll(roll_to)
                    writer.write(data)
                if batch.rows:
                    self._index.add(self._log_id, batch.index_rows())
            except (OSError, sqlite3.Error, psycopg.Error) as exc:
                with self._done:
                    self._failure = exc
                    self._done.notify_all()
                return
            with self._done:
                self._durable = batch.upto
                self._done.notify_all()

    def _check_writer(self) -> None:
        if self._failure is not None:
            msg = f"{self._dir}: audit writer failed: {self._failure}"
            raise IntegrityError(msg) from self._failure

    def _submit(self) -> None:
        batch = self._pending
        if not batch.chunks:
            return
        batch.upto = self._size
        self._pending = _Batch()
        self._check_writer()
        self._queue.put(batch)

    # ------------------------------------------------------------------ AuditLog

    @property
    def head_hash(self) -> str:
        """Hash of the last record (the chain head; the genesis hash when empty)."""
        return self._head

    @property
    def size(self) -> int:
        """Records appended (durable or still buffered)."""
        return self._size

    @property
    def durable_size(self) -> int:
        """Records known to be on disk (fsynced)."""
        return self._durable

    @property
    def log_id(self) -> str:
        """Identity of this log in a shared index."""
        return self._log_id

    @property
    def public_key(self) -> Ed25519PublicKey:
        """The key tree heads of this log are signed with."""
        return self._public

    @property
    def signed_heads(self) -> list[SignedTreeHead]:
        """Every signed tree head, oldest first."""
        return list(self._heads)

    def append(self, entry: AuditEntry) -> AuditRecord:
        """Append one record; durable once its batch is written (every ``batch_size`` records) or on ``flush``."""
        if self._writer is None:
            msg = f"{self._dir}: audit log opened read-only or closed"
            raise IntegrityError(msg)
        seq = self._size + 1
        prev = self._head
        payload = encode_record(seq, entry, prev)
        digest = sha256(b"\x00" + payload).digest()
        pending = self._pending
        if (seq - 1) % self._per_segment == 0 and seq != self._segment_first:
            self._segment_first, self._segment_bytes = seq, _SEGMENT_HEADER
            self._segments.append((seq, segment_path(self._dir / SEGMENTS_DIR, seq)))
            pending.chunks.append((seq, bytearray()))
        elif not pending.chunks:
            pending.chunks.append((0, bytearray()))
        offset = self._segment_bytes
        framed = frame(payload, digest)
        self._segment_bytes = offset + len(framed)
        pending.chunks[-1][1].extend(framed)
        self._offsets.append(offset)
        _add_run(pending.rows, seq, entry.correlation_id, self._segment_first, offset)
        pending.count += 1
        self._tree.append(digest)
        self._size = seq
        self._head = head = digest.hex()
        if pending.count >= self._batch_size:
            self._submit()
            self._sign_if_due()
        return AuditRecord(seq=seq, entry=entry, prev_hash=prev, record_hash=head)

    def _wait_durable(self) -> None:
        target = self._size
        with self._done:
            while self._durable < target and self._failure is None:
                if not self._done.wait(timeout=1.0) and self._thread is not None and not self._thread.is_alive():
                    msg = f"{self._dir}: audit writer thread stopped; records after {self._durable} are not durable"
                    raise IntegrityError(msg)
        self._check_writer()

    def _sign_if_due(self) -> None:
        """Sign when ``sign_every`` records or ``sign_interval_s`` seconds have passed since the last head.

        Counted on appended records so heads land at predictable sizes; the records are made durable
        first, because a head must never vouch for a record a crash could still take away.
        """
        signed = self._heads[-1].size if self._heads else 0
        size = self._size
        if size - signed >= self._sign_every or (
            size > signed and time.monotonic() - self._last_signed_at >= self._sign_interval
        ):
            self._submit()
            self._wait_durable()
            self._sign(size)

    def flush(self) -> None:
        """Make every appended record durable and indexed; sign a head when one is due."""
        if self._writer is None:
            return
        self._submit()
        self._wait_durable()
        self._sign_if_due()

    def _sign(self, size: int) -> SignedTreeHead:
        if self._key is None:
            msg = f"{self._dir}: audit log opened read-only, cannot sign"
            raise IntegrityError(msg)
        head = sign_head(self._key, size, self._tree.root(size))
        self._heads_store.append(head)
        self._heads.append(head)
        self._last_signed_at = time.monotonic()
        return head

    def sign(self) -> SignedTreeHead:
        """Flush, then sign a head over every record."""
        self.flush()
        return self._sign(self._durable)

    def close(self) -> None:
        """Flush, sign a final head if anything is unsigned, and close files (idempotent)."""
        if self._writer is not None:
            self.flush()
            if not self._heads or self._heads[-1].size != self._durable:
                self._sign(self._durable)
            self._queue.put(None)
            if self._thread is not None:
                self._thread.join()
            self._writer.close()
            self._writer = None
        if not self._closed:
            self._index.close()
            self._closed = True

    # ------------------------------------------------------------------ reading

    def _locate(self, seq: int) -> tuple[Path, int]:
        path = self._segments[0][1]
        for first, candidate in self._segments:
            if first > seq:
                break
            path = candidate
        return path, self._offsets[seq - 1]

    def payload(self, seq: int) -> bytes:
        """The stored canonical bytes of record ``seq`` (durable records only)."""
        if not 1 <= seq <= self._durable:
            msg = f"audit record {seq} does not exist (durable records: 1..{self._durable})"
            raise IntegrityError(msg)
        path, offset = self._locate(seq)
        with path.open("rb") as handle:
            handle.seek(offset)
            header = handle.read(_FRAME_HEADER)
            return handle.read(int.from_bytes(header[:4], "little"))

    def record(self, seq: int) -> AuditRecord:
        """Record ``seq``, decoded."""
        return decode_record(self.payload(seq), f"audit record {seq}")

    def records(self, correlation_id: str | None = None) -> Iterator[AuditRecord]:
        """Durable records in sequence order, optionally only one cycle's (via the index)."""
        self.flush()
        seqs = range(1, self._durable + 1) if correlation_id is None else self._index.seqs(self._log_id, correlation_id)
        for seq in seqs:
            yield self.record(seq)

    def refresh(self) -> int:
        """Read-only: take in the records and heads a live writer added since this reader looked.

        Returns how many records were added. A half-written tail is left for the next look; damage
        raises ``IntegrityError``. Lets a long-lived reader (the API) follow the daemon's log
        without rescanning it.
        """
        if self._closed:
            msg = f"{self._dir}: audit log is closed"
            raise IntegrityError(msg)
        if self._writer is not None:
            return 0
        self._heads = self._heads_store.load()[0]
        directory, added = self._dir / SEGMENTS_DIR, 0
        while True:
            seq = self._size + 1
            if self._segments and seq - self._segments[-1][0] < self._per_segment:
                path, pos, fresh = self._segments[-1][1], self._tail_end, False
            else:
                path, pos, fresh = segment_path(directory, seq), 0, True
            if not path.exists():
                break
            part = scan_tail(path, seq, pos, self._head)
            if part.problem is not None:
                msg = f"{self._dir}: audit log is damaged: {part.problem}"
                raise IntegrityError(msg)
            if fresh:
                if part.torn_at == 0:
                    break
                self._segments.append((seq, path))
            count = len(part.leaves) // 32
            self._tree.extend(part.leaves)
            self._offsets.extend(part.offsets)
            self._size = self._durable = self._size + count
            if count:
                self._head = part.leaves[-32:].hex()
            self._tail_end, added = part.end, added + count
            if self._size + 1 - self._segments[-1][0] < self._per_segment:
                break
        if added:
            self._catch_up_index()
        return added

    def newest(
        self, step: str | None = None, limit: int = 1, where: Callable[[AuditRecord], bool] | None = None
    ) -> list[AuditRecord]:
        """Up to ``limit`` durable records, newest first, of ``step`` (any if ``None``) that satisfy ``where``.

        Reads backwards one segment at a time, so "the last risk decision" costs a few records, not
        a scan of the whole log (what the API's dashboards ask for).
        """
        found: list[AuditRecord] = []
        seq = self._durable
        while seq >= 1 and len(found) < limit:
            path, _ = self._locate(seq)
            first = int(path.stem)
            data = path.read_bytes()
            for current in range(seq, first - 1, -1):
                offset = self._offsets[current - 1]
                length = int.from_bytes(data[offset : offset + 4], "little")
                payload = data[offset + _FRAME_HEADER : offset + _FRAME_HEADER + length]
                if step is not None and f'"step":{_esc(step)},'.encode() not in payload:
                    continue
                record = decode_record(payload, f"audit record {current}")
                if (step is None or record.entry.step == step) and (where is None or where(record)):
                    found.append(record)
                    if len(found) >= limit:
                        break
            seq = first - 1
        return found

    def verify(self, public_key: Ed25519PublicKey | None = None) -> VerifyResult:
        """Sign the current state (when writable), then re-read the files and verify everything."""
        if self._writer is not None and (not self._heads or self._heads[-1].size != self._size):
            self.sign()
        return verify_directory(self._dir, public_key or self._public)

    # ------------------------------------------------------------------ proofs

    def root(self, size: int | None = None) -> bytes:
        """Merkle root of the first ``size`` records (all by default)."""
        return self._tree.root(size)

    def inclusion_proof(self, seq: int, tree_size: int) -> list[bytes]:
        """Audit path of record ``seq`` in the tree of ``tree_size`` records."""
        try:
            return self._tree.inclusion_proof(seq - 1, tree_size)
        except ValueError as exc:
            msg = f"audit record {seq}: {exc}"
            raise IntegrityError(msg) from None

    def consistency_proof(self, first: int, second: int) -> list[bytes]:
        """Proof that the tree of ``first`` records is a prefix of the tree of ``second``."""
        try:
            return self._tree.consistency_proof(first, second)
        except ValueError as exc:
            raise IntegrityError(str(exc)) from None

    def _head_of_size(self, size: int | None) -> SignedTreeHead:
        if not self._heads:
            msg = f"{self._dir}: no signed tree head yet"
            raise IntegrityError(msg)
        if size is None:
            return self._heads[-1]
        for head in self._heads:
            if head.size == size:
                return head
        sizes = ", ".join(str(h.size) for h in self._heads)
        msg = f"no signed tree head of size {size} (signed sizes: {sizes})"
        raise IntegrityError(msg)

    def inclusion_document(self, seq: int, tree_size: int | None = None) -> dict[str, JsonValue]:
        """Everything a third party needs to check record ``seq``: record, path and signed head."""
        head = self._head_of_size(tree_size)
        if not 1 <= seq <= head.size:
            msg = f"audit record {seq} is not covered by the signed tree head of size {head.size}"
            raise IntegrityError(msg)
        payload = self.payload(seq)
        return {
            "type": "inclusion",
            "seq": seq,
            "leaf_index": seq - 1,
            "tree_size": head.size,
            "record": payload.decode("utf-8"),
            "leaf_hash": sha256(b"\x00" + payload).hexdigest(),
            "proof": [h.hex() for h in self.inclusion_proof(seq, head.size)],
            "signed_head": dict(head.to_json()),
        }

    def consistency_document(self, first: int, second: int) -> dict[str, JsonValue]:
        """Proof that signed head ``first`` is a prefix of signed head ``second`` (both by tree size)."""
        old, new = self._head_of_size(first), self._head_of_size(second)
        return {
            "type": "consistency",
            "first_size": first,
            "second_size": second,
            "proof": [h.hex() for h in self.consistency_proof(first, second)],
            "first_head": dict(old.to_json()),
            "second_head": dict(new.to_json()),
        }
