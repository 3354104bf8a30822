"""Price features computed over a whole history, with the same definitions as the live engine.

The meta-labeller and the HMM are trained on history but applied to the ``FeatureSet`` of each
cycle, so the two must agree exactly: ``ret_1``, ``vol_fast``, ``zscore_fast`` and ``mom_slow``
here follow ``qgtm_features.BasicFeatureEngine`` (the tests recompute them by hand). Value ``i`` uses
closes up to and including ``i`` only, so nothing here can look ahead.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import NDArray

from qgtm_core import DataError

__all__ = ["FloatArray", "price_features", "validate_closes"]

FloatArray = NDArray[np.float64]
_ANNUALISE = math.sqrt(252.0)


def validate_closes(close: FloatArray, source: str) -> FloatArray:
    """The closes as float64, or a ``DataError`` naming the first bad row."""
    values = np.asarray(close, dtype=np.float64)
    if values.ndim != 1:
        msg = f"{source}: closes must be one-dimensional, got shape {values.shape}"
        raise DataError(msg)
    bad = np.flatnonzero(~np.isfinite(values) | (values <= 0))
    if bad.size:
        row = int(bad[0])
        msg = f"{source}: row {row}: close {values[row]!r} is not a positive finite price"
        raise DataError(msg)
    return values


def price_features(close: FloatArray, fast: int = 20, slow: int = 100) -> dict[str, FloatArray]:
    """``ret_1``, ``vol_fast``, ``zscore_fast``, ``mom_slow`` per bar; NaN while warming up."""
    n = close.shape[0]
    nan = np.full(n, np.nan)
    ret_1 = nan.copy()
    ret_1[1:] = close[1:] / close[:-1] - 1.0
    log_r = np.diff(np.log(close))
    vol = nan.copy()
    if n > fast:
        vol[fast:] = sliding_window_view(log_r, fast).std(axis=1, ddof=1) * _ANNUALISE
    z = nan.copy()
    if n >= fast:
        windows = sliding_window_view(close, fast)
        mean = windows.mean(axis=1)
        std = windows.std(axis=1, ddof=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            z[fast - 1 :] = np.where(std > 0, (close[fast - 1 :] - mean) / std, 0.0)
    mom = nan.copy()
    if n > slow:
        mom[slow:] = close[slow:] / close[:-slow] - 1.0
    return {"ret_1": ret_1, "vol_fast": vol, "zscore_fast": z, "mom_slow": mom}
