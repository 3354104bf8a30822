"""Ed25519 signatures in the minisign format, so anyone can check them with the ``minisign`` tool.

Release artifacts (wheels, SBOM) and research artifacts (model cards, configs) are signed here and
verified in-process before the daemon loads them. Format (minisign, prehashed "ED" algorithm):

- public key: ``untrusted comment`` line, then base64("Ed" | key id (8 bytes) | public key (32))
- signature:  ``untrusted comment`` line, base64("ED" | key id | Ed25519(BLAKE2b-512(file))),
  ``trusted comment: ...`` line, base64(Ed25519(signature | trusted comment))
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from qgtm_core.errors import IntegrityError

__all__ = ["MinisignKeyPair", "MinisignPublicKey", "sign_file", "verify_file"]

_PK_ALG = b"Ed"
_SIG_ALG_PREHASHED = b"ED"
_TRUSTED_PREFIX = "trusted comment: "


def _prehash(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=64).digest()


@dataclass(frozen=True)
class MinisignPublicKey:
    """A public key and its 8-byte key id."""

    key_id: bytes
    key: Ed25519PublicKey

    @classmethod
    def parse(cls, text: str) -> MinisignPublicKey:
        """Parse the two-line public key file (or just its base64 line)."""
        lines = [ln for ln in text.strip().splitlines() if not ln.startswith("untrusted comment:")]
        try:
            raw = base64.b64decode(lines[0], validate=True)
        except (IndexError, ValueError) as exc:
            msg = f"malformed minisign public key: {exc}"
            raise IntegrityError(msg) from None
        if len(raw) != 42 or raw[:2] != _PK_ALG:
            msg = "malformed minisign public key: expected 42 bytes starting with 'Ed'"
            raise IntegrityError(msg)
        return cls(raw[2:10], Ed25519PublicKey.from_public_bytes(raw[10:]))

    def to_text(self) -> str:
        """The public key file, byte-compatible with ``minisign -G`` output."""
        raw = self.key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        key_hex = self.key_id[::-1].hex().upper()
        body = base64.b64encode(_PK_ALG + self.key_id + raw).decode()
        return f"untrusted comment: minisign public key {key_hex}\n{body}\n"

    def verify(self, data: bytes, signature_text: str) -> str:
        """Verify a ``.minisig`` text over ``data``; return the trusted comment or raise."""
        lines = signature_text.strip().splitlines()
        if len(lines) != 4 or not lines[2].startswith(_TRUSTED_PREFIX):
            msg = "malformed minisign signature: expected 4 lines with a trusted comment"
            raise IntegrityError(msg)
        try:
            sig_blob = base64.b64decode(lines[1], validate=True)
            global_sig = base64.b64decode(lines[3], validate=True)
        except ValueError as exc:
            msg = f"malformed minisign signature: {exc}"
            raise IntegrityError(msg) from None
        if len(sig_blob) != 74 or sig_blob[:2] != _SIG_ALG_PREHASHED:
            msg = "unsupported minisign signature (only prehashed ED signatures are accepted)"
            raise IntegrityError(msg)
        if sig_blob[2:10] != self.key_id:
            msg = f"signature key id {sig_blob[2:10][::-1].hex().upper()} does not match the public key"
            raise IntegrityError(msg)
        signature = sig_blob[10:]
        trusted = lines[2][len(_TRUSTED_PREFIX) :]
        try:
            self.key.verify(signature, _prehash(data))
            self.key.verify(global_sig, signature + trusted.encode())
        except InvalidSignature:
            msg = "signature verification failed: the data or the trusted comment was altered"
            raise IntegrityError(msg) from None
        return trusted


@dataclass(frozen=True)
class MinisignKeyPair:
    """A signing key. The secret part is stored as PKCS#8 PEM, never printed."""

    key_id: bytes
    private: Ed25519PrivateKey

    @classmethod
    def generate(cls) -> MinisignKeyPair:
        """A fresh key with a random key id."""
        return cls(secrets.token_bytes(8), Ed25519PrivateKey.generate())

    @property
    def public(self) -> MinisignPublicKey:
        """The matching public key."""
        return MinisignPublicKey(self.key_id, self.private.public_key())

    def save(self, secret_path: Path, public_path: Path) -> None:
        """Write the secret key (mode 0600) and the minisign public key file."""
        pem = self.private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        secret_path.parent.mkdir(parents=True, exist_ok=True)
        secret_path.write_bytes(self.key_id.hex().encode() + b"\n" + pem)
        secret_path.chmod(0o600)
        public_path.write_text(self.public.to_text(), encoding="utf-8")

    @classmethod
    def load(cls, secret_path: Path) -> MinisignKeyPair:
        """Read a key written by ``save``."""
        key_line, _, pem = secret_path.read_bytes().partition(b"\n")
        private = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(private, Ed25519PrivateKey):
            msg = f"{secret_path}: not an Ed25519 key"
            raise IntegrityError(msg)
        return cls(bytes.fromhex(key_line.decode()), private)

    def sign(self, data: bytes, trusted_comment: str, untrusted_comment: str = "signature from qgtm") -> str:
        """Return the ``.minisig`` text for ``data``."""
        if "\n" in trusted_comment or "\n" in untrusted_comment:
            msg = "minisign comments must be single lines"
            raise ValueError(msg)
        signature = self.private.sign(_prehash(data))
        global_sig = self.private.sign(signature + trusted_comment.encode())
        blob = base64.b64encode(_SIG_ALG_PREHASHED + self.key_id + signature).decode()
        return (
            f"untrusted comment: {untrusted_comment}\n{blob}\n"
            f"{_TRUSTED_PREFIX}{trusted_comment}\n{base64.b64encode(global_sig).decode()}\n"
        )


def sign_file(key: MinisignKeyPair, path: Path, trusted_comment: str | None = None) -> Path:
    """Write ``<path>.minisig`` next to ``path`` and return its path."""
    comment = trusted_comment or f"file:{path.name}\tsha256:{hashlib.sha256(path.read_bytes()).hexdigest()}"
    sig_path = path.with_name(path.name + ".minisig")
    sig_path.write_text(key.sign(path.read_bytes(), comment), encoding="utf-8")
    return sig_path


def verify_file(public: MinisignPublicKey, path: Path) -> str:
    """Verify ``<path>.minisig``; return the trusted comment or raise ``IntegrityError``."""
    sig_path = path.with_name(path.name + ".minisig")
    if not sig_path.exists():
        msg = f"{path}: no signature file {sig_path.name}"
        raise IntegrityError(msg)
    try:
        return public.verify(path.read_bytes(), sig_path.read_text(encoding="utf-8"))
    except IntegrityError as exc:
        msg = f"{path}: {exc}"
        raise IntegrityError(msg) from None
