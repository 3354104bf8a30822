"""Turn an LBMA file into one batch per currency and auction (instrument XAU or XAG)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import polars as pl

from qgtm_core import DataError
from qgtm_data._batch import FeedBatch, Kind, QuarantineRecord
from qgtm_data.adapters.lbma.parsing import EURO_START, GOLD_COLUMNS, SILVER_COLUMNS, parse_lbma
from qgtm_data.adapters.lbma.publication import stamps

__all__ = ["AUCTION_SINCE", "XLON_RULES_SINCE", "LbmaProvider"]

AUCTION_SINCE = {"gold": date(2015, 3, 20), "silver": date(2014, 8, 15)}
"""From these dates the series are the ICE-run LBMA auctions, not the old fixings."""

XLON_RULES_SINCE = date(1979, 1, 1)
"""From here on the LSE holiday rules of exchange-calendars match the London bullion market."""


@dataclass(frozen=True)
class LbmaProvider:
    """``metal`` is ``"gold"`` or ``"silver"``; ``delay`` is the publication lag after the auction."""

    path: Path
    metal: str
    delay: timedelta = timedelta(minutes=30)

    def load(self) -> list[FeedBatch]:
        """One ``FeedBatch`` per value column, e.g. ``XAU/lbma_usd_pm``."""
        if self.metal not in AUCTION_SINCE:
            msg = f"{self.path}: unknown LBMA metal {self.metal!r} (gold or silver)"
            raise DataError(msg)
        since = AUCTION_SINCE[self.metal]
        gold = self.metal == "gold"
        columns = GOLD_COLUMNS if gold else SILVER_COLUMNS
        frame, parse_rejects = parse_lbma(self.path, columns)
        instrument = "XAU" if gold else "XAG"
        batches: list[FeedBatch] = []
        for index, column in enumerate(c for c in columns.values() if c != "date"):
            auction = column.rsplit("_", 1)[1] if gold else "silver"
            part = frame.select("row", "session", *stamps(auction, self.delay), pl.col(column).alias("value"))
            notes: tuple[str, ...] = (f"from {since} the LBMA auction price, before it the London fixing",)
            if column.startswith("eur"):
                before = part.filter(pl.col("session") < EURO_START).height
                part = part.filter(pl.col("session") >= EURO_START)
                notes = (
                    *notes,
                    f"{before} rows before the euro launch {EURO_START} carry no EUR fix (not observations)",
                )
            rejects = [r for r in parse_rejects if isinstance(r, QuarantineRecord)] if index == 0 else []
            batches.append(
                FeedBatch(
                    source=str(self.path),
                    instrument=instrument,
                    feed=f"lbma_{column}",
                    kind=Kind.SERIES,
                    frame=part,
                    value_columns=("value",),
                    price_columns=("value",),
                    jump_columns=("value",),
                    calendar="XLON",
                    calendar_since=XLON_RULES_SINCE,
                    rejects=tuple(rejects),
                    notes=notes,
                )
            )
        return batches
