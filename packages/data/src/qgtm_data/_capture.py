"""Tick and MBP-10 depth capture: JSON lines appended and fsync'd before ``append`` returns.

A capture process may be killed at any moment. Each record is one line written with a single
``write`` and flushed to disk, so after a restart every acknowledged record is there; at worst the
last line is torn (the write was cut), which ``read_capture`` reports as a quarantine record
instead of failing or silently skipping it.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType

from qgtm_core import DataError
from qgtm_data._batch import QuarantineRecord

__all__ = ["CaptureWriter", "DepthLevel", "Mbp10", "read_capture"]

DEPTH_LEVELS = 10


@dataclass(frozen=True, slots=True)
class DepthLevel:
    """One price level of a book side."""

    price: float
    size: float


@dataclass(frozen=True, slots=True)
class Mbp10:
    """Market by price, 10 levels a side; ``ts_event`` from the venue, ``ts_recv`` on arrival."""

    instrument: str
    ts_event: datetime
    ts_recv: datetime
    bids: Sequence[DepthLevel]
    asks: Sequence[DepthLevel]

    def to_json(self) -> dict[str, object]:
        """JSON-ready form (ISO UTC times)."""
        return {
            "type": "mbp10",
            "instrument": self.instrument,
            "ts_event": self.ts_event.isoformat(),
            "ts_recv": self.ts_recv.isoformat(),
            "bids": [[lvl.price, lvl.size] for lvl in self.bids],
            "asks": [[lvl.price, lvl.size] for lvl in self.asks],
        }


def _check(record: Mbp10) -> None:
    if record.ts_event.tzinfo is None or record.ts_recv.tzinfo is None:
        msg = f"{record.instrument}: capture timestamps must be tz-aware"
        raise DataError(msg)
    for side, levels in (("bids", record.bids), ("asks", record.asks)):
        if len(levels) > DEPTH_LEVELS:
            msg = f"{record.instrument}: {side} has {len(levels)} levels, MBP-10 allows {DEPTH_LEVELS}"
            raise DataError(msg)
        for level in levels:
            if not (math.isfinite(level.price) and level.price > 0 and math.isfinite(level.size) and level.size >= 0):
                msg = f"{record.instrument}: {side} level {level} is not a positive finite price/size"
                raise DataError(msg)


class CaptureWriter:
    """Append-only JSON-lines capture file; each ``append`` is durable when it returns."""

    def __init__(self, path: Path, *, durable: bool = True) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._path = path
        self._durable = durable
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def append(self, record: Mbp10 | Mapping[str, object]) -> None:
        """Write one record (an ``Mbp10`` or a tick mapping) as one line, then fsync."""
        if isinstance(record, Mbp10):
            _check(record)
            body: Mapping[str, object] = record.to_json()
        else:
            body = record
        line = (json.dumps(body, sort_keys=True, separators=(",", ":"), allow_nan=False) + "\n").encode()
        written = os.write(self._fd, line)
        if written != len(line):
            msg = f"{self._path}: short write ({written} of {len(line)} bytes)"
            raise DataError(msg)
        if self._durable:
            os.fsync(self._fd)

    def close(self) -> None:
        """Close the file."""
        os.close(self._fd)

    def __enter__(self) -> CaptureWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def read_capture(path: Path) -> tuple[list[dict[str, object]], list[QuarantineRecord]]:
    """All records, and a quarantine record per line that is not valid JSON (a torn last write)."""
    records: list[dict[str, object]] = []
    rejects: list[QuarantineRecord] = []
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                value = json.loads(raw)
            except ValueError:
                torn = not raw.endswith(b"\n")
                reason = "torn line (write cut by a crash)" if torn else "not valid JSON"
                rejects.append(QuarantineRecord(str(path), number, "*", reason, raw[:80].decode(errors="replace")))
                continue
            if not isinstance(value, dict):
                rejects.append(QuarantineRecord(str(path), number, "*", "not a JSON object", raw[:80].decode()))
                continue
            records.append(value)
    return records, rejects
