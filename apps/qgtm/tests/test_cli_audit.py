"""``qgtm audit verify | prove | consistency | trace`` on run directories of both log formats."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

import qgtm_audit.verifier as verifier_module
from qgtm_app.cli import app
from qgtm_audit import MerkleAuditLog, SqliteHashChainLog, load_or_create_signing_key
from qgtm_core import AuditEntry, PipelineStep, correlation_id_for, digest

CYCLES = 7


def _entries() -> list[AuditEntry]:
    out = []
    for cycle in range(CYCLES):
        at = datetime(2024, 1, 2, 21, tzinfo=UTC) + timedelta(days=cycle)
        cid = correlation_id_for(at, cycle)
        out.extend(
            AuditEntry(
                at,
                cid,
                step.value,
                "qgtm-paper",
                digest([cycle, step.value, "in"]),
                digest([cycle, step.value, "out"]),
                {"cycle": cycle},
            )
            for step in PipelineStep
        )
    return out


def _run_dir(var: Path, name: str) -> Path:
    root = var / "runs" / name
    root.mkdir(parents=True)
    (var / "latest-run").write_text(name + "\n")
    return root


@pytest.fixture
def merkle_var(tmp_path: Path) -> Path:
    var = tmp_path / "var"
    root = _run_dir(var, "run-merkle")
    key = load_or_create_signing_key(var / "audit-signing.key")
    log = MerkleAuditLog(root / "audit", signing_key=key, batch_size=8, sign_every=20, segment_records=16)
    for entry in _entries():
        log.append(entry)
    log.close()
    return var


@pytest.fixture
def chain_var(tmp_path: Path) -> Path:
    var = tmp_path / "var"
    root = _run_dir(var, "run-chain")
    log = SqliteHashChainLog(root / "audit.sqlite")
    for entry in _entries():
        log.append(entry)
    log.close()
    return var


def _invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["audit", *args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def test_verify_checks_the_latest_run_against_its_signed_head(merkle_var: Path) -> None:
    code, output = _invoke("verify", "--var-dir", str(merkle_var))
    assert code == 0, output
    assert f"audit log ok: {CYCLES * 10} records" in output
    assert f"signed tree head of size {CYCLES * 10}" in output


def test_verify_names_the_first_altered_record(merkle_var: Path) -> None:
    segment = sorted((merkle_var / "runs/run-merkle/audit/segments").glob("*.seg"))[1]
    data = segment.read_bytes()
    # Re-frame record 19 (the 3rd of the 2nd segment) with a changed actor and a valid checksum.
    pos, frames = 16, []
    while pos < len(data):
        (length,) = struct.unpack_from("<I", data, pos)
        frames.append(data[pos + 8 : pos + 8 + length])
        pos += 8 + length
    frames[2] = frames[2].replace(b'"actor":"qgtm-paper"', b'"actor":"qgtm-admin"')
    body = b"".join(struct.pack("<I", len(p)) + verifier_module.leaf_hash(p)[:4] + p for p in frames)
    segment.write_bytes(data[:16] + body)
    code, output = _invoke("verify", "--var-dir", str(merkle_var))
    assert code == 1
    assert "record 19 was altered" in output
    assert "first bad record: 19" in output


def test_verify_uses_an_explicit_public_key(merkle_var: Path, tmp_path: Path) -> None:
    other = load_or_create_signing_key(tmp_path / "other.key")
    assert other is not None
    code, output = _invoke("verify", "--var-dir", str(merkle_var), "--public-key", str(tmp_path / "other.key.pub"))
    assert code == 1
    assert "signature does not verify" in output
    (merkle_var / "audit-signing.key.pub").unlink()
    code, output = _invoke("verify", "--var-dir", str(merkle_var))
    assert code == 0
    assert "key stored in the log itself" in output


def test_prove_prints_a_proof_the_standalone_verifier_accepts(merkle_var: Path, tmp_path: Path) -> None:
    code, output = _invoke("prove", "33", "--var-dir", str(merkle_var))
    assert code == 0, output
    document = json.loads(output)
    assert document["seq"] == 33
    assert document["tree_size"] == CYCLES * 10
    proof = tmp_path / "proof.json"
    proof.write_text(output)
    copied = tmp_path / "auditor" / "verifier.py"
    copied.parent.mkdir()
    shutil.copy(verifier_module.__file__, copied)
    public = merkle_var / "audit-signing.key.pub"
    checked = subprocess.run(
        [sys.executable, "-I", str(copied), "inclusion", str(proof), "--public-key", str(public)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr
    assert "leaf 32 is in the signed tree of size 70" in checked.stdout


def test_consistency_prints_a_proof_between_two_signed_heads(merkle_var: Path, tmp_path: Path) -> None:
    code, output = _invoke("consistency", "24", "70", "--var-dir", str(merkle_var))
    assert code == 0, output
    document = json.loads(output)
    assert (document["first_head"]["tree_size"], document["second_head"]["tree_size"]) == (24, 70)
    key = verifier_module.load_public_key((merkle_var / "audit-signing.key.pub").read_bytes())
    assert "prefix" in verifier_module.check_consistency_document(document, key)
    result = CliRunner().invoke(app, ["audit", "consistency", "23", "70", "--var-dir", str(merkle_var)])
    assert result.exit_code != 0
    assert "no signed tree head of size 23 (signed sizes: 24, 48, 70)" in str(result.exception)


def test_trace_lists_every_step_of_one_cycle_in_order(merkle_var: Path, chain_var: Path) -> None:
    at = datetime(2024, 1, 2, 21, tzinfo=UTC) + timedelta(days=3)
    cid = correlation_id_for(at, 3)
    for var in (merkle_var, chain_var):
        code, output = _invoke("trace", cid, "--var-dir", str(var), "--json")
        assert code == 0, output
        lines = [json.loads(line) for line in output.splitlines()]
        assert [line["step"] for line in lines] == [step.value for step in PipelineStep]
        assert [line["seq"] for line in lines] == list(range(31, 41))
    code, output = _invoke("trace", cid, "--var-dir", str(merkle_var))
    assert code == 0
    assert "09-broker" in output


def test_chain_runs_verify_but_have_no_proofs(chain_var: Path) -> None:
    code, output = _invoke("verify", "--var-dir", str(chain_var))
    assert code == 0, output
    assert "audit log ok: 70 records" in output
    result = CliRunner().invoke(app, ["audit", "prove", "3", "--var-dir", str(chain_var)])
    assert result.exit_code != 0
    assert "no Merkle proofs" in str(result.exception)


def test_missing_logs_and_cycles_are_clear_errors(tmp_path: Path, merkle_var: Path) -> None:
    result = CliRunner().invoke(app, ["audit", "verify", "--path", str(tmp_path / "nope")])
    assert "audit log not found" in str(result.exception)
    result = CliRunner().invoke(app, ["audit", "trace", "sig-x", "--var-dir", str(merkle_var)])
    assert "no audit records" in str(result.exception)
    result = CliRunner().invoke(
        app, ["audit", "verify", "--var-dir", str(merkle_var), "--public-key", str(tmp_path / "missing.pub")]
    )
    assert "public key not found" in str(result.exception)
