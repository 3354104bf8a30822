"""Parameter sweeps and walk-forward selection on any ``TaskExecutor``.

The objective is a module-level function ``(EvalTask) -> returns`` so it can travel to a worker
process or a Ray node; it evaluates one parameter set on one slice of the replay schedule. A
sweep evaluates the grid on one slice and reports the deflated Sharpe ratio of the winner and
the probability of backtest overfitting of the whole grid. A walk-forward repeats the selection
on each training window and chains the winners' out-of-sample returns.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from qgtm_backtest._executor import TaskExecutor
from qgtm_backtest._metrics import sharpe
from qgtm_backtest._overfit import PboResult, deflated_sharpe_ratio, probability_of_backtest_overfitting
from qgtm_backtest._splits import Split
from qgtm_core import ConfigError

__all__ = [
    "EvalTask",
    "ParamValue",
    "SweepResult",
    "WalkForwardResult",
    "parameter_grid",
    "run_sweep",
    "run_walk_forward",
    "summarize_trials",
]

ParamValue = float | int | str
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class EvalTask:
    """Evaluate ``params`` on schedule rows ``[start, stop)``."""

    params: Mapping[str, ParamValue]
    start: int
    stop: int


Objective = Callable[[EvalTask], FloatArray]


def parameter_grid(grid: Mapping[str, Sequence[ParamValue]]) -> list[dict[str, ParamValue]]:
    """Cartesian product in sorted-key order (deterministic trial numbering)."""
    keys = sorted(grid)
    for key in keys:
        if not grid[key]:
            msg = f"backtest.sweep.{key}: no values to try"
            raise ConfigError(msg)
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*(grid[k] for k in keys))] or [{}]


@dataclass(frozen=True)
class SweepResult:
    """Every trial's returns and the overfitting statistics of picking the best one."""

    params: tuple[dict[str, ParamValue], ...]
    returns: FloatArray
    sharpes: FloatArray
    best: int
    deflated_sharpe: float
    pbo: PboResult | None

    def table(self) -> pl.DataFrame:
        """One row per trial: parameters and annualised Sharpe."""
        rows = [
            {**p, "trial": k, "sharpe": float(s)}
            for k, (p, s) in enumerate(zip(self.params, self.sharpes, strict=True))
        ]
        return pl.DataFrame(rows)


def _moments(r: FloatArray) -> tuple[float, float]:
    centred = r - r.mean()
    var = float(np.mean(centred**2))
    if var == 0:
        return 0.0, 3.0
    return float(np.mean(centred**3) / var**1.5), float(np.mean(centred**4) / var**2)


def summarize_trials(
    params: Sequence[dict[str, ParamValue]], returns: Sequence[FloatArray], pbo_splits: int = 8
) -> SweepResult:
    """Pick the best trial by Sharpe; deflate it by the number of trials; CSCV PBO when possible."""
    lengths = {r.size for r in returns}
    if len(lengths) != 1:
        msg = f"sweep: trials returned different lengths {sorted(lengths)}; they must share one schedule"
        raise ConfigError(msg)
    matrix = np.column_stack([np.nan_to_num(r) for r in returns])
    per_period = np.asarray([sharpe(matrix[:, k], periods=1) for k in range(matrix.shape[1])])
    per_period = np.nan_to_num(per_period)
    best = int(np.argmax(per_period))
    n_obs = matrix.shape[0]
    skew, kurt = _moments(matrix[:, best])
    variance = float(np.var(per_period, ddof=1)) if per_period.size > 1 else 0.0
    try:
        dsr = deflated_sharpe_ratio(float(per_period[best]), variance, per_period.size, n_obs, skew, kurt)
    except ValueError:
        dsr = math.nan
    pbo = None
    if matrix.shape[1] >= 2 and n_obs >= 2 * pbo_splits:
        pbo = probability_of_backtest_overfitting(matrix, pbo_splits)
    return SweepResult(tuple(params), matrix, per_period * math.sqrt(252), best, dsr, pbo)


def run_sweep(
    objective: Objective,
    grid: Mapping[str, Sequence[ParamValue]],
    executor: TaskExecutor,
    start: int,
    stop: int,
    pbo_splits: int = 8,
) -> SweepResult:
    """Evaluate every grid point on rows ``[start, stop)``."""
    params = parameter_grid(grid)
    returns = executor.map(objective, [EvalTask(p, start, stop) for p in params])
    return summarize_trials(params, returns, pbo_splits)


@dataclass(frozen=True)
class WalkForwardResult:
    """Per-fold choices and the chained out-of-sample returns."""

    folds: pl.DataFrame
    oos_returns: FloatArray
    chosen: tuple[dict[str, ParamValue], ...]


def run_walk_forward(
    objective: Objective,
    grid: Mapping[str, Sequence[ParamValue]],
    splits: Sequence[Split],
    executor: TaskExecutor,
) -> WalkForwardResult:
    """For each split pick the best grid point in-sample, then run it out of sample."""
    params = parameter_grid(grid)
    for split in splits:
        for name, block in (("train", split.train), ("test", split.test)):
            if block.size == 0 or int(block[-1]) - int(block[0]) + 1 != block.size:
                msg = f"walkforward: fold {split.fold} {name} rows must be one contiguous block"
                raise ConfigError(msg)
    train_tasks = [EvalTask(p, int(s.train[0]), int(s.train[-1]) + 1) for s in splits for p in params]
    train_returns = executor.map(objective, train_tasks)
    chosen: list[dict[str, ParamValue]] = []
    in_sample: list[float] = []
    for k in range(len(splits)):
        trials = train_returns[k * len(params) : (k + 1) * len(params)]
        scores = [np.nan_to_num(sharpe(r)) for r in trials]
        best = int(np.argmax(scores))
        chosen.append(params[best])
        in_sample.append(float(scores[best]))
    test_tasks = [EvalTask(p, int(s.test[0]), int(s.test[-1]) + 1) for s, p in zip(splits, chosen, strict=True)]
    test_returns = executor.map(objective, test_tasks)
    rows = [
        {
            "fold": s.fold,
            "train_start": int(s.train[0]),
            "train_stop": int(s.train[-1]) + 1,
            "test_start": int(s.test[0]),
            "test_stop": int(s.test[-1]) + 1,
            "params": ", ".join(f"{k}={v}" for k, v in p.items()) or "(defaults)",
            "is_sharpe": is_,
            "oos_sharpe": float(np.nan_to_num(sharpe(r))),
            "oos_return": float(np.prod(1 + np.nan_to_num(r)) - 1),
        }
        for s, p, is_, r in zip(splits, chosen, in_sample, test_returns, strict=True)
    ]
    oos = np.concatenate(test_returns) if test_returns else np.asarray([], dtype=np.float64)
    return WalkForwardResult(pl.DataFrame(rows), oos, tuple(chosen))
