"""Monte Carlo forewarner: once a day, how likely is a catastrophic drawdown with today's book?

Bootstraps blocks of joint daily instrument returns (blocks keep volatility clustering; joint
rows keep cross-correlation), applies the current weights, and counts the paths whose maximum
drawdown over the horizon reaches ``catastrophic_drawdown``. The probability maps to a level:
green (nothing), orange (scale the book down) or red (halt new entries). It is deliberately
simple and fast enough to run at the first cycle of each day.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

import numpy as np

from qgtm_core import DataError, InstrumentId
from qgtm_ml._prices import FloatArray

__all__ = ["Forewarning", "ForewarningLevel", "MonteCarloForewarner"]


class ForewarningLevel(StrEnum):
    """Green: trade normally; orange: scale down; red: no new entries."""

    GREEN = "green"
    ORANGE = "orange"
    RED = "red"


@dataclass(frozen=True, slots=True)
class Forewarning:
    """One day's estimate and the level it maps to."""

    day: date
    probability: float
    level: ForewarningLevel
    paths: int
    horizon_days: int

    @property
    def reason(self) -> str:
        """One line for decisions and logs."""
        if math.isnan(self.probability):
            return f"forewarner: no estimate on {self.day.isoformat()} (not enough return history)"
        return (
            f"forewarner {self.level.value}: P(drawdown) = {self.probability:.1%} over "
            f"{self.horizon_days} days ({self.paths} paths, {self.day.isoformat()})"
        )


@dataclass
class MonteCarloForewarner:
    """Block-bootstrap drawdown probability; thresholds decide orange and red."""

    catastrophic_drawdown: float = 0.15
    horizon_days: int = 63
    paths: int = 2000
    block: int = 5
    orange_probability: float = 0.05
    red_probability: float = 0.20
    seed: int = 11

    def __post_init__(self) -> None:
        if not 0 < self.catastrophic_drawdown < 1:
            msg = f"ml.forewarn: catastrophic_drawdown {self.catastrophic_drawdown} must be in (0, 1)"
            raise ValueError(msg)
        if self.horizon_days < 1 or self.paths < 1 or self.block < 1:
            msg = "ml.forewarn: horizon_days, paths and block must be positive"
            raise ValueError(msg)
        if not 0 <= self.orange_probability <= self.red_probability <= 1:
            msg = "ml.forewarn: need 0 <= orange_probability <= red_probability <= 1"
            raise ValueError(msg)

    def probability(self, weights: FloatArray, returns: FloatArray) -> float:
        """P(max drawdown >= threshold) for fixed ``weights`` over bootstrapped ``returns`` rows.

        ``returns`` is (days, instruments) of simple daily returns, aligned with ``weights``.
        The seed is fixed, so the same inputs give the same estimate (auditable).
        """
        r = np.asarray(returns, dtype=np.float64)
        w = np.asarray(weights, dtype=np.float64)
        if r.ndim != 2 or r.shape[1] != w.shape[0]:
            msg = f"forewarner: returns of shape {r.shape} do not match {w.shape[0]} weights"
            raise DataError(msg)
        if r.shape[0] < self.block * 2 or not np.all(np.isfinite(r)):
            msg = f"forewarner: need at least {self.block * 2} finite rows of returns, got {r.shape[0]}"
            raise DataError(msg)
        book = r @ w
        rng = np.random.default_rng(self.seed)
        n_blocks = -(-self.horizon_days // self.block)
        starts = rng.integers(0, book.shape[0] - self.block + 1, size=(self.paths, n_blocks))
        idx = (starts[:, :, None] + np.arange(self.block)).reshape(self.paths, -1)[:, : self.horizon_days]
        equity = np.cumprod(1.0 + book[idx], axis=1)
        peak = np.maximum.accumulate(np.maximum(equity, 1.0), axis=1)
        max_dd = np.max(1.0 - equity / peak, axis=1)
        return float(np.mean(max_dd >= self.catastrophic_drawdown))

    def assess(
        self,
        day: date,
        weights: Mapping[InstrumentId, float],
        history: Mapping[InstrumentId, Sequence[float]],
    ) -> Forewarning:
        """The day's forewarning for ``weights``, bootstrapping the common tail of ``history``.

        Instruments held with no history are an error: an unknown risk is not a zero risk.
        """
        held = sorted(i for i, w in weights.items() if w != 0.0)
        if not held:
            return Forewarning(day, 0.0, ForewarningLevel.GREEN, self.paths, self.horizon_days)
        missing = [i for i in held if not history.get(i)]
        if missing:
            msg = f"forewarner: no return history for held instrument(s) {', '.join(missing)}"
            raise DataError(msg)
        n = min(len(history[i]) for i in held)
        matrix = np.column_stack([np.asarray(history[i][-n:], dtype=np.float64) for i in held])
        p = self.probability(np.array([weights[i] for i in held]), matrix)
        return Forewarning(day, p, self.level(p), self.paths, self.horizon_days)

    def level(self, probability: float) -> ForewarningLevel:
        """Map a probability to green / orange / red."""
        if probability >= self.red_probability:
            return ForewarningLevel.RED
        if probability >= self.orange_probability:
            return ForewarningLevel.ORANGE
        return ForewarningLevel.GREEN
