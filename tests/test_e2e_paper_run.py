"""The main job end to end: ``qgtm run`` in paper mode, then ``qgtm audit verify`` and tampering.

The tampering here is what a forger with write access would do to the Merkle log's segment files:
change a record and fix its frame checksum, cut a record out, or swap two records. Each must be
found and the first bad record named.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

CYCLES = 150
HEADER = 16
FRAME = struct.Struct("<I4s")


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


def frames(segment: Path) -> tuple[bytes, list[bytes]]:
    """The segment header and its records' payloads."""
    data = segment.read_bytes()
    out, pos = [], HEADER
    while pos < len(data):
        length, _ = FRAME.unpack_from(data, pos)
        out.append(data[pos + FRAME.size : pos + FRAME.size + length])
        pos += FRAME.size + length
    return data[:HEADER], out


def write_frames(segment: Path, header: bytes, payloads: list[bytes]) -> None:
    """Re-frame with valid checksums, as a forger would."""
    body = b"".join(FRAME.pack(len(p), hashlib.sha256(b"\x00" + p).digest()[:4]) + p for p in payloads)
    segment.write_bytes(header + body)


def segment_of(run_dir: Path) -> Path:
    segments = sorted((run_dir / "audit" / "segments").glob("*.seg"))
    assert segments, "the daemon should write the Merkle audit log"
    return segments[0]


def verify(qgtm, tmp_path):
    return qgtm("audit", "verify", "--var-dir", str(tmp_path / "var"))


def test_run_prints_the_summary(finished_run):
    result, _ = finished_run
    out = result.stdout
    assert re.search(rf"cycles\s+│\s+{CYCLES}\b", out)
    for label in ("orders", "fills", "rejects by reason", "final equity", "max drawdown", "audit head hash"):
        assert label in out
    assert f"ok ({CYCLES * 10} records)" in out


def test_audit_verify_passes_on_an_untouched_log(qgtm, finished_run, tmp_path):
    result = verify(qgtm, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert str(CYCLES * 10) in result.stdout


def test_altering_one_record_is_detected_and_named(qgtm, finished_run, tmp_path):
    segment = segment_of(finished_run[1])
    header, payloads = frames(segment)
    assert payloads[436].endswith(b'"seq":437}')
    payloads[436] = payloads[436].replace(b'"actor":"qgtm-paper"', b'"actor":"qgtm-papex"')
    write_frames(segment, header, payloads)
    result = verify(qgtm, tmp_path)
    assert result.returncode == 1
    assert "437" in result.stdout + result.stderr


def test_deleting_a_record_is_detected_and_named(qgtm, finished_run, tmp_path):
    segment = segment_of(finished_run[1])
    header, payloads = frames(segment)
    del payloads[89]
    write_frames(segment, header, payloads)
    result = verify(qgtm, tmp_path)
    assert result.returncode == 1
    assert "90" in result.stdout + result.stderr


def test_reordering_records_is_detected_and_named(qgtm, finished_run, tmp_path):
    segment = segment_of(finished_run[1])
    header, payloads = frames(segment)
    payloads[199], payloads[200] = payloads[200], payloads[199]
    write_frames(segment, header, payloads)
    result = verify(qgtm, tmp_path)
    assert result.returncode == 1
    assert "200" in result.stdout + result.stderr


def test_verify_without_any_run_says_so(qgtm, tmp_path):
    result = qgtm("audit", "verify", "--var-dir", str(tmp_path / "empty"))
    assert result.returncode == 2
    assert "no run found" in result.stderr
