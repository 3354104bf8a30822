"""Stooq files -> ``{SYMBOL}/stooq_adjusted`` bars (split and dividend adjusted)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

from qgtm_data._batch import Adjustment, FeedBatch, Kind
from qgtm_data.adapters.stooq.parsing import parse_stooq
from qgtm_data.adapters.stooq.publication import stamps

__all__ = ["StooqProvider"]


@dataclass(frozen=True)
class StooqProvider:
    """One Stooq file of ``instrument``."""

    path: Path
    instrument: str
    delay: timedelta = timedelta(minutes=60)

    def load(self) -> list[FeedBatch]:
        """A single bar batch; its feed name says the prices are dividend-adjusted."""
        frame, rejects = parse_stooq(self.path)
        return [
            FeedBatch(
                source=str(self.path),
                instrument=self.instrument,
                feed="stooq_adjusted",
                kind=Kind.BARS,
                frame=frame.select("row", "session", *stamps(self.delay), "open", "high", "low", "close", "volume"),
                value_columns=("open", "high", "low", "close", "volume"),
                price_columns=("open", "high", "low", "close"),
                jump_columns=("close",),
                calendar="XNYS",
                adjustment=Adjustment.SPLIT_DIVIDEND,
                rejects=tuple(replace(r, instrument=self.instrument, feed="stooq_adjusted") for r in rejects),
            )
        ]
