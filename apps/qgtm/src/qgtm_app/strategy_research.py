"""Out-of-sample walk-forward evaluation of the strategy library on the bundled real data.

Method (also written into ``docs/strategies.md``): features are computed once in batch by the
same definitions the live engine uses; every strategy is run bar by bar through its real
``generate`` method for each parameter set of its small grid; positions are the signed
convictions, held from one close to the next (lagged one bar); costs are ``commission_bps`` per
unit of turnover. Rolling folds: parameters are chosen by in-sample Sharpe over ``train_bars``
and evaluated on the next ``test_bars``; only those test windows are reported.
"""

from __future__ import annotations

import csv
import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from qgtm_core import DataError, FeatureSet, InstrumentId
from qgtm_data import daily_bar_times, next_business_morning, read_fred_daily, read_yahoo_daily
from qgtm_features import FeatureLibrary
from qgtm_strategies import CATALOGUE, BaseStrategy, StrategyParams

__all__ = [
    "AblationRow",
    "Metrics",
    "ResearchData",
    "ResearchRun",
    "StrategyResult",
    "WalkForwardConfig",
    "ablation",
    "load_research_data",
    "metrics",
    "pnl",
    "render_markdown",
    "run_research",
]

_BARS = {
    "GLD": "etf/GLD_daily_yahoo_2004_2024.csv",
    "SLV": "etf/SLV_daily_yahoo_2006_2024.csv",
    "SPY": "equities/SPY_daily_yahoo_1993_2024.csv",
    "QQQ": "equities/QQQ_daily_yahoo_1999_2024.csv",
}
_FRED = {"DFII10": "fred/DFII10.csv", "DTWEXBGS": "fred/DTWEXBGS.csv"}
_COT = {"GOLD": "cot/cot_gold_disagg_2006_2026.csv", "SILVER": "cot/cot_silver_disagg_2006_2026.csv"}
_SPDR = "etf/GLD_spdr_nav_holdings_2004_2025.csv"
_SPDR_CLOSED = frozenset({"HOLIDAY", "NYSE Closed"})
"""Markers the SPDR archive writes instead of values on exchange holidays and closures (Sandy)."""
_GC = "prices/comex_gc_front_openclose_2006_2026.csv"
_TS = pl.Datetime("us", "UTC")
_BAR_DELAY = timedelta(minutes=15)


# ---------------------------------------------------------------- data


@dataclass(frozen=True)
class ResearchData:
    """Bars per instrument and point-in-time series, as the live snapshot would hold them."""

    bars: Mapping[InstrumentId, pl.DataFrame]
    series: Mapping[str, pl.DataFrame]


def _rows(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        msg = f"{path}: data file not found"
        raise DataError(msg)
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle, skipinitialspace=True)
        return [dict(row) for row in reader]


def _float(path: Path, row: int, name: str, text: str | None) -> float:
    try:
        value = float((text or "").strip().lstrip("$").rstrip("%"))
    except ValueError:
        msg = f"{path}: row {row}: field {name!r}: not a number: {text!r}"
        raise DataError(msg) from None
    if not math.isfinite(value):
        msg = f"{path}: row {row}: field {name!r}: not finite: {text!r}"
        raise DataError(msg)
    return value


def _day(path: Path, row: int, text: str | None, fmt: str) -> date:
    try:
        return datetime.strptime((text or "").strip(), fmt).replace(tzinfo=UTC).date()
    except ValueError:
        msg = f"{path}: row {row}: field 'date': not a {fmt} date: {text!r}"
        raise DataError(msg) from None


def _series(stamps: list[tuple[datetime, datetime, float]]) -> pl.DataFrame:
    frame = pl.DataFrame(
        {
            "as_of": [s[0] for s in stamps],
            "available_at": [s[1] for s in stamps],
            "value": [s[2] for s in stamps],
        },
        schema={"as_of": _TS, "available_at": _TS, "value": pl.Float64},
    )
    return frame.sort("available_at")


