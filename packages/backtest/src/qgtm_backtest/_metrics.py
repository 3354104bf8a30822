"""Performance metrics of a return series, defined exactly as empyrical defines them.

Researchers compare our numbers with pyfolio/empyrical reports, so each metric follows the
empyrical-reloaded definition (sample std with ddof=1, 252 periods a year, CAGR from the compounded
end value, drawdowns against a running peak that starts at the initial capital). The test suite
checks every one against empyrical on the same returns to 1e-9. Metrics empyrical does not have
(drawdown duration, hit rate, profit factor, turnover, exposure) follow quantstats' definitions.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "PERIODS_PER_YEAR",
    "Metrics",
    "annual_volatility",
    "cagr",
    "calmar",
    "compute_metrics",
    "cvar",
    "drawdown",
    "hit_rate",
    "max_drawdown",
    "max_drawdown_duration",
    "metrics_table",
    "profit_factor",
    "sharpe",
    "sortino",
]

PERIODS_PER_YEAR = 252
FloatArray = npt.NDArray[np.float64]


def _arr(returns: npt.ArrayLike) -> FloatArray:
    return np.asarray(returns, dtype=np.float64)


def cagr(returns: npt.ArrayLike, periods: int = PERIODS_PER_YEAR) -> float:
    """Compound annual growth rate: ``(prod(1 + r)) ** (periods / n) - 1``."""
    r = _arr(returns)
    if r.size == 0:
        return math.nan
    return float(np.prod(1.0 + r) ** (periods / r.size) - 1.0)


def annual_volatility(returns: npt.ArrayLike, periods: int = PERIODS_PER_YEAR) -> float:
    """Sample standard deviation (ddof=1) scaled by ``sqrt(periods)``."""
    r = _arr(returns)
    if r.size < 2:
        return math.nan
    return float(np.std(r, ddof=1) * math.sqrt(periods))


def sharpe(returns: npt.ArrayLike, risk_free: float = 0.0, periods: int = PERIODS_PER_YEAR) -> float:
    """Annualised Sharpe ratio of excess returns (NaN when they do not vary)."""
    r = _arr(returns) - risk_free
    if r.size < 2:
        return math.nan
    std = float(np.std(r, ddof=1))
    if std == 0:
        return math.nan
    return float(np.mean(r) / std * math.sqrt(periods))


def sortino(returns: npt.ArrayLike, required: float = 0.0, periods: int = PERIODS_PER_YEAR) -> float:
    """Annualised mean excess return over annualised downside deviation."""
    r = _arr(returns) - required
    if r.size < 2:
        return math.nan
    downside = math.sqrt(float(np.mean(np.square(np.minimum(r, 0.0))))) * math.sqrt(periods)
    if downside == 0:
        return math.inf if np.mean(r) > 0 else math.nan
    return float(np.mean(r) * periods / downside)


def drawdown(returns: npt.ArrayLike) -> FloatArray:
    """Drawdown after each period relative to the running peak, the initial capital included."""
    r = _arr(returns)
    wealth = np.concatenate(([1.0], np.cumprod(1.0 + r)))
    peak = np.maximum.accumulate(wealth)
    out: FloatArray = (wealth / peak - 1.0)[1:]
    return out


def max_drawdown(returns: npt.ArrayLike) -> float:
    """Worst drawdown (a negative number, 0 if equity never fell)."""
    r = _arr(returns)
    if r.size == 0:
        return math.nan
    return float(np.min(drawdown(r)))


def max_drawdown_duration(returns: npt.ArrayLike) -> int:
    """Longest run of consecutive periods spent below a previous peak."""
    longest = current = 0
    for underwater in drawdown(returns) < 0:
        current = current + 1 if underwater else 0
        longest = max(longest, current)
    return longest


def calmar(returns: npt.ArrayLike, periods: int = PERIODS_PER_YEAR) -> float:
    """CAGR over the absolute max drawdown (NaN without a drawdown)."""
    mdd = max_drawdown(returns)
    if not mdd < 0:
        return math.nan
    return cagr(returns, periods) / abs(mdd)


def cvar(returns: npt.ArrayLike, cutoff: float = 0.05) -> float:
    """Mean of the worst ``cutoff`` share of returns (empyrical's index rule, NaNs dropped)."""
    r = _arr(returns)
    r = r[~np.isnan(r)]
    if r.size == 0:
        return math.nan
    k = int((r.size - 1) * cutoff)
    return float(np.mean(np.partition(r, k)[: k + 1]))


def hit_rate(returns: npt.ArrayLike) -> float:
    """Share of non-zero periods that were gains."""
    r = _arr(returns)
    active = r[r != 0]
    if active.size == 0:
        return math.nan
    return float(np.count_nonzero(active > 0) / active.size)


def profit_factor(returns: npt.ArrayLike) -> float:
    """Sum of gains over the absolute sum of losses."""
    r = _arr(returns)
    losses = float(-np.sum(r[r < 0]))
    gains = float(np.sum(r[r > 0]))
    if losses == 0:
        return math.inf if gains > 0 else math.nan
    return gains / losses


@dataclass(frozen=True, slots=True)
class Metrics:
    """The headline numbers of one run (floats; NaN where undefined)."""

    cagr: float
    volatility: float
    sharpe: float
    sortino: float
    calmar: float
    max_drawdown: float
    max_drawdown_duration: int
    hit_rate: float
    profit_factor: float
    turnover: float
    exposure: float
    cvar_95: float
    cvar_99: float

    def as_dict(self) -> dict[str, float]:
        """Name -> value, for tables and JSON."""
        return {k: float(v) for k, v in asdict(self).items()}


def compute_metrics(
    returns: npt.ArrayLike,
    gross_exposure: npt.ArrayLike | None = None,
    traded_notional: npt.ArrayLike | None = None,
    equity: npt.ArrayLike | None = None,
    periods: int = PERIODS_PER_YEAR,
) -> Metrics:
    """All metrics; turnover is annualised traded notional over equity, exposure the mean |gross| weight."""
    r = _arr(returns)
    turnover = math.nan
    if traded_notional is not None and equity is not None:
        eq = _arr(equity)
        turnover = float(np.mean(_arr(traded_notional) / np.where(eq > 0, eq, np.nan)) * periods)
    exposure = math.nan if gross_exposure is None else float(np.mean(np.abs(_arr(gross_exposure))))
    return Metrics(
        cagr=cagr(r, periods),
        volatility=annual_volatility(r, periods),
        sharpe=sharpe(r, periods=periods),
        sortino=sortino(r, periods=periods),
        calmar=calmar(r, periods),
        max_drawdown=max_drawdown(r),
        max_drawdown_duration=max_drawdown_duration(r),
        hit_rate=hit_rate(r),
        profit_factor=profit_factor(r),
        turnover=turnover,
        exposure=exposure,
        cvar_95=cvar(r, 0.05),
        cvar_99=cvar(r, 0.01),
    )


def metrics_table(metrics: Mapping[str, Metrics]) -> dict[str, dict[str, float]]:
    """Several runs side by side (fold -> metric -> value)."""
    return {name: m.as_dict() for name, m in metrics.items()}
