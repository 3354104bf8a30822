"""Step 5: the regime and meta-label filter.

For every signal it decides keep / reduce / reject with a reason:

- the meta-labeller's calibrated probability that the trade pays (``MetaPolicy`` maps it);
- a recent change point (BOCPD) reduces every signal: the past the models learnt from may no
  longer describe the market;
- the daily Monte Carlo forewarning: orange scales the book down, red halts new entries (a
  weight may shrink or stay, never grow or flip, relative to the last target this filter passed).

The filtered weight of an instrument is the sum of its contributions times their scales, never
larger in size than the aggregated weight and never of the other sign: a filter may cut risk,
not add it (rejecting one side of a hedge must not leave the other side larger than allowed).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from qgtm_core import (
    Contribution,
    FeatureSet,
    FilterResult,
    InstrumentId,
    MetaAction,
    MetaDecision,
    Signal,
    StrategyId,
    TargetPortfolio,
)
from qgtm_ml._dataset import meta_rows
from qgtm_ml._forewarner import Forewarning, ForewarningLevel, MonteCarloForewarner
from qgtm_ml._meta import MetaLabeller, MetaPolicy
from qgtm_ml._regime import UNCLASSIFIED, RegimeState, RegimeTracker

__all__ = ["FilterSettings", "RegimeMetaFilter"]


@dataclass(frozen=True)
class FilterSettings:
    """Scales applied on a change point and on an orange forewarning; history kept for the forewarner."""

    change_point_scale: float = 0.5
    orange_scale: float = 0.5
    history_days: int = 756
    min_history_days: int = 60

    def __post_init__(self) -> None:
        if not (0 <= self.change_point_scale <= 1 and 0 <= self.orange_scale <= 1):
            msg = "ml: change_point_scale and orange_scale must be in [0, 1]"
            raise ValueError(msg)
        if not 2 <= self.min_history_days <= self.history_days:
            msg = "ml: need 2 <= min_history_days <= history_days"
            raise ValueError(msg)


class RegimeMetaFilter:
    """Implements ``SignalFilter``. Every part is optional; with none it keeps everything, saying so."""

    def __init__(
        self,
        tracker: RegimeTracker | None = None,
        meta: MetaLabeller | None = None,
        *,
        policy: MetaPolicy | None = None,
        forewarner: MonteCarloForewarner | None = None,
        settings: FilterSettings | None = None,
    ) -> None:
        self._tracker = tracker
        self._meta = meta
        self._policy = policy or MetaPolicy()
        self._forewarner = forewarner
        self._settings = settings or FilterSettings()
        self._history: dict[InstrumentId, deque[float]] = {}
        self._history_at: object = None
        self._forewarning: Forewarning | None = None
        self._last_weights: dict[InstrumentId, float] = {}
        self._reasons: dict[tuple[MetaAction, int], str] = {}

    @property
    def forewarning(self) -> Forewarning | None:
        """Today's forewarning, once computed."""
        return self._forewarning

    def seed_returns(self, returns: Mapping[InstrumentId, Iterable[float]]) -> None:
        """Start the forewarner's history from stored daily returns (oldest first)."""
        for instrument, values in returns.items():
            self._history[instrument] = deque((float(v) for v in values), maxlen=self._settings.history_days)

    def seed_reference_weights(self, weights: Mapping[InstrumentId, float]) -> None:
        """The book a red forewarning freezes against, until this filter has passed a target.

        Call it at start-up with the reconciled positions as weights: without it, a red day right
        after a restart would treat every holding as a new entry and cut it to zero.
        """
        self._last_weights = dict(weights)

    def filter(self, target: TargetPortfolio, signals: Sequence[Signal], features: FeatureSet) -> FilterResult:
        """The filtered target, one decision per signal and the regime description."""
        self._record_returns(features)
        regime = self._tracker.state(features) if self._tracker is not None else None
        warning = self._daily_forewarning(target, features)
        scales, decisions = self._decide(signals, features, regime, warning)
        weights, explanations = self._apply(target, scales)
        if warning is not None and warning.level is ForewarningLevel.RED:
            weights, explanations, decisions = self._halt_new_entries(weights, explanations, decisions, warning)
        self._last_weights = dict(weights)
        filtered = TargetPortfolio(at=target.at, weights=weights, explanations=explanations)
        description = regime.description if regime is not None else UNCLASSIFIED
        return FilterResult(target=filtered, decisions=tuple(decisions), regime=description)

    # ------------------------------------------------------------------ decisions

    def _decide(
        self,
        signals: Sequence[Signal],
        features: FeatureSet,
        regime: RegimeState | None,
        warning: Forewarning | None,
    ) -> tuple[dict[tuple[StrategyId, InstrumentId], float], list[MetaDecision]]:
        n = len(signals)
        probabilities = np.full(n, np.nan)
        if self._meta is not None:
            p_turb = regime.p_turbulent if regime is not None else math.nan
            change = regime.change_probability if regime is not None else math.nan
            active = [k for k, s in enumerate(signals) if s.direction != 0]
            if active:
                rows = meta_rows([signals[k] for k in active], features, p_turb, change)
                probabilities[active] = self._meta.probability(rows)
        actions, meta_scales = self._policy.decide_many(probabilities)
        extra_scale = 1.0
        extra_reason = ""
        if regime is not None and regime.change_point:
            extra_scale *= self._settings.change_point_scale
            extra_reason += f"; change point p={regime.change_probability:.2f}"
        if warning is not None and warning.level is ForewarningLevel.ORANGE:
            extra_scale *= self._settings.orange_scale
            extra_reason += f"; {warning.reason}"
        extra_action = MetaAction.KEEP
        if extra_scale < 1.0:
            extra_action = MetaAction.REDUCE if extra_scale > 0 else MetaAction.REJECT
        scales: dict[tuple[StrategyId, InstrumentId], float] = {}
        decisions: list[MetaDecision] = []
        keep = MetaAction.KEEP
        reject = MetaAction.REJECT
        for s, p, meta_action, meta_scale in zip(signals, probabilities.tolist(), actions, meta_scales, strict=True):
            if math.isnan(p):
                probability = None
                action, scale = keep, 1.0
                reason = "flat signal: nothing to filter" if s.direction == 0 else "no meta-labeller loaded"
            else:
                probability = p
                action, scale = meta_action, meta_scale
                reason = self._reason(action, p)
            if extra_reason and action is not reject:
                scale *= extra_scale
                reason += extra_reason
                if action is keep:
                    action = extra_action
            scales[(s.strategy, s.instrument)] = scale
            decisions.append(MetaDecision(s.strategy, s.instrument, action, scale, reason, probability))
        return scales, decisions

    def _apply(
        self, target: TargetPortfolio, scales: Mapping[tuple[StrategyId, InstrumentId], float]
    ) -> tuple[dict[InstrumentId, float], dict[InstrumentId, tuple[Contribution, ...]]]:
        weights: dict[InstrumentId, float] = {}
        explanations: dict[InstrumentId, tuple[Contribution, ...]] = {}
        for instrument, weight in target.weights.items():
            parts = target.explanations.get(instrument, ())
            if not parts:
                weights[instrument] = weight
                continue
            raw_sum = sum(c.weight for c in parts)
            # contributions of older aggregators may not add up to the weight: rescale them first
            ratio = weight / raw_sum if raw_sum != 0.0 else 1.0
            if abs(ratio - 1.0) < 1e-12:
                ratio = 1.0  # the usual case; exact 1 lets unchanged contributions be reused as they are
            scaled = [(c, c.weight * ratio * scales.get((c.strategy, instrument), 1.0)) for c in parts]
            new = sum(w for _, w in scaled)
            clamp = 1.0
            if new * weight <= 0.0:
                clamp = 0.0
            elif abs(new) > abs(weight):
                clamp = abs(weight) / abs(new)
            weights[instrument] = new * clamp
            explanations[instrument] = tuple(
                c if w * clamp == c.weight else Contribution(c.strategy, w * clamp, c.note) for c, w in scaled
            )
        return weights, explanations

    def _halt_new_entries(
        self,
        weights: dict[InstrumentId, float],
        explanations: dict[InstrumentId, tuple[Contribution, ...]],
        decisions: list[MetaDecision],
        warning: Forewarning,
    ) -> tuple[dict[InstrumentId, float], dict[InstrumentId, tuple[Contribution, ...]], list[MetaDecision]]:
        cut: dict[InstrumentId, float] = {}
        for instrument, weight in weights.items():
            previous = self._last_weights.get(instrument, 0.0)
            allowed = 0.0 if previous * weight <= 0.0 else min(abs(weight), abs(previous)) * math.copysign(1.0, weight)
            if allowed != weight:
                cut[instrument] = allowed / weight
                weights[instrument] = allowed
                explanations[instrument] = tuple(
                    Contribution(c.strategy, c.weight * cut[instrument], c.note)
                    for c in explanations.get(instrument, ())
                )
        out: list[MetaDecision] = []
        for d in decisions:
            factor = cut.get(d.instrument)
            if factor is None:
                out.append(d)
                continue
            scale = d.scale * factor
            action = MetaAction.REJECT if scale == 0.0 else MetaAction.REDUCE
            reason = f"{d.reason}; {warning.reason}: no new entries"
            out.append(MetaDecision(d.strategy, d.instrument, action, scale, reason, d.probability))
        return weights, explanations, out

    def _reason(self, action: MetaAction, probability: float) -> str:
        """The decision's reason; cached per (action, rounded p) since 1,000+ signals share a few dozen."""
        key = (action, round(probability * 100))
        reason = self._reasons.get(key)
        if reason is None:
            policy = self._policy
            reason = (
                f"meta-label p={key[1] / 100:.2f} ({action.value}; "
                f"keep at >={policy.keep:.2f}, reject below {policy.reduce:.2f})"
            )
            self._reasons[key] = reason
        return reason

    # ------------------------------------------------------------------ state

    def _record_returns(self, features: FeatureSet) -> None:
        if self._history_at is not None and self._history_at == features.at:
            return
        self._history_at = features.at
        for instrument, values in features.values.items():
            r = values.get("ret_1", math.nan)
            if not math.isnan(r):
                self._history.setdefault(instrument, deque(maxlen=self._settings.history_days)).append(r)

    def _daily_forewarning(self, target: TargetPortfolio, features: FeatureSet) -> Forewarning | None:
        forewarner = self._forewarner
        if forewarner is None:
            return None
        today: date = features.at.date()
        current = self._forewarning
        if current is not None and current.day == today:
            return current
        held = [i for i, w in target.weights.items() if w != 0.0]
        short = [i for i in held if len(self._history.get(i, ())) < self._settings.min_history_days]
        if short:
            warning = Forewarning(today, math.nan, ForewarningLevel.GREEN, 0, forewarner.horizon_days)
        else:
            warning = forewarner.assess(today, target.weights, {i: list(self._history[i]) for i in held})
        self._forewarning = warning
        return warning
