"""The bytes of one audit record, and how its hash and chain link are read back cheaply.

A record is the canonical JSON (``qgtm_core.canonical``) of ``{"entry": ..., "prev_hash": ...,
"seq": ...}``. Because keys are sorted, every record *ends* with ``"prev_hash":"<hex>","seq":<n>}``,
so a verifier checks the chain with one ``endswith`` per record instead of parsing JSON: that is
what makes verifying a million records fit in a couple of seconds. The record's hash is its RFC 6962
leaf hash, so the chain link and the Merkle leaf are the same value.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from enum import Enum
from json.encoder import encode_basestring

from qgtm_audit.verifier import leaf_hash
from qgtm_core import AuditEntry, AuditRecord, CorrelationId, IntegrityError, JsonValue, to_jsonable

__all__ = ["GENESIS_PREV", "chain_suffix", "decode_record", "encode_record"]

GENESIS_PREV = "0" * 64

_esc = encode_basestring
_dumps = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode


def _iso(at: datetime) -> str:
    """Canonical time text; cached because the ten records of one cycle share their timestamp.

    The cache is one tuple replaced atomically, so logs appending in several threads cannot pair
    one record's time with another's text.
    """
    cached_at, cached_iso = _ISO_CACHE[0]
    if at is cached_at:
        return cached_iso
    if at.tzinfo is None:
        msg = f"naive datetime {at!r}: audit times must be timezone-aware"
        raise ValueError(msg)
    text = at.astimezone(UTC).isoformat()
    _ISO_CACHE[0] = (at, text)
    return text


_ISO_CACHE: list[tuple[datetime | None, str]] = [(None, "")]


def _fast_json(value: object) -> str | None:
    """Canonical JSON of plain values (the usual summaries), or ``None`` to take the general path.

    Same bytes as ``json`` with the canonical options (``float.__repr__``, sorted keys, no ASCII
    escaping), several times faster for small dicts; anything unusual (non-finite floats, non-string
    keys, other types) is left to ``to_jsonable``.
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        return None
    if isinstance(value, str):
        return _esc(value)
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        return float.__repr__(value) if math.isfinite(value) else None
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            return None
        parts = []
        for key in sorted(value):
            item = _fast_json(value[key])
            if item is None:
                return None
            parts.append(f"{_esc(key)}:{item}")
        return "{" + ",".join(parts) + "}"
    if isinstance(value, list | tuple):
        items = []
        for element in value:
            item = _fast_json(element)
            if item is None:
                return None
            items.append(item)
        return "[" + ",".join(items) + "]"
    return None


def encode_record(seq: int, entry: AuditEntry, prev_hash: str) -> bytes:
    """Canonical bytes of a record; equal to ``canonical_bytes({"entry", "prev_hash", "seq"})``.

    Written out by hand because ``canonical_bytes`` walks every field generically and the append
    path must stay within a few microseconds; a property test pins the equality.
    """
    summary = _fast_json(entry.summary)
    if summary is None:
        summary = _dumps(to_jsonable(entry.summary))
    return (
        f'{{"entry":{{"actor":{_esc(entry.actor)},"at":"{_iso(entry.at)}",'
        f'"correlation_id":{_esc(entry.correlation_id)},"input_digest":{_esc(entry.input_digest)},'
        f'"output_digest":{_esc(entry.output_digest)},"step":{_esc(entry.step)},"summary":{summary}}},'
        f'"prev_hash":"{prev_hash}","seq":{seq}}}'
    ).encode()


def chain_suffix(seq: int, prev_hash: str) -> bytes:
    """The bytes every record ``seq`` linked to ``prev_hash`` must end with."""
    return f'}},"prev_hash":"{prev_hash}","seq":{seq}}}'.encode()


def decode_record(payload: bytes, where: str) -> AuditRecord:
    """Parse a stored record; a malformed one is an ``IntegrityError`` naming ``where``."""
    try:
        value = json.loads(payload)
        entry_json = value["entry"]
        entry = AuditEntry(
            at=datetime.fromisoformat(entry_json["at"]),
            correlation_id=CorrelationId(entry_json["correlation_id"]),
            step=str(entry_json["step"]),
            actor=str(entry_json["actor"]),
            input_digest=str(entry_json["input_digest"]),
            output_digest=str(entry_json["output_digest"]),
            summary=_json(entry_json.get("summary")),
        )
        return AuditRecord(
            seq=int(value["seq"]), entry=entry, prev_hash=str(value["prev_hash"]), record_hash=leaf_hash(payload).hex()
        )
    except (ValueError, KeyError, TypeError) as exc:
        msg = f"{where}: malformed audit record ({exc})"
        raise IntegrityError(msg) from None


def _json(value: object) -> JsonValue:
    """Narrow a decoded JSON value (``json.loads`` returns ``Any``) to ``JsonValue``."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list):
        return [_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json(v) for k, v in value.items()}
    msg = f"not a JSON value: {type(value).__name__}"
    raise TypeError(msg)
