"""Order-book microstructure from depth snapshots: spread, imbalance, microprice, depth withdrawal.

A depth frame has one row per snapshot: ``as_of`` and, for levels 1..k, ``bid_px_i``,
``bid_sz_i``, ``ask_px_i``, ``ask_sz_i`` (level 1 is the touch). The same ``FeatureTable``
machinery as bars, so a live depth feed and a recorded one give the same values.
"""

from __future__ import annotations

import polars as pl

from qgtm_features._spec import Feature, FeatureTable

__all__ = ["depth_columns", "microstructure_table"]


def depth_columns(levels: int) -> tuple[str, ...]:
    """The column names a depth frame with ``levels`` levels must have (besides ``as_of``)."""
    return tuple(f"{side}_{kind}_{i}" for i in range(1, levels + 1) for side in ("bid", "ask") for kind in ("px", "sz"))


def microstructure_table(levels: int = 5, velocity_window: int = 10) -> FeatureTable:
    """Touch and depth features; ``depth_withdrawal_velocity`` is liquidity pulled per snapshot."""
    if levels < 1 or velocity_window < 1:
        msg = f"levels {levels} and velocity_window {velocity_window} must be positive"
        raise ValueError(msg)
    bid, ask = pl.col("bid_px_1"), pl.col("ask_px_1")
    bid_sz, ask_sz = pl.col("bid_sz_1"), pl.col("ask_sz_1")
    mid = (bid + ask) / 2.0
    bid_depth = pl.sum_horizontal(pl.col(f"bid_sz_{i}") for i in range(1, levels + 1))
    ask_depth = pl.sum_horizontal(pl.col(f"ask_sz_{i}") for i in range(1, levels + 1))
    depth = bid_depth + ask_depth
    inputs = depth_columns(levels)
    touch = ("bid_px_1", "ask_px_1", "bid_sz_1", "ask_sz_1")
    w = velocity_window
    return FeatureTable(
        (
            Feature("mid", 1, mid, touch),
            Feature("spread", 1, ask - bid, touch),
            Feature("spread_bps", 1, (ask - bid) / mid * 1e4, touch),
            Feature("imbalance_1", 1, (bid_sz - ask_sz) / (bid_sz + ask_sz), touch),
            Feature("imbalance_depth", 1, (bid_depth - ask_depth) / depth, inputs),
            Feature("microprice", 1, (bid * ask_sz + ask * bid_sz) / (bid_sz + ask_sz), touch),
            Feature(
                "microprice_offset_bps", 1, ((bid * ask_sz + ask * bid_sz) / (bid_sz + ask_sz) / mid - 1.0) * 1e4, touch
            ),
            Feature("depth_total", 1, depth, inputs),
            Feature(f"depth_withdrawal_velocity_{w}", w + 1, (depth.shift(w) - depth) / w, inputs),
            Feature(
                f"spread_z_{w}", w, ((ask - bid) - (ask - bid).rolling_mean(w)) / (ask - bid).rolling_std(w), touch
            ),
        )
    )
