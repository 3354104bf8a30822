"""Verify a Merkle audit log directory from its files alone, against its signed tree heads.

Nothing in memory is trusted: the segments are re-read, every frame checksum, sequence number and
chain link re-checked, the Merkle tree rebuilt, and every signed head's signature and root checked.
The latest signed head fixes how many records must exist, so deleting records at the end is caught
too.
"""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from qgtm_audit._chain import GENESIS_HASH, VerifyResult
from qgtm_audit._heads import HeadStore
from qgtm_audit._merkle import MerkleTree
from qgtm_audit._segments import SegmentScan, scan_segments
from qgtm_audit.verifier import ProofError
from qgtm_core import IntegrityError

__all__ = ["HEADS_FILE", "SEGMENTS_DIR", "verify_directory"]

SEGMENTS_DIR = "segments"
HEADS_FILE = "heads.jsonl"


def _scan_failure(scan: SegmentScan) -> VerifyResult | None:
    head = scan.leaves[-32:].hex() if scan.leaves else GENESIS_HASH
    if scan.problem is not None:
        return VerifyResult(False, scan.size, head, scan.bad_seq, scan.problem)
    if scan.torn is not None:
        path, offset = scan.torn
        problem = (
            f"{path.name}: torn or altered final write at byte {offset} (record {scan.size + 1}); "
            "reopening the log for writing recovers it if no signed head covers it"
        )
        return VerifyResult(False, scan.size, head, scan.size + 1, problem)
    return None


def verify_directory(directory: Path, public_key: Ed25519PublicKey) -> VerifyResult:
    """Verify every record and every signed head of the log in ``directory``."""
    scan = scan_segments(directory / SEGMENTS_DIR)
    failure = _scan_failure(scan)
    if failure is not None:
        return failure
    head_hash = scan.leaves[-32:].hex() if scan.leaves else GENESIS_HASH
    try:
        heads, _torn = HeadStore(directory / HEADS_FILE).load()
    except IntegrityError as exc:
        return VerifyResult(False, scan.size, head_hash, None, str(exc))
    if not heads:
        return VerifyResult(
            False, scan.size, head_hash, None, "no signed tree head: the log was never closed or signed"
        )
    tree = MerkleTree(levels=scan.levels) if scan.levels is not None else MerkleTree(bytes(scan.leaves))
    trusted = 0
    for head in heads:
        try:
            head.verify(public_key)
        except ProofError as exc:
            return VerifyResult(False, scan.size, head_hash, None, str(exc))
        if head.size > scan.size:
            problem = f"signed tree head covers {head.size} records but only {scan.size} exist (records deleted)"
            return VerifyResult(False, scan.size, head_hash, scan.size + 1, problem)
        if head.size < trusted:
            problem = f"signed tree head of size {head.size} follows one of size {trusted}: heads went backwards"
            return VerifyResult(False, scan.size, head_hash, None, problem)
        if tree.root(head.size) != head.root:
            problem = f"records {trusted + 1}..{head.size} do not match the signed tree head of size {head.size}"
            return VerifyResult(False, scan.size, head_hash, trusted + 1, problem)
        trusted = head.size
    latest = heads[-1]
    if latest.size < scan.size:
        problem = (
            f"records {latest.size + 1}..{scan.size} are not covered by a signed tree head "
            "(added after the last head, or the writer stopped without signing)"
        )
        return VerifyResult(False, scan.size, head_hash, latest.size + 1, problem)
    return VerifyResult(
        True,
        scan.size,
        head_hash,
        signed_size=latest.size,
        root_hash=latest.root.hex(),
    )
