"""A hash-linked in-memory ``AuditLog`` that also answers traces: the default when none is injected.

Production wiring passes the audit package's durable log; this keeps ``create_app(version)``
usable on its own (notebooks, tests) with the same "every write is an audit record" behaviour.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence

from qgtm_api._views import AuditRecordView
from qgtm_core import AuditEntry, AuditRecord, canonical_bytes

__all__ = ["InMemoryAuditLog"]


class InMemoryAuditLog:
    """Implements ``AuditLog`` and ``AuditReader``."""

    def __init__(self) -> None:
        self.records: list[AuditRecord] = []
        self._lock = threading.Lock()

    def append(self, entry: AuditEntry) -> AuditRecord:
        """Link and store one entry."""
        with self._lock:
            prev = self.records[-1].record_hash if self.records else "0" * 64
            seq = len(self.records) + 1
            record_hash = hashlib.sha256(prev.encode() + canonical_bytes(entry) + str(seq).encode()).hexdigest()
            record = AuditRecord(seq, entry, prev, record_hash)
            self.records.append(record)
            return record

    def flush(self) -> None:
        """Nothing to flush in memory."""

    def trace(self, correlation_id: str) -> Sequence[AuditRecordView]:
        """Records of one correlation id."""
        return [
            AuditRecordView(
                seq=r.seq,
                at=r.entry.at,
                correlation_id=r.entry.correlation_id,
                step=r.entry.step,
                actor=r.entry.actor,
                input_digest=r.entry.input_digest,
                output_digest=r.entry.output_digest,
                prev_hash=r.prev_hash,
                record_hash=r.record_hash,
                summary=r.entry.summary,
            )
            for r in self.records
            if r.entry.correlation_id == correlation_id
        ]
