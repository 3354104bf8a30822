from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from qgtm_core import DataError, Direction, FeatureSet, InstrumentId, MetaAction, Signal, StrategyId, TargetPortfolio
from qgtm_ml import (
    HMM_KIND,
    META_FEATURES,
    MetaDataset,
    MetaLabeller,
    MetaLabellerParams,
    ModelCard,
    PassThroughRegimeFilter,
    load_hmm,
    save_artifact,
)

AT = datetime(2024, 1, 2, tzinfo=UTC)


def test_pass_through_keeps_every_signal_and_says_why() -> None:
    signal = Signal(StrategyId("a"), InstrumentId("GLD"), Direction.LONG, 0.5, 5, AT)
    target = TargetPortfolio(AT, {InstrumentId("GLD"): 0.2})
    result = PassThroughRegimeFilter().filter(target, [signal], FeatureSet(AT, {}))
    assert result.target is target
    assert result.decisions[0].action is MetaAction.KEEP
    assert "no regime model" in result.decisions[0].reason


def test_hmm_payload_that_is_not_an_object_is_refused(tmp_path: Path) -> None:
    save_artifact(tmp_path, ModelCard("regime_hmm", HMM_KIND, AT, {}, {}), "[1, 2]", "hmm.json")
    with pytest.raises(DataError, match="must be a JSON object"):
        load_hmm(tmp_path)


def test_hmm_step_ignores_an_unusable_observation(gld_hmm) -> None:
    np.testing.assert_array_equal(gld_hmm.step(None, np.array([np.nan, np.nan])), gld_hmm.startprob)


def test_a_fold_whose_training_set_has_one_class_is_skipped_and_recorded() -> None:
    rng = np.random.default_rng(0)
    n = 200
    x = rng.normal(size=(n, len(META_FEATURES)))
    y = np.concatenate([rng.integers(0, 2, n // 2), np.ones(n // 2, dtype=np.int64)])
    t0 = np.arange(n, dtype=np.int64)
    data = MetaDataset(x, y, t0, t0)
    model = MetaLabeller.fit(
        data, MetaLabellerParams(n_estimators=5, n_splits=2, min_data_in_leaf=5), created_at=AT, training_data={}
    )
    assert model.card.fold_metrics[0] == {"fold": 0, "skipped": "one class in training"}
    assert model.card.fold_metrics[1]["n_test"] == n // 2
