"""``qgtm run``: the daemon in paper mode over an accelerated replay of the bundled real data."""

from __future__ import annotations

import signal
import time
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from qgtm_app.paths import new_run
from qgtm_app.summary import RunSummary
from qgtm_app.wiring import build_paper_rig
from qgtm_core import CycleResult, QgtmError, RunMode, canonical_bytes, load_settings
from qgtm_live import ReplayDaemon

__all__ = ["run"]


def _print_summary(console: Console, summary: RunSummary, head: str, verified: str, elapsed: float) -> None:
    table = Table(title="qgtm run summary", show_header=False)
    table.add_column("what", style="bold")
    table.add_column("value")
    table.add_row("cycles", f"{summary.cycles}  ({summary.first_cycle_at} .. {summary.last_cycle_at})")
    table.add_row("cycles per second", f"{summary.cycles / elapsed:,.0f}" if elapsed > 0 else "n/a")
    table.add_row("orders", str(summary.orders))
    table.add_row("fills", f"{summary.fills}  (commissions {summary.commissions:,.2f})")
    rejects = ", ".join(f"{k}={v}" for k, v in sorted(summary.rejects.items())) or "none"
    table.add_row("rejects by reason", rejects)
    table.add_row("unreconciled cycles", str(summary.unreconciled_cycles))
    table.add_row("initial equity", f"{summary.initial_equity:,.2f}")
    table.add_row("final equity", f"{summary.final_equity:,.2f}")
    table.add_row("max drawdown", f"{summary.max_drawdown:.2%}")
    table.add_row("audit head hash", head)
    table.add_row("audit verification", verified)
    console.print(table)


def run(
    config: Annotated[Path | None, typer.Option(help="TOML configuration file")] = None,
    mode: Annotated[RunMode | None, typer.Option(help="override run.mode")] = None,
    max_cycles: Annotated[int | None, typer.Option(help="stop after this many cycles")] = None,
) -> None:
    """Run the daemon (paper mode on a replay clock by default) and print the run summary."""
    settings = load_settings(config)
    chosen = mode or settings.run.mode
    if chosen is not RunMode.PAPER:
        msg = f"run.mode: {chosen.value} is not available in this build yet; use paper"
        raise QgtmError(msg)
    console = Console(stderr=True)
    paths = new_run(settings.run.var_dir)
    rig = build_paper_rig(settings, paths)
    summary = RunSummary(initial_equity=settings.run.initial_cash)
    total = len(rig.schedule) if max_cycles is None else min(max_cycles, len(rig.schedule))
    with Progress(
        TextColumn("[bold]paper replay"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[day]}"),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("cycles", total=total, day="")

        def after(result: CycleResult) -> None:
            summary.observe(result)
            progress.update(task, advance=1, day=result.at.date().isoformat())

        daemon = ReplayDaemon(rig.pipeline, rig.clock, before_cycle=rig.feed_venue, after_cycle=after)

        def on_term(signum: int, frame: FrameType | None) -> None:
            daemon.request_stop()

        previous = signal.signal(signal.SIGTERM, on_term)
        started = time.perf_counter()
        try:
            daemon.run(rig.schedule, max_cycles or settings.run.max_cycles)
        finally:
            signal.signal(signal.SIGTERM, previous)
            rig.audit.flush()
        elapsed = time.perf_counter() - started
    result = rig.audit.verify()
    verdict = (
        f"ok ({result.records} records)" if result.ok else f"FAILED at record {result.first_bad_seq}: {result.problem}"
    )
    paths.summary.write_bytes(canonical_bytes(summary))
    _print_summary(Console(), summary, rig.audit.head_hash, verdict, elapsed)
    Console().print(f"run directory: {paths.root}")
    rig.close()
    if not result.ok:
        raise typer.Exit(1)
