"""The tamper-evident audit log of QGTM (step 10).

``MerkleAuditLog`` is the verifiable log: hash-chained canonical-JSON records in append-only
segments, an RFC 6962 Merkle tree over them, Ed25519-signed tree heads, and inclusion and
consistency proofs that ``qgtm_audit.verifier`` checks with only the public key.
``SqliteHashChainLog`` is the earlier plain hash chain, kept until every run uses the Merkle log.

from pathlib import Path
from qgtm_audit import MerkleAuditLog, load_or_create_signing_key
key = load_or_create_signing_key(Path("var/audit-signing.key"))
log = MerkleAuditLog(Path("var/runs/run-x/audit"), signing_key=key)
log.close()
"""

from qgtm_audit._chain import GENESIS_HASH, SqliteHashChainLog, VerifyResult, record_hash
from qgtm_audit._config import DEFAULT_SIGNING_KEY, open_merkle_log
from qgtm_audit._heads import load_or_create_signing_key, load_public_key_file, public_key_pem, sign_head
from qgtm_audit._index import AuditIndex, IndexRow, PostgresAuditIndex, SqliteAuditIndex, open_index
from qgtm_audit._log import LOG_FORMAT, MerkleAuditLog, is_merkle_log
from qgtm_audit._merkle import EMPTY_ROOT, MerkleTree
from qgtm_audit._record import encode_record
from qgtm_audit._verify import verify_directory
from qgtm_audit.verifier import (
    ProofError,
    SignedTreeHead,
    leaf_hash,
    node_hash,
    verify_consistency,
    verify_inclusion,
)

__all__ = [
    "DEFAULT_SIGNING_KEY",
    "EMPTY_ROOT",
    "GENESIS_HASH",
    "LOG_FORMAT",
    "AuditIndex",
    "IndexRow",
    "MerkleAuditLog",
    "MerkleTree",
    "PostgresAuditIndex",
    "ProofError",
    "SignedTreeHead",
    "SqliteAuditIndex",
    "SqliteHashChainLog",
    "VerifyResult",
    "encode_record",
    "is_merkle_log",
    "leaf_hash",
    "load_or_create_signing_key",
    "load_public_key_file",
    "node_hash",
    "open_index",
    "open_merkle_log",
    "public_key_pem",
    "record_hash",
    "sign_head",
    "verify_consistency",
    "verify_directory",
    "verify_inclusion",
]
