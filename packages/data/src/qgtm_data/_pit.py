"""Point-in-time queries: the latest knowable row per series, and the panel of whole histories.

Rows may include revisions (a later vintage of the same ``as_of``, with a later ``available_at``).
The value knowable at ``t`` is: among rows with ``available_at <= t``, the newest ``as_of``, and
for it the newest vintage.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

import numpy as np
import numpy.typing as npt
import polars as pl

from qgtm_core import DataError

__all__ = ["PitSeries", "pit_panel"]


def _micros(at: datetime) -> int:
    if at.tzinfo is None:
        msg = f"point-in-time query at naive datetime {at!r}; pass a tz-aware UTC time"
        raise DataError(msg)
    return int(at.timestamp() * 1_000_000)


def _frontier(frame: pl.DataFrame) -> pl.DataFrame:
    """Rows that were the knowable latest value when they arrived (drops revisions of old as_of)."""
    ordered = frame.sort(["available_at", "as_of"])
    return ordered.filter(pl.col("as_of") >= pl.col("as_of").cum_max())


class PitSeries:
    """One feed's rows indexed by ``available_at`` int64 stamps, for microsecond bisection."""

    __slots__ = ("frame", "revised", "stamps")

    def __init__(self, frame: pl.DataFrame) -> None:
        self.frame = frame.sort(["available_at", "as_of"])
        self.stamps: npt.NDArray[np.int64] = self.frame.get_column("available_at").dt.epoch("us").to_numpy()
        as_of = self.frame.get_column("as_of").dt.epoch("us").to_numpy()
        self.revised = bool(as_of.size > 1 and (np.diff(as_of) <= 0).any())

    def count_at(self, at: datetime) -> int:
        """How many rows have ``available_at <= at``."""
        return int(np.searchsorted(self.stamps, _micros(at), side="right"))

    def history(self, at: datetime) -> pl.DataFrame:
        """Every ``as_of`` knowable at ``at``, each at its latest vintage, sorted by ``as_of``."""
        known = self.frame.slice(0, self.count_at(at))
        if not self.revised:
            return known
        return known.sort(["as_of", "available_at"]).unique("as_of", keep="last", maintain_order=True)

    def latest(self, at: datetime) -> dict[str, object] | None:
        """The knowable latest row at ``at`` (newest as_of, newest vintage), or ``None``."""
        end = self.count_at(at)
        if end == 0:
            return None
        if not self.revised:
            return self.frame.row(end - 1, named=True)
        known = self.frame.slice(0, end)
        newest = known.get_column("as_of").max()
        return known.filter(pl.col("as_of") == newest).row(-1, named=True)


def pit_panel(
    series: Mapping[str, pl.DataFrame], steps: Sequence[datetime] | pl.Series, column: str = "value"
) -> pl.DataFrame:
    """Wide frame: per step ``at``, each series' knowable latest ``column`` (null before its first row).

    Built with one backward ``join_asof`` per series on ``available_at``; revisions of an older
    ``as_of`` never replace a newer ``as_of``.
    """
    grid = pl.DataFrame({"at": steps}).with_columns(pl.col("at").cast(pl.Datetime("us", "UTC"))).sort("at")
    for name, frame in series.items():
        if column not in frame.columns:
            msg = f"series {name!r} has no column {column!r}"
            raise DataError(msg)
        right = _frontier(frame).select(pl.col("available_at").alias("at"), pl.col(column).alias(name))
        grid = grid.join_asof(right, on="at", strategy="backward")
    return grid
