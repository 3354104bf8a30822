"""Audit records: one per pipeline step per cycle, linked by hash and by correlation id."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from qgtm_core.canonical import JsonValue
from qgtm_core.ids import CorrelationId

__all__ = ["AuditEntry", "AuditRecord", "PipelineStep"]


class PipelineStep(StrEnum):
    """The ten steps, in order; the value is what appears in audit records and metrics."""

    DATA = "01-data"
    FEATURES = "02-features"
    STRATEGIES = "03-strategies"
    AGGREGATION = "04-aggregation"
    REGIME_META = "05-regime-meta"
    COMPLIANCE = "06-compliance"
    RISK = "07-risk"
    ORDER_MANAGEMENT = "08-order-management"
    BROKER = "09-broker"
    AUDIT = "10-audit"


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """What a caller asks the audit log to record; the log assigns sequence and hashes."""

    at: datetime
    correlation_id: CorrelationId
    step: str
    actor: str
    input_digest: str
    output_digest: str
    summary: JsonValue = None


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """A stored entry: sequence number, the previous record's hash and this record's hash."""

    seq: int
    entry: AuditEntry
    prev_hash: str
    record_hash: str
