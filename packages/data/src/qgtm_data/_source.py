"""``PointInTimeSource`` over the content-addressed store, recording the shard hashes it read.

Feeds are read (and hash-checked) once at construction; a snapshot is then one bisection per
feed. ``PitSnapshot.sources`` carries the SHA-256 of every shard behind the snapshot, so a run
can record exactly which data it saw.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from qgtm_core import BAR_COLUMNS, SERIES_COLUMNS, DataError, InstrumentId, PitSnapshot
from qgtm_data._pit import PitSeries
from qgtm_data._store import ShardStore

__all__ = ["StorePitSource"]


class StorePitSource:
    """``bars``: instrument -> feed (e.g. ``{"GLD": "yahoo_close"}``); ``series``: name ->
    ``(instrument, feed, column)`` (e.g. ``{"DFII10": ("FRED", "DFII10", "value")}``)."""

    def __init__(
        self, store: ShardStore, bars: Mapping[str, str], series: Mapping[str, tuple[str, str, str]] | None = None
    ) -> None:
        start = len(store.hashes_read)
        self._bars: dict[InstrumentId, PitSeries] = {}
        for instrument, feed in bars.items():
            frame = store.read(instrument, feed)
            absent = [c for c in BAR_COLUMNS if c not in frame.columns]
            if absent:
                msg = f"{instrument}/{feed}: not a bar feed (missing {', '.join(absent)})"
                raise DataError(msg)
            self._bars[InstrumentId(instrument)] = PitSeries(frame.select(BAR_COLUMNS))
        self._series: dict[str, PitSeries] = {}
        for name, (instrument, feed, column) in (series or {}).items():
            frame = store.read(instrument, feed)
            if column not in frame.columns:
                msg = f"{instrument}/{feed}: no column {column!r} for series {name!r}"
                raise DataError(msg)
            self._series[name] = PitSeries(
                frame.select("as_of", "available_at", frame[column].alias(SERIES_COLUMNS[2]))
            )
        self.sources: tuple[str, ...] = tuple(sorted(set(store.hashes_read[start:])))

    def snapshot(self, at: datetime) -> PitSnapshot:
        """Every feed as knowable at ``at``, with the shard hashes behind it."""
        return PitSnapshot(
            at=at,
            bars={k: v.history(at) for k, v in self._bars.items()},
            series={k: v.history(at) for k, v in self._series.items()},
            sources=self.sources,
        )