def _cot_release(as_of: date) -> datetime:
    """COT positions as of a Tuesday are released the Friday after at 15:30 ET (3+ days later)."""
    day = as_of + timedelta(days=3)
    while day.weekday() != 4:  # Friday
        day += timedelta(days=1)
    return datetime.combine(day, time(15, 30), daily_bar_times(day, timedelta())[0].tzinfo).astimezone(UTC)


def _read_cot(path: Path, market: str) -> dict[str, pl.DataFrame]:
    managed: list[tuple[datetime, datetime, float]] = []
    commercial: list[tuple[datetime, datetime, float]] = []
    for number, row in enumerate(_rows(path), start=2):
        as_of = _day(path, number, row.get("date"), "%Y-%m-%d")
        stamp = datetime.combine(as_of, time(0), UTC)
        released = _cot_release(as_of)
        mm = _float(path, number, "mm_net", row.get("mm_net"))
        comm = _float(path, number, "pm_net", row.get("pm_net")) + _float(path, number, "sd_net", row.get("sd_net"))
        managed.append((stamp, released, mm))
        commercial.append((stamp, released, comm))
    return {f"COT_{market}_MM_NET": _series(managed), f"COT_{market}_COMM_NET": _series(commercial)}


def _read_spdr(path: Path) -> dict[str, pl.DataFrame]:
    tonnes: list[tuple[datetime, datetime, float]] = []
    ounces: list[tuple[datetime, datetime, float]] = []
    tonnes_col = "Total Net Asset Value Tonnes in the Trust as at 4.15 p.m. NYT"
    for number, row in enumerate(_rows(path), start=2):
        if (row.get("GLD Close") or "").strip() in _SPDR_CLOSED:
            continue
        day = _day(path, number, row.get("Date"), "%d-%b-%Y")
        stamp = datetime.combine(day, time(0), UTC)
        known = next_business_morning(day).astimezone(UTC)
        tonnes.append((stamp, known, _float(path, number, tonnes_col, row.get(tonnes_col))))
        per_1000 = _float(path, number, "NAV per GLD in Gold", row.get("NAV per GLD in Gold"))
        ounces.append((stamp, known, per_1000 / 1000.0))
    return {"GLD_TONNES": _series(tonnes), "GLD_OZ": _series(ounces)}


def _read_gc(path: Path) -> pl.DataFrame:
    closes: list[tuple[datetime, datetime, float]] = []
    for number, row in enumerate(_rows(path), start=2):
        day = _day(path, number, row.get("date"), "%Y-%m-%d")
        as_of, available = daily_bar_times(day, _BAR_DELAY)
        closes.append(
            (as_of.astimezone(UTC), available.astimezone(UTC), _float(path, number, "close", row.get("close")))
        )
    return _series(closes)


def load_research_data(data_dir: Path) -> ResearchData:
    """Bars of GLD, SLV, SPY, QQQ and the macro, COT, ETF-holdings and futures series."""
    bars = {InstrumentId(k): read_yahoo_daily(data_dir / v, _BAR_DELAY) for k, v in _BARS.items()}
    series: dict[str, pl.DataFrame] = {k: read_fred_daily(data_dir / v) for k, v in _FRED.items()}
    for market, relative in _COT.items():
        series.update(_read_cot(data_dir / relative, market))
    series.update(_read_spdr(data_dir / _SPDR))
    series["GC"] = _read_gc(data_dir / _GC)
    return ResearchData(bars, series)


# ---------------------------------------------------------------- metrics


@dataclass(frozen=True)
class Metrics:
    """Out-of-sample performance of a daily return stream."""

    sharpe: float
    max_drawdown: float
    turnover: float
    """Average yearly sum of absolute position changes, in units of capital."""
    profit_factor: float
    annual_return: float
    exposure: float
    """Fraction of days with a non-zero position."""


