"""How much of the book each strategy gets, before any signal is read.

Strategies are not equally trustworthy or equally noisy. ``StrategyWeighting`` picks the rule:
equal budgets (conviction, voting), inverse volatility (each strategy gets the same stand-alone
risk) or risk parity (each strategy contributes the same share of the combined strategies' risk,
so two correlated trend followers do not crowd out a mean-reversion one).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray

from qgtm_core import ConfigError, StrategyId

__all__ = ["VOL_FLOOR", "StrategyWeighting", "covariance_of", "equal_risk_contribution", "inverse_volatility_budgets"]

FloatArray = NDArray[np.float64]


class StrategyWeighting(StrEnum):
    """Rule for the per-strategy budgets and the per-instrument combination of signals."""

    CONVICTION = "conviction"
    VOTING = "voting"
    INVERSE_VOLATILITY = "inverse_volatility"
    RISK_PARITY = "risk_parity"

    @classmethod
    def parse(cls, value: str) -> StrategyWeighting:
        """The member named ``value``; a ``ConfigError`` listing the choices otherwise."""
        try:
            return cls(value)
        except ValueError:
            choices = ", ".join(m.value for m in cls)
            msg = f"portfolio.method: unknown weighting {value!r} (choose one of: {choices})"
            raise ConfigError(msg) from None


VOL_FLOOR = 0.25
"""No strategy counts as less volatile than this fraction of the median strategy.

A strategy that was flat for the whole window has a measured volatility near zero; without a
floor, inverse volatility or risk parity would hand it almost the whole book the day it wakes up.
"""


def _floor(vols: Mapping[StrategyId, float]) -> dict[StrategyId, float]:
    known = [v for v in vols.values() if v > 0 and np.isfinite(v)]
    if not known:
        return dict(vols)
    floor = VOL_FLOOR * float(np.median(known))
    return {s: max(v, floor) if np.isfinite(v) else v for s, v in vols.items()}


def inverse_volatility_budgets(vols: Mapping[StrategyId, float]) -> dict[StrategyId, float]:
    """Budgets proportional to ``1 / vol``, normalised to a mean of one.

    A mean of one (not a sum of one) keeps the scale of the plain conviction rule, where every
    strategy has budget 1, so switching method does not change the size of the book by itself.
    Strategies with an unknown (NaN) volatility get the average budget; volatilities are floored
    at ``VOL_FLOOR`` times the median.
    """
    inv = {s: 1.0 / v for s, v in _floor(vols).items() if v > 0 and np.isfinite(v)}
    if not inv:
        return dict.fromkeys(vols, 1.0)
    mean_inv = sum(inv.values()) / len(inv)
    raw = {s: inv.get(s, mean_inv) for s in vols}
    scale = len(raw) / sum(raw.values())
    return {s: b * scale for s, b in raw.items()}


def equal_risk_contribution(cov: FloatArray, *, tol: float = 1e-10, max_iter: int = 100) -> FloatArray:
    """Weights (summing to one) whose risk contributions ``w_i (cov w)_i`` are all equal.

    Newton's method on Spinu's convex formulation ``min 1/2 y'Cy - sum(log y)``: its unique
    positive minimiser, normalised, is the risk-parity portfolio. It converges in a handful of
    steps, so it can run every cycle.
    """
    n = cov.shape[0]
    if cov.shape != (n, n) or n == 0:
        msg = f"risk parity needs a non-empty square covariance matrix, got shape {cov.shape}"
        raise ValueError(msg)
    diag = np.diag(cov)
    if np.any(diag <= 0) or not np.all(np.isfinite(cov)):
        msg = "risk parity needs finite, strictly positive variances"
        raise ValueError(msg)
    y = 1.0 / np.sqrt(diag)
    y /= np.sqrt(float(y @ cov @ y))
    for _ in range(max_iter):
        grad = cov @ y - 1.0 / y
        hess = cov + np.diag(1.0 / (y * y))
        step = np.linalg.solve(hess, grad)
        t = 1.0
        while np.any(y - t * step <= 0):
            t *= 0.5
        y = y - t * step
        if float(np.max(np.abs(step))) * t < tol:
            break
    weights: FloatArray = y / y.sum()
    return weights


def covariance_of(histories: Sequence[Sequence[float]]) -> FloatArray:
    """Sample covariance of equally long return histories (rows = strategies), floored and ridged.

    Volatilities below ``VOL_FLOOR`` times the median are raised to it, keeping the correlations
    (``D C D`` with ``D`` the ratio of floored to measured volatility); the tiny ridge keeps the
    matrix positive definite when two strategies traded identically.
    """
    data = np.asarray(histories, dtype=np.float64)
    cov = np.atleast_2d(np.cov(data, ddof=1))
    vols = np.sqrt(np.maximum(np.diag(cov), 0.0))
    positive = vols[vols > 0]
    floor = VOL_FLOOR * float(np.median(positive)) if positive.size else 1e-6
    floored = np.maximum(vols, floor)
    ratio = np.divide(floored, vols, out=np.ones_like(vols), where=vols > 0)
    cov = cov * np.outer(ratio, ratio)
    flat = vols <= 0
    cov[flat, :] = 0.0
    cov[:, flat] = 0.0
    cov[flat, flat] = floored[flat] ** 2
    ridge = 1e-12 + 1e-6 * float(np.mean(np.diag(cov)))
    out: FloatArray = cov + ridge * np.eye(cov.shape[0])
    return out
