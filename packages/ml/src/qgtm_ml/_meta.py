"""The LightGBM meta-labeller: a calibrated probability that a signal's trade pays off.

Training (research tier): purged, embargoed k-fold CV gives out-of-fold probabilities and fold
metrics; an isotonic map fitted on those out-of-fold probabilities calibrates the final model,
which is then fitted on all the data. Calibration is what lets one threshold mean the same thing
across refits. The booster is saved in LightGBM's text format and the isotonic map as knots in
the model card, all behind a digest verified on load.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

import lightgbm as lgb
import numpy as np
from sklearn.isotonic import IsotonicRegression
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score

from qgtm_core import DataError, JsonValue, MetaAction
from qgtm_core.signing import MinisignKeyPair, MinisignPublicKey
from qgtm_ml._artifacts import ModelCard, load_artifact, save_artifact
from qgtm_ml._cv import PurgedKFold
from qgtm_ml._dataset import MetaDataset
from qgtm_ml._prices import FloatArray

__all__ = ["META_KIND", "MetaLabeller", "MetaLabellerParams", "MetaPolicy"]

META_KIND = "lightgbm-meta-labeller"
_SUFFIX = "lgbm.txt"


@dataclass(frozen=True)
class MetaLabellerParams:
    """Small, shallow trees by default: the decision runs every cycle on every signal."""

    n_estimators: int = 50
    num_leaves: int = 7
    learning_rate: float = 0.05
    min_data_in_leaf: int = 50
    feature_fraction: float = 1.0
    n_splits: int = 5
    embargo_bars: int = 10
    seed: int = 7

    def lightgbm(self) -> dict[str, object]:
        """LightGBM parameters; deterministic and single-threaded so a refit is reproducible."""
        return {
            "objective": "binary",
            "learning_rate": self.learning_rate,
            "num_leaves": self.num_leaves,
            "min_data_in_leaf": self.min_data_in_leaf,
            "feature_fraction": self.feature_fraction,
            "seed": self.seed,
            "deterministic": True,
            "force_col_wise": True,
            "num_threads": 1,
            "verbose": -1,
        }


@dataclass(frozen=True)
class MetaPolicy:
    """Probability to action: keep at or above ``keep``, reject below ``reduce``, scale between.

    A reduced signal keeps between ``min_scale`` and 1 of its contribution, growing linearly with
    the probability, so a small change of probability never makes a large jump in size.
    """

    keep: float = 0.55
    reduce: float = 0.45
    min_scale: float = 0.5

    def __post_init__(self) -> None:
        if not 0.0 <= self.reduce <= self.keep <= 1.0 or not 0.0 <= self.min_scale <= 1.0:
            msg = f"ml: need 0 <= reduce ({self.reduce}) <= keep ({self.keep}) <= 1 and min_scale in [0, 1]"
            raise ValueError(msg)

    def decide(self, probability: float) -> tuple[MetaAction, float]:
        """The action and the scale of the signal's contribution."""
        if probability >= self.keep:
            return MetaAction.KEEP, 1.0
        if probability < self.reduce:
            return MetaAction.REJECT, 0.0
        span = self.keep - self.reduce
        return MetaAction.REDUCE, self.min_scale + (1.0 - self.min_scale) * (probability - self.reduce) / span

    def decide_many(self, probabilities: FloatArray) -> tuple[list[MetaAction], list[float]]:
        """``decide`` over an array in one pass (the filter calls it on every signal every cycle)."""
        p = np.asarray(probabilities, dtype=np.float64)
        span = self.keep - self.reduce
        with np.errstate(divide="ignore", invalid="ignore"):
            between = self.min_scale + (1.0 - self.min_scale) * (p - self.reduce) / (span if span > 0 else 1.0)
        codes = np.where(p >= self.keep, 0, np.where(p < self.reduce, 2, 1))
        scales = np.where(codes == 0, 1.0, np.where(codes == 2, 0.0, between))
        return [_ACTIONS[c] for c in codes.tolist()], scales.tolist()


_ACTIONS = (MetaAction.KEEP, MetaAction.REDUCE, MetaAction.REJECT)


def _metrics(y: FloatArray, p: FloatArray) -> dict[str, JsonValue]:
    both = len(np.unique(y)) == 2
    return {
        "auc": float(roc_auc_score(y, p)) if both else math.nan,
        "log_loss": float(log_loss(y, np.clip(p, 1e-6, 1 - 1e-6), labels=[0, 1])),
        "brier": float(brier_score_loss(y, p)),
        "base_rate": float(np.mean(y)),
    }


