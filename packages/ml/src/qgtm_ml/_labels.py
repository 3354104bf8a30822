"""Triple-barrier labels (Lopez de Prado, AFML ch. 3) for meta-labelling.

For each event (a bar where the primary strategy takes a side) the trade is followed until the
first of three barriers: profit-take at ``+pt * vol``, stop-loss at ``-sl * vol`` (both in units of
the daily volatility at the event, so barriers widen in turbulent markets), or the vertical
barrier after ``max_holding`` bars. The meta-label is 1 when the side made money (profit-take,
or a positive return at the vertical barrier), else 0. ``t1`` (the bar where the label was
decided) is what purged cross-validation needs to know which labels overlap.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np
from numpy.typing import NDArray

from qgtm_core import DataError
from qgtm_ml._prices import FloatArray

__all__ = ["Barrier", "TripleBarrierLabels", "triple_barrier_labels"]

IntArray = NDArray[np.int64]


class Barrier(IntEnum):
    """Which barrier decided the label."""

    STOP_LOSS = -1
    VERTICAL = 0
    PROFIT_TAKE = 1


@dataclass(frozen=True)
class TripleBarrierLabels:
    """One row per event: start bar, decision bar, side, signed return, barrier and label."""

    t0: IntArray
    t1: IntArray
    side: IntArray
    ret: FloatArray
    barrier: IntArray
    label: IntArray

    def __len__(self) -> int:
        return int(self.t0.shape[0])


def triple_barrier_labels(
    close: FloatArray,
    events: IntArray,
    side: IntArray,
    daily_vol: FloatArray,
    *,
    pt: float = 2.0,
    sl: float = 2.0,
    max_holding: int = 20,
) -> TripleBarrierLabels:
    """Label every event; events whose vertical barrier is past the data are dropped (not known yet)."""
    if pt <= 0 or sl <= 0 or max_holding < 1:
        msg = f"triple barrier: pt={pt}, sl={sl} must be positive and max_holding={max_holding} at least 1"
        raise ValueError(msg)
    events = np.asarray(events, dtype=np.int64)
    side = np.asarray(side, dtype=np.int64)
    if events.shape != side.shape:
        msg = f"triple barrier: {events.shape[0]} events but {side.shape[0]} sides"
        raise DataError(msg)
    n = close.shape[0]
    keep = events + max_holding < n
    events, side = events[keep], side[keep]
    m = events.shape[0]
    t1 = np.empty(m, dtype=np.int64)
    ret = np.empty(m)
    barrier = np.empty(m, dtype=np.int64)
    offsets = np.arange(1, max_holding + 1)
    for k in range(m):
        t0 = int(events[k])
        s = int(side[k])
        vol = float(daily_vol[t0])
        if s not in (-1, 1):
            msg = f"triple barrier: event {k} (bar {t0}) has side {s}; meta-labels need a side of -1 or +1"
            raise DataError(msg)
        if not np.isfinite(vol) or vol <= 0:
            msg = f"triple barrier: event {k} (bar {t0}) has no positive daily volatility ({vol!r})"
            raise DataError(msg)
        path = s * (close[t0 + offsets] / close[t0] - 1.0)
        up = np.flatnonzero(path >= pt * vol)
        down = np.flatnonzero(path <= -sl * vol)
        first_up = int(up[0]) if up.size else max_holding
        first_down = int(down[0]) if down.size else max_holding
        if first_up < first_down:
            hit, kind = first_up, Barrier.PROFIT_TAKE
        elif first_down < first_up:
            hit, kind = first_down, Barrier.STOP_LOSS
        else:
            hit, kind = max_holding - 1, Barrier.VERTICAL
        t1[k] = t0 + hit + 1
        ret[k] = path[hit]
        barrier[k] = kind
    label = ((barrier == Barrier.PROFIT_TAKE) | ((barrier == Barrier.VERTICAL) & (ret > 0))).astype(np.int64)
    return TripleBarrierLabels(events, t1, side, ret, barrier, label)
