"""The backtest engine: the daemon's ten-step ``Pipeline`` replayed over stored data.

The engine owns no trading logic. The caller builds the ``Pipeline`` from the same step
implementations the daemon uses (the app does it in one place), with a replay clock, a stored-data
source and the simulated venue; the engine only advances the clock, lets the world move
(``before_cycle`` feeds the venue the bars that traded since the last cycle), runs each cycle and
records what the account looked like afterwards. Outputs are polars frames with a canonical
digest, so two runs of the same manifest can be compared byte for byte.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

import numpy as np
import polars as pl
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from qgtm_backtest._metrics import Metrics, compute_metrics
from qgtm_core import CycleResult, Pipeline, PipelineError, canonical_bytes, digest

__all__ = ["BacktestResult", "CycleRecorder", "ReplayableClock", "run_backtest"]

_EQUITY_SCHEMA: dict[str, pl.DataType] = {
    "at": pl.Datetime("us", "UTC"),
    "equity": pl.Float64(),
    "cash": pl.Float64(),
    "gross": pl.Float64(),
    "net": pl.Float64(),
    "traded": pl.Float64(),
    "returns": pl.Float64(),
}
_FILL_SCHEMA: dict[str, pl.DataType] = {
    "at": pl.Datetime("us", "UTC"),
    "correlation_id": pl.String(),
    "client_order_id": pl.String(),
    "instrument": pl.String(),
    "side": pl.String(),
    "quantity": pl.Float64(),
    "price": pl.Float64(),
    "commission": pl.Float64(),
}
_EXPOSURE_SCHEMA: dict[str, pl.DataType] = {
    "at": pl.Datetime("us", "UTC"),
    "instrument": pl.String(),
    "weight": pl.Float64(),
}


class ReplayableClock(Protocol):
    """A clock the engine can move forward (``ManualClock`` or ``ReplayClock``)."""

    def now(self) -> datetime: ...

    def advance_to(self, at: datetime) -> None: ...


@dataclass(frozen=True)
class BacktestResult:
    """What a run produced; ``elapsed_seconds`` is wall time and is not part of the outputs."""

    equity: pl.DataFrame
    fills: pl.DataFrame
    exposure: pl.DataFrame
    metrics: Metrics
    cycles: int
    elapsed_seconds: float = 0.0

    @property
    def returns(self) -> pl.Series:
        """Per-cycle simple returns of equity."""
        return self.equity.get_column("returns")

    @property
    def final_equity(self) -> float:
        """Equity after the last cycle (NaN for an empty run)."""
        return float(self.equity.get_column("equity")[-1]) if self.equity.height else float("nan")

    def outputs(self) -> dict[str, bytes]:
        """The output files, byte for byte: CSV frames and canonical JSON metrics."""
        return {
            "equity.csv": self.equity.write_csv().encode(),
            "fills.csv": self.fills.write_csv().encode(),
            "exposure.csv": self.exposure.write_csv().encode(),
            "metrics.json": canonical_bytes(self.metrics),
        }

    def output_digest(self) -> str:
        """SHA-256 over every output file (name and bytes)."""
        return digest({name: digest(body.decode()) for name, body in self.outputs().items()})

    def write(self, directory: Path) -> dict[str, Path]:
        """Write the outputs into ``directory``; returns name -> path."""
        directory.mkdir(parents=True, exist_ok=True)
        written: dict[str, Path] = {}
        for name, body in self.outputs().items():
            path = directory / name
            path.write_bytes(body)
            written[name] = path
        return written


class CycleRecorder:
    """Turns cycle results into the equity, fill and exposure frames."""

    def __init__(self) -> None:
        self._equity: list[tuple[datetime, float, float, float, float, float]] = []
        self._fills: list[tuple[datetime, str, str, str, str, float, float, float]] = []
        self._exposure: list[tuple[datetime, str, float]] = []
        self._start_equity: float | None = None

    def observe(self, result: CycleResult) -> None:
        """Record one cycle (after its fills and reconciliation)."""
        if self._start_equity is None:
            self._start_equity = float(result.account.equity)
        account = result.execution.account
        equity = float(account.equity)
        weights = {str(i): account.weight(i) for i in sorted(account.positions)}
        traded = 0.0
        for fill in result.execution.fills:
            multiplier = float(account.multipliers.get(fill.instrument, 1))
            traded += abs(float(fill.quantity) * float(fill.price) * multiplier)
            self._fills.append(
                (
                    fill.at,
                    str(fill.correlation_id or ""),
                    str(fill.client_order_id),
                    str(fill.instrument),
                    fill.side.value,
                    float(fill.quantity),
                    float(fill.price),
                    float(fill.commission),
                )
            )
        self._exposure.extend((result.at, name, weight) for name, weight in weights.items())
        gross = sum(abs(w) for w in weights.values())
        net = sum(weights.values())
        self._equity.append((result.at, equity, float(account.cash), gross, net, traded))

    def result(self, elapsed_seconds: float = 0.0) -> BacktestResult:
        """Frames and metrics of everything observed."""
        rows = self._equity
        equity_values = np.asarray([r[1] for r in rows], dtype=np.float64)
        previous = np.concatenate(([self._start_equity or np.nan], equity_values[:-1]))
        returns = equity_values / previous - 1.0 if rows else np.asarray([], dtype=np.float64)
        equity = pl.DataFrame(
            [(*r, float(x)) for r, x in zip(rows, returns, strict=True)], schema=_EQUITY_SCHEMA, orient="row"
        )
        fills = pl.DataFrame(self._fills, schema=_FILL_SCHEMA, orient="row")
        exposure = pl.DataFrame(self._exposure, schema=_EXPOSURE_SCHEMA, orient="row")
        metrics = compute_metrics(
            returns,
            gross_exposure=equity.get_column("gross").to_numpy(),
            traded_notional=equity.get_column("traded").to_numpy(),
            equity=equity_values,
        )
        return BacktestResult(equity, fills, exposure, metrics, len(rows), elapsed_seconds)


def run_backtest(
    pipeline: Pipeline,
    clock: ReplayableClock,
    schedule: Sequence[datetime],
    before_cycle: Callable[[datetime], None] | None = None,
    *,
    after_cycle: Callable[[CycleResult], None] | None = None,
    progress: bool = False,
    description: str = "backtest",
    console: Console | None = None,
) -> BacktestResult:
    """Run one pipeline cycle per scheduled time; a progress bar on stderr when ``progress``."""
    if not schedule:
        msg = "backtest schedule is empty: no session between the configured start and end"
        raise PipelineError(msg)
    recorder = CycleRecorder()
    started = time.perf_counter()
    with Progress(
        TextColumn(f"[bold]{description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[day]}"),
        TimeRemainingColumn(),
        console=console or Console(stderr=True),
        transient=True,
        disable=not progress,
    ) as bar:
        task = bar.add_task(description, total=len(schedule), day="")
        for cycle, at in enumerate(schedule, start=1):
            clock.advance_to(at)
            if before_cycle is not None:
                before_cycle(at)
            result = pipeline.run_cycle(cycle)
            recorder.observe(result)
            if after_cycle is not None:
                after_cycle(result)
            bar.update(task, advance=1, day=at.date().isoformat())
    return recorder.result(time.perf_counter() - started)
