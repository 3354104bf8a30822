"""Purged k-fold cross-validation with an embargo (Lopez de Prado, AFML ch. 7).

A triple-barrier label spans bars ``[t0, t1]``. A training label whose span overlaps the test
fold's span shares information with it (the same price moves decide both), so it is *purged*.
Because features such as volatility are serially correlated, labels starting just after the test
fold are also dropped: the *embargo*. Without both, CV scores of a meta-labeller are inflated.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["PurgedFold", "PurgedKFold"]

IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class PurgedFold:
    """Indices of one split, and which would-be training rows were removed and why."""

    train: IntArray
    test: IntArray
    purged: IntArray
    embargoed: IntArray


@dataclass(frozen=True)
class PurgedKFold:
    """``n_splits`` contiguous test folds in time order; ``embargo_bars`` after each test fold."""

    n_splits: int = 5
    embargo_bars: int = 0

    def __post_init__(self) -> None:
        if self.n_splits < 2 or self.embargo_bars < 0:
            msg = f"purged k-fold: n_splits={self.n_splits} must be >= 2 and embargo_bars={self.embargo_bars} >= 0"
            raise ValueError(msg)

    def split(self, t0: IntArray, t1: IntArray) -> list[PurgedFold]:
        """Folds over samples sorted by ``t0`` (a ``ValueError`` if they are not)."""
        t0 = np.asarray(t0, dtype=np.int64)
        t1 = np.asarray(t1, dtype=np.int64)
        n = t0.shape[0]
        if t1.shape[0] != n or n < self.n_splits:
            msg = f"purged k-fold: {n} samples with {t1.shape[0]} end times for {self.n_splits} folds"
            raise ValueError(msg)
        if np.any(np.diff(t0) < 0) or np.any(t1 < t0):
            msg = "purged k-fold: samples must be sorted by start and end no earlier than they start"
            raise ValueError(msg)
        folds: list[PurgedFold] = []
        everything = np.arange(n, dtype=np.int64)
        for test in np.array_split(everything, self.n_splits):
            start = int(t0[test[0]])
            end = int(t1[test].max())
            outside = np.ones(n, dtype=bool)
            outside[test] = False
            overlaps = outside & (t0 <= end) & (t1 >= start)
            embargoed = outside & ~overlaps & (t0 > end) & (t0 <= end + self.embargo_bars)
            train = outside & ~overlaps & ~embargoed
            folds.append(
                PurgedFold(everything[train], test.astype(np.int64), everything[overlaps], everything[embargoed])
            )
        return folds
