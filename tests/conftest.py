"""Shared fixtures for the cross-package tests: the repository's bundled data and a CLI runner."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "data"

CliRunner = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def qgtm(tmp_path: Path) -> CliRunner:
    """Run the real ``qgtm`` CLI in ``tmp_path`` as a user would, capturing its output."""

    def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("QGTM_")} | {"COLUMNS": "200"}
        full_env |= env or {}
        return subprocess.run(
            [sys.executable, "-m", "qgtm_app", *args],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            env=full_env,
            timeout=300,
            check=False,
        )

    return run


@pytest.fixture(scope="session")
def bundled_data() -> Path:
    """The real data shipped with the repository."""
    return DATA


@pytest.fixture
def config(tmp_path: Path) -> Callable[[str], Path]:
    """Write a TOML config pointing at the bundled data and a private var directory."""

    def write(extra: str = "", data_dir: Path = DATA) -> Path:
        path = tmp_path / "qgtm.toml"
        path.write_text(
            f'[run]\ndata_dir = "{data_dir.as_posix()}"\nvar_dir = "{(tmp_path / "var").as_posix()}"\n{extra}',
            encoding="utf-8",
        )
        return path

    return write
