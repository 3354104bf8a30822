"""The shape every strategy shares: typed frozen parameters, a hypothesis, views turned into signals.

A strategy only *reads feature names* from a ``FeatureSet`` (the contract with the features
package) and says, per instrument, a signed score in [-1, 1]. The base class turns scores into
``Signal`` objects (direction, conviction, horizon, size hint) and applies the shared entry
filters, so each strategy module holds just its idea.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from qgtm_core import Direction, FeatureSet, InstrumentId, Signal, StrategyId
from qgtm_strategies._filters import EntryFilter

__all__ = ["BaseStrategy", "StrategyParams", "View", "clip_unit", "feature", "finite", "ramp"]


class StrategyParams(BaseModel):
    """Parameters shared by every strategy; subclasses add their own, all typed and frozen."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    horizon_bars: int = Field(default=20, ge=1)
    max_size: float = Field(default=0.25, gt=0.0, le=1.0)
    allow_short: bool = True


@dataclass(frozen=True, slots=True)
class View:
    """One instrument's signed score in [-1, 1] and why."""

    instrument: str
    score: float
    rationale: str = ""


def clip_unit(x: float) -> float:
    """Clip to [-1, 1]; NaN becomes 0 (no view)."""
    if math.isnan(x):
        return 0.0
    return max(-1.0, min(1.0, x))


def ramp(x: float, start: float, full: float) -> float:
    """0 below ``start``, 1 above ``full``, linear in between (for |x|-style thresholds)."""
    if full <= start:
        msg = f"ramp: full {full} must exceed start {start}"
        raise ValueError(msg)
    return max(0.0, min(1.0, (x - start) / (full - start)))


def feature(features: FeatureSet, instrument: str, name: str) -> float:
    """One instrument feature by name (NaN when unknown); instruments are plain tickers in params."""
    return features.get(InstrumentId(instrument), name)


def finite(*values: float) -> bool:
    """True when every value is a real number (the features are warm)."""
    return all(not math.isnan(v) and not math.isinf(v) for v in values)


P_co = TypeVar("P_co", bound=StrategyParams, covariant=True)


class BaseStrategy(Generic[P_co]):
    """A strategy: subclasses set ``name``, ``family``, ``params_type`` and implement ``views``."""

    name: ClassVar[str] = ""
    family: ClassVar[str] = "other"
    params_type: ClassVar[type[StrategyParams]] = StrategyParams
    grid: ClassVar[Mapping[str, tuple[object, ...]]] = {}
    """A small grid of alternative parameters that the walk-forward chooses from in-sample."""

    def __init__(self, params: P_co | None = None, entry_filters: Sequence[EntryFilter] = ()) -> None:
        chosen = params if params is not None else self.params_type()
        if not isinstance(chosen, self.params_type):
            msg = f"{self.name}: parameters must be {self.params_type.__name__}, got {type(chosen).__name__}"
            raise TypeError(msg)
        self.params: P_co = chosen  # type: ignore[assignment]  # checked against params_type just above
        self._filters = tuple(entry_filters)

    @classmethod
    def hypothesis(cls) -> str:
        """The first line of the class docstring: what the strategy believes."""
        doc = (cls.__doc__ or "").strip()
        return doc.splitlines()[0] if doc else ""

    def views(self, features: FeatureSet) -> Sequence[View]:
        """Scores per instrument; empty while the features it needs are warming up."""
        raise NotImplementedError

    def generate(self, features: FeatureSet) -> Sequence[Signal]:
        """Signals from the views, after the entry filters (a filtered view becomes FLAT)."""
        out: list[Signal] = []
        for view in self.views(features):
            score = clip_unit(view.score)
            if score < 0 and not self.params.allow_short:
                score = 0.0
            direction = Direction.LONG if score > 0 else Direction.SHORT if score < 0 else Direction.FLAT
            instrument = InstrumentId(view.instrument)
            rationale = view.rationale
            for entry_filter in self._filters:
                if direction is not Direction.FLAT and not entry_filter.allows(instrument, direction, features):
                    direction, score = Direction.FLAT, 0.0
                    rationale = f"{rationale}; blocked by {entry_filter.name}"
            conviction = abs(score)
            out.append(
                Signal(
                    strategy=StrategyId(self.name),
                    instrument=instrument,
                    direction=direction,
                    conviction=conviction,
                    horizon_bars=self.params.horizon_bars,
                    as_of=features.at,
                    family=self.family,
                    size_hint=self.params.max_size * conviction,
                    rationale=rationale,
                )
            )
        return tuple(out)
