"""``qgtm audit``: verify the audit log of a run and name the first bad record."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from qgtm_app.paths import latest_run
from qgtm_audit import SqliteHashChainLog
from qgtm_core import ConfigError

__all__ = ["audit_app"]

audit_app = typer.Typer(help="Verify and inspect the audit log.", no_args_is_help=True)


def _log_path(path: Path | None, var_dir: Path) -> Path:
    chosen = path if path is not None else latest_run(var_dir).audit_db
    if not chosen.is_file():
        msg = f"{chosen}: audit log not found"
        raise ConfigError(msg)
    return chosen


@audit_app.command("verify")
def verify(
    path: Annotated[Path | None, typer.Option(help="audit log file (default: the latest run's)")] = None,
    var_dir: Annotated[Path, typer.Option(help="where runs live")] = Path("var"),
) -> None:
    """Re-verify every record; exit 1 naming the first record altered, deleted or reordered."""
    log = SqliteHashChainLog(_log_path(path, var_dir))
    result = log.verify()
    log.close()
    console = Console()
    if result.ok:
        console.print(f"audit log ok: {result.records} records, head {result.head_hash}")
        return
    console.print(f"audit log FAILED: {result.problem} (first bad record: {result.first_bad_seq})")
    raise typer.Exit(1)
