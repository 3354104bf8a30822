"""A first feature engine: trend, volatility and z-score features plus the gold/silver ratio.

Each cycle only the last ``slow_window + 1`` rows of each history are used, so the cost of a
cycle does not grow with the length of the replay.
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl

from qgtm_core import FeatureSet, InstrumentId, PitSnapshot

__all__ = ["BasicFeatureEngine"]

_ANNUALISE = math.sqrt(252.0)
_NAN = float("nan")


def _instrument_features(close: np.ndarray, fast: int, slow: int) -> dict[str, float]:
    out: dict[str, float] = dict.fromkeys(
        ("close", "ret_1", "sma_fast", "sma_slow", "vol_fast", "zscore_fast", "mom_slow"), _NAN
    )
    n = close.shape[0]
    if n == 0:
        return out
    out["close"] = float(close[-1])
    if n >= 2:
        out["ret_1"] = float(close[-1] / close[-2] - 1.0)
    if n >= fast:
        window = close[-fast:]
        mean = float(window.mean())
        std = float(window.std(ddof=1))
        out["sma_fast"] = mean
        out["zscore_fast"] = (float(close[-1]) - mean) / std if std > 0 else 0.0
    if n >= fast + 1:
        log_returns = np.diff(np.log(close[-(fast + 1) :]))
        out["vol_fast"] = float(log_returns.std(ddof=1)) * _ANNUALISE
    if n >= slow:
        out["sma_slow"] = float(close[-slow:].mean())
    if n >= slow + 1:
        out["mom_slow"] = float(close[-1] / close[-slow - 1] - 1.0)
    return out


class BasicFeatureEngine:
    """Implements ``FeatureEngine`` over the bar histories of a snapshot."""

    def __init__(self, fast_window: int = 20, slow_window: int = 100, gold: str = "GLD", silver: str = "SLV") -> None:
        if fast_window >= slow_window:
            msg = f"fast_window {fast_window} must be shorter than slow_window {slow_window}"
            raise ValueError(msg)
        self._fast = fast_window
        self._slow = slow_window
        self._gold = InstrumentId(gold)
        self._silver = InstrumentId(silver)

    def compute(self, snapshot: PitSnapshot) -> FeatureSet:
        """Latest features per instrument and cross-sectional ones."""
        keep = self._slow + 1
        closes = {k: v.get_column("close").tail(keep).to_numpy() for k, v in snapshot.bars.items()}
        values = {k: _instrument_features(c, self._fast, self._slow) for k, c in closes.items()}
        cross: dict[str, float] = {}
        if self._gold in snapshot.bars and self._silver in snapshot.bars:
            cross.update(self._ratio_features(snapshot.bars[self._gold], snapshot.bars[self._silver]))
        for name, frame in sorted(snapshot.series.items()):
            cross[name] = float(frame.get_column("value")[-1]) if frame.height else _NAN
        return FeatureSet(at=snapshot.at, values=values, cross=cross)

    def _ratio_features(self, gold: pl.DataFrame, silver: pl.DataFrame) -> dict[str, float]:
        joined = (
            gold.tail(self._slow)
            .select("as_of", pl.col("close").alias("gold"))
            .join(silver.tail(self._slow).select("as_of", pl.col("close").alias("silver")), on="as_of")
        )
        if joined.height == 0:
            return {"gold_silver_ratio": _NAN, "gold_silver_ratio_z": _NAN}
        ratio = (joined.get_column("gold") / joined.get_column("silver")).to_numpy()
        latest = float(ratio[-1])
        if ratio.shape[0] < self._fast:
            return {"gold_silver_ratio": latest, "gold_silver_ratio_z": _NAN}
        std = float(ratio.std(ddof=1))
        z = (latest - float(ratio.mean())) / std if std > 0 else 0.0
        return {"gold_silver_ratio": latest, "gold_silver_ratio_z": z}
