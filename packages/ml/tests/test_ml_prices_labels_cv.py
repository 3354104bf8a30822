from __future__ import annotations

import math
import statistics

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qgtm_core import DataError
from qgtm_ml import Barrier, PurgedKFold, price_features, trend_side, triple_barrier_labels, validate_closes


def test_price_features_match_the_live_engine_definitions_by_hand(gld) -> None:
    close = gld.close[:300]
    f = price_features(close, fast=20, slow=100)
    i = 250
    window = [float(c) for c in close[i - 19 : i + 1]]
    logs = [math.log(close[k] / close[k - 1]) for k in range(i - 19, i + 1)]
    assert f["ret_1"][i] == pytest.approx(close[i] / close[i - 1] - 1)
    assert f["vol_fast"][i] == pytest.approx(statistics.stdev(logs) * math.sqrt(252))
    assert f["zscore_fast"][i] == pytest.approx((close[i] - statistics.mean(window)) / statistics.stdev(window))
    assert f["mom_slow"][i] == pytest.approx(close[i] / close[i - 100] - 1)
    assert math.isnan(f["vol_fast"][19])
    assert not math.isnan(f["vol_fast"][20])
    assert math.isnan(f["mom_slow"][99])
    assert not math.isnan(f["mom_slow"][100])


def test_features_never_use_later_closes(gld) -> None:
    short = price_features(gld.close[:400])
    full = price_features(gld.close[:800])
    for name in short:
        np.testing.assert_array_equal(short[name], full[name][:400])


def test_trend_side_follows_the_moving_averages() -> None:
    up = np.linspace(100, 200, 150)
    side, conviction = trend_side(up)
    assert side[98] == 0
    assert side[99] == 1
    assert side[-1] == 1
    assert 0 < conviction[-1] <= 1
    assert trend_side(up[:50])[0].sum() == 0


@pytest.mark.parametrize(
    ("values", "match"), [([1.0, -2.0], "row 1"), ([1.0, float("nan")], "row 1"), ([[1.0]], "one-dimensional")]
)
def test_bad_closes_name_the_row(values: list[float], match: str) -> None:
    with pytest.raises(DataError, match=match):
        validate_closes(np.array(values), "gld.csv")


def test_triple_barrier_profit_take_stop_loss_and_vertical() -> None:
    close = np.array([100, 101, 103, 99, 97, 100, 100.5, 100.2, 100.1, 100.3, 100.0, 99.9, 99.8])
    vol = np.full(close.shape, 0.01)  # barriers at +-2%
    labels = triple_barrier_labels(
        close, np.array([0, 2, 5, 8]), np.array([1, -1, 1, 1]), vol, pt=2, sl=2, max_holding=4
    )
    # event 0 long: +3% at bar 2 -> profit take
    assert labels.barrier[0] == Barrier.PROFIT_TAKE
    assert labels.t1[0] == 2
    assert labels.label[0] == 1
    # event 2 short at 103: 99 is +3.9% for a short -> profit take at bar 3
    assert labels.barrier[1] == Barrier.PROFIT_TAKE
    assert labels.t1[1] == 3
    # event 5 long at 100: stays within 2% -> vertical at bar 9, +0.3% -> label 1
    assert labels.barrier[2] == Barrier.VERTICAL
    assert labels.t1[2] == 9
    assert labels.label[2] == 1
    # event 8 long at 100.1: vertical at 12 with 99.8 -> label 0
    assert labels.barrier[3] == Barrier.VERTICAL
    assert labels.label[3] == 0
    losing = triple_barrier_labels(close, np.array([2]), np.array([1]), vol, max_holding=4)
    assert losing.barrier[0] == Barrier.STOP_LOSS
    assert losing.t1[0] == 3
    assert losing.label[0] == 0
    assert len(triple_barrier_labels(close, np.array([10]), np.array([1]), vol, max_holding=4)) == 0


def test_triple_barrier_rejects_bad_events() -> None:
    close = np.linspace(100, 110, 30)
    vol = np.full(30, 0.01)
    with pytest.raises(DataError, match="side 0"):
        triple_barrier_labels(close, np.array([1]), np.array([0]), vol)
    with pytest.raises(DataError, match="no positive daily volatility"):
        triple_barrier_labels(close, np.array([1]), np.array([1]), np.zeros(30))
    with pytest.raises(DataError, match="2 events but 1 sides"):
        triple_barrier_labels(close, np.array([1, 2]), np.array([1]), vol)
    with pytest.raises(ValueError, match="max_holding"):
        triple_barrier_labels(close, np.array([1]), np.array([1]), vol, max_holding=0)


def test_purging_removes_a_training_label_that_overlaps_the_test_fold() -> None:
    # six labels in time order; label 2 is decided at bar 3, inside the second fold (labels 3-5)
    t0 = np.array([0, 1, 2, 3, 4, 5])
    t1 = np.array([0, 1, 3, 3, 4, 8])
    first, second = PurgedKFold(n_splits=2, embargo_bars=0).split(t0, t1)
    assert second.test.tolist() == [3, 4, 5]
    assert second.purged.tolist() == [2]  # overlaps bars 3..8, so it would leak the test outcome
    assert second.train.tolist() == [0, 1]
    # symmetric: the first fold spans bars 0..3, so label 3 (bars 3..3) is purged from its training set
    assert first.test.tolist() == [0, 1, 2]
    assert first.purged.tolist() == [3]
    assert first.train.tolist() == [4, 5]


def test_embargo_drops_labels_that_start_just_after_the_test_fold() -> None:
    t0 = np.arange(10)
    t1 = t0.copy()
    folds = PurgedKFold(n_splits=5, embargo_bars=2).split(t0, t1)
    assert folds[0].test.tolist() == [0, 1]
    assert folds[0].embargoed.tolist() == [2, 3]
    assert folds[0].train.tolist() == [4, 5, 6, 7, 8, 9]
    assert folds[-1].embargoed.tolist() == []


def test_purged_kfold_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="n_splits"):
        PurgedKFold(n_splits=1)
    with pytest.raises(ValueError, match="sorted"):
        PurgedKFold(2).split(np.array([1, 0]), np.array([1, 1]))
    with pytest.raises(ValueError, match="samples"):
        PurgedKFold(3).split(np.array([0, 1]), np.array([0, 1]))


@settings(max_examples=100, deadline=None)
@given(
    spans=st.lists(st.tuples(st.integers(0, 200), st.integers(0, 15)), min_size=6, max_size=60),
    n_splits=st.integers(2, 5),
    embargo=st.integers(0, 10),
)
def test_no_training_label_overlaps_or_follows_its_test_fold_within_the_embargo(
    spans: list[tuple[int, int]], n_splits: int, embargo: int
) -> None:
    ordered = sorted(spans)
    t0 = np.array([s for s, _ in ordered])
    t1 = t0 + np.array([d for _, d in ordered])
    if len(ordered) < n_splits:
        return
    for fold in PurgedKFold(n_splits, embargo).split(t0, t1):
        start, end = t0[fold.test[0]], t1[fold.test].max()
        assert not set(fold.train) & set(fold.test)
        for i in fold.train:
            assert t1[i] < start or t0[i] > end + embargo
        assert len(fold.train) + len(fold.test) + len(fold.purged) + len(fold.embargoed) == len(ordered)
