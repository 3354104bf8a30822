"""Append-only segment files: a 16-byte header, then frames of ``length | checksum | record``.

The checksum is the first four bytes of the record's RFC 6962 leaf hash: the writer computes that
hash anyway, so framing costs no extra pass over the bytes, and a reader that checks it has also
hashed the leaf. The framing lets a reader tell a torn final write (the writer died mid-append: the
last frame runs to or past the end of the file, or the tail is zero fill) from damage anywhere else,
which is never repaired silently. Scanning re-checks sequence numbers and the hash chain, so the same
pass serves ``verify`` and reopening a log.

Every segment holds exactly ``2**k`` records (the last one fewer), so each full segment is one
complete Merkle subtree: segments are scanned and their subtrees built in parallel processes, and
the pieces are concatenated into the whole tree. That is what keeps verifying a million records
within a few seconds on a two-core machine.
"""

from __future__ import annotations

import multiprocessing
import os
import struct
import threading
from array import array
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from hashlib import sha256
from pathlib import Path

from qgtm_audit._merkle import build_levels
from qgtm_audit._record import GENESIS_PREV

__all__ = [
    "SEGMENT_HEADER_SIZE",
    "SEGMENT_SUFFIX",
    "SegmentScan",
    "SegmentWriter",
    "frame",
    "scan_segments",
    "scan_tail",
    "segment_path",
    "truncate_torn",
]

SEGMENT_SUFFIX = ".seg"
_MAGIC = b"QGTMSEG1"
_HEADER = struct.Struct("<8sQ")
SEGMENT_HEADER_SIZE = _HEADER.size
_FRAME = struct.Struct("<I4s")
_PREV_KEY = b'},"prev_hash":"'
_PARALLEL_BYTES = 16 * 1024 * 1024  # below this, starting worker processes costs more than it saves


def segment_path(directory: Path, first_seq: int) -> Path:
    """Segments are named by their first sequence number, zero-padded so names sort in order."""
    return directory / f"{first_seq:020d}{SEGMENT_SUFFIX}"


def frame(payload: bytes, digest: bytes) -> bytes:
    """One framed record; ``digest`` is the record's leaf hash."""
    return _FRAME.pack(len(payload), digest[:4]) + payload


@dataclass
class _Segment:
    """What one segment holds: its good records and, if any, where and why reading stopped."""

    path: Path
    first_seq: int
    leaves: bytes = b""
    offsets: array[int] = field(default_factory=lambda: array("Q"))
    levels: list[bytearray] = field(default_factory=list)
    first_prev: bytes = b""
    torn_at: int | None = None
    problem: str | None = None
    bad_seq: int | None = None
    end: int = 0


def _chain_problem(payload: bytes, seq: int) -> tuple[str, int]:
    """Name the first bad record when a record does not end as record ``seq`` linked to its predecessor."""
    if not payload.endswith(b',"seq":%d}' % seq):
        return f"record {seq} is missing, inserted or out of order (the record in its place is not number {seq})", seq
    if seq == 1:
        return "record 1 does not link to the genesis hash", 1
    return f"record {seq - 1} was altered (record {seq} links to a different hash)", seq - 1


def _claimed_prev(payload: bytes, seq: int) -> bytes:
    """The predecessor hash (hex) a record claims, or ``b""`` when its tail is not well formed."""
    tail = b'","seq":%d}' % seq
    if not payload.endswith(tail):
        return b""
    end = len(payload) - len(tail)
    start = end - 64
    if payload[start - len(_PREV_KEY) : start] != _PREV_KEY:
        return b""
    return payload[start:end]


def _is_torn(data: bytes, pos: int, stop: int, last_segment: bool) -> bool:
    """A bad frame is a torn write only at the very end of the newest segment."""
    if not last_segment:
        return False
    end = len(data)
    return stop >= end or data.count(0, pos) == end - pos


