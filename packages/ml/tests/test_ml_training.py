from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from qgtm_core import DataError, Direction, FeatureSet, InstrumentId, Signal, StrategyId, TargetPortfolio
from qgtm_core.config import MlConfig
from qgtm_core.signing import MinisignKeyPair
from qgtm_ml import MetaLabellerParams, build_regime_stack, price_features, train_regime_models

AT = datetime(2013, 4, 16, 21, tzinfo=UTC)
GLD = InstrumentId("GLD")


def test_train_save_load_and_filter_with_the_real_gold_history(tmp_path: Path, gld) -> None:
    key = MinisignKeyPair.generate()
    key.save(tmp_path / "ml.key", tmp_path / "ml.pub")
    end = gld.dates.index(AT.date())
    close = gld.close[:end]
    trained = train_regime_models(
        close,
        training_data={"gld": gld.sha256},
        created_at=datetime(2025, 1, 1, tzinfo=UTC),
        model_dir=tmp_path,
        signer=key,
        n_states=2,
        hmm_iterations=20,
        params=MetaLabellerParams(n_estimators=10, n_splits=3),
    )
    assert trained.hmm_card.training_data["gld"] == gld.sha256
    assert trained.meta_card.training_data["gld"] == gld.sha256
    assert set(trained.hmm_card.metrics["state_vols"]) == {"calm", "turbulent"}
    # the regime columns are real inputs now, not all-missing
    assert trained.meta_card.params["feature_names"][-2:] == ["p_turbulent", "change_prob"]
    for name in ("regime_hmm.hmm.json", "regime_hmm.card.json.minisig", "meta_labeller.lgbm.txt"):
        assert (tmp_path / name).is_file()

    stack = build_regime_stack(MlConfig(enabled=True, model_dir=tmp_path, public_key=tmp_path / "ml.pub"))
    f = price_features(close)
    stack.tracker.warm_up(f["ret_1"], f["vol_fast"])
    today = price_features(gld.close[: end + 1])
    values = {k: float(v[-1]) for k, v in today.items()}
    features = FeatureSet(AT, {GLD: values})
    signal = Signal(StrategyId("gold_trend"), GLD, Direction.LONG, 0.8, 20, AT)
    target = TargetPortfolio(AT, {GLD: 0.3})
    result = stack.filter.filter(target, [signal], features)
    (decision,) = result.decisions
    assert decision.probability is not None
    # 16 April 2013, the day after the largest gold drop in 30 years: turbulent, with a change point
    assert result.regime.startswith("turbulent")
    assert "change point" in result.regime
    assert abs(result.target.weights[GLD]) <= 0.3


def test_training_needs_enough_closes(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="need more than 21 closes"):
        train_regime_models(
            np.linspace(100, 110, 15), training_data={}, created_at=datetime(2025, 1, 1, tzinfo=UTC), model_dir=tmp_path
        )
