"""GLD NAV and holdings -> ``GLD/spdr_nav`` with a derived ``flow_tonnes`` (ETF flows).

A flow is the day-on-day change in tonnes held; the first published day has no flow (null is
allowed for that column only, which is why it is not a validated value column).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

import polars as pl

from qgtm_data._batch import Adjustment, FeedBatch, Kind
from qgtm_data.adapters.spdr.parsing import SPDR_COLUMNS, parse_spdr
from qgtm_data.adapters.spdr.publication import stamps

__all__ = ["SpdrProvider"]

_VALUES = tuple(v for k, v in SPDR_COLUMNS.items() if k != "Date")


@dataclass(frozen=True)
class SpdrProvider:
    """The SPDR Gold Trust archive file; ``delay`` after the 16:15 ET strike."""

    path: Path
    delay: timedelta = timedelta(hours=2)

    def load(self) -> list[FeedBatch]:
        """One batch; flows are computed after parsing, in time order."""
        frame, rejects = parse_spdr(self.path)
        stamped = frame.select("row", "session", *stamps(self.delay), *_VALUES).sort("session")
        with_flow = stamped.with_columns(pl.col("tonnes").diff().alias("flow_tonnes"))
        return [
            FeedBatch(
                source=str(self.path),
                instrument="GLD",
                feed="spdr_nav",
                kind=Kind.SERIES,
                frame=with_flow,
                value_columns=_VALUES,
                price_columns=("close", "nav_1030", "indicative_1615", "mid_1615", "ounces", "tonnes"),
                calendar="XNYS",
                adjustment=Adjustment.NOT_PRICE,
                rejects=tuple(replace(r, instrument="GLD", feed="spdr_nav") for r in rejects),
            )
        ]
