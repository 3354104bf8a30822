"""Step 4: many strategies' signals into one target portfolio, every weight explained.

The weight of instrument ``i`` is built in four stages, each recorded in the notes:

1. per signal: ``max_weight * budget(strategy) * regime(family) * x / n_i`` where ``x`` is the
   signed conviction (or the bare sign, when voting) and ``n_i`` the number of signals on ``i``;
2. the sum of those contributions is the raw weight;
3. the book is scaled to the volatility target (optional);
4. constraints shrink instruments (long-only, instrument cap, asset-class cap, cash buffer).

Stages 3 and 4 are factors, applied to the contributions too, so the contributions of an
instrument always add up to its final weight: the answer to "why this weight?".
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence

from qgtm_core import Contribution, FeatureSet, InstrumentId, Signal, StrategyId, TargetPortfolio
from qgtm_portfolio._constraints import PortfolioConstraints
from qgtm_portfolio._regime import UNCLASSIFIED, RegimeProvider, RegimeWeights
from qgtm_portfolio._tracking import StrategyReturnTracker
from qgtm_portfolio._vol_target import VolatilityTarget
from qgtm_portfolio._weighting import (
    StrategyWeighting,
    covariance_of,
    equal_risk_contribution,
    inverse_volatility_budgets,
)

__all__ = ["MultiStrategyAggregator"]


class MultiStrategyAggregator:
    """Implements ``SignalAggregator`` with a choice of weighting, regime weights and constraints.

    ``voting_quorum`` (voting only): the share of signals on an instrument that must agree on a
    direction before it gets any weight. ``min_history``: returns needed per strategy before
    inverse-volatility and risk-parity budgets use the measured track record instead of the
    instruments' volatility.
    """

    def __init__(
        self,
        method: StrategyWeighting = StrategyWeighting.CONVICTION,
        constraints: PortfolioConstraints | None = None,
        *,
        volatility_target: VolatilityTarget | None = None,
        regime_weights: RegimeWeights | None = None,
        regime: RegimeProvider | None = None,
        tracker: StrategyReturnTracker | None = None,
        voting_quorum: float = 0.5,
        min_history: int = 20,
        vol_feature: str = "vol_fast",
    ) -> None:
        if not 0.0 <= voting_quorum <= 1.0:
            msg = f"portfolio.voting_quorum: {voting_quorum} must be in [0, 1]"
            raise ValueError(msg)
        self._method = method
        self._constraints = constraints or PortfolioConstraints()
        self._vol_target = volatility_target
        self._regime_weights = regime_weights or RegimeWeights()
        self._regime = regime
        self._tracker = tracker or StrategyReturnTracker()
        self._quorum = voting_quorum
        self._min_history = max(min_history, 2)
        self._vol_feature = vol_feature
        self.last_regime = UNCLASSIFIED
        self.last_budgets: dict[StrategyId, float] = {}

    @property
    def tracker(self) -> StrategyReturnTracker:
        """The strategies' measured returns (seed it at start-up from a backtest)."""
        return self._tracker

    def aggregate(self, signals: Sequence[Signal], features: FeatureSet) -> TargetPortfolio:
        """Target weights explained by their contributing signals."""
        positions: dict[StrategyId, dict[InstrumentId, float]] = defaultdict(dict)
        by_instrument: dict[InstrumentId, list[Signal]] = defaultdict(list)
        families: dict[StrategyId, str] = {}
        for s in signals:
            by_instrument[s.instrument].append(s)
            positions[s.strategy][s.instrument] = s.score
            families[s.strategy] = s.family
        self._tracker.observe(features, positions)

        regime = self._regime(features) if self._regime is not None else UNCLASSIFIED
        budgets = self._budgets(sorted(families), signals, features)
        per_strategy: dict[StrategyId, tuple[float, str]] = {}
        for strategy in sorted(families):
            r = self._regime_weights.multiplier(regime, families[strategy])
            b = budgets[strategy]
            per_strategy[strategy] = (b * r, f"{self._method.value} budget={b:.3f} regime[{regime}]={r:.2f}")
        self.last_regime = regime
        self.last_budgets = budgets

        voting = self._method is StrategyWeighting.VOTING
        max_weight = self._constraints.max_weight
        raw: dict[InstrumentId, list[tuple[Signal, float]]] = {}
        weights: dict[InstrumentId, float] = {}
        no_quorum: set[InstrumentId] = set()
        for instrument in sorted(by_instrument):
            group = by_instrument[instrument]
            unit = max_weight / len(group)
            parts = [
                (s, unit * per_strategy[s.strategy][0] * (float(s.direction) if voting else s.score)) for s in group
            ]
            total = sum(w for _, w in parts)
            if voting and abs(sum(float(s.direction) for s in group)) < self._quorum * len(group):
                total = 0.0
                parts = [(s, 0.0) for s, _ in parts]
                no_quorum.add(instrument)
            raw[instrument] = parts
            weights[instrument] = total

        vol_scale = self._vol_target.scale(weights, features) if self._vol_target is not None else 1.0
        scaled = {i: w * vol_scale for i, w in weights.items()}
        factors, notes, budget = self._constraints.factors(scaled)
        book_note = ""
        if vol_scale != 1.0:
            book_note += f"; vol target x{vol_scale:.3f}"
        if budget != 1.0:
            book_note += f"; gross_budget x{budget:.3f}"

        final: dict[InstrumentId, float] = {}
        explanations: dict[InstrumentId, tuple[Contribution, ...]] = {}
        for instrument, parts in raw.items():
            f = vol_scale * factors[instrument]
            suffix = notes.get(instrument, "") + book_note
            if instrument in no_quorum:
                suffix = f"; no quorum{suffix}"
            explanations[instrument] = tuple(
                Contribution(
                    s.strategy,
                    w * f,
                    f"{per_strategy[s.strategy][1]}; {s.rationale}{suffix}"
                    if s.rationale
                    else f"{per_strategy[s.strategy][1]}{suffix}",
                )
                for s, w in parts
            )
            final[instrument] = weights[instrument] * f
        return TargetPortfolio(at=features.at, weights=final, explanations=explanations)

    def _budgets(
        self, strategies: list[StrategyId], signals: Sequence[Signal], features: FeatureSet
    ) -> dict[StrategyId, float]:
        if self._method in (StrategyWeighting.CONVICTION, StrategyWeighting.VOTING) or not strategies:
            return dict.fromkeys(strategies, 1.0)
        history = self._tracker.aligned(strategies, self._min_history)
        if history is not None:
            cov = covariance_of(history)
            if self._method is StrategyWeighting.RISK_PARITY:
                w = equal_risk_contribution(cov)
                return {s: float(x) * len(strategies) for s, x in zip(strategies, w, strict=True)}
            vols = {s: math.sqrt(float(cov[k, k])) for k, s in enumerate(strategies)}
            return inverse_volatility_budgets(vols)
        return inverse_volatility_budgets(self._proxy_vols(strategies, signals, features))

    def _proxy_vols(
        self, strategies: list[StrategyId], signals: Sequence[Signal], features: FeatureSet
    ) -> Mapping[StrategyId, float]:
        """Before a track record exists: a strategy is as volatile as the instruments it trades.

        Risk parity falls back to this too: with no correlations known, equal risk contribution
        is inverse volatility.
        """
        sums: dict[StrategyId, float] = dict.fromkeys(strategies, 0.0)
        counts: dict[StrategyId, int] = dict.fromkeys(strategies, 0)
        for s in signals:
            v = features.get(s.instrument, self._vol_feature)
            if not math.isnan(v):
                sums[s.strategy] += v
                counts[s.strategy] += 1
        return {s: sums[s] / counts[s] if counts[s] else math.nan for s in strategies}
