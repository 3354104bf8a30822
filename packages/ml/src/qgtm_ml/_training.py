"""Research-tier entry point: fit the regime HMM and the meta-labeller on one price history, save both.

The meta-labeller is trained on the features the live filter will give it, including the two
regime signals, computed causally over the same history (filtered HMM probabilities, online
BOCPD), so training and live inputs mean the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from qgtm_core import DataError, JsonValue
from qgtm_core.signing import MinisignKeyPair
from qgtm_ml._artifacts import ModelCard
from qgtm_ml._bocpd import BayesianChangePoint
from qgtm_ml._dataset import build_meta_dataset, trend_side
from qgtm_ml._hmm import GaussianRegimeHmm, hmm_observations
from qgtm_ml._meta import MetaLabeller, MetaLabellerParams
from qgtm_ml._prices import FloatArray, price_features, validate_closes
from qgtm_ml._regime import HMM_KIND, save_hmm

__all__ = ["TrainedModels", "train_regime_models"]


@dataclass(frozen=True)
class TrainedModels:
    """The saved cards (with their artifact digests) and the fitted models."""

    hmm: GaussianRegimeHmm
    hmm_card: ModelCard
    meta: MetaLabeller
    meta_card: ModelCard


def train_regime_models(
    close: FloatArray,
    *,
    training_data: dict[str, JsonValue],
    created_at: datetime,
    model_dir: Path,
    signer: MinisignKeyPair | None = None,
    n_states: int = 3,
    hmm_iterations: int = 200,
    params: MetaLabellerParams | None = None,
    source: str = "closes",
) -> TrainedModels:
    """Fit and save ``regime_hmm`` and ``meta_labeller`` (the names ``MlConfig`` loads by default).

    ``training_data`` should name the source file(s) and their digests: it goes into both cards.
    """
    close = validate_closes(close, source)
    feats = price_features(close)
    observations = hmm_observations(feats["ret_1"], feats["vol_fast"])
    finite = np.all(np.isfinite(observations), axis=1)
    if not finite.any():
        msg = f"{source}: no bar has both a return and a volatility; need more than 21 closes"
        raise DataError(msg)
    hmm = GaussianRegimeHmm.fit(observations[finite], n_states=n_states, n_iter=hmm_iterations)
    p_turbulent = hmm.filter(observations)[:, -1]
    change = BayesianChangePoint().run(np.log1p(feats["ret_1"]))  # the first, NaN, return is skipped
    side, conviction = trend_side(close)
    data = build_meta_dataset(close, side, conviction, p_turbulent=p_turbulent, change_prob=change, source=source)
    meta = MetaLabeller.fit(data, params, created_at=created_at, training_data=training_data)
    hmm_card = save_hmm(
        hmm,
        model_dir,
        ModelCard(
            name="regime_hmm",
            kind=HMM_KIND,
            created_at=created_at,
            training_data={**training_data, "rows": int(finite.sum())},
            params={"n_states": n_states, "n_iter": hmm_iterations, "covariance_type": "full"},
            metrics={
                "log_likelihood": hmm.log_likelihood,
                "state_vols": {n: float(v) for n, v in zip(hmm.names, hmm.state_vols(), strict=True)},
            },
        ),
        signer,
    )
    meta_card = meta.save(model_dir, signer)
    return TrainedModels(hmm, hmm_card, meta, meta_card)
