"""``qgtm data``: ingest the bundled sources into the content-addressed store, verify the store.

Paths come from the ``[data]`` section (``store_root``, ``quarantine_path``) unless given as
options; both default under ``run.var_dir``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from qgtm_core import DEFAULT_UNIVERSE, DataError, QgtmSettings, load_settings
from qgtm_data import (
    RESEARCH_SYMBOLS,
    DataMetrics,
    Ingestor,
    QuarantineTable,
    ShardStore,
    ValidationRules,
    Validator,
    bundled_adapters,
)

__all__ = ["data_app"]

data_app = typer.Typer(help="Ingest, validate and verify point-in-time data.", no_args_is_help=True)

_Config = Annotated[Path | None, typer.Option(help="TOML configuration file")]
_Store = Annotated[Path | None, typer.Option(help="store root (default: data.store_root or <var>/store)")]


def _store_root(settings: QgtmSettings, store: Path | None) -> Path:
    if store is not None:
        return store
    return settings.data.store_root or settings.run.var_dir / "store"


@data_app.command("ingest")
def ingest(
    config: _Config = None,
    store: _Store = None,
    data_dir: Annotated[Path | None, typer.Option(help="bundled data directory (default: run.data_dir)")] = None,
    quarantine: Annotated[Path | None, typer.Option(help="quarantine SQLite file")] = None,
) -> None:
    """Validate every bundled file; store clean rows as shards, quarantine the rest."""
    settings = load_settings(config)
    root = _store_root(settings, store)
    table_path = quarantine or settings.data.quarantine_path or settings.run.var_dir / "quarantine.sqlite"
    rules = ValidationRules(
        jump_threshold=settings.data.jump_threshold_sigmas,
        jump_floor=settings.data.jump_floor_log,
        instruments=frozenset(str(i) for i in DEFAULT_UNIVERSE) | RESEARCH_SYMBOLS,
    )
    metrics = DataMetrics()
    table = QuarantineTable(table_path)
    ingestor = Ingestor(ShardStore(root), Validator(rules, lambda: datetime.now(UTC)), table, metrics)
    try:
        reports = ingestor.ingest_all(bundled_adapters(data_dir or settings.run.data_dir))
    finally:
        table.close()
    console = Console()
    for report in reports:
        console.print(
            f"{report.key:<36} accepted {report.accepted:>6}  quarantined {report.quarantined:>4}  "
            f"revisions {report.revisions:>3}  new shards {len(report.shards):>3}"
        )
    written = sum(len(r.shards) for r in reports)
    console.print(
        f"ingested {len(reports)} feeds: {sum(r.accepted for r in reports)} rows accepted, "
        f"{sum(r.quarantined for r in reports)} quarantined (see {table_path}), {written} new shards in {root}"
    )


@data_app.command("verify")
def verify(config: _Config = None, store: _Store = None) -> None:
    """Re-hash every shard; exit 1 naming each corrupted, missing or extra shard."""
    settings = load_settings(config)
    root = _store_root(settings, store)
    if not (root / "manifest.json").is_file():
        msg = f"{root}: no store manifest (run `qgtm data ingest` first)"
        raise DataError(msg)
    report = ShardStore(root).verify()
    console = Console()
    if report.ok:
        console.print(f"store ok: {report.shards} shards in {root}")
        return
    for problem in report.problems:
        console.print(f"{problem.kind}: {problem.path} ({problem.detail})")
    console.print(f"store FAILED: {len(report.problems)} problem(s) in {root}")
    raise typer.Exit(1)


@data_app.command("quarantine")
def quarantine_counts(
    config: _Config = None,
    quarantine: Annotated[Path | None, typer.Option(help="quarantine SQLite file")] = None,
) -> None:
    """Rejected rows by feed and reason, most frequent first."""
    settings = load_settings(config)
    table_path = quarantine or settings.data.quarantine_path or settings.run.var_dir / "quarantine.sqlite"
    if not table_path.is_file():
        msg = f"{table_path}: no quarantine table (run `qgtm data ingest` first)"
        raise DataError(msg)
    table = QuarantineTable(table_path)
    try:
        counts = table.counts()
    finally:
        table.close()
    console = Console()
    for key, reason, rows in counts:
        console.print(f"{rows:>6}  {key:<36} {reason}")
    console.print(f"{sum(n for _, _, n in counts)} quarantined rows in {table_path}")
