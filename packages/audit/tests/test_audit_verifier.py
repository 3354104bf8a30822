"""The standalone verifier: a third party with only the file, a proof and the public key."""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import qgtm_audit.verifier as verifier_module
from qgtm_audit import MerkleAuditLog, ProofError, SignedTreeHead, public_key_pem
from qgtm_audit.verifier import check_consistency_document, check_inclusion_document, load_public_key, main
from qgtm_core import AuditEntry, CorrelationId


@pytest.fixture(scope="module")
def proofs(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, Ed25519PrivateKey, dict[str, object], dict[str, object]]:
    key = Ed25519PrivateKey.generate()
    root = tmp_path_factory.mktemp("verifier")
    log = MerkleAuditLog(root / "log", signing_key=key, batch_size=4, sign_every=6, segment_records=8)
    start = datetime(2024, 2, 1, tzinfo=UTC)
    for n in range(21):
        log.append(AuditEntry(start + timedelta(hours=n), CorrelationId(f"c{n // 10}"), "s", "a", "i", "o", {"n": n}))
    log.close()
    log = MerkleAuditLog(root / "log", read_only=True)
    inclusion = log.inclusion_document(13)
    sizes = [h.size for h in log.signed_heads]
    consistency = log.consistency_document(sizes[0], sizes[-1])
    log.close()
    (root / "pub.pem").write_bytes(public_key_pem(key.public_key()))
    return root, key, inclusion, consistency


def test_the_verifier_imports_only_the_standard_library_and_cryptography() -> None:
    tree = ast.parse(Path(verifier_module.__file__).read_text(encoding="utf-8"))
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            roots.add(node.module.split(".")[0])
    assert roots - set(sys.stdlib_module_names) == {"cryptography"}


def _run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    copied = root / "third-party" / "verifier.py"
    copied.parent.mkdir(exist_ok=True)
    shutil.copy(verifier_module.__file__, copied)
    return subprocess.run(
        [sys.executable, "-I", str(copied), *args], capture_output=True, text=True, cwd=copied.parent, check=False
    )


def test_a_copied_verifier_checks_proofs_from_the_command_line(
    proofs: tuple[Path, Ed25519PrivateKey, dict[str, object], dict[str, object]],
) -> None:
    root, _, inclusion, consistency = proofs
    (root / "inclusion.json").write_text(json.dumps(inclusion))
    (root / "consistency.json").write_text(json.dumps(consistency))
    ok = _run(root, "inclusion", str(root / "inclusion.json"), "--public-key", str(root / "pub.pem"))
    assert ok.returncode == 0, ok.stderr
    assert "leaf 12 is in the signed tree of size 21" in ok.stdout
    ok = _run(root, "consistency", str(root / "consistency.json"), "--public-key", str(root / "pub.pem"))
    assert ok.returncode == 0, ok.stderr
    forged = dict(inclusion)
    forged["record"] = str(inclusion["record"]).replace('"n":12', '"n":99')
    forged.pop("leaf_hash")
    (root / "forged.json").write_text(json.dumps(forged))
    bad = _run(root, "inclusion", str(root / "forged.json"), "--public-key", str(root / "pub.pem"))
    assert bad.returncode == 1
    assert "FAILED: inclusion proof" in bad.stderr


def _mutations(document: dict[str, object]) -> list[tuple[str, dict[str, object]]]:
    """Each probe corrupts one field; every one must be rejected."""
    head = dict(document["signed_head"])  # type: ignore[call-overload]
    out: list[tuple[str, dict[str, object]]] = [
        ("type", {**document, "type": "consistency"}),
        ("tree_size", {**document, "tree_size": 20}),
        ("leaf_index", {**document, "leaf_index": 11}),
        ("leaf_index", {**document, "leaf_index": "12"}),
        ("leaf_hash", {**document, "leaf_hash": "00" * 32}),
        ("leaf_hash", {**document, "leaf_hash": "zz"}),
        ("proof", {**document, "proof": "nope"}),
        ("proof", {**document, "proof": ["xyz"]}),
        ("proof", {**document, "proof": list(reversed(document["proof"]))}),  # type: ignore[call-overload]
        ("proof", {**document, "proof": [*document["proof"], "00" * 32]}),  # type: ignore[misc]
        ("signed_head", {**document, "signed_head": "x"}),
        ("signed_head", {**document, "signed_head": {**head, "tree_size": 22}}),
        ("signed_head", {**document, "signed_head": {**head, "tree_size": -1}}),
        ("signed_head", {**document, "signed_head": {**head, "timestamp_ms": "now"}}),
        ("signed_head", {**document, "signed_head": {**head, "signature": "%%%"}}),
        ("signed_head", {**document, "signed_head": {**head, "root_hash": "11" * 32}}),
    ]
    without_record = {k: v for k, v in document.items() if k != "record"}
    out.append(("leaf_hash", {**without_record, "leaf_hash": "22" * 32}))
    return out


def test_every_malformed_inclusion_document_is_rejected(
    proofs: tuple[Path, Ed25519PrivateKey, dict[str, object], dict[str, object]],
) -> None:
    _, key, inclusion, _ = proofs
    public = key.public_key()
    check_inclusion_document(inclusion, public)
    for what, document in _mutations(inclusion):
        with pytest.raises(ProofError):
            check_inclusion_document(document, public)
        assert what  # the field each probe corrupts, for the failure message above
    with pytest.raises(ProofError, match="signature does not verify"):
        check_inclusion_document(inclusion, Ed25519PrivateKey.generate().public_key())


def test_malformed_consistency_documents_are_rejected(
    proofs: tuple[Path, Ed25519PrivateKey, dict[str, object], dict[str, object]],
) -> None:
    _, key, _, consistency = proofs
    public = key.public_key()
    check_consistency_document(consistency, public)
    swapped = {**consistency, "first_head": consistency["second_head"], "second_head": consistency["first_head"]}
    for document in (
        {**consistency, "type": "inclusion"},
        {**consistency, "proof": []},
        {**consistency, "proof": ["00" * 32]},
        swapped,
    ):
        with pytest.raises(ProofError):
            check_consistency_document(document, public)


def test_main_reports_unreadable_inputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key = Ed25519PrivateKey.generate()
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    (tmp_path / "pub.hex").write_text(raw.hex())
    (tmp_path / "doc.json").write_text("{not json")
    assert main(["inclusion", str(tmp_path / "doc.json"), "--public-key", str(tmp_path / "pub.hex")]) == 1
    assert main(["inclusion", str(tmp_path / "missing.json"), "--public-key", str(tmp_path / "pub.hex")]) == 1
    assert "FAILED" in capsys.readouterr().err


def test_public_keys_must_be_ed25519() -> None:
    other = ec.generate_private_key(ec.SECP256R1()).public_key()
    pem = other.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    with pytest.raises(ProofError, match="expected Ed25519"):
        load_public_key(pem)
    with pytest.raises(ProofError, match="cannot parse"):
        load_public_key(b"not hex")


def test_signed_heads_round_trip_through_json() -> None:
    head = SignedTreeHead(5, 1_700_000_000_000, b"\x01" * 32, b"\x02" * 64)
    assert SignedTreeHead.from_json(head.to_json()) == head
    with pytest.raises(ProofError, match="tree_size"):
        SignedTreeHead.from_json({**head.to_json(), "tree_size": True})
