"""Build the configured audit log, so the app's wiring is one call."""

from __future__ import annotations

from pathlib import Path

from qgtm_audit._heads import load_or_create_signing_key
from qgtm_audit._index import PostgresAuditIndex
from qgtm_audit._log import MerkleAuditLog
from qgtm_core.config import AuditConfig

__all__ = ["DEFAULT_SIGNING_KEY", "open_merkle_log"]

DEFAULT_SIGNING_KEY = "audit-signing.key"


def open_merkle_log(directory: Path, config: AuditConfig, var_dir: Path) -> MerkleAuditLog:
    """The Merkle log in ``directory`` as ``[audit]`` says: key (default ``<var_dir>/audit-signing.key``,
    created with its ``.pub`` on first use), PostgreSQL index when ``index_url`` is set, batching and
    signing cadence."""
    key = load_or_create_signing_key(config.signing_key or var_dir / DEFAULT_SIGNING_KEY)
    return MerkleAuditLog(
        directory,
        signing_key=key,
        index=PostgresAuditIndex(config.index_url) if config.index_url else None,
        batch_size=config.batch_size,
        sign_every=config.sign_every,
        sign_interval_s=config.sign_interval_s,
        segment_records=config.segment_records,
    )
