"""Walk-forward windows, purged K-fold with embargo and CPCV: no leakage, clear config errors."""

from __future__ import annotations

from math import comb

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qgtm_backtest import WindowKind, combinatorial_purged_splits, purged_kfold_splits, walk_forward_splits
from qgtm_core import ConfigError


def test_rolling_and_anchored_windows() -> None:
    rolling = walk_forward_splits(100, train=40, test=20)
    assert [(int(s.train[0]), int(s.train[-1]), int(s.test[0]), int(s.test[-1])) for s in rolling] == [
        (0, 39, 40, 59),
        (20, 59, 60, 79),
        (40, 79, 80, 99),
    ]
    anchored = walk_forward_splits(100, train=40, test=20, kind=WindowKind.ANCHORED, step=30)
    assert [(int(s.train[0]), s.train.size, int(s.test[0])) for s in anchored] == [(0, 40, 40), (0, 70, 70)]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"train": 90, "test": 20}, "walkforward.train"),
        ({"train": 0, "test": 20}, "walkforward.train"),
        ({"train": 10, "test": 0}, "walkforward.test"),
        ({"train": 10, "test": 10, "step": -1}, "walkforward.step"),
    ],
)
def test_bad_walk_forward_config_names_the_field(kwargs: dict[str, int], field: str) -> None:
    with pytest.raises(ConfigError, match=field.replace(".", r"\.")):
        walk_forward_splits(100, kwargs["train"], kwargs["test"], step=kwargs.get("step"))


def test_purged_kfold_purges_overlapping_labels_and_embargoes() -> None:
    splits = purged_kfold_splits(100, 5, embargo=3, horizon=4)
    middle = splits[2]  # test rows 40..59
    assert middle.test.tolist() == list(range(40, 60))
    # rows 36..39 have labels reaching row 40 (purged); rows 60..62 are embargoed
    assert middle.train.tolist() == list(range(36)) + list(range(63, 100))
    assert splits[0].train.tolist() == list(range(23, 100))


@settings(deadline=None)
@given(
    n=st.integers(20, 300),
    k=st.integers(2, 6),
    horizon=st.integers(0, 5),
    data=st.data(),
)
def test_no_training_label_overlaps_a_test_row(n: int, k: int, horizon: int, data: st.DataObject) -> None:
    embargo = data.draw(st.integers(0, n // k - 1))
    for split in purged_kfold_splits(n, k, embargo=embargo, horizon=horizon):
        lo, hi = int(split.test[0]), int(split.test[-1])
        label_ends = split.train + horizon
        assert not np.any((split.train <= hi) & (label_ends >= lo))
        assert not np.any((split.train > hi) & (split.train <= hi + embargo))
        assert np.intersect1d(split.train, split.test).size == 0


def test_cpcv_enumerates_all_group_combinations() -> None:
    splits = combinatorial_purged_splits(60, 6, 2, embargo=1, horizon=2)
    assert len(splits) == comb(6, 2)
    first = splits[0]  # groups 0 and 1 are rows 0..19
    assert first.test.tolist() == list(range(20))
    assert int(first.train[0]) == 21  # row 20 embargoed
    tested = np.concatenate([s.test for s in splits])
    assert np.bincount(tested).tolist() == [comb(5, 1)] * 60  # every row tested C(5,1) times


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: purged_kfold_splits(100, 5, embargo=20), "cv.embargo"),
        (lambda: purged_kfold_splits(100, 5, embargo=-1), "cv.embargo"),
        (lambda: purged_kfold_splits(100, 1), "cv.n_folds"),
        (lambda: purged_kfold_splits(100, 4, horizon=-1), "cv.horizon"),
        (lambda: combinatorial_purged_splits(100, 6, 6), "cv.n_test_groups"),
        (lambda: combinatorial_purged_splits(100, 200, 2), "cv.n_groups"),
    ],
)
def test_bad_cv_config_names_the_field(call: object, field: str) -> None:
    with pytest.raises(ConfigError, match=field.replace(".", r"\.")):
        call()  # type: ignore[operator]