class MetaLabeller:
    """A trained booster plus its isotonic calibration and model card."""

    def __init__(self, booster: lgb.Booster, knots_x: FloatArray, knots_y: FloatArray, card: ModelCard) -> None:
        self._booster = booster
        self._knots_x = knots_x
        self._knots_y = knots_y
        self.card = card
        self.feature_names: tuple[str, ...] = tuple(str(n) for n in booster.feature_name())

    @classmethod
    def fit(
        cls,
        data: MetaDataset,
        params: MetaLabellerParams | None = None,
        *,
        name: str = "meta_labeller",
        created_at: datetime,
        training_data: Mapping[str, JsonValue],
    ) -> MetaLabeller:
        """Purged/embargoed CV, isotonic calibration on out-of-fold probabilities, final fit."""
        p = params or MetaLabellerParams()
        if len(data) < 10 * p.n_splits or len(np.unique(data.y)) < 2:
            msg = f"meta-labeller: {len(data)} labelled events with classes {np.unique(data.y).tolist()} is not enough"
            raise DataError(msg)
        lgb_params = p.lightgbm()
        names = list(data.feature_names)
        oof = np.full(len(data), np.nan)
        folds: list[Mapping[str, JsonValue]] = []
        for k, fold in enumerate(PurgedKFold(p.n_splits, p.embargo_bars).split(data.t0, data.t1)):
            y_train = data.y[fold.train]
            if len(np.unique(y_train)) < 2:
                folds.append({"fold": k, "skipped": "one class in training"})
                continue
            booster = lgb.train(
                lgb_params, lgb.Dataset(data.x[fold.train], y_train, feature_name=names), num_boost_round=p.n_estimators
            )
            oof[fold.test] = np.asarray(booster.predict(data.x[fold.test]), dtype=np.float64)
            folds.append(
                {
                    "fold": k,
                    "n_train": int(fold.train.shape[0]),
                    "n_test": int(fold.test.shape[0]),
                    "n_purged": int(fold.purged.shape[0]),
                    "n_embargoed": int(fold.embargoed.shape[0]),
                    **_metrics(data.y[fold.test].astype(np.float64), oof[fold.test]),
                }
            )
        scored = np.isfinite(oof)
        iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
        iso.fit(oof[scored], data.y[scored].astype(np.float64))
        knots_x = np.asarray(iso.X_thresholds_, dtype=np.float64)
        knots_y = np.asarray(iso.y_thresholds_, dtype=np.float64)
        final = lgb.train(lgb_params, lgb.Dataset(data.x, data.y, feature_name=names), num_boost_round=p.n_estimators)
        gains = np.asarray(final.feature_importance(importance_type="gain"), dtype=np.float64)
        total_gain = float(gains.sum()) or 1.0
        y_scored = data.y[scored].astype(np.float64)
        card = ModelCard(
            name=name,
            kind=META_KIND,
            created_at=created_at,
            training_data={**training_data, "events": len(data), "positive_rate": float(np.mean(data.y))},
            params={
                **{k: v for k, v in asdict(p).items() if isinstance(v, int | float)},
                "lightgbm_version": lgb.__version__,
                "feature_names": list(names),
                "calibration_x": knots_x.tolist(),
                "calibration_y": knots_y.tolist(),
            },
            fold_metrics=tuple(folds),
            feature_importances={n: float(g) / total_gain for n, g in zip(names, gains, strict=True)},
            metrics={
                "oof_raw": _metrics(y_scored, oof[scored]),
                "oof_calibrated": _metrics(y_scored, np.interp(oof[scored], knots_x, knots_y)),
            },
        )
        return cls(final, knots_x, knots_y, card)

    def raw_probability(self, x: FloatArray) -> FloatArray:
        """Uncalibrated booster output for rows in ``META_FEATURES`` order."""
        rows = np.ascontiguousarray(np.atleast_2d(x), dtype=np.float64)
        if rows.shape[1] != len(self.feature_names):
            msg = f"meta-labeller: rows have {rows.shape[1]} features, the model expects {len(self.feature_names)}"
            raise DataError(msg)
        out: FloatArray = np.asarray(self._booster.predict(rows, num_threads=1), dtype=np.float64)
        return out

    def probability(self, x: FloatArray) -> FloatArray:
        """Calibrated probability that each row's trade pays off."""
        calibrated: FloatArray = np.interp(self.raw_probability(x), self._knots_x, self._knots_y)
        return calibrated

    def save(self, directory: Path, signer: MinisignKeyPair | None = None) -> ModelCard:
        """Write ``<name>.lgbm.txt`` and ``<name>.card.json`` (plus a signature with a key)."""
        self.card = save_artifact(directory, self.card, str(self._booster.model_to_string()), _SUFFIX, signer)
        return self.card

    @classmethod
    def load(
        cls, directory: Path, name: str = "meta_labeller", public_key: MinisignPublicKey | None = None
    ) -> MetaLabeller:
        """Load a saved model; ``IntegrityError`` if the text or the card was changed."""
        text, card = load_artifact(directory, name, META_KIND, _SUFFIX, public_key)
        try:
            knots_x = np.asarray(card.params["calibration_x"], dtype=np.float64)
            knots_y = np.asarray(card.params["calibration_y"], dtype=np.float64)
        except (KeyError, TypeError, ValueError) as exc:
            msg = f"{directory / name}.card.json: calibration knots missing or malformed: {exc}"
            raise DataError(msg) from None
        return cls(lgb.Booster(model_str=text), knots_x, knots_y, card)
