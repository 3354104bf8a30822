"""Backtesting and research for QGTM: the simulated venue (also the paper broker of the daemon),
the replay engine that runs the ten-step pipeline, walk-forward and purged CV, sweeps on a process
pool or Ray, metrics, overfitting statistics, run manifests and HTML tear sheets.

    from decimal import Decimal
    from qgtm_backtest import BarFeed, MovingAverageCross, ReplayClock, SimulatedVenue, run_bars

See ``docs/notebook-backtest.md`` for a notebook walk-through.
"""

from qgtm_backtest._bars import BarContext, BarFeed, BarRunResult, BarStrategy, FillTiming, run_bars
from qgtm_backtest._clock import ReplayClock, from_ns, to_ns
from qgtm_backtest._commission import BpsCommission, CommissionSchedule, FuturesCommission, PerShareCommission
from qgtm_backtest._engine import BacktestResult, CycleRecorder, ReplayableClock, run_backtest
from qgtm_backtest._examples import Ema, MaKind, MovingAverageCross, ma_cross_returns
from qgtm_backtest._executor import (
    ProcessPoolTaskExecutor,
    RayTaskExecutor,
    SerialTaskExecutor,
    TaskExecutor,
    executor_for,
)
from qgtm_backtest._fills import FillModel, Slippage, trigger
from qgtm_backtest._manifest import RunManifest, code_version, hash_files, read_manifest, sha256_file, verify_inputs
from qgtm_backtest._metrics import (
    PERIODS_PER_YEAR,
    Metrics,
    annual_volatility,
    cagr,
    calmar,
    compute_metrics,
    cvar,
    drawdown,
    hit_rate,
    max_drawdown,
    max_drawdown_duration,
    metrics_table,
    profit_factor,
    sharpe,
    sortino,
)
from qgtm_backtest._overfit import (
    PboResult,
    deflated_sharpe_ratio,
    expected_max_sharpe,
    probability_of_backtest_overfitting,
)
from qgtm_backtest._splits import (
    Split,
    WindowKind,
    combinatorial_purged_splits,
    purged_kfold_splits,
    walk_forward_splits,
)
from qgtm_backtest._sweep import (
    EvalTask,
    ParamValue,
    SweepResult,
    WalkForwardResult,
    parameter_grid,
    run_sweep,
    run_walk_forward,
    summarize_trials,
)
from qgtm_backtest._tearsheet import render_tearsheet
from qgtm_backtest._venue import Bracket, SimulatedVenue, VenueRules

__all__ = [
    "PERIODS_PER_YEAR",
    "BacktestResult",
    "BarContext",
    "BarFeed",
    "BarRunResult",
    "BarStrategy",
    "BpsCommission",
    "Bracket",
    "CommissionSchedule",
    "CycleRecorder",
    "Ema",
    "EvalTask",
    "FillModel",
    "FillTiming",
    "FuturesCommission",
    "MaKind",
    "Metrics",
    "MovingAverageCross",
    "ParamValue",
    "PboResult",
    "PerShareCommission",
    "ProcessPoolTaskExecutor",
    "RayTaskExecutor",
    "ReplayClock",
    "ReplayableClock",
    "RunManifest",
    "SerialTaskExecutor",
    "SimulatedVenue",
    "Slippage",
    "Split",
    "SweepResult",
    "TaskExecutor",
    "VenueRules",
    "WalkForwardResult",
    "WindowKind",
    "annual_volatility",
    "cagr",
    "calmar",
    "code_version",
    "combinatorial_purged_splits",
    "compute_metrics",
    "cvar",
    "deflated_sharpe_ratio",
    "drawdown",
    "executor_for",
    "expected_max_sharpe",
    "from_ns",
    "hash_files",
    "hit_rate",
    "ma_cross_returns",
    "max_drawdown",
    "max_drawdown_duration",
    "metrics_table",
    "parameter_grid",
    "probability_of_backtest_overfitting",
    "profit_factor",
    "purged_kfold_splits",
    "read_manifest",
    "render_tearsheet",
    "run_backtest",
    "run_bars",
    "run_sweep",
    "run_walk_forward",
    "sha256_file",
    "sharpe",
    "sortino",
    "summarize_trials",
    "to_ns",
    "trigger",
    "verify_inputs",
    "walk_forward_splits",
]
