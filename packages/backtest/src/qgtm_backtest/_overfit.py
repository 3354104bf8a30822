"""Overfitting statistics for parameter sweeps: the deflated Sharpe ratio and PBO.

A sweep that tries N configurations and keeps the best one reports a Sharpe ratio inflated by
selection. The deflated Sharpe ratio (Bailey and Lopez de Prado, 2014) is the probability that
the true Sharpe exceeds what the best of N unskilled trials would show; the probability of
backtest overfitting (Bailey, Borwein, Lopez de Prado and Zhu, 2015, "CSCV") is how often the
in-sample winner ranks in the bottom half out of sample.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import numpy.typing as npt

from qgtm_core import ConfigError

__all__ = ["PboResult", "deflated_sharpe_ratio", "expected_max_sharpe", "probability_of_backtest_overfitting"]

_EULER_GAMMA = 0.5772156649015329
_N = NormalDist()


def expected_max_sharpe(trials_sharpe_variance: float, n_trials: int) -> float:
    """Expected maximum Sharpe of ``n_trials`` skill-less trials (per-period units)."""
    if n_trials < 2:
        return 0.0
    a = _N.inv_cdf(1.0 - 1.0 / n_trials)
    b = _N.inv_cdf(1.0 - 1.0 / (n_trials * math.e))
    return math.sqrt(trials_sharpe_variance) * ((1.0 - _EULER_GAMMA) * a + _EULER_GAMMA * b)


def deflated_sharpe_ratio(
    sharpe: float,
    trials_sharpe_variance: float,
    n_trials: int,
    n_obs: int,
    skew: float = 0.0,
    kurtosis: float = 3.0,
) -> float:
    """Probability that the true per-period Sharpe beats the best of ``n_trials`` lucky ones.

    ``sharpe`` and the variance of the trials' Sharpe ratios are per period (not annualised);
    ``kurtosis`` is the raw (non-excess) kurtosis of the selected strategy's returns.
    """
    if n_obs < 2:
        msg = f"deflated_sharpe_ratio: n_obs must be >= 2, got {n_obs}"
        raise ValueError(msg)
    benchmark = expected_max_sharpe(trials_sharpe_variance, n_trials)
    denominator = 1.0 - skew * sharpe + (kurtosis - 1.0) / 4.0 * sharpe**2
    if denominator <= 0:
        msg = f"deflated_sharpe_ratio: skew {skew} and kurtosis {kurtosis} give a non-positive variance"
        raise ValueError(msg)
    return _N.cdf((sharpe - benchmark) * math.sqrt(n_obs - 1) / math.sqrt(denominator))


@dataclass(frozen=True, slots=True)
class PboResult:
    """PBO and the logits it came from (one per IS/OOS split)."""

    pbo: float
    logits: tuple[float, ...]


def _sharpe_columns(block: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    std = block.std(axis=0, ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        out: npt.NDArray[np.float64] = np.where(std > 0, block.mean(axis=0) / std, 0.0)
    return out


def probability_of_backtest_overfitting(returns: npt.ArrayLike, n_splits: int = 16) -> PboResult:
    """CSCV over a (periods x trials) matrix of returns, cut into ``n_splits`` row blocks."""
    matrix = np.asarray(returns, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[1] < 2:
        msg = f"pbo: returns must be a (periods x trials) matrix with >= 2 trials, got shape {matrix.shape}"
        raise ConfigError(msg)
    if n_splits < 2 or n_splits % 2 or matrix.shape[0] < 2 * n_splits:
        msg = f"pbo.n_splits: must be even, >= 2 and leave >= 2 rows per block, got {n_splits} for {matrix.shape[0]}"
        raise ConfigError(msg)
    blocks = np.array_split(np.arange(matrix.shape[0]), n_splits)
    n_trials = matrix.shape[1]
    logits: list[float] = []
    for chosen in itertools.combinations(range(n_splits), n_splits // 2):
        ins = np.concatenate([blocks[i] for i in chosen])
        oos = np.concatenate([blocks[i] for i in range(n_splits) if i not in chosen])
        best = int(np.argmax(_sharpe_columns(matrix[ins])))
        oos_sharpe = _sharpe_columns(matrix[oos])
        rank = float(np.sum(oos_sharpe < oos_sharpe[best]) + 1)  # 1 = worst, n_trials = best
        omega = rank / (n_trials + 1)
        logits.append(math.log(omega / (1.0 - omega)))
    pbo = float(np.mean(np.asarray(logits) <= 0))
    return PboResult(pbo, tuple(logits))
