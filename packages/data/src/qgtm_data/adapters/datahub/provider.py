"""DataHub gold price files -> ``XAU/datahub_monthly_avg`` and ``XAU/datahub_annual_avg``.

Calendar gaps are not errors but are reported as notes (the annual file has no 1960 row).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import polars as pl

from qgtm_data._batch import TS_UTC, Adjustment, FeedBatch, Kind
from qgtm_data.adapters.datahub.parsing import parse_datahub
from qgtm_data.adapters.datahub.publication import available_at

__all__ = ["DatahubGoldProvider"]


@dataclass(frozen=True)
class DatahubGoldProvider:
    """``annual`` selects the annual file layout (``YYYY``) over the monthly one (``YYYY-MM``)."""

    path: Path
    annual: bool

    def load(self) -> list[FeedBatch]:
        """One batch, with a note per missing period."""
        frame, rejects = parse_datahub(self.path, self.annual)
        feed = "datahub_annual_avg" if self.annual else "datahub_monthly_avg"
        stamped = frame.with_columns(
            pl.col("session").cast(pl.Datetime("us")).dt.replace_time_zone("UTC").cast(TS_UTC).alias("as_of"),
            available_at(frame.get_column("session"), self.annual).alias("available_at"),
        ).select("row", "session", "as_of", "available_at", "value")
        step = "1y" if self.annual else "1mo"
        expected = stamped.get_column("session").dt.offset_by(step).shift(1)
        gaps = stamped.filter(expected.is_not_null() & (pl.col("session") != expected))
        notes = tuple(
            f"missing period(s) before {session} (row {row})"
            for row, session in gaps.select("row", "session").iter_rows()
        )
        return [
            FeedBatch(
                source=str(self.path),
                instrument="XAU",
                feed=feed,
                kind=Kind.SERIES,
                frame=stamped,
                value_columns=("value",),
                price_columns=("value",),
                calendar=None,
                adjustment=Adjustment.NONE,
                rejects=tuple(replace(r, instrument="XAU", feed=feed) for r in rejects),
                notes=notes,
            )
        ]
