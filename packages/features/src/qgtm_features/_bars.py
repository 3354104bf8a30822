"""Per-instrument bar features: returns, z-scores, volatility estimators, oscillators, seasonality.

Every definition reads only a bounded number of past rows (its ``lookback``), so the live path can
evaluate it on a short tail. Exponential weighting is therefore a *truncated* EWMA (weights over
``3 * span`` rows, renormalised), which keeps the batch and live values identical.
"""

from __future__ import annotations

import math

import polars as pl

from qgtm_features._spec import Feature, FeatureTable

__all__ = ["BAR_INPUTS", "bar_table", "ewm_weights"]

BAR_INPUTS: tuple[str, ...] = ("open", "high", "low", "close", "volume")
_ANNUAL = 252.0
_C = pl.col("close")
_H = pl.col("high")
_L = pl.col("low")
_O = pl.col("open")
_LR = _C.log().diff()


def ewm_weights(span: int) -> list[float]:
    """Oldest-first weights of a span-``span`` EWMA truncated at ``3 * span`` rows."""
    alpha = 2.0 / (span + 1.0)
    length = 3 * span
    return [(1.0 - alpha) ** (length - 1 - k) for k in range(length)]


def _nan(x: pl.Expr) -> pl.Expr:
    """Weighted rolling means reject nulls; a NaN propagates through the window the same way."""
    return x.fill_null(float("nan"))


def _f(name: str, lookback: int, expr: pl.Expr, inputs: tuple[str, ...] = ("close",)) -> Feature:
    return Feature(name, lookback, expr, inputs)


def _zscore(x: pl.Expr, window: int) -> pl.Expr:
    """Rolling z-score; a window flat to rounding noise scores 0 (its 'std' is float error)."""
    std = x.rolling_std(window)
    mean = x.rolling_mean(window)
    return pl.when(std > 1e-9 * mean.abs() + 1e-12).then((x - mean) / std).otherwise(0.0)


def _vol_features(w: int) -> list[Feature]:
    hl = (_H / _L).log()
    co = (_C / _O).log()
    overnight = (_O / _C.shift(1)).log()
    rs = (_H / _C).log() * (_H / _O).log() + (_L / _C).log() * (_L / _O).log()
    k = 0.34 / (1.34 + (w + 1.0) / (w - 1.0))
    yz_var = overnight.rolling_var(w) + k * co.rolling_var(w) + (1.0 - k) * rs.rolling_mean(w)
    ohlc = ("open", "high", "low", "close")
    span_weights = ewm_weights(w)
    return [
        _f(f"vol_cc_{w}", w + 1, _LR.rolling_std(w) * math.sqrt(_ANNUAL)),
        _f(
            f"vol_ewma_{w}",
            len(span_weights) + 1,
            ((_nan(_LR) ** 2).rolling_mean(len(span_weights), weights=span_weights) * _ANNUAL).sqrt(),
        ),
        _f(f"vol_parkinson_{w}", w, ((hl**2).rolling_mean(w) / (4.0 * math.log(2.0)) * _ANNUAL).sqrt(), ohlc),
        _f(
            f"vol_gk_{w}",
            w,
            ((0.5 * hl**2 - (2.0 * math.log(2.0) - 1.0) * co**2).rolling_mean(w) * _ANNUAL).clip(0.0).sqrt(),
            ohlc,
        ),
        _f(f"vol_yz_{w}", w + 1, (yz_var * _ANNUAL).clip(0.0).sqrt(), ohlc),
    ]


def bar_table(fast: int = 20, slow: int = 100) -> FeatureTable:
    """The bar feature set; ``fast``/``slow`` also feed the legacy names ``sma_fast`` and friends."""
    if not 2 <= fast < slow:
        msg = f"fast_window {fast} must be at least 2 and shorter than slow_window {slow}"
        raise ValueError(msg)
    weights = ewm_weights(fast)
    ew_mean = _nan(_C).rolling_mean(len(weights), weights=weights)
    ew_var = (_nan(_C) ** 2).rolling_mean(len(weights), weights=weights) - ew_mean**2
    diff = _C.diff()
    up = diff.clip(lower_bound=0.0).rolling_mean(14)
    down = (-diff).clip(lower_bound=0.0).rolling_mean(14)
    prev = _C.shift(1)
    true_range = pl.max_horizontal(_H - _L, (_H - prev).abs(), (_L - prev).abs())
    atr = true_range.rolling_mean(14)
    feats: list[Feature] = [
        _f("close", 1, _C),
        _f("ret_1", 2, _C / _C.shift(1) - 1.0),
        _f("logret_1", 2, _LR),
        *(_f(f"mom_{h}", h + 1, _C / _C.shift(h) - 1.0) for h in (5, 20, 60, 120, 250)),
        *(_f(f"sma_{w}", w, _C.rolling_mean(w)) for w in (10, 50, 200)),
        _f("sma_fast", fast, _C.rolling_mean(fast)),
        _f("sma_slow", slow, _C.rolling_mean(slow)),
        _f("zscore_fast", fast, _zscore(_C, fast)),
        _f("zscore_slow", slow, _zscore(_C, slow)),
        _f("zscore_ewm_fast", len(weights), pl.when(ew_var > 0).then((_C - ew_mean) / ew_var.sqrt()).otherwise(0.0)),
        _f("vol_fast", fast + 1, _LR.rolling_std(fast) * math.sqrt(_ANNUAL)),
        _f("mom_slow", slow + 1, _C / _C.shift(slow) - 1.0),
        *_vol_features(20),
        _f("vol_cc_60", 61, _LR.rolling_std(60) * math.sqrt(_ANNUAL)),
        _f("rsi_14", 15, pl.when(up + down > 0).then(100.0 * up / (up + down)).otherwise(50.0)),
        _f(
            "bb_pct_20",
            20,
            _zscore(_C, 20) / 2.0,
        ),
        *(_f(f"donchian_high_{w}", w + 1, _H.shift(1).rolling_max(w), ("high",)) for w in (20, 55)),
        *(_f(f"donchian_low_{w}", w + 1, _L.shift(1).rolling_min(w), ("low",)) for w in (20, 55)),
        _f("atr_14", 15, atr, ("high", "low", "close")),
        _f("range_ratio_14", 15, (_H - _L) / atr, ("high", "low", "close")),
        _f("volume_z_20", 20, _zscore(pl.col("volume"), 20), ("volume",)),
        _f("day_of_week", 1, pl.col("as_of").dt.weekday().cast(pl.Float64), ("as_of",)),
        _f("month", 1, pl.col("as_of").dt.month().cast(pl.Float64), ("as_of",)),
        _f("day_of_month", 1, pl.col("as_of").dt.day().cast(pl.Float64), ("as_of",)),
    ]
    return FeatureTable(tuple(feats))
