"""Content-addressed, append-only Parquet store with a SHA-256 manifest.

Layout: ``{root}/{instrument}/{feed}/{date}/{sha256[:16]}.parquet`` plus ``{root}/manifest.json``.
A shard's name is its content hash, so a shard is never rewritten: ingesting the same rows again
writes nothing, and a revised vintage lands in a new shard next to the old one. Writers take an
exclusive lock on ``{root}/.writer.lock`` so two ingest processes cannot lose manifest entries. ``{date}`` is the
first day of the shard's partition (a calendar year for daily data, a day for intraday data).
"""

from __future__ import annotations

import fcntl
import hashlib
import io
import json
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from pathlib import Path

import polars as pl

from qgtm_core import DataError, IntegrityError

__all__ = ["Partition", "ShardEntry", "ShardProblem", "ShardStore", "VerifyReport"]

MANIFEST = "manifest.json"
LOCK = ".writer.lock"


class Partition(StrEnum):
    """How rows are split into shards by their ``session`` date."""

    DECADE = "decade"
    YEAR = "year"
    DAY = "day"


@dataclass(frozen=True, slots=True)
class ShardEntry:
    """One manifest line."""

    path: str
    sha256: str
    rows: int
    instrument: str
    feed: str


@dataclass(frozen=True, slots=True)
class ShardProblem:
    """A shard that does not match the manifest: ``corrupted``, ``missing`` or ``extra``."""

    kind: str
    path: str
    detail: str


@dataclass(frozen=True)
class VerifyReport:
    """Outcome of ``ShardStore.verify``."""

    shards: int
    problems: tuple[ShardProblem, ...]

    @property
    def ok(self) -> bool:
        """True when every manifest shard is present and intact and nothing else is there."""
        return not self.problems


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _parquet_bytes(frame: pl.DataFrame) -> bytes:
    """Deterministic Parquet encoding: same rows and schema, same bytes (same polars version)."""
    buffer = io.BytesIO()
    frame.write_parquet(buffer, compression="zstd", compression_level=3, statistics=True)
    return buffer.getvalue()


