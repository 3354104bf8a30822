"""The regime in force at each cycle: HMM state probabilities plus the change-point signal.

Steps 4 and 5 both ask for the regime of the same cycle (the aggregator to weight strategy
families, the filter to decide and report). ``RegimeTracker.state`` therefore updates once per
``features.at`` and returns the cached state to later callers, so order does not matter and a bar
is never counted twice. It reads the reference instrument's ``ret_1`` and ``vol_fast`` features,
the same inputs the HMM was trained on.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import numpy as np

from qgtm_core import DataError, FeatureSet, InstrumentId, JsonValue
from qgtm_core.signing import MinisignKeyPair, MinisignPublicKey
from qgtm_ml._artifacts import ModelCard, load_artifact, save_artifact
from qgtm_ml._bocpd import BayesianChangePoint, ChangePointPrior
from qgtm_ml._hmm import GaussianRegimeHmm
from qgtm_ml._prices import FloatArray

__all__ = ["HMM_KIND", "RegimeState", "RegimeTracker", "load_hmm", "save_hmm"]

HMM_KIND = "gaussian-hmm-regime"
_SUFFIX = "hmm.json"
UNCLASSIFIED = "unclassified"


def save_hmm(
    model: GaussianRegimeHmm, directory: Path, card: ModelCard, signer: MinisignKeyPair | None = None
) -> ModelCard:
    """Write the HMM parameters as JSON with a model card (kind forced to the HMM kind)."""
    import json  # noqa: PLC0415 - local: only the research tier writes artifacts

    payload = json.dumps(model.to_json(), sort_keys=True)
    return save_artifact(directory, replace(card, kind=HMM_KIND), payload, _SUFFIX, signer)


def load_hmm(
    directory: Path, name: str = "regime_hmm", public_key: MinisignPublicKey | None = None
) -> tuple[GaussianRegimeHmm, ModelCard]:
    """Load and verify a saved HMM; ``IntegrityError`` if it was modified."""
    text, card = load_artifact(directory, name, HMM_KIND, _SUFFIX, public_key)
    data: JsonValue = json.loads(text)
    if not isinstance(data, dict):
        msg = f"{directory / name}.{_SUFFIX}: HMM parameters must be a JSON object"
        raise DataError(msg)
    return GaussianRegimeHmm.from_json(data, f"{directory / name}.{_SUFFIX}"), card


@dataclass(frozen=True)
class RegimeState:
    """The regime at ``at``: HMM state name and probabilities, and the change-point probability."""

    at: datetime
    label: str
    probabilities: tuple[float, ...]
    change_probability: float
    change_point: bool

    @property
    def p_turbulent(self) -> float:
        """Probability of the most volatile state (NaN without an HMM)."""
        return self.probabilities[-1] if self.probabilities else math.nan

    @property
    def description(self) -> str:
        """Human-readable regime, e.g. ``turbulent (p=0.91), change point p=0.72``."""
        head = f"{self.label} (p={max(self.probabilities):.2f})" if self.probabilities else self.label
        return f"{head}, change point p={self.change_probability:.2f}" if self.change_point else head


class RegimeTracker:
    """Online HMM filter and BOCPD over one reference instrument's features."""

    def __init__(
        self,
        hmm: GaussianRegimeHmm | None = None,
        *,
        instrument: str = "GLD",
        change_prior: ChangePointPrior | None = None,
        change_threshold: float = 0.5,
    ) -> None:
        self._hmm = hmm
        self._instrument = InstrumentId(instrument)
        self._bocpd = BayesianChangePoint(change_prior or ChangePointPrior())
        self._threshold = change_threshold
        self._posterior: FloatArray | None = None
        self._state: RegimeState | None = None

    def warm_up(self, ret_1: FloatArray, vol_fast: FloatArray) -> None:
        """Replay a history (oldest first) so the first live cycle starts from a settled posterior."""
        for r, v in zip(ret_1, vol_fast, strict=True):
            self._absorb(float(r), float(v))

    def label(self, features: FeatureSet) -> str:
        """The regime name at ``features.at`` (for ``qgtm_portfolio``'s regime provider)."""
        return self.state(features).label

    def state(self, features: FeatureSet) -> RegimeState:
        """The regime at ``features.at``, computed once per time."""
        cached = self._state
        if cached is not None and cached.at >= features.at:
            return cached
        self._absorb(features.get(self._instrument, "ret_1"), features.get(self._instrument, "vol_fast"))
        change = self._bocpd.change_probability
        label = UNCLASSIFIED
        probs: tuple[float, ...] = ()
        if self._hmm is not None and self._posterior is not None:
            probs = tuple(float(p) for p in self._posterior)
            label = self._hmm.names[int(np.argmax(self._posterior))]
        state = RegimeState(features.at, label, probs, change, change >= self._threshold)
        self._state = state
        return state

    def _absorb(self, ret_1: float, vol_fast: float) -> None:
        if math.isnan(ret_1):
            return
        self._bocpd.update(math.log1p(ret_1))
        if self._hmm is not None and not math.isnan(vol_fast):
            self._posterior = self._hmm.step(self._posterior, np.array([math.log1p(ret_1), vol_fast]))
