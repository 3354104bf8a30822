"""The unit that flows from an adapter through the validation wall into the store.

An adapter never writes anywhere: it turns raw input into a ``FeedBatch`` (a polars frame with the
raw row numbers kept in ``row``) plus the rows it could not even parse. The validator decides what
is clean; only then does anything reach the store or the pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

import polars as pl

__all__ = ["TS_UTC", "Adjustment", "FeedBatch", "Kind", "QuarantineRecord", "RowCheck"]

TS_UTC = pl.Datetime("us", "UTC")
"""Every ``as_of`` / ``available_at`` column: tz-aware UTC microseconds."""


class Kind(StrEnum):
    """What the value columns mean, which decides the checks the validator runs."""

    BARS = "bars"
    SERIES = "series"
    QUOTES = "quotes"


class Adjustment(StrEnum):
    """How prices were adjusted upstream; feeds with different adjustments are never mixed."""

    NONE = "none"
    SPLIT = "split"
    SPLIT_DIVIDEND = "split_dividend"
    NOT_PRICE = "not_price"


@dataclass(frozen=True, slots=True)
class QuarantineRecord:
    """One rejected row: where it came from (source, 1-based file row), which field, and why."""

    source: str
    row: int
    field: str
    reason: str
    value: str = ""
    instrument: str = ""
    feed: str = ""


@dataclass(frozen=True, slots=True)
class RowCheck:
    """A source-specific rule (e.g. the COT open-interest identity); ``bad`` is true on a failing row."""

    field: str
    reason: str
    bad: pl.Expr


@dataclass(frozen=True)
class FeedBatch:
    """Rows of one (instrument, feed) from one source, parsed but not yet validated.

    ``frame`` has ``row`` (Int64, the 1-based line in the source), ``session`` (Date, the local
    trading day), ``as_of`` and ``available_at`` (UTC) and the ``value_columns``.
    ``calendar`` is an exchange-calendars name, ``"WEEKDAYS"`` for Monday-Friday sources, or
    ``None`` when rows are not tied to sessions (monthly and annual series). Before
    ``calendar_since`` only weekends are checked: exchange-calendars projects today's holiday rules
    backwards, which is wrong for old history (the UK early-May bank holiday dates from 1978).
    ``unique_key`` names the columns that, with ``as_of``, identify a row (``side``/``level`` for
    depth; ``row`` for ticks, where several trades legitimately share a stamp).
    """

    source: str
    instrument: str
    feed: str
    kind: Kind
    frame: pl.DataFrame
    value_columns: tuple[str, ...]
    price_columns: tuple[str, ...] = ()
    jump_columns: tuple[str, ...] = ()
    calendar: str | None = "WEEKDAYS"
    calendar_since: date | None = None
    adjustment: Adjustment = Adjustment.NONE
    checks: tuple[RowCheck, ...] = ()
    unique_key: tuple[str, ...] = ()
    rejects: tuple[QuarantineRecord, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def key(self) -> str:
        """``instrument/feed``, the store directory of this batch."""
        return f"{self.instrument}/{self.feed}"
