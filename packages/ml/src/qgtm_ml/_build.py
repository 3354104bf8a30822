"""Build step 5 from the ``[ml]`` section: load the verified models, wire tracker and filter.

The app needs two things from here: the filter (step 5) and the tracker's ``label`` method, which
it passes to the portfolio aggregator as its regime provider so both steps see the same regime.
"""

from __future__ import annotations

from dataclasses import dataclass

from qgtm_core import ConfigError
from qgtm_core.config import MlConfig
from qgtm_core.signing import MinisignPublicKey
from qgtm_ml._bocpd import ChangePointPrior
from qgtm_ml._filter import FilterSettings, RegimeMetaFilter
from qgtm_ml._forewarner import MonteCarloForewarner
from qgtm_ml._meta import MetaLabeller, MetaPolicy
from qgtm_ml._regime import RegimeTracker, load_hmm

__all__ = ["RegimeStack", "build_regime_stack"]


@dataclass(frozen=True)
class RegimeStack:
    """What the app wires: ``filter`` as step 5, ``tracker.label`` as the aggregator's regime provider."""

    filter: RegimeMetaFilter
    tracker: RegimeTracker


def build_regime_stack(config: MlConfig) -> RegimeStack:
    """Load the HMM and meta-labeller from ``config.model_dir`` (verified), or run without models.

    With ``public_key`` set, every model card must carry a valid minisign signature.
    """
    try:  # the components validate their own parameters; report them as configuration errors
        policy = MetaPolicy(config.keep_threshold, config.reduce_threshold, config.reduce_min_scale)
        settings = FilterSettings(change_point_scale=config.change_point_scale, orange_scale=config.orange_scale)
        forewarner = (
            MonteCarloForewarner(
                catastrophic_drawdown=config.forewarn_drawdown,
                horizon_days=config.forewarn_horizon_days,
                paths=config.forewarn_paths,
                orange_probability=config.forewarn_orange_probability,
                red_probability=config.forewarn_red_probability,
            )
            if config.forewarn
            else None
        )
    except ValueError as exc:
        msg = f"ml: {exc}"
        raise ConfigError(msg) from None
    public_key = None
    if config.public_key is not None:
        if not config.public_key.is_file():
            msg = f"ml.public_key: {config.public_key} is not a file"
            raise ConfigError(msg)
        public_key = MinisignPublicKey.parse(config.public_key.read_text(encoding="utf-8"))
    hmm = None
    meta = None
    if config.model_dir is not None:
        hmm, _ = load_hmm(config.model_dir, config.hmm_model, public_key)
        meta = MetaLabeller.load(config.model_dir, config.meta_model, public_key)
    tracker = RegimeTracker(
        hmm,
        instrument=config.regime_instrument,
        change_prior=ChangePointPrior(),
        change_threshold=config.change_point_threshold,
    )
    regime_filter = RegimeMetaFilter(tracker, meta, policy=policy, forewarner=forewarner, settings=settings)
    return RegimeStack(regime_filter, tracker)
