"""Yahoo daily files -> ``{SYMBOL}/yahoo_close`` (bars, split-adjusted) and ``yahoo_adj_close``."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

from qgtm_data._batch import Adjustment, FeedBatch, Kind
from qgtm_data.adapters.yahoo.parsing import parse_yahoo
from qgtm_data.adapters.yahoo.publication import stamps

__all__ = ["YahooProvider"]


@dataclass(frozen=True)
class YahooProvider:
    """One Yahoo file of ``instrument``; ``delay`` is the publication lag after the close."""

    path: Path
    instrument: str
    delay: timedelta = timedelta(minutes=15)

    def load(self) -> list[FeedBatch]:
        """The bar feed and the separate dividend-adjusted close feed (its own vintage)."""
        frame, rejects = parse_yahoo(self.path)
        stamped = frame.with_columns(*stamps(self.delay))
        source = str(self.path)
        bars = FeedBatch(
            source=source,
            instrument=self.instrument,
            feed="yahoo_close",
            kind=Kind.BARS,
            frame=stamped.select("row", "session", "as_of", "available_at", "open", "high", "low", "close", "volume"),
            value_columns=("open", "high", "low", "close", "volume"),
            price_columns=("open", "high", "low", "close"),
            jump_columns=("close",),
            calendar="XNYS",
            adjustment=Adjustment.SPLIT,
            rejects=tuple(replace(r, instrument=self.instrument, feed="yahoo_close") for r in rejects),
        )
        adjusted = FeedBatch(
            source=source,
            instrument=self.instrument,
            feed="yahoo_adj_close",
            kind=Kind.SERIES,
            frame=stamped.select("row", "session", "as_of", "available_at", "adj_close"),
            value_columns=("adj_close",),
            price_columns=("adj_close",),
            calendar="XNYS",
            adjustment=Adjustment.SPLIT_DIVIDEND,
            notes=("Adj Close belongs to the download vintage; never splice it with another vintage",),
        )
        return [bars, adjusted]
