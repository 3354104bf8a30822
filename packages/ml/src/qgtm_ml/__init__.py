"""Regime models and the meta-label filter for QGTM (step 5).

Research tier (train, then save verified artifacts)::

    hmm = GaussianRegimeHmm.fit(observations, n_states=3)
    meta = MetaLabeller.fit(build_meta_dataset(close, side, conviction), created_at=now, training_data=hashes)
    meta.save(model_dir, signer=key)

Broker tier (load, refuse tampered artifacts, filter every cycle)::

    stack = build_regime_stack(settings.ml)
    result = stack.filter.filter(target, signals, features)
    result.decisions  # one keep/reduce/reject per signal, each with a reason
"""

from qgtm_ml._artifacts import ModelCard, load_artifact, payload_digest, save_artifact
from qgtm_ml._bocpd import BayesianChangePoint, ChangePointPrior
from qgtm_ml._build import RegimeStack, build_regime_stack
from qgtm_ml._cv import PurgedFold, PurgedKFold
from qgtm_ml._dataset import META_FEATURES, MetaDataset, build_meta_dataset, meta_row, meta_rows, trend_side
from qgtm_ml._filter import FilterSettings, RegimeMetaFilter
from qgtm_ml._forewarner import Forewarning, ForewarningLevel, MonteCarloForewarner
from qgtm_ml._hmm import GaussianRegimeHmm, hmm_observations, state_names
from qgtm_ml._labels import Barrier, TripleBarrierLabels, triple_barrier_labels
from qgtm_ml._meta import META_KIND, MetaLabeller, MetaLabellerParams, MetaPolicy
from qgtm_ml._passthrough import PassThroughRegimeFilter
from qgtm_ml._prices import price_features, validate_closes
from qgtm_ml._regime import HMM_KIND, RegimeState, RegimeTracker, load_hmm, save_hmm
from qgtm_ml._training import TrainedModels, train_regime_models

__all__ = [
    "HMM_KIND",
    "META_FEATURES",
    "META_KIND",
    "Barrier",
    "BayesianChangePoint",
    "ChangePointPrior",
    "FilterSettings",
    "Forewarning",
    "ForewarningLevel",
    "GaussianRegimeHmm",
    "MetaDataset",
    "MetaLabeller",
    "MetaLabellerParams",
    "MetaPolicy",
    "ModelCard",
    "MonteCarloForewarner",
    "PassThroughRegimeFilter",
    "PurgedFold",
    "PurgedKFold",
    "RegimeMetaFilter",
    "RegimeStack",
    "RegimeState",
    "RegimeTracker",
    "TrainedModels",
    "TripleBarrierLabels",
    "build_meta_dataset",
    "build_regime_stack",
    "hmm_observations",
    "load_artifact",
    "load_hmm",
    "meta_row",
    "meta_rows",
    "payload_digest",
    "price_features",
    "save_artifact",
    "save_hmm",
    "state_names",
    "train_regime_models",
    "trend_side",
    "triple_barrier_labels",
    "validate_closes",
]
