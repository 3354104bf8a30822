"""Adapter -> validation wall -> quarantine + store. The only path by which rows reach the store.

Re-ingesting is safe: rows already stored (same ``as_of``, ``available_at`` and values) are not
written again, so the same data ingested twice leaves the manifest unchanged. A row whose
``as_of`` is stored with different values is a *revision*: it is stored as a new vintage whose
``available_at`` is no earlier than ``vintage_at`` (when the new values were learned).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

import polars as pl

from qgtm_data._batch import TS_UTC, FeedBatch
from qgtm_data._quarantine import DataMetrics, QuarantineTable
from qgtm_data._store import Partition, ShardEntry, ShardStore
from qgtm_data._validate import Validator
from qgtm_data.adapters import Adapter

__all__ = ["FeedReport", "Ingestor"]


@dataclass(frozen=True)
class FeedReport:
    """What one batch did: rows accepted, rows quarantined, revisions, shards written, notes."""

    key: str
    source: str
    accepted: int
    quarantined: int
    revisions: int
    shards: tuple[ShardEntry, ...]
    notes: tuple[str, ...]


class Ingestor:
    """Runs batches through ``validator`` into ``store``; every reject goes to ``quarantine``."""

    def __init__(
        self,
        store: ShardStore,
        validator: Validator,
        quarantine: QuarantineTable,
        metrics: DataMetrics | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.store = store
        self.validator = validator
        self.quarantine = quarantine
        self.metrics = metrics if metrics is not None else DataMetrics()
        self._now = now

    def ingest_all(self, adapters: Iterable[Adapter], vintage_at: datetime | None = None) -> list[FeedReport]:
        """Load and ingest every adapter's batches, in order."""
        return [self.ingest(batch, vintage_at=vintage_at) for adapter in adapters for batch in adapter.load()]

    def ingest(
        self, batch: FeedBatch, partition: Partition | None = None, vintage_at: datetime | None = None
    ) -> FeedReport:
        """Validate, quarantine the rejects, store the new rows and revisions of ``batch``.

        ``partition`` defaults to a year per shard for session data, a decade for monthly/annual.
        """
        if partition is None:
            partition = Partition.YEAR if batch.calendar is not None else Partition.DECADE
        result = self.validator.validate(batch)
        self.quarantine.add(result.rejects)
        self.metrics.count_rejected(result.rejects)
        self.metrics.count_accepted(batch.key, result.clean.height)
        clean = result.clean.drop("row")
        delta, revisions = self._delta(batch, clean, vintage_at)
        shards = self.store.write(batch.instrument, batch.feed, delta, partition) if delta.height else []
        return FeedReport(
            key=batch.key,
            source=batch.source,
            accepted=result.clean.height,
            quarantined=len({r.row for r in result.rejects}),
            revisions=revisions,
            shards=tuple(shards),
            notes=batch.notes,
        )

    def _delta(self, batch: FeedBatch, clean: pl.DataFrame, vintage_at: datetime | None) -> tuple[pl.DataFrame, int]:
        if (batch.instrument, batch.feed) not in self.store.feeds():
            return clean, 0
        stored = self.store.read(batch.instrument, batch.feed)
        values = [c for c in clean.columns if c not in ("session", "as_of", "available_at")]
        known = stored.select("as_of", *values)
        fresh = clean.join(known, on=["as_of", *values], how="anti", nulls_equal=True)
        if fresh.height == 0:
            return fresh, 0
        revised = pl.col("as_of").is_in(stored.get_column("as_of").implode())
        learned = vintage_at if vintage_at is not None else (self._now or self.validator.now)()
        fresh = fresh.with_columns(
            pl.when(revised)
            .then(pl.max_horizontal(pl.col("available_at"), pl.lit(learned).cast(TS_UTC)))
            .otherwise(pl.col("available_at"))
            .alias("available_at")
        )
        return fresh, fresh.filter(revised).height
