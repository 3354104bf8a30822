"""``qgtm strategies``: the catalogue, its out-of-sample report and the ablation study."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from qgtm_app.strategy_research import WalkForwardConfig, ablation, render_markdown, run_research
from qgtm_core import ConfigError
from qgtm_strategies import CATALOGUE

__all__ = ["strategies_app"]

strategies_app = typer.Typer(help="The strategy library: list, report, ablate.", no_args_is_help=True)

_DATA = Annotated[Path, typer.Option(help="directory of the bundled real data")]
_COMMISSION = Annotated[float, typer.Option(help="commission in basis points per unit of turnover", min=0.0)]
_TRAIN = Annotated[int, typer.Option(help="in-sample bars per fold", min=60)]
_TEST = Annotated[int, typer.Option(help="out-of-sample bars per fold", min=20)]


def _config(commission_bps: float, train_bars: int, test_bars: int) -> WalkForwardConfig:
    return WalkForwardConfig(train_bars=train_bars, test_bars=test_bars, commission_bps=commission_bps)


def _check_data(data_dir: Path) -> None:
    if not data_dir.is_dir():
        msg = f"--data-dir {data_dir}: not a directory (run from the repository root or pass --data-dir)"
        raise ConfigError(msg)


@strategies_app.command("list")
def list_strategies() -> None:
    """Every strategy with its family and hypothesis."""
    table = Table(title=f"{len(CATALOGUE)} strategies")
    table.add_column("name", style="bold")
    table.add_column("family")
    table.add_column("hypothesis")
    for cls in CATALOGUE:
        table.add_row(cls.name, cls.family, cls.hypothesis())
    Console(width=200).print(table)


@strategies_app.command("report")
def report(
    output: Annotated[Path, typer.Option(help="markdown file to write")] = Path("docs/strategies.md"),
    data_dir: _DATA = Path("data"),
    commission_bps: _COMMISSION = 2.0,
    train_bars: _TRAIN = 756,
    test_bars: _TEST = 252,
) -> None:
    """Run the out-of-sample walk-forward of every strategy and write docs/strategies.md."""
    _check_data(data_dir)
    console = Console(stderr=True)
    started = time.perf_counter()
    run = run_research(
        data_dir, _config(commission_bps, train_bars, test_bars), progress=lambda n: console.print(f"walk-forward {n}")
    )
    command = "uv run qgtm strategies report"
    defaults = (commission_bps, train_bars, test_bars) == (2.0, 756, 252)
    if not defaults:
        command += f" --commission-bps {commission_bps:g} --train-bars {train_bars} --test-bars {test_bars}"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render_markdown(run, command), encoding="utf-8")
    console.print(f"wrote {output} ({len(run.results)} strategies, {time.perf_counter() - started:.1f} s)")


@strategies_app.command("ablate")
def ablate(
    data_dir: _DATA = Path("data"),
    commission_bps: _COMMISSION = 2.0,
    train_bars: _TRAIN = 756,
    test_bars: _TEST = 252,
    only: Annotated[
        list[str] | None, typer.Option("--strategy", help="restrict to these strategies (repeatable)")
    ] = None,
) -> None:
    """Remove each strategy from the equal-weight ensemble in turn; print the change in PF, Sharpe, drawdown."""
    _check_data(data_dir)
    known = {cls.name for cls in CATALOGUE}
    unknown = sorted(set(only or ()) - known)
    if unknown:
        msg = f"--strategy: unknown strategy {', '.join(unknown)} (see qgtm strategies list)"
        raise ConfigError(msg)
    run = run_research(data_dir, _config(commission_bps, train_bars, test_bars), names=only)
    full, rows = ablation(run)
    table = Table(
        title=(
            f"ablation, out-of-sample {run.dates[0]} .. {run.dates[-1]}: ensemble Sharpe {full.sharpe:.3f}, "
            f"profit factor {full.profit_factor:.3f}, max drawdown {full.max_drawdown:.2%}"
        )
    )
    for column in ("removed", "d profit factor", "d Sharpe", "d max drawdown", "verdict"):
        table.add_column(column, justify="left" if column in ("removed", "verdict") else "right")
    for row in sorted(rows, key=lambda r: r.sharpe_change, reverse=True):
        verdict = "hurts the ensemble" if row.sharpe_change > 0 else "helps the ensemble"
        table.add_row(
            row.removed,
            f"{row.profit_factor_change:+.4f}",
            f"{row.sharpe_change:+.4f}",
            f"{row.drawdown_change:+.2%}",
            verdict,
        )
    Console(width=160).print(table)
