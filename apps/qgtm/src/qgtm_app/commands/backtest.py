"""``qgtm backtest`` and ``qgtm walkforward``: research runs of the real pipeline.

Both check the whole configuration before starting (unknown strategy, sweep key, window longer
than the data, embargo not below the fold size all fail with the key named), then write the
outputs, a manifest and a self-contained HTML tear sheet into one directory. ``--manifest``
re-runs a recorded backtest and proves the outputs are byte-identical.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from qgtm_app.research import (
    CvMethod,
    ResearchRun,
    backtest_settings,
    benchmark_frame,
    manifest_for,
    oos_path,
    pipeline_returns,
    preflight,
    returns_result,
    run_pipeline_backtest,
    select_by_cv,
    settings_from_config,
    write_outputs,
)
from qgtm_backtest import (
    Metrics,
    ProcessPoolTaskExecutor,
    SerialTaskExecutor,
    TaskExecutor,
    executor_for,
    read_manifest,
    run_walk_forward,
    verify_inputs,
)
from qgtm_core import ConfigError, IntegrityError, QgtmSettings, load_settings

__all__ = ["backtest", "walkforward"]

ConfigOption = Annotated[Path | None, typer.Option(help="TOML configuration file")]
OutOption = Annotated[Path | None, typer.Option(help="output directory (default: <var>/research/<kind>-<time>)")]


def _out_dir(settings: QgtmSettings, out: Path | None, kind: str) -> Path:
    if out is not None:
        return out
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    return settings.run.var_dir / "research" / f"{kind}-{stamp}"


def _metrics_table(title: str, metrics: Metrics, extra: dict[str, str]) -> Table:
    table = Table(title=title, show_header=False)
    table.add_column("metric", style="bold")
    table.add_column("value", justify="right")
    for name, value in metrics.as_dict().items():
        table.add_row(name, f"{value:,.4f}")
    for name, text in extra.items():
        table.add_row(name, text)
    return table


def _with(settings: QgtmSettings, max_cycles: int | None) -> QgtmSettings:
    if max_cycles is None:
        return settings
    data: dict[str, Any] = settings.model_dump(mode="json")
    data["run"]["max_cycles"] = max_cycles
    return settings_from_config(data, "--max-cycles")


def backtest(
    config: ConfigOption = None,
    out: OutOption = None,
    max_cycles: Annotated[int | None, typer.Option(help="stop after this many sessions")] = None,
    manifest: Annotated[Path | None, typer.Option(help="re-run this manifest and check the outputs match")] = None,
    progress: Annotated[bool, typer.Option(help="show a progress bar on stderr")] = True,
) -> None:
    """Backtest the pipeline over the configured window; write outputs, manifest and tear sheet."""
    console = Console()
    settings = load_settings(config)
    recorded = None
    if manifest is not None:
        recorded = read_manifest(manifest)
        restored = dict(recorded.config)
        run_section = dict(restored["run"]) if isinstance(restored.get("run"), dict) else {}  # type: ignore[arg-type]
        run_section["var_dir"] = str(settings.run.var_dir)
        restored["run"] = run_section
        settings = settings_from_config(restored, str(manifest))
        verify_inputs(recorded, settings.run.data_dir)
    settings = backtest_settings(_with(settings, max_cycles))
    sessions, _ = preflight(settings)
    directory = _out_dir(settings, out, "backtest")
    result = run_pipeline_backtest(settings, directory / "pipeline", progress=progress)
    run = ResearchRun(result, manifest_for("backtest", settings, result))
    written = write_outputs(
        run, directory, f"QGTM backtest {sessions[0].date()} .. {sessions[-1].date()}", benchmark_frame(settings)
    )
    extra = {
        "cycles": f"{result.cycles}",
        "cycles per second": f"{result.cycles / result.elapsed_seconds:,.1f}" if result.elapsed_seconds else "n/a",
        "fills": f"{result.fills.height}",
        "final equity": f"{result.final_equity:,.2f}",
        "output digest": run.manifest.output_digest,
    }
    console.print(_metrics_table("qgtm backtest", result.metrics, extra))
    for name in ("manifest.json", "tearsheet.html"):
        console.print(f"{name}: {written[name]}")
    if recorded is not None:
        if recorded.output_digest != run.manifest.output_digest:
            digests = f"digest {run.manifest.output_digest}, recorded {recorded.output_digest}"
            msg = f"{manifest}: outputs differ from the manifest ({digests})"
            raise IntegrityError(msg)
        note = (
            ""
            if recorded.code_version == run.manifest.code_version
            else f" (code {recorded.code_version} -> {run.manifest.code_version})"
        )
        console.print(f"reproduced: outputs are byte-identical to {manifest}{note}")


def _executor(settings: QgtmSettings, choice: str) -> TaskExecutor:
    bt = settings.backtest
    if choice == "auto":
        return executor_for(bt.ray_address, bt.max_workers)
    if choice == "serial":
        return SerialTaskExecutor()
    if choice == "pool":
        return ProcessPoolTaskExecutor(bt.max_workers)
    if choice == "ray":
        return executor_for(bt.ray_address or "local", bt.max_workers)
    msg = f"--executor: unknown executor {choice!r} (auto, serial, pool, ray)"
    raise ConfigError(msg)


def walkforward(
    config: ConfigOption = None,
    out: OutOption = None,
    method: Annotated[str, typer.Option(help="walkforward, purged-kfold or cpcv")] = CvMethod.WALK_FORWARD,
    executor: Annotated[
        str, typer.Option(help="auto (Ray if backtest.ray_address else process pool), serial, pool, ray")
    ] = "auto",
    max_cycles: Annotated[int | None, typer.Option(help="use only the first N sessions")] = None,
) -> None:
    """Walk-forward (or purged CV) selection over ``backtest.sweep``; fold table, manifest and tear sheet."""
    console = Console()
    settings = backtest_settings(_with(load_settings(config), max_cycles))
    sessions, splits = preflight(settings, method)
    pool = _executor(settings, executor)
    directory = _out_dir(settings, out, "walkforward")
    config_json = json.dumps(settings.model_dump(mode="json"))
    with console.status(f"{method}: {len(splits)} folds on {pool.name}", spinner="dots"):
        if method == CvMethod.WALK_FORWARD:
            wf = run_walk_forward(partial(pipeline_returns, config_json), settings.backtest.sweep, splits, pool)
            folds, fold_returns = (
                wf.folds,
                [
                    wf.oos_returns[k * settings.backtest.test : (k + 1) * settings.backtest.test]
                    for k in range(len(splits))
                ],
            )
            extra = {}
        else:
            folds, fold_returns, dsr, pbo = select_by_cv(settings, splits, pool, len(sessions))
            extra = {"deflated sharpe": f"{dsr:.4f}", "pbo": "n/a" if pbo is None else f"{pbo:.4f}"}
    shutdown = getattr(pool, "shutdown", None)
    if callable(shutdown):
        shutdown()
    oos_sessions, oos_returns = oos_path(sessions, splits, fold_returns)
    result = returns_result(oos_sessions, oos_returns, settings.run.initial_cash)
    run = ResearchRun(result, manifest_for(f"walkforward:{method}", settings, result), folds)
    written = write_outputs(run, directory, f"QGTM {method} ({len(splits)} folds)", benchmark_frame(settings))
    fold_table = Table(title=f"{method} folds")
    for column in folds.columns:
        fold_table.add_column(column)
    for row in folds.iter_rows():
        fold_table.add_row(*(f"{v:.3f}" if isinstance(v, float) else str(v) for v in row))
    console.print(fold_table)
    console.print(_metrics_table("out-of-sample", result.metrics, {**extra, "executor": pool.name}))
    for name in ("manifest.json", "tearsheet.html"):
        console.print(f"{name}: {written[name]}")