def pnl(positions: np.ndarray, returns: np.ndarray, commission_bps: float) -> tuple[np.ndarray, np.ndarray]:
    """Daily net returns of ``positions`` decided at each close and held to the next; and turnover."""
    held = np.vstack([np.zeros((1, positions.shape[1])), positions[:-1]])
    gross = np.nansum(held * returns, axis=1)
    trades = np.abs(np.diff(positions, axis=0, prepend=np.zeros((1, positions.shape[1])))).sum(axis=1)
    return gross - trades * commission_bps / 1e4, trades


def metrics(returns: np.ndarray, trades: np.ndarray, positions: np.ndarray) -> Metrics:
    """Sharpe (252 days), max drawdown of compounded equity, turnover, profit factor, exposure."""
    n = returns.shape[0]
    if n == 0:
        return Metrics(0.0, 0.0, 0.0, float("nan"), 0.0, 0.0)
    std = float(returns.std(ddof=1)) if n > 1 else 0.0
    sharpe = float(returns.mean()) / std * math.sqrt(252.0) if std > 0 else 0.0
    equity = np.cumprod(1.0 + returns)
    drawdown = float(np.max(1.0 - equity / np.maximum.accumulate(equity)))
    gains, losses = float(returns[returns > 0].sum()), float(-returns[returns < 0].sum())
    profit_factor = gains / losses if losses > 0 else (float("inf") if gains > 0 else float("nan"))
    years = n / 252.0
    annual = float(equity[-1]) ** (1.0 / years) - 1.0 if equity[-1] > 0 else -1.0
    exposure = float((np.abs(positions).sum(axis=1) > 0).mean())
    return Metrics(sharpe, max(drawdown, 0.0), float(trades.sum()) / years, profit_factor, annual, exposure)


# ---------------------------------------------------------------- walk-forward


@dataclass(frozen=True)
class WalkForwardConfig:
    """Fold sizes in bars and costs."""

    train_bars: int = 756
    test_bars: int = 252
    commission_bps: float = 2.0


@dataclass(frozen=True)
class StrategyResult:
    """One strategy's out-of-sample record."""

    name: str
    family: str
    hypothesis: str
    metrics: Metrics
    chosen: tuple[str, ...]
    """The parameters chosen in-sample for each fold."""
    positions: np.ndarray = field(repr=False)
    """Out-of-sample positions, one row per test bar, one column per instrument."""


@dataclass(frozen=True)
class ResearchRun:
    """Everything the report and the ablation need."""

    config: WalkForwardConfig
    instruments: tuple[str, ...]
    dates: tuple[date, ...]
    """Out-of-sample dates."""
    returns: np.ndarray = field(repr=False)
    """Out-of-sample instrument returns, aligned with ``dates``."""
    results: tuple[StrategyResult, ...]


StrategyClass = type[BaseStrategy[StrategyParams]]


def _grid(cls: StrategyClass) -> list[StrategyParams]:
    keys = sorted(cls.grid)
    if not keys:
        return [cls.params_type()]
    return [
        cls.params_type.model_validate(dict(zip(keys, values, strict=True)))
        for values in itertools.product(*(cls.grid[k] for k in keys))
    ]


def _positions(
    strategy: BaseStrategy[StrategyParams], feature_sets: Sequence[FeatureSet], columns: Mapping[InstrumentId, int]
) -> np.ndarray:
    out = np.zeros((len(feature_sets), len(columns)))
    for t, features in enumerate(feature_sets):
        for signal in strategy.generate(features):
            column = columns.get(signal.instrument)
            if column is not None:
                out[t, column] += signal.score
    return out


def _sharpe(returns: np.ndarray) -> float:
    std = float(returns.std(ddof=1)) if returns.shape[0] > 1 else 0.0
    return float(returns.mean()) / std if std > 0 else 0.0


def _folds(n: int, config: WalkForwardConfig) -> list[tuple[int, int]]:
    starts = range(config.train_bars, n, config.test_bars)
    return [(s, min(s + config.test_bars, n)) for s in starts]


