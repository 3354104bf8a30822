"""Kalman filters through filterpy: the dynamic gold/silver hedge ratio and a local linear trend.

These are the stateful features: their value depends on the whole history, so there is no short
tail to re-evaluate. Batch and live therefore share the *step*: batch is a fold of ``step`` over
the history, live calls ``step`` once per new bar on the filter it kept. Same operations in the
same order give the same floats.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import polars as pl
from filterpy.kalman import KalmanFilter

__all__ = ["KalmanHedgeRatio", "LocalLinearTrend", "StatefulFilter", "run_filter"]

_NAN = float("nan")


def _inverse_1x1(matrix: np.ndarray) -> np.ndarray:
    """Both filters observe one value, so the innovation covariance is 1x1: skip LAPACK."""
    out: np.ndarray = 1.0 / matrix
    return out


class KalmanHedgeRatio:
    """log(gold) = alpha + beta * log(silver) + noise, with alpha and beta random walks.

    ``delta`` sets how fast the hedge ratio may drift (state noise ``delta / (1 - delta)``);
    ``observation_var`` is the variance of the spread around the fitted line. The spread is the
    posterior residual; its z-score uses an exponentially weighted mean and variance (span
    ``z_span``) carried in the same state, NaN for the first ``z_span // 3`` bars.
    """

    names: tuple[str, ...] = ("gs_kf_alpha", "gs_kf_beta", "gs_kf_spread", "gs_kf_spread_z")

    def __init__(
        self,
        gold: str = "GLD",
        silver: str = "SLV",
        delta: float = 1e-4,
        observation_var: float = 1e-3,
        z_span: int = 60,
    ) -> None:
        if not 0.0 < delta < 1.0:
            msg = f"delta {delta} must be in (0, 1)"
            raise ValueError(msg)
        self.inputs: tuple[str, ...] = (gold, silver)
        kf = KalmanFilter(dim_x=2, dim_z=1)
        kf.x = np.zeros((2, 1))
        kf.P = np.eye(2) * 10.0
        kf.F = np.eye(2)
        kf.Q = np.eye(2) * (delta / (1.0 - delta))
        kf.R = np.array([[observation_var]])
        kf.H = np.array([[1.0, 0.0]])
        kf.inv = _inverse_1x1
        self._kf = kf
        self._z = np.zeros((1, 1))
        self._alpha = 2.0 / (z_span + 1.0)
        self._warmup = max(2, z_span // 3)
        self._count = 0
        self._mean = 0.0
        self._var = 0.0

    def step(self, values: Sequence[float]) -> tuple[float, ...]:
        """Advance one bar; non-positive or missing prices leave the state untouched."""
        gold, silver = values
        if not (gold > 0.0 and silver > 0.0):
            return (_NAN, _NAN, _NAN, _NAN)
        kf = self._kf
        kf.H[0, 1] = math.log(silver)
        self._z[0, 0] = math.log(gold)
        kf.predict()
        kf.update(self._z)
        alpha, beta = float(kf.x[0, 0]), float(kf.x[1, 0])
        spread = self._z[0, 0] - alpha - beta * kf.H[0, 1]
        self._count += 1
        if self._count == 1:
            self._mean = spread
        else:
            delta = spread - self._mean
            self._mean += self._alpha * delta
            self._var = (1.0 - self._alpha) * (self._var + self._alpha * delta * delta)
        ready = self._count > self._warmup and self._var > 0
        z = (spread - self._mean) / math.sqrt(self._var) if ready else _NAN
        return (alpha, beta, float(spread), z)


class LocalLinearTrend:
    """log(price) = level + noise; level grows by slope; slope is a slow random walk.

    The filtered slope is a smoothed trend estimate whose z-score (slope over its own standard
    error) says how sure the filter is that the trend is real.
    """

    def __init__(
        self, instrument: str = "GLD", level_var: float = 1e-4, slope_var: float = 1e-7, observation_var: float = 1e-4
    ) -> None:
        self.inputs: tuple[str, ...] = (instrument,)
        self.names: tuple[str, ...] = ("gold_kf_level", "gold_kf_slope", "gold_kf_slope_z", "gold_kf_gap")
        kf = KalmanFilter(dim_x=2, dim_z=1)
        kf.x = np.zeros((2, 1))
        kf.P = np.eye(2) * 10.0
        kf.F = np.array([[1.0, 1.0], [0.0, 1.0]])
        kf.Q = np.diag([level_var, slope_var])
        kf.R = np.array([[observation_var]])
        kf.H = np.array([[1.0, 0.0]])
        kf.inv = _inverse_1x1
        self._kf = kf
        self._z = np.zeros((1, 1))
        self._started = False

    def step(self, values: Sequence[float]) -> tuple[float, ...]:
        """Advance one bar; a non-positive or missing price leaves the state untouched."""
        (price,) = values
        if not price > 0.0:
            return (_NAN, _NAN, _NAN, _NAN)
        kf = self._kf
        log_price = math.log(price)
        if not self._started:
            kf.x[0, 0] = log_price
            self._started = True
        self._z[0, 0] = log_price
        kf.predict()
        kf.update(self._z)
        level = float(kf.x[0, 0])
        slope = float(kf.x[1, 0])
        slope_var = float(kf.P[1, 1])
        slope_z = slope / math.sqrt(slope_var) if slope_var > 0 else _NAN
        return (level, slope, slope_z, log_price - level)


StatefulFilter = KalmanHedgeRatio | LocalLinearTrend


def run_filter(flt: StatefulFilter, frame: pl.DataFrame) -> pl.DataFrame:
    """Batch: the fold of ``flt.step`` over every row of ``frame`` (consumes the filter's state)."""
    columns = [frame.get_column(c).cast(pl.Float64).fill_null(_NAN).to_list() for c in flt.inputs]
    rows = [flt.step(values) for values in zip(*columns, strict=True)]
    out = np.array(rows, dtype=np.float64).reshape(len(rows), len(flt.names))
    return pl.DataFrame({name: out[:, i] for i, name in enumerate(flt.names)})