def _scan_one(path: Path, first_seq: int, last_segment: bool) -> _Segment:
    """Read one segment: framing, checksums, sequence numbers and the chain after its first record."""
    seg = _Segment(path, first_seq)
    data = path.read_bytes()
    if len(data) < _HEADER.size:
        if last_segment:
            seg.torn_at = 0
        else:
            seg.problem = f"{path.name}: truncated segment header"
        seg.bad_seq = first_seq
        return seg
    magic, first = _HEADER.unpack_from(data)
    if magic != _MAGIC or first != first_seq:
        seg.problem, seg.bad_seq = f"{path.name}: bad segment header (expected first record {first_seq})", first_seq
        return seg
    _scan_frames(seg, data, _HEADER.size, first_seq, b"", last_segment)
    seg.levels = build_levels(seg.leaves)
    return seg


def scan_tail(path: Path, seq: int, pos: int, prev_hex: str) -> _Segment:
    """Frames of ``path`` from byte ``pos`` on, starting with record ``seq`` linked to ``prev_hex``.

    What a reader uses to take in records a live writer appended since it last looked.
    """
    seg = _Segment(path, seq)
    data = path.read_bytes()
    if pos == 0:
        if len(data) < _HEADER.size:
            seg.torn_at, seg.bad_seq = 0, seq
            return seg
        magic, first = _HEADER.unpack_from(data)
        if magic != _MAGIC or first != seq:
            seg.problem, seg.bad_seq = f"{path.name}: bad segment header (expected first record {seq})", seq
            return seg
        pos = _HEADER.size
    _scan_frames(seg, data, pos, seq, prev_hex.encode(), last_segment=True)
    return seg


def _scan_frames(seg: _Segment, data: bytes, pos: int, seq: int, prev: bytes, last_segment: bool) -> None:
    """The hot loop: check every frame from ``pos`` and record leaf hashes and offsets in ``seg``."""
    path = seg.path
    leaves, offsets = bytearray(), seg.offsets
    unpack = _FRAME.unpack_from
    end = len(data)
    while pos < end:
        start = pos + _FRAME.size
        if start > end:
            seg.torn_at, seg.bad_seq = pos, seq
            if not last_segment:
                seg.torn_at, seg.problem = None, f"{path.name}: truncated frame header at byte {pos}"
            break
        length, check = unpack(data, pos)
        stop = start + length
        payload = data[start:stop]
        digest = sha256(b"\x00" + payload).digest()
        if length == 0 or stop > end or digest[:4] != check:
            seg.bad_seq = seq
            if _is_torn(data, pos, stop, last_segment):
                seg.torn_at = pos
            else:
                seg.problem = f"{path.name}: record {seq} fails its frame checksum at byte {pos}"
            break
        if not prev:
            seg.first_prev = _claimed_prev(payload, seq)
            if not seg.first_prev:
                seg.problem, seg.bad_seq = _chain_problem(payload, seq)
                break
        elif not payload.endswith(b'},"prev_hash":"%s","seq":%d}' % (prev, seq)):
            seg.problem, seg.bad_seq = _chain_problem(payload, seq)
            break
        leaves += digest
        offsets.append(pos)
        prev, seq, pos = digest.hex().encode(), seq + 1, stop
    seg.leaves = bytes(leaves)
    seg.end = pos  # after the last good frame: where a reader resumes, or a torn write is cut


@dataclass
class SegmentScan:
    """What a scan of all segments found: the good records, their tree levels, and the first problem."""

    leaves: bytearray = field(default_factory=bytearray)
    offsets: array[int] = field(default_factory=lambda: array("Q"))
    segments: list[tuple[int, Path]] = field(default_factory=list)
    levels: list[bytearray] | None = None
    torn: tuple[Path, int] | None = None
    problem: str | None = None
    bad_seq: int | None = None
    end: int = 0  # byte after the last good frame of the last segment read

    @property
    def size(self) -> int:
        """Number of good records."""
        return len(self.leaves) // 32


def _single_threaded() -> bool:
    return threading.active_count() == 1


def _scan_all(paths: list[Path], firsts: list[int]) -> list[_Segment]:
    lasts = [i == len(paths) - 1 for i in range(len(paths))]
    workers = min(os.cpu_count() or 1, len(paths))
    small = sum(p.stat().st_size for p in paths) < _PARALLEL_BYTES
    # Forking is only safe while this process runs a single thread (a daemon with a writer thread
    # verifies serially); fork rather than spawn because the workers need nothing but this
    # module's function, and re-importing the platform (polars included) would cost more than it saves.
    if workers < 2 or small or not _single_threaded():
        return [_scan_one(p, f, last) for p, f, last in zip(paths, firsts, lasts, strict=True)]
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        return list(pool.map(_scan_one, paths, firsts, lasts))


