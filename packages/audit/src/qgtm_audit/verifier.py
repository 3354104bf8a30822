"""Standalone verifier for QGTM audit proofs: a third party needs only this file and the public key.

It depends on the Python standard library and ``cryptography`` and nothing else from QGTM, so an
auditor can copy it next to a proof and run::

    python verifier.py inclusion proof.json --public-key audit-signing.pub
    python verifier.py consistency proof.json --public-key audit-signing.pub

(or ``python -m qgtm_audit.verifier ...`` where QGTM is installed). Exit status 0 means verified.

Hashing follows RFC 6962 / RFC 9162: leaves are ``SHA-256(0x00 || data)``, interior nodes
``SHA-256(0x01 || left || right)``. A signed tree head signs the RFC 6962 ``TreeHeadSignature``
structure (version 0, signature type 1, timestamp in ms, tree size, root hash) with Ed25519.
The tree size a proof is checked against always comes from the signed head, never from the proof:
a proof that claims another size is rejected rather than trusted.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import struct
import sys
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

__all__ = [
    "HASH_SIZE",
    "ProofError",
    "SignedTreeHead",
    "check_consistency_document",
    "check_inclusion_document",
    "leaf_hash",
    "load_public_key",
    "main",
    "node_hash",
    "root_from_inclusion_proof",
    "tree_head_message",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
_LEAF = b"\x00"
_NODE = b"\x01"
_STH_LAYOUT = struct.Struct(">BBQQ32s")
_V1, _TREE_HASH = 0, 1


class ProofError(ValueError):
    """A proof, a signed head or a key did not verify; the message says what and where."""


def leaf_hash(data: bytes) -> bytes:
    """RFC 6962 leaf hash: the 0x00 prefix keeps a leaf from ever equalling an interior node."""
    return hashlib.sha256(_LEAF + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 6962 interior node hash."""
    return hashlib.sha256(_NODE + left + right).digest()


def _check_hash(value: bytes, what: str) -> None:
    if len(value) != HASH_SIZE:
        msg = f"{what}: expected a {HASH_SIZE}-byte SHA-256 hash, got {len(value)} bytes"
        raise ProofError(msg)


def root_from_inclusion_proof(index: int, size: int, leaf: bytes, proof: list[bytes]) -> bytes:
    """The root implied by an inclusion proof (RFC 9162 section 2.1.3.2), or ``ProofError``."""
    if index < 0 or size <= 0 or index >= size:
        msg = f"inclusion proof: leaf index {index} is outside a tree of size {size}"
        raise ProofError(msg)
    _check_hash(leaf, "inclusion proof: leaf hash")
    fn, sn, result = index, size - 1, leaf
    for position, sibling in enumerate(proof):
        _check_hash(sibling, f"inclusion proof: element {position}")
        if sn == 0:
            msg = f"inclusion proof: too long ({len(proof)} hashes) for leaf {index} of a tree of size {size}"
            raise ProofError(msg)
        if fn & 1 or fn == sn:
            result = node_hash(sibling, result)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            result = node_hash(result, sibling)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        msg = f"inclusion proof: too short ({len(proof)} hashes) for leaf {index} of a tree of size {size}"
        raise ProofError(msg)
    return result


def verify_inclusion(index: int, size: int, leaf: bytes, proof: list[bytes], root: bytes) -> None:
    """Raise ``ProofError`` unless ``proof`` shows leaf ``index`` is in the tree of ``size`` with ``root``."""
    _check_hash(root, "inclusion proof: root hash")
    if root_from_inclusion_proof(index, size, leaf, proof) != root:
        msg = f"inclusion proof: leaf {index} does not lead to the root of the tree of size {size}"
        raise ProofError(msg)


