"""The live path: step 2 of the pipeline, one new bar at a time, from the same definitions.

Window features are evaluated on the last ``lookback`` rows of each history. All instruments are
stacked into one frame (each block padded to the same length) so one polars ``select`` serves the
whole universe; a window never crosses a block because every feature reads at most ``lookback``
rows. Kalman filters keep their state between calls and advance only over the new aligned rows.
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from qgtm_core import FeatureSet, InstrumentId, PitSnapshot
from qgtm_features._kalman import StatefulFilter
from qgtm_features._library import FeatureLibrary, FeatureParams

__all__ = ["LibraryFeatureEngine"]

_NAN = float("nan")
_BAR_SCHEMA = pl.Schema(
    [
        ("as_of", pl.Datetime("us", "UTC")),
        ("open", pl.Float64()),
        ("high", pl.Float64()),
        ("low", pl.Float64()),
        ("close", pl.Float64()),
        ("volume", pl.Float64()),
    ]
)


class LibraryFeatureEngine:
    """Implements ``FeatureEngine`` over the whole feature library."""

    def __init__(self, params: FeatureParams | None = None) -> None:
        self.library = FeatureLibrary(params or FeatureParams())
        self._filters: list[StatefulFilter] = []
        self._filter_key: tuple[str, ...] = ()
        self._filter_outputs: dict[str, float] = {}
        self._last_as_of: datetime | None = None

    def compute(self, snapshot: PitSnapshot) -> FeatureSet:
        """Latest value of every feature per instrument, cross-asset and per series."""
        values = self._bar_values(snapshot)
        cross = self._cross_values(snapshot)
        for name, frame in sorted(snapshot.series.items()):
            latest = self.library.series_table.latest(frame.select("value"))
            cross[name] = latest["level"]
            cross.update({f"{name}_{k}": v for k, v in latest.items()})
        return FeatureSet(at=snapshot.at, values=values, cross=cross)

    def _bar_values(self, snapshot: PitSnapshot) -> dict[InstrumentId, dict[str, float]]:
        table = self.library.bar_table
        rows = table.lookback
        instruments = sorted(snapshot.bars)
        blocks: list[pl.DataFrame] = []
        for instrument in instruments:
            tail = snapshot.bars[instrument].tail(rows).select(list(_BAR_SCHEMA))  # a slice, then a projection
            if tail.height < rows:
                blocks.append(pl.DataFrame({c: [None] * (rows - tail.height) for c in _BAR_SCHEMA}, schema=_BAR_SCHEMA))
            blocks.append(tail if tail.schema == _BAR_SCHEMA else tail.cast(_BAR_SCHEMA))
        if not blocks:
            return {}
        computed = table.batch(pl.concat(blocks, how="vertical"))
        last = computed.gather([(k + 1) * rows - 1 for k in range(len(instruments))])
        return {
            InstrumentId(instrument): dict(zip(last.columns, row, strict=True))
            for instrument, row in zip(instruments, last.iter_rows(), strict=True)
        }

    def _cross_values(self, snapshot: PitSnapshot) -> dict[str, float]:
        instruments = sorted(snapshot.bars)
        series_cols = sorted(snapshot.series)
        columns = [*instruments, *series_cols]
        table = self.library.cross_table_for(instruments, columns)
        keep = 2 * table.lookback + 10
        tails = {k: v.tail(keep) for k, v in snapshot.bars.items()}
        aligned = self.library.aligned(tails, snapshot.series)
        out = table.latest(aligned.drop("available_at"))
        self._advance_filters(snapshot, aligned, tuple(columns))
        out.update(self._filter_outputs)
        return out

    def _advance_filters(self, snapshot: PitSnapshot, tail: pl.DataFrame, key: tuple[str, ...]) -> None:
        """Step each filter over aligned rows newer than the last one it saw.

        On the first call, or if the tail no longer reaches back to the last row seen (a gap),
        the filters restart from the whole history so their state equals the batch fold.
        """
        last = self._last_as_of
        fresh = key != self._filter_key or last is None or tail.height == 0 or tail.get_column("as_of")[0] > last
        if fresh:
            self._filters = self.library.new_filters(key)
            self._filter_key = key
            self._filter_outputs = {n: _NAN for f in self._filters for n in f.names}
            rows = self.library.aligned(snapshot.bars, {})
        else:
            rows = tail.filter(pl.col("as_of") > last)
        if rows.height == 0:
            return
        for flt in self._filters:
            columns = [rows.get_column(c).to_list() for c in flt.inputs]
            result: tuple[float, ...] = ()
            for values in zip(*columns, strict=True):
                result = flt.step(values)
            self._filter_outputs.update(zip(flt.names, result, strict=True))
        self._last_as_of = rows.get_column("as_of")[-1]
