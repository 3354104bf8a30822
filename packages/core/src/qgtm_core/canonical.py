"""One canonical JSON serialisation for everything QGTM hashes.

Audit digests, run manifests and determinism tests all need "the same value gives the same bytes".
Rules: keys sorted, no whitespace, UTF-8; ``Decimal`` as its string; datetimes as ISO-8601 UTC;
enums by value; floats by ``repr`` (shortest round trip) with NaN/inf spelled out; dataclasses as
mappings of their fields; objects may define ``__canonical__`` to choose a cheaper fingerprint;
polars frames as their schema, height and the SHA-256 of their CSV text.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from pathlib import PurePath
from typing import TypeAlias

import polars as pl

__all__ = ["JsonValue", "canonical_bytes", "digest", "to_jsonable"]

JsonValue: TypeAlias = str | int | float | bool | list["JsonValue"] | dict[str, "JsonValue"] | None


def _float(value: float) -> JsonValue:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def to_jsonable(value: object) -> JsonValue:
    """Convert a domain value into plain JSON values under the canonical rules."""
    canonical = getattr(value, "__canonical__", None)
    if canonical is not None and callable(canonical):
        return to_jsonable(canonical())
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, Enum):
        return to_jsonable(value.value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            msg = f"naive datetime {value!r} cannot be serialised canonically"
            raise ValueError(msg)
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, PurePath):
        return value.as_posix()
    if isinstance(value, pl.DataFrame):
        csv = value.write_csv().encode()
        return {
            "schema": {k: str(v) for k, v in value.schema.items()},
            "rows": value.height,
            "sha256": hashlib.sha256(csv).hexdigest(),
        }
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [to_jsonable(v) for v in value]
        if isinstance(value, set | frozenset):
            items.sort(key=lambda v: json.dumps(v, sort_keys=True))
        return items
    msg = f"no canonical form for {type(value).__name__}"
    raise TypeError(msg)


def canonical_bytes(value: object) -> bytes:
    """The canonical UTF-8 JSON bytes of ``value``."""
    return json.dumps(
        to_jsonable(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def digest(value: object) -> str:
    """Hex SHA-256 of the canonical bytes."""
    return hashlib.sha256(canonical_bytes(value)).hexdigest()
