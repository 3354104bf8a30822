"""Signed tree heads on disk (``heads.jsonl``, one JSON object a line) and the signing key.

Heads are appended and fsynced only after the records they cover are durable, so a head never
vouches for something a crash can take away. A torn final line (no newline) is the only thing a
writer may cut; a malformed complete line is damage and is reported.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from qgtm_audit.verifier import ProofError, SignedTreeHead, load_public_key, tree_head_message
from qgtm_core import IntegrityError

__all__ = [
    "HeadStore",
    "load_or_create_signing_key",
    "load_public_key_file",
    "public_key_pem",
    "sign_head",
]


def sign_head(key: Ed25519PrivateKey, size: int, root: bytes, at: datetime | None = None) -> SignedTreeHead:
    """Sign (size, root, time) as an RFC 6962 tree head."""
    stamp = int((at or datetime.now(UTC)).timestamp() * 1000)
    return SignedTreeHead(size, stamp, root, key.sign(tree_head_message(size, stamp, root)))


def public_key_pem(key: Ed25519PublicKey) -> bytes:
    """SubjectPublicKeyInfo PEM, readable by OpenSSL and by the standalone verifier."""
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def load_public_key_file(path: Path) -> Ed25519PublicKey:
    """An Ed25519 public key from a PEM or hex file, or an ``IntegrityError`` naming the file."""
    try:
        return load_public_key(path.read_bytes())
    except (ProofError, OSError) as exc:
        msg = f"{path}: {exc}"
        raise IntegrityError(msg) from None


def load_or_create_signing_key(path: Path) -> Ed25519PrivateKey:
    """Load the PEM private key at ``path``, creating it (mode 0600) with ``<path>.pub`` beside it.

    The public half is what auditors get; the private half should live outside run directories.
    """
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            msg = f"{path}: expected an Ed25519 private key, got {type(key).__name__}"
            raise IntegrityError(msg)
        return key
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    path.with_name(path.name + ".pub").write_bytes(public_key_pem(key.public_key()))
    return key


class HeadStore:
    """The append-only list of signed tree heads of one log."""

    def __init__(self, path: Path) -> None:
        self._path = path

    def load(self) -> tuple[list[SignedTreeHead], int | None]:
        """All complete heads, and the byte offset of a torn final line (``None`` if there is none)."""
        if not self._path.exists():
            return [], None
        data = self._path.read_bytes()
        heads: list[SignedTreeHead] = []
        pos = 0
        for number, line in enumerate(data.splitlines(keepends=True), start=1):
            if not line.endswith(b"\n"):
                return heads, pos
            where = f"{self._path.name} line {number}"
            try:
                heads.append(SignedTreeHead.from_json(json.loads(line), where))
            except (ProofError, json.JSONDecodeError) as exc:
                msg = f"{where}: malformed signed tree head ({exc})"
                raise IntegrityError(msg) from None
            pos += len(line)
        return heads, None

    def cut(self, offset: int) -> None:
        """Drop a torn final line."""
        with self._path.open("r+b") as handle:
            handle.truncate(offset)
            os.fsync(handle.fileno())

    def append(self, head: SignedTreeHead) -> None:
        """Append and fsync one head."""
        line = json.dumps(head.to_json(), sort_keys=True, separators=(",", ":")).encode() + b"\n"
        with self._path.open("ab") as handle:
            handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())
