"""What a strategy says: a direction with a conviction, never an order."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum

from qgtm_core.ids import InstrumentId, StrategyId

__all__ = ["Direction", "FeatureSet", "Signal"]


class Direction(IntEnum):
    """Sign of the desired exposure."""

    SHORT = -1
    FLAT = 0
    LONG = 1


@dataclass(frozen=True, slots=True)
class Signal:
    """A strategy's view on one instrument at one time.

    ``conviction`` is in [0, 1]; ``horizon_bars`` is how long the view is meant to hold;
    ``size_hint`` is an optional fraction of capital the strategy would allocate on its own.
    """

    strategy: StrategyId
    instrument: InstrumentId
    direction: Direction
    conviction: float
    horizon_bars: int
    as_of: datetime
    family: str = "other"
    size_hint: float | None = None
    rationale: str = ""

    def __post_init__(self) -> None:
        if not 0.0 <= self.conviction <= 1.0:
            msg = f"{self.strategy}/{self.instrument}: conviction {self.conviction} outside [0, 1]"
            raise ValueError(msg)
        if self.horizon_bars < 1:
            msg = f"{self.strategy}/{self.instrument}: horizon must be at least one bar"
            raise ValueError(msg)

    @property
    def score(self) -> float:
        """Signed conviction in [-1, 1]."""
        return float(self.direction) * self.conviction


@dataclass(frozen=True)
class FeatureSet:
    """Step 2 output: the latest value of every feature per instrument, plus cross-sectional ones.

    ``values[instrument][name]`` is a float (NaN while a feature is warming up).
    ``cross`` holds features of the whole universe (gold/silver ratio, eigenvalue divergence).
    """

    at: datetime
    values: Mapping[InstrumentId, Mapping[str, float]]
    cross: Mapping[str, float] = field(default_factory=dict)

    def get(self, instrument: InstrumentId, name: str) -> float:
        """Feature value, NaN when unknown, so strategies treat missing as 'not warmed up'."""
        return self.values.get(instrument, {}).get(name, float("nan"))
