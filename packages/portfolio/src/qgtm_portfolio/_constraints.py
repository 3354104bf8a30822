"""Book constraints: long-only, per-instrument and per-asset-class caps, and the cash buffer.

Constraints only ever shrink weights by a factor per instrument, never shift them, so the
contributions of the signals can be shrunk by the same factor and still add up to the weight.
That is what keeps every final weight explained.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

from qgtm_core import AssetClass, ConfigError, InstrumentId, PipelineError, Universe

__all__ = ["PortfolioConstraints"]


@dataclass(frozen=True)
class PortfolioConstraints:
    """Limits on the target portfolio, as fractions of equity.

    ``max_asset_class_weight`` caps the gross weight of each asset class (classes not listed are
    uncapped); it needs a ``universe`` to know the class of each instrument.
    """

    max_weight: float = 0.4
    long_only: bool = False
    cash_buffer: float = 0.05
    max_asset_class_weight: Mapping[AssetClass, float] = field(default_factory=dict)
    universe: Universe | None = None

    def __post_init__(self) -> None:
        if not 0 < self.max_weight <= 2:
            msg = f"portfolio.max_weight: {self.max_weight} must be in (0, 2]"
            raise ConfigError(msg)
        if not 0 <= self.cash_buffer < 1:
            msg = f"portfolio.cash_buffer: {self.cash_buffer} must be in [0, 1)"
            raise ConfigError(msg)
        for asset_class, cap in self.max_asset_class_weight.items():
            if cap < 0:
                msg = f"portfolio.max_asset_class_weight[{asset_class}]: {cap} must not be negative"
                raise ConfigError(msg)
        if self.max_asset_class_weight and self.universe is None:
            msg = "portfolio.max_asset_class_weight needs a universe to know each instrument's asset class"
            raise ConfigError(msg)

    @property
    def gross_budget(self) -> float:
        """The most the book may hold gross, after keeping the cash buffer aside."""
        return 1.0 - self.cash_buffer

    def factors(
        self, weights: Mapping[InstrumentId, float]
    ) -> tuple[dict[InstrumentId, float], dict[InstrumentId, str], float]:
        """Per-instrument shrink factors in [0, 1] that make ``weights`` satisfy every limit.

        Returns the factors (gross budget included), a note for each instrument a per-instrument
        or per-class limit shrank (for the explanations), and the gross-budget factor alone.
        Order: long-only, instrument cap, asset-class cap, gross budget. Each later step only
        scales down, so it cannot undo an earlier one.
        """
        factors: dict[InstrumentId, float] = {}
        notes: dict[InstrumentId, str] = {}
        current: dict[InstrumentId, float] = {}
        for instrument, weight in weights.items():
            f = 1.0
            if self.long_only and weight < 0:
                f = 0.0
                notes[instrument] = "; long-only: short cut to zero"
            elif abs(weight) > self.max_weight:
                f = self.max_weight / abs(weight)
                notes[instrument] = f"; max_weight {self.max_weight:g} x{f:.3f}"
            factors[instrument] = f
            current[instrument] = weight * f
        if self.max_asset_class_weight:
            for asset_class, members in self._by_class(current).items():
                cap = self.max_asset_class_weight.get(asset_class)
                gross = sum(abs(current[i]) for i in members)
                if cap is not None and gross > cap:
                    k = cap / gross
                    for i in members:
                        factors[i] *= k
                        current[i] *= k
                        notes[i] = f"{notes.get(i, '')}; asset_class:{asset_class} {cap:g} x{k:.3f}"
        gross = sum(abs(w) for w in current.values())
        budget = 1.0
        if gross > self.gross_budget:
            budget = self.gross_budget / gross
            for i in factors:
                factors[i] *= budget
        return factors, notes, budget

    @cached_property
    def _classes(self) -> dict[InstrumentId, AssetClass]:
        universe = self.universe
        return {} if universe is None else {i: universe[i].asset_class for i in universe}

    def _by_class(self, weights: Mapping[InstrumentId, float]) -> dict[AssetClass, list[InstrumentId]]:
        classes = self._classes
        groups: dict[AssetClass, list[InstrumentId]] = defaultdict(list)
        for instrument in weights:
            asset_class = classes.get(instrument)
            if asset_class is None:
                msg = f"aggregation: signal on instrument {instrument!r} that is not in the universe"
                raise PipelineError(msg)
            groups[asset_class].append(instrument)
        return groups