def _merge_levels(parts: list[_Segment]) -> list[bytearray] | None:
    """Concatenate per-segment levels when every segment but the last is one full aligned subtree."""
    full = [len(p.leaves) // 32 for p in parts[:-1]]
    if not full:
        return parts[0].levels if parts else None
    per = full[0]
    if per & (per - 1) or any(n != per for n in full) or any(p.first_seq != 1 + i * per for i, p in enumerate(parts)):
        return None
    height = per.bit_length() - 1
    return [bytearray(b"".join(bytes(p.levels[h]) for p in parts if h < len(p.levels))) for h in range(height + 1)]


def scan_segments(directory: Path) -> SegmentScan:
    """Read every segment in order, checking framing, checksums, sequence and hash chain."""
    scan = SegmentScan()
    paths = sorted(directory.glob(f"*{SEGMENT_SUFFIX}"))
    firsts: list[int] = []
    for path in paths:
        try:
            firsts.append(int(path.stem))
        except ValueError:
            scan.problem, scan.bad_seq = f"{path.name}: not a segment name", 1
            return scan
    parts = _scan_all(paths, firsts)
    prev, expected, good = GENESIS_PREV.encode(), 1, []
    for part in parts:
        if part.first_seq != expected:
            scan.problem = f"{part.path.name}: starts at record {part.first_seq}, expected {expected}"
            scan.bad_seq = expected
            break
        scan.segments.append((part.first_seq, part.path))
        if part.leaves and part.first_prev != prev:
            scan.problem, scan.bad_seq = _boundary_problem(expected)
            break
        good.append(part)
        scan.end = part.end
        scan.leaves += part.leaves
        scan.offsets.extend(part.offsets)
        expected += len(part.leaves) // 32
        if part.leaves:
            prev = part.leaves[-32:].hex().encode()
        if part.problem is not None or part.torn_at is not None:
            scan.problem, scan.bad_seq = part.problem, part.bad_seq
            scan.torn = (part.path, part.torn_at) if part.torn_at is not None else None
            break
    scan.levels = _merge_levels(good)
    return scan


def _boundary_problem(seq: int) -> tuple[str, int]:
    if seq == 1:
        return "record 1 does not link to the genesis hash", 1
    return f"record {seq - 1} was altered (record {seq} links to a different hash)", seq - 1


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class SegmentWriter:
    """Appends framed batches to the newest segment; a new segment starts every ``per_segment`` records."""

    def __init__(self, directory: Path, next_seq: int, current: Path | None) -> None:
        self._directory = directory
        self._fd = -1
        self._first, self._size = next_seq, 0
        if current is None:
            self.roll(next_seq)
        else:
            self._fd = os.open(current, os.O_WRONLY | os.O_APPEND)
            self._first = int(current.stem)
            self._size = os.fstat(self._fd).st_size

    @property
    def first_seq(self) -> int:
        """First sequence number of the segment being written."""
        return self._first

    @property
    def size(self) -> int:
        """Bytes in the segment being written (durable or not)."""
        return self._size

    def roll(self, first_seq: int) -> Path:
        """Start a new segment whose first record is ``first_seq``."""
        path = segment_path(self._directory, first_seq)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o644)
        os.write(fd, _HEADER.pack(_MAGIC, first_seq))
        os.fsync(fd)
        _fsync_dir(self._directory)
        if self._fd >= 0:
            os.close(self._fd)
        self._fd, self._first, self._size = fd, first_seq, _HEADER.size
        return path

    def write(self, data: bytes | bytearray) -> None:
        """Append bytes and make them durable (one ``fsync`` per batch)."""
        view = memoryview(data)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]
        os.fsync(self._fd)

    def close(self) -> None:
        """Close the file (idempotent)."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def truncate_torn(path: Path, offset: int) -> None:
    """Cut a torn final write; a segment torn inside its header is removed entirely."""
    if offset == 0:
        path.unlink()
        _fsync_dir(path.parent)
        return
    with path.open("r+b") as handle:
        handle.truncate(offset)
        handle.flush()
        os.fsync(handle.fileno())
