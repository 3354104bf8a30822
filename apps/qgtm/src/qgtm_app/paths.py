"""Where a run keeps its files: ``<var>/runs/<run-id>/`` and a pointer to the latest run."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from qgtm_core import ConfigError

__all__ = ["RunPaths", "latest_run", "new_run"]

_LATEST = "latest-run"


@dataclass(frozen=True, slots=True)
class RunPaths:
    """Files of one run."""

    root: Path

    @property
    def state_db(self) -> Path:
        """OMS and risk state (SQLite)."""
        return self.root / "state.sqlite"

    @property
    def audit_db(self) -> Path:
        """The plain hash-chain audit log (``audit.log_format = "hash-chain"``)."""
        return self.root / "audit.sqlite"

    @property
    def audit_dir(self) -> Path:
        """The Merkle audit log: segments, signed heads and index (the default format)."""
        return self.root / "audit"

    @property
    def summary(self) -> Path:
        """The run summary as canonical JSON."""
        return self.root / "summary.json"


def new_run(var_dir: Path, now: datetime | None = None) -> RunPaths:
    """Create a fresh run directory named after the wall-clock start and point ``latest-run`` at it."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S%fZ")
    root = var_dir / "runs" / f"run-{stamp}"
    root.mkdir(parents=True, exist_ok=False)
    (var_dir / _LATEST).write_text(root.name + "\n", encoding="utf-8")
    return RunPaths(root)


def latest_run(var_dir: Path) -> RunPaths:
    """The most recent run, or a ``ConfigError`` telling the user to run one first."""
    pointer = var_dir / _LATEST
    if not pointer.is_file():
        msg = f"{pointer}: no run found; start one with 'qgtm run'"
        raise ConfigError(msg)
    return RunPaths(var_dir / "runs" / pointer.read_text(encoding="utf-8").strip())
