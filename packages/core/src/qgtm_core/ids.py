"""Typed identifiers, so an instrument id can never be passed where an order id is expected.

Correlation ids are derived, not random: the same cycle (same clock time and sequence number)
always gets the same id, so a restarted daemon re-derives the ids (and client order ids) it had
already used and the broker can refuse a duplicate.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from typing import NewType

__all__ = [
    "ClientOrderId",
    "CorrelationId",
    "ExecutionId",
    "InstrumentId",
    "StrategyId",
    "client_order_id_for",
    "correlation_id_for",
    "parse_correlation_id",
]

InstrumentId = NewType("InstrumentId", str)
StrategyId = NewType("StrategyId", str)
CorrelationId = NewType("CorrelationId", str)
ClientOrderId = NewType("ClientOrderId", str)
ExecutionId = NewType("ExecutionId", str)

_CORRELATION_RE = re.compile(r"^sig-(\d{8})-(\d{6})-([0-9a-f]{4})$")


def correlation_id_for(at: datetime, cycle: int, namespace: str = "qgtm") -> CorrelationId:
    """Return ``sig-YYYYMMDD-HHMMSS-xxxx`` for the cycle that runs at ``at``.

    The suffix is a hash of the namespace, the exact instant and the cycle number, so it is
    deterministic across restarts yet distinct for two cycles in the same second.
    """
    if at.tzinfo is None:
        msg = "correlation ids need a timezone-aware time"
        raise ValueError(msg)
    utc = at.astimezone(UTC)
    digest = hashlib.sha256(f"{namespace}|{utc.isoformat()}|{cycle}".encode()).hexdigest()[:4]
    return CorrelationId(f"sig-{utc:%Y%m%d}-{utc:%H%M%S}-{digest}")


def parse_correlation_id(value: str) -> CorrelationId:
    """Validate a correlation id typed by a user (CLI, API) and return it typed."""
    if not _CORRELATION_RE.match(value):
        msg = f"not a correlation id: {value!r} (expected sig-YYYYMMDD-HHMMSS-xxxx)"
        raise ValueError(msg)
    return CorrelationId(value)


def client_order_id_for(correlation_id: CorrelationId, instrument: InstrumentId, leg: str) -> ClientOrderId:
    """Derive the idempotency key of one order leg of one cycle.

    Brokers cap client order ids (Alpaca: 128 chars, IB: int order ids mapped separately), so the
    id stays short: the correlation id plus a 10-hex digest of instrument and leg.
    """
    digest = hashlib.sha256(f"{correlation_id}|{instrument}|{leg}".encode()).hexdigest()[:10]
    return ClientOrderId(f"{correlation_id}-{digest}")