def verify_consistency(first: int, second: int, first_root: bytes, second_root: bytes, proof: list[bytes]) -> None:
    """Raise ``ProofError`` unless the tree of size ``first`` is a prefix of the one of size ``second``.

    RFC 9162 section 2.1.4.2. Equal sizes need an empty proof and equal roots; the empty tree is a
    prefix of every tree (empty proof).
    """
    if first < 0 or second < 0 or first > second:
        msg = f"consistency proof: sizes {first} -> {second} go backwards or are negative"
        raise ProofError(msg)
    if first == second:
        if proof:
            msg = f"consistency proof: trees of equal size {first} need an empty proof, got {len(proof)} hashes"
            raise ProofError(msg)
        if first_root != second_root:
            msg = f"consistency proof: two trees of size {first} have different roots"
            raise ProofError(msg)
        return
    if first == 0:
        if proof:
            msg = f"consistency proof: the empty tree needs an empty proof, got {len(proof)} hashes"
            raise ProofError(msg)
        return
    _check_hash(first_root, "consistency proof: first root")
    _check_hash(second_root, "consistency proof: second root")
    if not proof:
        msg = f"consistency proof: empty proof for sizes {first} -> {second}"
        raise ProofError(msg)
    for position, element in enumerate(proof):
        _check_hash(element, f"consistency proof: element {position}")
    path = [first_root, *proof] if first & (first - 1) == 0 else list(proof)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for element in path[1:]:
        if sn == 0:
            msg = f"consistency proof: too long ({len(proof)} hashes) for sizes {first} -> {second}"
            raise ProofError(msg)
        if fn & 1 or fn == sn:
            fr = node_hash(element, fr)
            sr = node_hash(element, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, element)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        msg = f"consistency proof: too short ({len(proof)} hashes) for sizes {first} -> {second}"
        raise ProofError(msg)
    if fr != first_root or sr != second_root:
        msg = f"consistency proof: does not link the root of size {first} to the root of size {second}"
        raise ProofError(msg)


def tree_head_message(size: int, timestamp_ms: int, root: bytes) -> bytes:
    """The RFC 6962 ``TreeHeadSignature`` bytes that an Ed25519 tree-head signature covers."""
    _check_hash(root, "signed tree head: root hash")
    return _STH_LAYOUT.pack(_V1, _TREE_HASH, timestamp_ms, size, root)


@dataclass(frozen=True, slots=True)
class SignedTreeHead:
    """A signed statement: the log had ``size`` records with ``root`` at ``timestamp_ms``."""

    size: int
    timestamp_ms: int
    root: bytes
    signature: bytes

    def to_json(self) -> dict[str, str | int]:
        """JSON form (hex root, base64 signature) as written to ``heads.jsonl`` and proofs."""
        return {
            "root_hash": self.root.hex(),
            "signature": base64.b64encode(self.signature).decode("ascii"),
            "timestamp_ms": self.timestamp_ms,
            "tree_size": self.size,
        }

    @classmethod
    def from_json(cls, value: object, where: str = "signed tree head") -> SignedTreeHead:
        """Parse the JSON form; every missing or malformed field is a ``ProofError`` naming it."""
        if not isinstance(value, dict):
            msg = f"{where}: expected a JSON object"
            raise ProofError(msg)
        size, stamp = value.get("tree_size"), value.get("timestamp_ms")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            msg = f"{where}: tree_size must be a non-negative integer"
            raise ProofError(msg)
        if not isinstance(stamp, int) or isinstance(stamp, bool) or stamp < 0:
            msg = f"{where}: timestamp_ms must be a non-negative integer"
            raise ProofError(msg)
        root = _hex_field(value, "root_hash", where)
        signature = value.get("signature")
        try:
            raw_signature = base64.b64decode(str(signature), validate=True)
        except ValueError:
            msg = f"{where}: signature is not base64"
            raise ProofError(msg) from None
        return cls(size, stamp, root, raw_signature)

    def verify(self, public_key: Ed25519PublicKey) -> None:
        """Raise ``ProofError`` unless the signature is the key holder's over this exact head."""
        try:
            public_key.verify(self.signature, tree_head_message(self.size, self.timestamp_ms, self.root))
        except InvalidSignature:
            msg = f"signed tree head of size {self.size}: signature does not verify with the given public key"
            raise ProofError(msg) from None


def _hex_field(value: dict[str, object], key: str, where: str) -> bytes:
    raw = value.get(key)
    try:
        decoded = bytes.fromhex(str(raw))
    except ValueError:
        msg = f"{where}: {key} is not hex"
        raise ProofError(msg) from None
    _check_hash(decoded, f"{where}: {key}")
    return decoded


