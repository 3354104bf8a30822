"""Graceful shutdown: SIGTERM ends ``qgtm run`` between cycles, with the summary printed, the audit
log verified, and a ``--resume`` that carries on from the next cycle."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_sigterm_stops_between_cycles_and_resume_carries_on(tmp_path: Path) -> None:
    cfg = tmp_path / "qgtm.toml"
    cfg.write_text(f'[run]\ndata_dir = "{REPO / "data"}"\nvar_dir = "{tmp_path / "var"}"\nstart = 2016-03-01\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("QGTM_")} | {"COLUMNS": "200"}
    cmd = [sys.executable, "-m", "qgtm_app", "run", "--config", str(cfg)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
    deadline = time.monotonic() + 240
    heartbeat = None
    while heartbeat is None:
        assert time.monotonic() < deadline, "the daemon never beat"
        assert proc.poll() is None, proc.communicate()
        heartbeat = (
            next((tmp_path / "var" / "runs").glob("run-*/heartbeat.json"), None)
            if (tmp_path / "var" / "runs").exists()
            else None
        )
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert "audit verification" in out
    assert "ok (" in out
    beat = json.loads(heartbeat.read_text())
    assert beat["pid"] == proc.pid
    stopped_at = beat["cycle"]

    resumed = subprocess.run(
        [*cmd, "--resume", "--max-cycles", "3"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=240,
        check=False,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert f"resumed at cycle {stopped_at + 1}" in resumed.stdout
    assert json.loads(heartbeat.read_text())["cycle"] == stopped_at + 3
