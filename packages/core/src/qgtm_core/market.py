"""Market data facts: bars and quotes, each stamped with when it happened and when it was known."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from qgtm_core.ids import InstrumentId

__all__ = ["BAR_COLUMNS", "SERIES_COLUMNS", "Bar", "Quote"]

BAR_COLUMNS: tuple[str, ...] = ("as_of", "available_at", "open", "high", "low", "close", "volume")
"""Column order of every bar frame in a snapshot; ``as_of``/``available_at`` are UTC datetimes."""

SERIES_COLUMNS: tuple[str, ...] = ("as_of", "available_at", "value")
"""Column order of every scalar series frame (FRED, COT, ETF holdings) in a snapshot."""


@dataclass(frozen=True, slots=True)
class Bar:
    """One OHLCV bar. ``as_of`` is the bar's close; ``available_at`` when a consumer could see it."""

    instrument: InstrumentId
    as_of: datetime
    available_at: datetime
    open: float
    high: float
    low: float
    close: float
    volume: float


@dataclass(frozen=True, slots=True)
class Quote:
    """Top of book. A quote with ``ask <= bid`` is crossed or locked and never reaches a step."""

    instrument: InstrumentId
    as_of: datetime
    available_at: datetime
    bid: float
    ask: float
    bid_size: float
    ask_size: float

    @property
    def mid(self) -> float:
        """Arithmetic mid price."""
        return (self.bid + self.ask) / 2.0

    @property
    def spread(self) -> float:
        """Absolute spread."""
        return self.ask - self.bid
