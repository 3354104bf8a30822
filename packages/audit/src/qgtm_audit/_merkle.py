"""An in-memory RFC 6962 Merkle tree that caches every complete subtree.

Proofs only ever need hashes of aligned complete subtrees (cached, O(1)) plus the right-edge
partial subtree, which is rebuilt from O(log n) cached pieces, so proofs for a million-leaf tree
take microseconds. Each level is one ``bytearray`` of 32-byte hashes rather than a list of ``bytes``
objects: a million leaves cost 64 MB instead of ~150 MB, and a level is built from the one below
with a single pass over contiguous 64-byte pairs. Leaves are added in batches and the levels above
are filled in lazily, so appending stays cheap.
"""

from __future__ import annotations

import hashlib

from qgtm_audit.verifier import HASH_SIZE, node_hash

__all__ = ["EMPTY_ROOT", "MerkleTree", "build_levels"]

EMPTY_ROOT = hashlib.sha256(b"").digest()
_H = HASH_SIZE


def _split(count: int) -> int:
    """Largest power of two strictly below ``count`` (RFC 6962's ``k``); ``count`` >= 2."""
    return 1 << ((count - 1).bit_length() - 1)


def _parents(level: bytes | bytearray, start: int) -> bytes:
    """Hashes of the complete pairs of ``level`` from node ``start`` (even) on."""
    sha, prefix = hashlib.sha256, b"\x01"
    end = len(level) - len(level) % (2 * _H)
    return b"".join([sha(prefix + level[i : i + 2 * _H]).digest() for i in range(start * _H, end, 2 * _H)])


def build_levels(leaves: bytes | bytearray, max_height: int | None = None) -> list[bytearray]:
    """Every complete-subtree level over concatenated leaf hashes (up to ``max_height``)."""
    levels = [bytearray(leaves)]
    while len(levels[-1]) >= 2 * _H and (max_height is None or len(levels) <= max_height):
        levels.append(bytearray(_parents(levels[-1], 0)))
    return levels


class MerkleTree:
    """Append-only tree; ``levels[h]`` holds the complete subtrees of 2**h leaves, left to right."""

    def __init__(self, leaves: bytes | bytearray = b"", levels: list[bytearray] | None = None) -> None:
        if len(leaves) % _H:
            msg = f"leaf hashes must be {_H} bytes each"
            raise ValueError(msg)
        self._levels = levels if levels is not None else [bytearray(leaves)]
        self._settled = False

    @property
    def size(self) -> int:
        """Number of leaves."""
        return len(self._levels[0]) // _H

    def leaf(self, index: int) -> bytes:
        """The leaf hash at ``index`` (0-based)."""
        return bytes(self._levels[0][index * _H : (index + 1) * _H])

    def append(self, leaf: bytes) -> None:
        """Add one leaf hash (levels above are filled in on the next read)."""
        self._levels[0] += leaf
        self._settled = False

    def extend(self, leaves: bytes) -> None:
        """Add concatenated leaf hashes."""
        if len(leaves) % _H:
            msg = f"leaf hashes must be {_H} bytes each"
            raise ValueError(msg)
        self._levels[0] += leaves
        self._settled = False

    def _settle(self) -> None:
        """Fill in every complete subtree that the appended leaves closed."""
        if self._settled:
            return
        levels, height = self._levels, 0
        while len(levels[height]) >= 2 * _H:
            if height + 1 == len(levels):
                levels.append(bytearray())
            below, above = levels[height], levels[height + 1]
            done = len(above) // _H
            above += _parents(below, 2 * done)
            height += 1
        self._settled = True

    def truncate(self, size: int) -> None:
        """Drop leaves from ``size`` on (recovery of a torn tail that no signed head covers)."""
        for height, level in enumerate(self._levels):
            del level[(size >> height) * _H :]

    def _node(self, height: int, index: int) -> bytes:
        return bytes(self._levels[height][index * _H : (index + 1) * _H])

    def _subtree(self, lo: int, hi: int) -> bytes:
        count = hi - lo
        if count & (count - 1) == 0:
            height = count.bit_length() - 1
            return self._node(height, lo >> height)
        k = _split(count)
        return node_hash(self._subtree(lo, lo + k), self._subtree(lo + k, hi))

    def _check_size(self, size: int) -> None:
        if not 0 <= size <= self.size:
            msg = f"tree size {size} is outside 0..{self.size}"
            raise ValueError(msg)
        self._settle()

    def root(self, size: int | None = None) -> bytes:
        """Merkle tree hash of the first ``size`` leaves (all by default)."""
        size = self.size if size is None else size
        self._check_size(size)
        return EMPTY_ROOT if size == 0 else self._subtree(0, size)

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """RFC 6962 audit path of leaf ``index`` in the tree of ``size`` leaves."""
        self._check_size(size)
        if not 0 <= index < size:
            msg = f"leaf index {index} is outside a tree of size {size}"
            raise ValueError(msg)
        path: list[bytes] = []
        lo, hi = 0, size
        while hi - lo > 1:
            k = _split(hi - lo)
            if index < lo + k:
                path.append(self._subtree(lo + k, hi))
                hi = lo + k
            else:
                path.append(self._subtree(lo, lo + k))
                lo += k
        path.reverse()
        return path

    def consistency_proof(self, first: int, second: int) -> list[bytes]:
        """RFC 6962 proof that the tree of ``first`` leaves is a prefix of the tree of ``second``."""
        self._check_size(second)
        if not 0 <= first <= second:
            msg = f"consistency sizes {first} -> {second} must satisfy 0 <= first <= second"
            raise ValueError(msg)
        if first in (0, second):
            return []
        path: list[bytes] = []
        lo, hi, m, complete = 0, second, first, True
        while True:
            if m == hi - lo:
                if not complete:
                    path.append(self._subtree(lo, hi))
                break
            k = _split(hi - lo)
            if m <= k:
                path.append(self._subtree(lo + k, hi))
                hi = lo + k
            else:
                path.append(self._subtree(lo, lo + k))
                lo, m, complete = lo + k, m - k, False
        path.reverse()
        return path