@dataclass
class ShardStore:
    """The store under ``root``; ``read`` records every shard hash it used in ``hashes_read``."""

    root: Path
    hashes_read: list[str] = field(default_factory=list)
    _cache: tuple[tuple[int, int], dict[str, ShardEntry]] | None = field(default=None, repr=False)

    # ------------------------------------------------------------------ manifest

    def manifest(self) -> dict[str, ShardEntry]:
        """Manifest entries by path (empty for a new store)."""
        path = self.root / MANIFEST
        if not path.is_file():
            return {}
        info = path.stat()
        stamp = (info.st_mtime_ns, info.st_size)
        if self._cache is not None and self._cache[0] == stamp:
            return dict(self._cache[1])
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            entries = {e["path"]: ShardEntry(**e) for e in raw["shards"]}
        except (ValueError, KeyError, TypeError) as exc:
            msg = f"{path}: unreadable store manifest ({exc})"
            raise IntegrityError(msg) from exc
        self._cache = (stamp, entries)
        return dict(entries)

    def _save_manifest(self, entries: dict[str, ShardEntry]) -> None:
        body = {
            "version": 1,
            "shards": [
                {"path": e.path, "sha256": e.sha256, "rows": e.rows, "instrument": e.instrument, "feed": e.feed}
                for e in sorted(entries.values(), key=lambda e: e.path)
            ],
        }
        target = self.root / MANIFEST
        tmp = target.with_suffix(".tmp")
        tmp.write_text(json.dumps(body, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        os.replace(tmp, target)

    # ------------------------------------------------------------------ write

    def write(self, instrument: str, feed: str, frame: pl.DataFrame, partition: Partition) -> list[ShardEntry]:
        """Write ``frame`` (needs a ``session`` Date column) as immutable shards; returns new entries.

        A shard whose hash is already in the manifest is not written again.
        """
        if "session" not in frame.columns:
            msg = f"{instrument}/{feed}: frame has no 'session' column to partition by"
            raise DataError(msg)
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / LOCK).open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # one writer at a time; released when the file closes
            return self._write_locked(instrument, feed, frame, partition)

    def _write_locked(self, instrument: str, feed: str, frame: pl.DataFrame, partition: Partition) -> list[ShardEntry]:
        entries = self.manifest()
        written: list[ShardEntry] = []
        for start, part in self._partitions(frame, partition):
            data = _parquet_bytes(part.sort(["as_of", "available_at"]))
            digest = _sha256(data)
            relative = f"{instrument}/{feed}/{start.isoformat()}/{digest[:16]}.parquet"
            if relative in entries:
                continue
            target = self.root / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_suffix(".tmp")
            tmp.write_bytes(data)
            os.replace(tmp, target)
            target.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
            entry = ShardEntry(relative, digest, part.height, instrument, feed)
            entries[relative] = entry
            written.append(entry)
        if written:
            self._save_manifest(entries)
        return written

    @staticmethod
    def _partitions(frame: pl.DataFrame, partition: Partition) -> Iterator[tuple[date, pl.DataFrame]]:
        session = pl.col("session")
        if partition is Partition.DECADE:
            start = pl.date(session.dt.year() // 10 * 10, 1, 1)
        elif partition is Partition.YEAR:
            start = session.dt.truncate("1y")
        else:
            start = session
        keyed = frame.with_columns(start.alias("__part"))
        for (first,), part in sorted(keyed.group_by("__part"), key=lambda kv: kv[0]):
            if not isinstance(first, date):
                msg = f"partition key {first!r} is not a date"
                raise DataError(msg)
            yield first, part.drop("__part")

    # ------------------------------------------------------------------ read

    def feeds(self) -> list[tuple[str, str]]:
        """All ``(instrument, feed)`` pairs in the store."""
        return sorted({(e.instrument, e.feed) for e in self.manifest().values()})

    def read(self, instrument: str, feed: str) -> pl.DataFrame:
        """All stored rows of one feed (every vintage), hash-checked, sorted by ``available_at``."""
        entries = [e for e in self.manifest().values() if e.instrument == instrument and e.feed == feed]
        if not entries:
            msg = f"{self.root}: no shards for {instrument}/{feed}"
            raise DataError(msg)
        frames = []
        for entry in sorted(entries, key=lambda e: e.path):
            data = self._checked_bytes(entry)
            frames.append(pl.read_parquet(io.BytesIO(data)))
            self.hashes_read.append(entry.sha256)
        return pl.concat(frames, how="vertical").sort(["available_at", "as_of"])

    def _checked_bytes(self, entry: ShardEntry) -> bytes:
        path = self.root / entry.path
        if not path.is_file():
            msg = f"{path}: shard listed in the manifest is missing"
            raise IntegrityError(msg)
        data = path.read_bytes()
        if _sha256(data) != entry.sha256:
            msg = f"{path}: shard content does not match its manifest hash {entry.sha256}"
            raise IntegrityError(msg)
        return data

    # ------------------------------------------------------------------ verify

    def verify(self) -> VerifyReport:
        """Re-hash every shard; name each corrupted, missing or extra file."""
        entries = self.manifest()
        problems: list[ShardProblem] = []
        for entry in sorted(entries.values(), key=lambda e: e.path):
            path = self.root / entry.path
            if not path.is_file():
                problems.append(ShardProblem("missing", entry.path, "listed in the manifest, not on disk"))
                continue
            actual = _sha256(path.read_bytes())
            if actual != entry.sha256:
                problems.append(ShardProblem("corrupted", entry.path, f"sha256 {actual} != manifest {entry.sha256}"))
        if self.root.is_dir():
            for path in sorted(self.root.rglob("*")):
                relative = path.relative_to(self.root).as_posix()
                if path.is_file() and relative not in (MANIFEST, LOCK) and relative not in entries:
                    problems.append(ShardProblem("extra", relative, "on disk, not in the manifest"))
        return VerifyReport(shards=len(entries), problems=tuple(problems))