def _walk_forward(
    cls: StrategyClass,
    feature_sets: Sequence[FeatureSet],
    returns: np.ndarray,
    columns: Mapping[InstrumentId, int],
    config: WalkForwardConfig,
) -> StrategyResult:
    candidates = _grid(cls)
    runs = []
    for params in candidates:
        positions = _positions(cls(params), feature_sets, columns)
        daily, _ = pnl(positions, returns, config.commission_bps)
        runs.append((params, positions, daily))
    chosen: list[str] = []
    pieces: list[np.ndarray] = []
    for start, end in _folds(len(feature_sets), config):
        best = max(runs, key=lambda run: _sharpe(run[2][start - config.train_bars : start]))
        chosen.append(", ".join(f"{k}={getattr(best[0], k)}" for k in sorted(cls.grid)) or "defaults")
        pieces.append(best[1][start:end])
    oos_positions = np.vstack(pieces)
    first = config.train_bars
    oos_returns = returns[first : first + oos_positions.shape[0]]
    daily, trades = pnl(oos_positions, oos_returns, config.commission_bps)
    return StrategyResult(
        cls.name, cls.family, cls.hypothesis(), metrics(daily, trades, oos_positions), tuple(chosen), oos_positions
    )


def run_research(
    data_dir: Path,
    config: WalkForwardConfig | None = None,
    names: Sequence[str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> ResearchRun:
    """Features in batch, then the walk-forward of every (or the named) strategy."""
    cfg = config or WalkForwardConfig()
    data = load_research_data(data_dir)
    history = FeatureLibrary().history(data.bars, data.series)
    feature_sets = list(history.feature_sets())
    instruments = tuple(sorted(data.bars))
    closes = history.cross.select("as_of").join(
        pl.concat([v.select("as_of", pl.col("close").alias(str(k))) for k, v in data.bars.items()], how="align"),
        on="as_of",
        how="left",
    )
    prices = closes.select(instruments).to_numpy()
    returns = np.vstack([np.full((1, len(instruments)), np.nan), prices[1:] / prices[:-1] - 1.0])
    returns = np.nan_to_num(returns, nan=0.0)
    if len(feature_sets) <= cfg.train_bars:
        msg = f"{data_dir}: only {len(feature_sets)} aligned bars, fewer than train_bars {cfg.train_bars}"
        raise DataError(msg)
    columns = {InstrumentId(name): i for i, name in enumerate(instruments)}
    wanted = set(names) if names else None
    results = []
    for cls in CATALOGUE:
        if wanted is not None and cls.name not in wanted:
            continue
        if progress is not None:
            progress(cls.name)
        results.append(_walk_forward(cls, feature_sets, returns, columns, cfg))
    dates = tuple(d.date() for d in history.cross.get_column("as_of").to_list())
    n_oos = results[0].positions.shape[0] if results else 0
    oos = slice(cfg.train_bars, cfg.train_bars + n_oos)
    return ResearchRun(cfg, instruments, dates[oos], returns[oos], tuple(results))


# ---------------------------------------------------------------- ablation


@dataclass(frozen=True)
class AblationRow:
    """The ensemble without one strategy, against the full ensemble."""

    removed: str
    profit_factor_change: float
    sharpe_change: float
    drawdown_change: float


def _ensemble(run: ResearchRun, members: Sequence[StrategyResult]) -> Metrics:
    positions = np.mean([r.positions for r in members], axis=0)
    daily, trades = pnl(positions, run.returns, run.config.commission_bps)
    return metrics(daily, trades, positions)


def ablation(run: ResearchRun) -> tuple[Metrics, list[AblationRow]]:
    """Equal-weight ensemble of the out-of-sample positions, and the change when each is removed.

    A positive Sharpe change means the ensemble is better *without* that strategy.
    """
    if len(run.results) < 2:
        msg = "ablation needs at least two strategies"
        raise DataError(msg)
    full = _ensemble(run, run.results)
    rows = []
    for result in run.results:
        rest = _ensemble(run, [r for r in run.results if r is not result])
        rows.append(
            AblationRow(
                result.name,
                rest.profit_factor - full.profit_factor,
                rest.sharpe - full.sharpe,
                rest.max_drawdown - full.max_drawdown,
            )
        )
    return full, rows


# ---------------------------------------------------------------- report


def _fmt(x: float, pattern: str = "{:.2f}") -> str:
    return "n/a" if math.isnan(x) else "inf" if math.isinf(x) else pattern.format(x)


def render_markdown(run: ResearchRun, command: str) -> str:
    """``docs/strategies.md``: method, data and the out-of-sample table."""
    cfg = run.config
    first, last = (run.dates[0], run.dates[-1]) if run.dates else ("-", "-")
    full, _ = ablation(run) if len(run.results) >= 2 else (None, [])
    lines = [
        "# Strategy library: out-of-sample walk-forward results",
        "",
        f"Generated by `{command}`; do not edit by hand.",
        "",
        "## Method",
        "",
        "- Data: the bundled real files in `data/` (see `data/SOURCES.md`): GLD, SLV, SPY and QQQ daily",
        "  bars (Yahoo), FRED DFII10 (real yield) and DTWEXBGS (broad dollar), CFTC disaggregated COT for",
        "  gold and silver, SPDR Gold Trust tonnes and ounces per share, COMEX gold front-month closes.",
        "  Every series is joined by the time it was *available* (bars 15 minutes after the close,",
        "  FRED and SPDR the next business morning, COT on the Friday release).",
        "- Features: computed once in batch by `qgtm_features.FeatureLibrary`, the same definitions the",
        "  live engine evaluates bar by bar (a property test checks the two agree).",
        "- Signals: each strategy's real `generate` runs bar by bar; its position in an instrument is the",
        "  signed conviction (direction x conviction, in [-1, 1]) of its signal on that bar.",
        "- Returns: daily close-to-close; positions lagged one bar (decided at the close, held to the",
        f"  next close); commission {cfg.commission_bps:g} bps per unit of turnover.",
        f"- Walk-forward: rolling folds of {cfg.train_bars} bars in-sample and {cfg.test_bars} bars",
        "  out-of-sample; parameters chosen on a small grid by in-sample Sharpe; only the out-of-sample",
        f"  windows are reported, concatenated: {first} .. {last} ({len(run.dates)} bars).",
        "- Metrics: annualised Sharpe (252 days), maximum drawdown of compounded equity, turnover",
        "  (yearly sum of absolute position changes, x capital), profit factor (gross gains / gross",
        "  losses of daily returns), exposure (share of days with a position).",
        "- Not modelled: slippage beyond commission, borrow costs for shorts, financing. A strategy whose",
        "  inputs are not bundled (miners: no GDX/SIL history) shows no exposure.",
        "",
        "## Results (out-of-sample only)",
        "",
        "| strategy | family | Sharpe | max drawdown | turnover / yr | profit factor | ann. return | exposure "
        "| hypothesis |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in run.results:
        m = r.metrics
        cells = [
            f"`{r.name}`",
            r.family,
            _fmt(m.sharpe),
            _fmt(m.max_drawdown, "{:.1%}"),
            _fmt(m.turnover, "{:.1f}"),
            _fmt(m.profit_factor),
            _fmt(m.annual_return, "{:.1%}"),
            _fmt(m.exposure, "{:.0%}"),
            r.hypothesis,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    if full is not None:
        lines += [
            "",
            f"Equal-weight ensemble of all {len(run.results)} strategies (out-of-sample): Sharpe {_fmt(full.sharpe)},"
            f" max drawdown {_fmt(full.max_drawdown, '{:.1%}')}, profit factor {_fmt(full.profit_factor)},"
            f" turnover {_fmt(full.turnover, '{:.1f}')} / yr.",
            "`qgtm strategies ablate` shows each strategy's contribution.",
        ]
    lines += ["", "## Parameters chosen in-sample, per fold", ""]
    lines += [f"- `{r.name}`: {'; '.join(r.chosen)}" for r in run.results]
    return "\n".join(lines) + "\n"
