"""Value at risk and expected shortfall (CVaR) at 95% and 99%: historical, parametric, Cornish-Fisher.

Losses are positive numbers, as fractions of equity over one day. Each method answers a different
doubt: historical trusts the window's actual days, parametric trusts the model's covariance (normal
tails), Cornish-Fisher corrects the normal quantile for the window's skew and excess kurtosis. The
Cornish-Fisher expected shortfall averages the adjusted quantile over the tail (numerically), which
keeps it consistent with its VaR. All three are positively homogeneous: scaling the book by k>0
scales each number by k, which is what lets the gate scale a book down to a VaR limit exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from statistics import NormalDist

import numpy as np

from qgtm_core import PipelineError
from qgtm_risk._data import FloatArray

__all__ = ["LEVELS", "VarMethod", "VarResult", "cornish_fisher", "historical", "parametric", "var_table"]

LEVELS = (0.95, 0.99)
_TAIL_POINTS = 400
_NORMAL = NormalDist()


class VarMethod(StrEnum):
    """How the loss distribution is estimated."""

    HISTORICAL = "historical"
    PARAMETRIC = "parametric"
    CORNISH_FISHER = "cornish_fisher"


@dataclass(frozen=True, slots=True)
class VarResult:
    """One-day VaR and CVaR at one confidence level, as positive fractions of equity."""

    method: VarMethod
    level: float
    var: float
    cvar: float


def _check(level: float) -> None:
    if not 0.5 < level < 1.0:
        msg = f"VaR confidence level must be in (0.5, 1), got {level}"
        raise PipelineError(msg)


def historical(pnl: FloatArray, level: float) -> VarResult:
    """Empirical quantile of the losses and the mean of losses at or beyond it."""
    _check(level)
    if pnl.size == 0:
        msg = "historical VaR needs at least one P&L observation"
        raise PipelineError(msg)
    losses = -pnl
    # The "higher" empirical quantile: the ceil(level * (n - 1))-th smallest loss.
    rank = math.ceil(level * (losses.size - 1))
    var = float(np.partition(losses, rank)[rank])
    cvar = float(losses[losses >= var].mean())
    return VarResult(VarMethod.HISTORICAL, level, var, cvar)


def parametric(mean: float, sigma: float, level: float) -> VarResult:
    """Normal VaR and CVaR for a P&L with this mean and standard deviation."""
    _check(level)
    z = _NORMAL.inv_cdf(level)
    return VarResult(VarMethod.PARAMETRIC, level, -mean + sigma * z, -mean + sigma * _NORMAL.pdf(z) / (1.0 - level))


def _moments(pnl: FloatArray) -> tuple[float, float, float, float]:
    mean = float(pnl.mean())
    sigma = float(pnl.std(ddof=1)) if pnl.size > 1 else 0.0
    if sigma == 0.0:
        return mean, 0.0, 0.0, 0.0
    z = (pnl - mean) / sigma
    z2 = z * z
    return mean, sigma, float(np.mean(z2 * z)), float(np.mean(z2 * z2) - 3.0)


@cache
def _cf_terms(tail: float) -> tuple[tuple[float, float, float, float], tuple[float, float, float, float]]:
    """Coefficients of the Cornish-Fisher quantile, z + a*skew + b*kurt - c*skew^2, at the tail
    probability and averaged over the tail: the expansion is linear in them, so both are constants."""

    def terms(z: FloatArray) -> tuple[float, float, float, float]:
        return (
            float(z.mean()),
            float(((z**2 - 1) / 6).mean()),
            float(((z**3 - 3 * z) / 24).mean()),
            float(((2 * z**3 - 5 * z) / 36).mean()),
        )

    grid = (np.arange(_TAIL_POINTS) + 0.5) / _TAIL_POINTS * tail
    return terms(np.array([_NORMAL.inv_cdf(tail)])), terms(np.array([_NORMAL.inv_cdf(p) for p in grid]))


def _cf(moments: tuple[float, float, float, float], level: float) -> VarResult:
    mean, sigma, skew, kurt = moments
    at, average = _cf_terms(round(1.0 - level, 12))
    var = -(mean + sigma * (at[0] + at[1] * skew + at[2] * kurt - at[3] * skew**2))
    cvar = -(mean + sigma * (average[0] + average[1] * skew + average[2] * kurt - average[3] * skew**2))
    return VarResult(VarMethod.CORNISH_FISHER, level, var, max(cvar, var))


def cornish_fisher(pnl: FloatArray, level: float) -> VarResult:
    """Modified VaR (Zangari 1996; Favre and Galeano 2002) and its tail average."""
    _check(level)
    return _cf(_moments(pnl), level)


def var_table(pnl: FloatArray, model_sigma: float | None = None) -> dict[str, float]:
    """All twelve numbers, keyed ``var_<method>_<95|99>`` and ``cvar_<method>_<95|99>``.

    ``model_sigma`` (from the factor model) drives the parametric method; without it the window's
    standard deviation does.
    """
    if not np.isfinite(pnl).all():
        msg = f"VaR: the P&L history has {int((~np.isfinite(pnl)).sum())} non-finite value(s)"
        raise PipelineError(msg)
    moments = _moments(pnl)
    mean, sigma = moments[0], moments[1]
    out: dict[str, float] = {}
    for level in LEVELS:
        tag = str(round(level * 100))
        results = (
            historical(pnl, level),
            parametric(mean, sigma if model_sigma is None else model_sigma, level),
            _cf(moments, level),
        )
        for result in results:
            out[f"var_{result.method.value}_{tag}"] = result.var
            out[f"cvar_{result.method.value}_{tag}"] = result.cvar
    return out
