"""Train/test splits for research: walk-forward windows, purged K-fold, combinatorial purged CV.

Financial labels span time (a 5-day forward return labelled on Monday uses prices to Friday), so
a plain K-fold leaks: a training row whose label window overlaps the test fold has seen the test
period. Purging drops those rows; the embargo also drops the rows just after the test fold, whose
features were computed from test-period prices (Lopez de Prado, AFML ch. 7). Splits are plain
index arrays so they work for any frame, and every bad setting is a ``ConfigError`` naming the
field, raised before any work starts.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from qgtm_core import ConfigError

__all__ = ["Split", "WindowKind", "combinatorial_purged_splits", "purged_kfold_splits", "walk_forward_splits"]

IntArray = npt.NDArray[np.int64]


class WindowKind(StrEnum):
    """Rolling windows keep a fixed training length; anchored ones always start at the first row."""

    ROLLING = "rolling"
    ANCHORED = "anchored"


@dataclass(frozen=True)
class Split:
    """One fold: row indices to train on and to test on (sorted, disjoint)."""

    fold: int
    train: IntArray
    test: IntArray


def walk_forward_splits(
    n_obs: int, train: int, test: int, *, step: int | None = None, kind: WindowKind = WindowKind.ROLLING
) -> list[Split]:
    """Consecutive out-of-sample windows of ``test`` rows, each trained on the rows before it."""
    if train < 1:
        msg = f"walkforward.train: must be >= 1 period, got {train}"
        raise ConfigError(msg)
    if test < 1:
        msg = f"walkforward.test: must be >= 1 period, got {test}"
        raise ConfigError(msg)
    if train + test > n_obs:
        msg = f"walkforward.train: a {train}-period window plus a {test}-period test is longer than the data ({n_obs})"
        raise ConfigError(msg)
    stride = step or test
    if stride < 1:
        msg = f"walkforward.step: must be >= 1 period, got {stride}"
        raise ConfigError(msg)
    out: list[Split] = []
    start = train
    while start + test <= n_obs:
        first = 0 if kind is WindowKind.ANCHORED else start - train
        out.append(Split(len(out), np.arange(first, start), np.arange(start, start + test)))
        start += stride
    return out


def _check_cv(n_obs: int, n_groups: int, embargo: int, horizon: int, field: str) -> list[IntArray]:
    if n_groups < 2 or n_groups > n_obs:
        msg = f"{field}: must be between 2 and the number of observations ({n_obs}), got {n_groups}"
        raise ConfigError(msg)
    if horizon < 0:
        msg = f"cv.horizon: must be >= 0 periods, got {horizon}"
        raise ConfigError(msg)
    groups = [np.asarray(g, dtype=np.int64) for g in np.array_split(np.arange(n_obs), n_groups)]
    smallest = min(g.size for g in groups)
    if embargo < 0 or embargo >= smallest:
        msg = f"cv.embargo: {embargo} periods must be >= 0 and smaller than the fold size ({smallest})"
        raise ConfigError(msg)
    return groups


def _purged_train(n_obs: int, test_groups: list[IntArray], embargo: int, horizon: int) -> IntArray:
    """Rows whose label window [i, i + horizon] misses every test block and its embargo."""
    keep = np.ones(n_obs, dtype=bool)
    rows = np.arange(n_obs)
    for g in test_groups:
        lo, hi = int(g[0]), int(g[-1])
        keep &= ~((rows + horizon >= lo) & (rows <= hi + embargo))
    return rows[keep].astype(np.int64)


def purged_kfold_splits(n_obs: int, n_folds: int, *, embargo: int = 0, horizon: int = 0) -> list[Split]:
    """K contiguous test folds; training rows whose labels reach into a fold are purged, then embargoed."""
    groups = _check_cv(n_obs, n_folds, embargo, horizon, "cv.n_folds")
    return [Split(k, _purged_train(n_obs, [g], embargo, horizon), g) for k, g in enumerate(groups)]


def combinatorial_purged_splits(
    n_obs: int, n_groups: int, n_test_groups: int, *, embargo: int = 0, horizon: int = 0
) -> list[Split]:
    """Every choice of ``n_test_groups`` of ``n_groups`` blocks as the test set (CPCV), purged and embargoed."""
    groups = _check_cv(n_obs, n_groups, embargo, horizon, "cv.n_groups")
    if not 1 <= n_test_groups < n_groups:
        msg = f"cv.n_test_groups: must be between 1 and n_groups - 1 ({n_groups - 1}), got {n_test_groups}"
        raise ConfigError(msg)
    out: list[Split] = []
    for chosen in itertools.combinations(range(n_groups), n_test_groups):
        tests = [groups[i] for i in chosen]
        out.append(Split(len(out), _purged_train(n_obs, tests, embargo, horizon), np.concatenate(tests)))
    return out