def _hash_list(value: object, where: str) -> list[bytes]:
    if not isinstance(value, list):
        msg = f"{where}: expected a list of hex hashes"
        raise ProofError(msg)
    out: list[bytes] = []
    for position, item in enumerate(value):
        try:
            out.append(bytes.fromhex(str(item)))
        except ValueError:
            msg = f"{where}[{position}]: not hex"
            raise ProofError(msg) from None
    return out


def load_public_key(data: bytes) -> Ed25519PublicKey:
    """An Ed25519 public key from PEM, or from 32 raw bytes written as hex."""
    text = data.strip()
    try:
        if text.startswith(b"-----BEGIN"):
            key = serialization.load_pem_public_key(text)
        else:
            key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(text.decode("ascii")))
    except ValueError as exc:
        msg = f"public key: cannot parse ({exc})"
        raise ProofError(msg) from None
    if not isinstance(key, Ed25519PublicKey):
        msg = f"public key: expected Ed25519, got {type(key).__name__}"
        raise ProofError(msg)
    return key


def _int_field(value: dict[str, object], key: str, where: str) -> int:
    raw = value.get(key)
    if not isinstance(raw, int) or isinstance(raw, bool):
        msg = f"{where}: {key} must be an integer"
        raise ProofError(msg)
    return raw


def check_inclusion_document(document: object, public_key: Ed25519PublicKey) -> str:
    """Verify a ``qgtm audit prove`` document; return a one-line verdict or raise ``ProofError``.

    The record's canonical JSON (if present) is hashed here, so the verdict covers its content.
    """
    if not isinstance(document, dict) or document.get("type") != "inclusion":
        msg = "proof: expected a JSON object with type 'inclusion'"
        raise ProofError(msg)
    head = SignedTreeHead.from_json(document.get("signed_head"), "proof: signed_head")
    head.verify(public_key)
    index = _int_field(document, "leaf_index", "proof")
    if "record" in document:
        leaf = leaf_hash(str(document["record"]).encode("utf-8"))
        if "leaf_hash" in document and _hex_field(document, "leaf_hash", "proof") != leaf:
            msg = "proof: leaf_hash is not the hash of the record given"
            raise ProofError(msg)
    else:
        leaf = _hex_field(document, "leaf_hash", "proof")
    if document.get("tree_size", head.size) != head.size:
        msg = f"proof: claims tree size {document.get('tree_size')} but the signed head says {head.size}"
        raise ProofError(msg)
    verify_inclusion(index, head.size, leaf, _hash_list(document.get("proof"), "proof: proof"), head.root)
    return f"ok: leaf {index} is in the signed tree of size {head.size} (root {head.root.hex()})"


def check_consistency_document(document: object, public_key: Ed25519PublicKey) -> str:
    """Verify a ``qgtm audit consistency`` document whose two tree heads are both signed."""
    if not isinstance(document, dict) or document.get("type") != "consistency":
        msg = "proof: expected a JSON object with type 'consistency'"
        raise ProofError(msg)
    first = SignedTreeHead.from_json(document.get("first_head"), "proof: first_head")
    second = SignedTreeHead.from_json(document.get("second_head"), "proof: second_head")
    first.verify(public_key)
    second.verify(public_key)
    proof = _hash_list(document.get("proof"), "proof: proof")
    verify_consistency(first.size, second.size, first.root, second.root, proof)
    return f"ok: the signed tree of size {first.size} is a prefix of the signed tree of size {second.size}"


def main(argv: list[str] | None = None) -> int:
    """Command line: verify one proof document against a public key; exit 0 only when it holds."""
    parser = argparse.ArgumentParser(
        prog="qgtm-audit-verifier", description="Verify a QGTM audit proof with only the public key."
    )
    parser.add_argument("kind", choices=["inclusion", "consistency"])
    parser.add_argument("proof", type=Path, help="JSON document printed by 'qgtm audit prove/consistency'")
    parser.add_argument("--public-key", type=Path, required=True, help="Ed25519 public key (PEM or hex)")
    args = parser.parse_args(argv)
    try:
        key = load_public_key(Path(args.public_key).read_bytes())
        document = json.loads(Path(args.proof).read_text(encoding="utf-8"))
        check = check_inclusion_document if args.kind == "inclusion" else check_consistency_document
        print(check(document, key))
    except (ProofError, OSError, json.JSONDecodeError) as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
