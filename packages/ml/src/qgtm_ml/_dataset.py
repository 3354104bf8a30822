"""The meta-labelling data set: one row per primary-strategy event, the same features live.

The meta-labeller answers "given that the strategy wants this side now, will the trade pay?".
Its inputs are the signal (side, conviction, horizon), the instrument's features and the two
regime signals. ``META_FEATURES`` fixes their order; ``meta_row`` builds the same row from a live
``Signal`` and ``FeatureSet``. Unknown values are NaN (LightGBM treats them as missing) both in
training and live, so a model trained without a regime model still applies consistently.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from qgtm_core import DataError, FeatureSet, InstrumentId, Signal
from qgtm_ml._labels import triple_barrier_labels
from qgtm_ml._prices import FloatArray, price_features, validate_closes

__all__ = ["META_FEATURES", "MetaDataset", "build_meta_dataset", "meta_row", "meta_rows", "trend_side"]

META_FEATURES: tuple[str, ...] = (
    "side",
    "conviction",
    "horizon_bars",
    "ret_1",
    "vol_fast",
    "zscore_fast",
    "mom_slow",
    "p_turbulent",
    "change_prob",
)
_INSTRUMENT_FEATURES = ("ret_1", "vol_fast", "zscore_fast", "mom_slow")
_DAYS = math.sqrt(252.0)
IntArray = NDArray[np.int64]


def meta_row(signal: Signal, features: FeatureSet, p_turbulent: float, change_prob: float) -> list[float]:
    """The live feature row of one signal, in ``META_FEATURES`` order."""
    values = features.values.get(signal.instrument, {})
    nan = math.nan
    return [
        float(signal.direction),
        signal.conviction,
        float(signal.horizon_bars),
        values.get("ret_1", nan),
        values.get("vol_fast", nan),
        values.get("zscore_fast", nan),
        values.get("mom_slow", nan),
        p_turbulent,
        change_prob,
    ]


def meta_rows(signals: Sequence[Signal], features: FeatureSet, p_turbulent: float, change_prob: float) -> FloatArray:
    """``meta_row`` for many signals at once: instrument features are looked up once per instrument.

    This runs every cycle on every signal, so it builds columns with numpy instead of one Python
    list per signal.
    """
    index: dict[InstrumentId, int] = {}
    for s in signals:
        index.setdefault(s.instrument, len(index))
    nan = math.nan
    table = np.array(
        [[features.values.get(i, {}).get(k, nan) for k in _INSTRUMENT_FEATURES] for i in index], dtype=np.float64
    ).reshape(len(index), len(_INSTRUMENT_FEATURES))
    rows = np.empty((len(signals), len(META_FEATURES)))
    rows[:, 0] = [float(s.direction) for s in signals]
    rows[:, 1] = [s.conviction for s in signals]
    rows[:, 2] = [float(s.horizon_bars) for s in signals]
    rows[:, 3:7] = table[[index[s.instrument] for s in signals]]
    rows[:, 7] = p_turbulent
    rows[:, 8] = change_prob
    return rows


def trend_side(close: FloatArray, fast: int = 20, slow: int = 100) -> tuple[IntArray, FloatArray]:
    """A simple primary model for training and benchmarks: side of sma_fast vs sma_slow and its conviction.

    Mirrors the ``gold_trend`` strategy (conviction saturates at a 5% gap), so a meta-labeller
    trained on it learns when that strategy's calls pay.
    """
    n = close.shape[0]
    side = np.zeros(n, dtype=np.int64)
    conviction = np.zeros(n)
    if n < slow:
        return side, conviction
    csum = np.concatenate([[0.0], np.cumsum(close)])
    sma_fast = (csum[slow:] - csum[slow - fast : n - fast + 1]) / fast
    sma_slow = (csum[slow:] - csum[: n - slow + 1]) / slow
    gap = sma_fast / sma_slow - 1.0
    side[slow - 1 :] = np.sign(gap).astype(np.int64)
    conviction[slow - 1 :] = np.minimum(np.abs(gap) / 0.05, 1.0)
    return side, conviction


@dataclass(frozen=True)
class MetaDataset:
    """Features, meta-labels and label spans (``t0``..``t1`` in bars) in time order."""

    x: FloatArray
    y: IntArray
    t0: IntArray
    t1: IntArray
    feature_names: tuple[str, ...] = META_FEATURES

    def __len__(self) -> int:
        return int(self.y.shape[0])


def build_meta_dataset(
    close: FloatArray,
    side: IntArray,
    conviction: FloatArray,
    *,
    horizon_bars: int = 20,
    p_turbulent: FloatArray | None = None,
    change_prob: FloatArray | None = None,
    fast: int = 20,
    slow: int = 100,
    pt: float = 2.0,
    sl: float = 2.0,
    event_step: int = 1,
    source: str = "closes",
) -> MetaDataset:
    """Events are bars where the side is non-zero and every price feature is warm, every ``event_step`` bars."""
    close = validate_closes(close, source)
    n = close.shape[0]
    for name, arr in (
        ("side", side),
        ("conviction", conviction),
        ("p_turbulent", p_turbulent),
        ("change_prob", change_prob),
    ):
        if arr is not None and arr.shape[0] != n:
            msg = f"{source}: {name} has {arr.shape[0]} rows but there are {n} closes"
            raise DataError(msg)
    feats = price_features(close, fast, slow)
    warm = np.all(np.isfinite(np.column_stack([feats[k] for k in _INSTRUMENT_FEATURES])), axis=1)
    candidates = np.flatnonzero(warm & (side != 0))
    events = candidates[:: max(event_step, 1)]
    labels = triple_barrier_labels(
        close, events, side[events], feats["vol_fast"] / _DAYS, pt=pt, sl=sl, max_holding=horizon_bars
    )
    t = labels.t0
    nan = np.full(t.shape[0], np.nan)
    x = np.column_stack(
        [
            labels.side.astype(np.float64),
            conviction[t],
            np.full(t.shape[0], float(horizon_bars)),
            *(feats[k][t] for k in _INSTRUMENT_FEATURES),
            p_turbulent[t] if p_turbulent is not None else nan,
            change_prob[t] if change_prob is not None else nan,
        ]
    )
    return MetaDataset(x, labels.label, labels.t0, labels.t1)
