"""Features of one scalar series on its own clock (weekly COT, daily ETF holdings, FRED).

COT positioning indices are the z-score and the percentile of the latest net position within the
last 156 reports (three years of weekly data); on a daily series the same window is ~7 months.
"""

from __future__ import annotations

import polars as pl

from qgtm_features._spec import Feature, FeatureTable

__all__ = ["SERIES_WINDOW", "series_table"]

SERIES_WINDOW = 156
_V = pl.col("value")


def series_table(window: int = SERIES_WINDOW) -> FeatureTable:
    """``level``, changes, percentage change and the positioning index of a ``value`` column."""
    std = _V.rolling_std(window)
    mean = _V.rolling_mean(window)
    inputs = ("value",)
    return FeatureTable(
        (
            Feature("level", 1, _V, inputs),
            Feature("chg_1", 2, _V.diff(1), inputs),
            Feature("chg_5", 6, _V.diff(5), inputs),
            Feature("chg_20", 21, _V.diff(20), inputs),
            Feature("pchg_5", 6, _V / _V.shift(5) - 1.0, inputs),
            Feature("pchg_20", 21, _V / _V.shift(20) - 1.0, inputs),
            Feature(
                f"z_{window}",
                window,
                pl.when(std > 1e-9 * mean.abs() + 1e-12).then((_V - mean) / std).otherwise(0.0),
                inputs,
            ),
            Feature(f"pct_{window}", window, _V.rolling_rank(window) / window, inputs),
        )
    )
