"""The main job end to end: ``qgtm run`` in paper mode, then ``qgtm audit verify`` and tampering."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

CYCLES = 150


@pytest.fixture(scope="module")
def pristine_run(tmp_path_factory, bundled_data):
    """One real run shared by the module; each test gets its own copy to tamper with."""
    root = tmp_path_factory.mktemp("run")
    cfg = root / "qgtm.toml"
    cfg.write_text(f'[run]\ndata_dir = "{bundled_data}"\nvar_dir = "{root / "var"}"\nstart = 2012-01-03\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("QGTM_")} | {"COLUMNS": "200"}
    result = subprocess.run(
        [sys.executable, "-m", "qgtm_app", "run", "--config", str(cfg), "--max-cycles", str(CYCLES)],
        capture_output=True,
        text=True,
        env=env,
        cwd=root,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result, root / "var"


@pytest.fixture
def finished_run(pristine_run, tmp_path):
    result, var = pristine_run
    shutil.copytree(var, tmp_path / "var")
    runs = sorted((tmp_path / "var" / "runs").iterdir())
    assert len(runs) == 1
    return result, runs[0]


def test_run_prints_the_summary(finished_run):
    result, _ = finished_run
    out = result.stdout
    assert re.search(rf"cycles\s+│\s+{CYCLES}\b", out)
    for label in ("orders", "fills", "rejects by reason", "final equity", "max drawdown", "audit head hash"):
        assert label in out
    assert f"ok ({CYCLES * 10} records)" in out


def test_audit_verify_passes_on_an_untouched_log(qgtm, finished_run, tmp_path):
    result = qgtm("audit", "verify", "--var-dir", str(tmp_path / "var"))
    assert result.returncode == 0, result.stderr
    assert f"{CYCLES * 10} records" in result.stdout


def _db(run_dir: Path) -> sqlite3.Connection:
    return sqlite3.connect(run_dir / "audit.sqlite", isolation_level=None)


def test_altering_one_record_is_detected_and_named(qgtm, finished_run, tmp_path):
    _, run_dir = finished_run
    with _db(run_dir) as db:
        db.execute("UPDATE audit SET output_digest = 'ff' || substr(output_digest, 3) WHERE seq = 437")
    result = qgtm("audit", "verify", "--var-dir", str(tmp_path / "var"))
    assert result.returncode == 1
    assert "first bad record: 437" in result.stdout


def test_deleting_a_record_is_detected_and_named(qgtm, finished_run, tmp_path):
    _, run_dir = finished_run
    with _db(run_dir) as db:
        db.execute("DELETE FROM audit WHERE seq = 90")
    result = qgtm("audit", "verify", "--var-dir", str(tmp_path / "var"))
    assert result.returncode == 1
    assert "first bad record: 90" in result.stdout


def test_reordering_records_is_detected_and_named(qgtm, finished_run, tmp_path):
    _, run_dir = finished_run
    with _db(run_dir) as db:
        rows = {r[0]: r[1:] for r in db.execute("SELECT * FROM audit WHERE seq IN (200, 201)")}
        cols = "at, correlation_id, step, actor, input_digest, output_digest, summary, prev_hash, record_hash"
        for seq, other in ((200, 201), (201, 200)):
            db.execute(f"UPDATE audit SET ({cols}) = ({', '.join('?' * 9)}) WHERE seq = ?", (*rows[other], seq))
    result = qgtm("audit", "verify", "--var-dir", str(tmp_path / "var"))
    assert result.returncode == 1
    assert "first bad record: 200" in result.stdout


def test_verify_without_any_run_says_so(qgtm, tmp_path):
    result = qgtm("audit", "verify", "--var-dir", str(tmp_path / "empty"))
    assert result.returncode == 2
    assert "no run found" in result.stderr
