"""Research runs over the real ten-step pipeline: backtests, walk-forward, purged CV, sweeps.

The backtest is the daemon's pipeline wired by ``wiring.build_paper_rig`` (same features,
strategies, order logic and commission schedule) in backtest mode: a replay clock, the bundled
data and the simulated venue. This module adds what research needs around it: a check of the
whole configuration before anything runs, the run manifest (data hashes, config hash, code
version, seed, output digest), the tear sheet, and fold/sweep orchestration on a process pool
or Ray through ``qgtm_backtest``'s executors.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl
from pydantic import ValidationError

from qgtm_app.paths import RunPaths
from qgtm_app.wiring import build_paper_rig
from qgtm_backtest import (
    BacktestResult,
    EvalTask,
    ParamValue,
    RunManifest,
    Split,
    TaskExecutor,
    WindowKind,
    code_version,
    combinatorial_purged_splits,
    compute_metrics,
    hash_files,
    parameter_grid,
    purged_kfold_splits,
    render_tearsheet,
    run_backtest,
    sharpe,
    summarize_trials,
    walk_forward_splits,
)
from qgtm_core import ConfigError, InstrumentId, JsonValue, QgtmSettings, RunMode, to_jsonable
from qgtm_data import BUNDLED_BAR_FILES, BUNDLED_SERIES_FILES, BundledDailySource
from qgtm_strategies import build_strategies

__all__ = [
    "CODE_MODULES",
    "CvMethod",
    "ResearchRun",
    "backtest_settings",
    "benchmark_frame",
    "manifest_for",
    "oos_path",
    "pipeline_returns",
    "preflight",
    "returns_result",
    "run_pipeline_backtest",
    "select_by_cv",
    "settings_from_config",
    "write_outputs",
]

CODE_MODULES = (
    "qgtm_app",
    "qgtm_audit",
    "qgtm_backtest",
    "qgtm_compliance",
    "qgtm_core",
    "qgtm_data",
    "qgtm_execution",
    "qgtm_features",
    "qgtm_ml",
    "qgtm_portfolio",
    "qgtm_risk",
    "qgtm_strategies",
)
"""Packages whose source makes up the code version of a research run."""

_SERIES = ("DFII10",)
_FIELD_NAMES = {
    "walkforward.train": "backtest.train",
    "walkforward.test": "backtest.test",
    "walkforward.step": "backtest.step",
    "cv.embargo": "backtest.embargo",
    "cv.n_folds": "backtest.folds",
    "cv.n_groups": "backtest.folds",
}


class CvMethod:
    """Model-selection methods of ``qgtm walkforward``."""

    WALK_FORWARD = "walkforward"
    PURGED_KFOLD = "purged-kfold"
    CPCV = "cpcv"
    ALL = (WALK_FORWARD, PURGED_KFOLD, CPCV)


def backtest_settings(settings: QgtmSettings) -> QgtmSettings:
    """The same configuration in backtest mode on the simulated venue (never a real broker)."""
    data = settings.model_dump(mode="json")
    data["run"]["mode"] = RunMode.BACKTEST.value
    data["execution"]["broker"] = "paper"
    return settings_from_config(data, "configuration")


def settings_from_config(config: Mapping[str, Any], origin: str) -> QgtmSettings:
    """Validate a plain configuration mapping; errors name the dotted key."""
    try:
        return QgtmSettings(**config)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(p) for p in first["loc"])
        message = str(first["msg"]).removeprefix("Value error, ")
        msg = f"{origin}: {key}: {message}"
        raise ConfigError(msg) from None


def _with_overrides(config: Mapping[str, Any], params: Mapping[str, ParamValue]) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(json.dumps(config))
    for dotted, value in params.items():
        node = data
        *parents, leaf = dotted.split(".")
        for part in parents:
            child = node.get(part)
            if not isinstance(child, dict):
                msg = f"backtest.sweep: unknown key {dotted!r}"
                raise ConfigError(msg)
            node = child
        if leaf not in node:
            msg = f"backtest.sweep: unknown key {dotted!r}"
            raise ConfigError(msg)
        node[leaf] = value
    return data


def _rename(exc: ConfigError) -> ConfigError:
    text = str(exc)
    for old, new in _FIELD_NAMES.items():
        if text.startswith(old + ":"):
            return ConfigError(new + text.removeprefix(old))
    return exc


def _sessions(settings: QgtmSettings) -> list[datetime]:
    run = settings.run
    source = BundledDailySource(
        run.data_dir,
        run.instruments,
        series=_SERIES,
        bar_delay=timedelta(minutes=settings.data.bar_publication_delay_minutes),
    )
    sessions = [
        s for s in source.common_sessions() if s.date() >= run.start and (run.end is None or s.date() <= run.end)
    ]
    if not sessions:
        msg = f"run.start/run.end: no trading session of {', '.join(run.instruments)} between {run.start} and {run.end}"
        raise ConfigError(msg)
    if run.max_cycles is not None:
        sessions = sessions[: run.max_cycles]
    return sessions


def preflight(settings: QgtmSettings, method: str | None = None) -> tuple[list[datetime], list[Split]]:
    """Check everything that can be checked before a run starts; returns the sessions and folds.

    Unknown strategies, unknown or invalid sweep keys, windows longer than the data and an
    embargo not smaller than a fold all fail here, with the configuration key in the message.
    """
    build_strategies(settings.strategies.enabled)
    base = settings.model_dump(mode="json")
    for params in parameter_grid(settings.backtest.sweep):
        candidate = settings_from_config(_with_overrides(base, params), "backtest.sweep")
        build_strategies(candidate.strategies.enabled)
    sessions = _sessions(settings)
    if method is None:
        return sessions, []
    bt = settings.backtest
    if method not in CvMethod.ALL:
        msg = f"--method: unknown method {method!r} (choose {', '.join(CvMethod.ALL)})"
        raise ConfigError(msg)
    try:
        if method == CvMethod.WALK_FORWARD:
            kind = WindowKind(bt.window)
            splits = walk_forward_splits(len(sessions), bt.train, bt.test, step=bt.step, kind=kind)
        elif method == CvMethod.PURGED_KFOLD:
            splits = purged_kfold_splits(len(sessions), bt.folds, embargo=bt.embargo, horizon=bt.embargo)
        else:
            splits = combinatorial_purged_splits(len(sessions), bt.folds, 2, embargo=bt.embargo, horizon=bt.embargo)
    except ConfigError as exc:
        raise _rename(exc) from None
    return sessions, splits


def run_pipeline_backtest(
    settings: QgtmSettings,
    workdir: Path,
    *,
    start: int = 0,
    stop: int | None = None,
    progress: bool = False,
) -> BacktestResult:
    """One backtest of the real pipeline over sessions ``[start, stop)`` of the configured window."""
    workdir.mkdir(parents=True, exist_ok=True)
    rig = build_paper_rig(backtest_settings(settings), RunPaths(workdir))
    try:
        schedule = rig.schedule
        if settings.run.max_cycles is not None:
            schedule = schedule[: settings.run.max_cycles]
        return run_backtest(rig.pipeline, rig.clock, schedule[start:stop], rig.feed_venue, progress=progress)
    finally:
        rig.close()


def pipeline_returns(config_json: str, task: EvalTask) -> npt.NDArray[np.float64]:
    """Sweep/fold objective: per-session returns of the pipeline with ``task.params`` applied.

    Module-level and fed a JSON string so it pickles to a spawned worker or a Ray node.
    """
    config = _with_overrides(json.loads(config_json), task.params)
    settings = settings_from_config(config, "backtest.sweep")
    with tempfile.TemporaryDirectory(prefix="qgtm-fold-") as tmp:
        result = run_pipeline_backtest(settings, Path(tmp), start=task.start, stop=task.stop)
    return result.returns.to_numpy().astype(np.float64)


@dataclass(frozen=True)
class ResearchRun:
    """A finished run: the frames, the fold table (walk-forward only), the manifest."""

    result: BacktestResult
    manifest: RunManifest
    folds: pl.DataFrame | None = None


def _recorded_config(settings: QgtmSettings) -> dict[str, JsonValue]:
    data = settings.model_dump(mode="json")
    data["run"].pop("var_dir", None)  # where outputs go does not change them
    jsonable = to_jsonable(data)
    assert isinstance(jsonable, dict)  # a model dump is a mapping
    return jsonable


def manifest_for(kind: str, settings: QgtmSettings, result: BacktestResult) -> RunManifest:
    """Manifest of a run: data shard hashes, config, code version, seed and output digests."""
    files = [BUNDLED_BAR_FILES[i] for i in settings.run.instruments] + [BUNDLED_SERIES_FILES[s] for s in _SERIES]
    outputs = result.outputs()
    return RunManifest(
        kind=kind,
        config=_recorded_config(settings),
        data=hash_files(settings.run.data_dir, files),
        code_version=code_version(CODE_MODULES, "qgtm"),
        seed=settings.run.seed,
        output_digest=result.output_digest(),
        outputs={name: _sha256(body) for name, body in outputs.items()},
    )


def _sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def write_outputs(
    run: ResearchRun, directory: Path, title: str, benchmark: pl.DataFrame | None = None
) -> dict[str, Path]:
    """Outputs, manifest and tear sheet into ``directory``."""
    written = run.result.write(directory)
    if run.folds is not None:
        path = directory / "folds.csv"
        path.write_bytes(run.folds.write_csv().encode())
        written["folds.csv"] = path
    written["manifest.json"] = run.manifest.write(directory / "manifest.json")
    manifest_view = json.loads(run.manifest.to_json())
    page = render_tearsheet(run.result, title=title, benchmark=benchmark, folds=run.folds, manifest=manifest_view)
    tearsheet = directory / "tearsheet.html"
    tearsheet.write_text(page, encoding="utf-8")
    written["tearsheet.html"] = tearsheet
    return written


def returns_result(sessions: Sequence[datetime], returns: npt.NDArray[np.float64], initial: float) -> BacktestResult:
    """A result frame from chained out-of-sample returns (no fills: those live in each fold's run)."""
    equity = initial * np.cumprod(1 + returns)
    frame = pl.DataFrame(
        {
            "at": list(sessions),
            "equity": equity,
            "cash": np.full(returns.size, np.nan),
            "gross": np.full(returns.size, np.nan),
            "net": np.full(returns.size, np.nan),
            "traded": np.zeros(returns.size),
            "returns": returns,
        },
        schema_overrides={"at": pl.Datetime("us", "UTC")},
    )
    fills = pl.DataFrame(schema={"at": pl.Datetime("us", "UTC"), "instrument": pl.String()})
    exposure = pl.DataFrame(schema={"at": pl.Datetime("us", "UTC"), "instrument": pl.String(), "weight": pl.Float64()})
    return BacktestResult(frame, fills, exposure, compute_metrics(returns), int(returns.size))


def select_by_cv(
    settings: QgtmSettings, splits: Sequence[Split], executor: TaskExecutor, n_sessions: int
) -> tuple[pl.DataFrame, list[npt.NDArray[np.float64]], float, float | None]:
    """Purged K-fold / CPCV selection over full-period returns of every grid point.

    Each grid point is backtested once over all sessions; each fold then picks the best point on
    its purged, embargoed training rows and scores it on its test rows. Returns the fold table,
    the test returns of the chosen points (in fold order), the deflated Sharpe of the best grid
    point and the PBO of the grid.
    """
    config = json.dumps(settings.model_dump(mode="json"))
    params = parameter_grid(settings.backtest.sweep)
    matrix = executor.map(partial(pipeline_returns, config), [EvalTask(p, 0, n_sessions) for p in params])
    summary = summarize_trials(params, matrix)
    rows = []
    chosen_returns: list[npt.NDArray[np.float64]] = []
    for split in splits:
        scores = [np.nan_to_num(sharpe(r[split.train])) for r in matrix]
        best = int(np.argmax(scores))
        test = matrix[best][split.test]
        chosen_returns.append(test)
        rows.append(
            {
                "fold": split.fold,
                "train_rows": int(split.train.size),
                "test_rows": int(split.test.size),
                "params": ", ".join(f"{k}={v}" for k, v in params[best].items()) or "(defaults)",
                "is_sharpe": float(scores[best]),
                "oos_sharpe": float(np.nan_to_num(sharpe(test))),
            }
        )
    pbo = summary.pbo.pbo if summary.pbo is not None else None
    return pl.DataFrame(rows), chosen_returns, summary.deflated_sharpe, pbo


def benchmark_frame(settings: QgtmSettings) -> pl.DataFrame:
    """Buy-and-hold of the first configured instrument (``at``, ``equity``) for the tear sheet."""
    run = settings.run
    source = BundledDailySource(
        run.data_dir,
        run.instruments[:1],
        series=(),
        bar_delay=timedelta(minutes=settings.data.bar_publication_delay_minutes),
    )
    bars = source.bars(InstrumentId(run.instruments[0]))
    return bars.select(pl.col("available_at").alias("at"), pl.col("close").alias("equity"))


def oos_path(
    sessions: Sequence[datetime], splits: Sequence[Split], fold_returns: Sequence[npt.NDArray[np.float64]]
) -> tuple[list[datetime], npt.NDArray[np.float64]]:
    """Out-of-sample sessions and returns; rows tested by several CPCV splits are averaged."""
    total = np.zeros(len(sessions))
    count = np.zeros(len(sessions))
    for split, returns in zip(splits, fold_returns, strict=True):
        np.add.at(total, split.test, returns)
        np.add.at(count, split.test, 1)
    rows = np.flatnonzero(count)
    return [sessions[int(i)] for i in rows], total[rows] / count[rows]
