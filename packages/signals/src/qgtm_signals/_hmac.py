"""HMAC-SHA256 signatures of webhook bodies, Stripe-style: the timestamp is signed with the body.

Signing ``"{timestamp}.{body}"`` (not the body alone) stops a captured request being replayed
later: the receiver checks the signature and that the timestamp is recent.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

__all__ = ["SIGNATURE_HEADER", "TIMESTAMP_HEADER", "sign_body", "verify_signature"]

SIGNATURE_HEADER = "X-QGTM-Signature"
TIMESTAMP_HEADER = "X-QGTM-Timestamp"
_PREFIX = "sha256="


def sign_body(secret: bytes, timestamp: int, body: bytes) -> str:
    """The signature header value for ``body`` sent at unix second ``timestamp``."""
    mac = hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256)
    return _PREFIX + mac.hexdigest()


def verify_signature(
    secret: bytes,
    timestamp: int,
    body: bytes,
    signature: str,
    *,
    now: datetime | None = None,
    tolerance: timedelta = timedelta(minutes=5),
) -> bool:
    """True when ``signature`` matches and, if ``now`` is given, the timestamp is within ``tolerance``."""
    if now is not None and abs(now.timestamp() - timestamp) > tolerance.total_seconds():
        return False
    return hmac.compare_digest(sign_body(secret, timestamp, body), signature)
