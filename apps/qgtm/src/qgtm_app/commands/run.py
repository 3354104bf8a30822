"""``qgtm run``: the daemon over an accelerated replay of the bundled real data.

``--mode paper`` (default) trades the journaled simulated venue; ``--mode shadow`` runs every step
but never sends an order and writes a replayable decision log; ``--mode live`` trades the broker
named by ``execution.broker`` (Alpaca). ``--resume`` continues the latest run after a crash:
unfinished cycles are re-run with the same correlation ids, so nothing is sent twice.
"""

from __future__ import annotations

import signal
import time
from datetime import timedelta
from pathlib import Path
from types import FrameType
from typing import Annotated

import redis
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from qgtm_api import MetricsRecorder, RedisStreamRelay, serve_metrics
from qgtm_app.api_wiring import DaemonStreamPublisher, publish_cycle
from qgtm_app.paths import RunPaths, latest_run, new_run
from qgtm_app.summary import RunSummary
from qgtm_app.wiring import PaperRig, build_paper_rig
from qgtm_core import CycleResult, QgtmError, QgtmSettings, RunMode, canonical_bytes, load_settings
from qgtm_execution import BrokerExecutor, ReconciliationError
from qgtm_live import (
    AlertChannel,
    DecisionLog,
    EmailAlerts,
    Heartbeat,
    MemoryAlerts,
    ReplayDaemon,
    RestartTracker,
    Watchdog,
    WatchdogLimits,
    WebhookAlerts,
)

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


def _alerts(settings: QgtmSettings) -> AlertChannel:
    live = settings.live
    if live.alert_webhook_url:
        return WebhookAlerts(live.alert_webhook_url)
    if live.alert_email_to:
        return EmailAlerts(live.alert_smtp_host, live.alert_smtp_port, live.alert_email_from, live.alert_email_to)
    return MemoryAlerts()


def _clock_offset_seconds(rig: PaperRig) -> float:
    measure = getattr(rig.broker, "clock_offset", None)
    return float(measure().total_seconds()) if callable(measure) else 0.0


def _paths(settings: QgtmSettings, resume: bool, run_dir: Path | None) -> RunPaths:
    if run_dir is not None:
        run_dir.mkdir(parents=True, exist_ok=True)
        return RunPaths(run_dir)
    if resume and (settings.run.var_dir / "latest-run").is_file():
        return latest_run(settings.run.var_dir)
    return new_run(settings.run.var_dir)  # nothing to resume yet: a service's first start


def _reconcile_at_start(rig: PaperRig, console: Console) -> None:
    if not isinstance(rig.executor, BrokerExecutor):
        return
    halted = rig.executor.halted
    if halted is not None:
        msg = f"trading is halted: {halted} (fix the books, then clear execution.halted)"
        raise QgtmError(msg)
    try:
        recovered = rig.executor.reconcile()
    except ReconciliationError as exc:
        raise QgtmError(str(exc)) from exc
    if recovered:
        console.print(f"start-up reconciliation recovered {len(recovered)} fills")


def run(
    config: Annotated[Path | None, typer.Option(help="TOML configuration file")] = None,
    mode: Annotated[RunMode | None, typer.Option(help="paper, live or shadow (overrides run.mode)")] = None,
    max_cycles: Annotated[int | None, typer.Option(help="stop after this many cycles")] = None,
    resume: Annotated[bool, typer.Option(help="continue the latest run (if any) after a crash or stop")] = False,
    run_dir: Annotated[Path | None, typer.Option(help="run directory to use (created or resumed)")] = None,
) -> None:
    """Run the daemon (paper mode on a replay clock by default) and print the run summary."""
    settings = load_settings(config)
    chosen = mode or settings.run.mode
    if chosen is RunMode.BACKTEST:
        msg = "run.mode: backtest is not a daemon mode; use paper, live or shadow"
        raise QgtmError(msg)
    if chosen is RunMode.LIVE and settings.execution.broker == "paper":
        msg = "execution.broker: live mode needs a real broker (alpaca); use --mode paper for the simulated venue"
        raise QgtmError(msg)
    if chosen is not settings.run.mode:
        settings = settings.model_copy(update={"run": settings.run.model_copy(update={"mode": chosen})})
    console = Console(stderr=True)
    paths = _paths(settings, resume, run_dir)
    alerts = _alerts(settings)
    metrics = MetricsRecorder()
    if settings.api.metrics_port is not None:
        serve_metrics(metrics, settings.api.metrics_host, settings.api.metrics_port)
    rig = build_paper_rig(
        settings,
        paths,
        observer=metrics.observe_step,
        on_alarm=lambda alarm: alerts.send("reconciliation mismatch", alarm),
    )
    _reconcile_at_start(rig, console)
    stream = (
        DaemonStreamPublisher(
            RedisStreamRelay(redis.Redis.from_url(settings.bus.redis_url), settings.bus.stream_channel), rig.clock
        )
        if settings.bus.redis_url
        else None
    )
    summary = RunSummary(initial_equity=settings.run.initial_cash)
    total = len(rig.schedule) if max_cycles is None else min(max_cycles, len(rig.schedule))
    decisions = DecisionLog(paths.root / "decisions.jsonl") if chosen is RunMode.SHADOW else None
    live = settings.live
    watchdog = Watchdog(
        alerts,
        WatchdogLimits(
            stale_data=timedelta(seconds=live.stale_data_seconds),
            cycle_overrun=timedelta(seconds=live.cycle_overrun_seconds),
            max_failed_restarts=live.max_failed_restarts,
        ),
    )
    with Progress(
        TextColumn(f"[bold]{chosen.value} replay"),
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
            metrics.observe_cycle(result)
            if stream is not None:
                publish_cycle(stream, result)
            if decisions is not None:
                decisions.record(result, _clock_offset_seconds(rig))
            executor = rig.executor
            if isinstance(executor, BrokerExecutor) and result.cycle % live.reconcile_every_cycles == 0:
                try:
                    executor.reconcile()
                except ReconciliationError as exc:
                    console.print(f"[bold red]{exc}")
            progress.update(task, advance=1, day=result.at.date().isoformat())

        executor = rig.executor
        daemon = ReplayDaemon(
            rig.pipeline,
            rig.clock,
            before_cycle=rig.feed_venue,
            after_cycle=after,
            state=rig.state,
            heartbeat=Heartbeat(paths.root / "heartbeat.json"),
            watchdog=watchdog,
            restarts=RestartTracker(rig.state, alerts, live.max_failed_restarts),
            halted=(lambda: executor.halted) if isinstance(executor, BrokerExecutor) else None,
            broker_connected=lambda: bool(getattr(rig.broker, "connected", True)),
        )

        def on_term(signum: int, frame: FrameType | None) -> None:
            daemon.request_stop()

        previous = signal.signal(signal.SIGTERM, on_term)
        started = time.perf_counter()
        try:
            stats = daemon.run(rig.schedule, max_cycles or settings.run.max_cycles)
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
    if stats.resumed_at_cycle is not None:
        Console().print(f"resumed at cycle {stats.resumed_at_cycle}")
    if decisions is not None:
        Console().print(f"shadow decision log: {decisions.path} (no order was sent)")
    Console().print(f"run directory: {paths.root}")
    rig.close()
    if stats.halted is not None:
        Console(stderr=True).print(f"[bold red]TRADING HALTED: {stats.halted}")
        raise typer.Exit(2)
    if not result.ok:
        raise typer.Exit(1)
