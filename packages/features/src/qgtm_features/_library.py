"""The feature library: every table and filter, and the batch (research) path over histories."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import polars as pl

from qgtm_core import FeatureSet, InstrumentId
from qgtm_features._bars import bar_table
from qgtm_features._cross import CrossNames, cross_table
from qgtm_features._kalman import KalmanHedgeRatio, LocalLinearTrend, StatefulFilter, run_filter
from qgtm_features._series import series_table
from qgtm_features._spec import FeatureTable

__all__ = ["FeatureHistory", "FeatureLibrary", "FeatureParams"]

_NAN = float("nan")


@dataclass(frozen=True)
class FeatureParams:
    """Windows and the instrument/series that play each cross-asset role."""

    fast: int = 20
    slow: int = 100
    gold: str = "GLD"
    silver: str = "SLV"
    equity: str = "SPY"
    miners: str = "GDX"
    future: str = "GC"
    gold_oz: str = "GLD_OZ"
    real_yield: str = "DFII10"
    dollar: str = "DTWEXBGS"
    eigen_windows: tuple[int, ...] = (20, 60, 120)
    eigen_instruments: tuple[str, ...] = ()
    """Instruments of the eigenvalue features; empty means every instrument in the snapshot."""


@dataclass(frozen=True)
class FeatureHistory:
    """Batch features over whole histories, aligned on the common bar dates."""

    bars: Mapping[InstrumentId, pl.DataFrame]
    """Per instrument: ``as_of``, ``available_at`` and every bar feature."""
    cross: pl.DataFrame
    """``as_of``, ``available_at``, every cross, filter and series feature on the aligned dates."""

    def feature_sets(self) -> Iterator[FeatureSet]:
        """One ``FeatureSet`` per aligned date, as the live engine would have produced it."""
        per_instrument = {k: {row["as_of"]: row for row in v.iter_rows(named=True)} for k, v in self.bars.items()}
        for row in self.cross.iter_rows(named=True):
            as_of = row.pop("as_of")
            at = row.pop("available_at")
            values: dict[InstrumentId, Mapping[str, float]] = {}
            for instrument, rows in per_instrument.items():
                found = rows.get(as_of)
                if found is not None:
                    values[instrument] = {k: v for k, v in found.items() if k not in ("as_of", "available_at")}
            yield FeatureSet(at=at, values=values, cross=row)


@dataclass
class FeatureLibrary:
    """All feature definitions; ``history`` is the batch path, ``LibraryFeatureEngine`` the live one."""

    params: FeatureParams = field(default_factory=FeatureParams)

    def __post_init__(self) -> None:
        p = self.params
        self.bar_table: FeatureTable = bar_table(p.fast, p.slow)
        self.series_table: FeatureTable = series_table()
        self.names = CrossNames(p.gold, p.silver, p.equity, p.miners, p.future, p.gold_oz, p.real_yield, p.dollar)
        self._cross_cache: dict[tuple[str, ...], FeatureTable] = {}

    def cross_table_for(self, instruments: Sequence[str], columns: Sequence[str]) -> FeatureTable:
        """The cross table restricted to the columns present (cached per column set)."""
        key = (*instruments, "|", *columns)
        table = self._cross_cache.get(key)
        if table is None:
            eigen = self.params.eigen_instruments or tuple(instruments)
            eigen = tuple(i for i in eigen if i in instruments)
            full = cross_table(self.names, self.params.fast, self.params.slow, eigen, self.params.eigen_windows)
            table = full.restricted_to(columns)
            self._cross_cache[key] = table
        return table

    def new_filters(self, columns: Sequence[str]) -> list[StatefulFilter]:
        """Fresh Kalman filters whose inputs are present."""
        candidates: list[StatefulFilter] = [
            KalmanHedgeRatio(self.names.gold, self.names.silver),
            LocalLinearTrend(self.names.gold),
        ]
        return [f for f in candidates if set(f.inputs) <= set(columns)]

    def aligned(self, bars: Mapping[InstrumentId, pl.DataFrame], series: Mapping[str, pl.DataFrame]) -> pl.DataFrame:
        """Closes of every instrument on their common dates, plus each series as known at the bar.

        ``available_at`` of a row is the latest bar availability of that date; a series value
        joins only if it was available by then.
        """
        if not bars:
            return pl.DataFrame(schema={"as_of": pl.Datetime("us", "UTC"), "available_at": pl.Datetime("us", "UTC")})
        parts = [
            bars[i].select("as_of", pl.col("available_at").alias(f"_at_{i}"), pl.col("close").alias(i))
            for i in sorted(bars)
        ]
        frame = pl.concat(parts, how="align_inner") if len(parts) > 1 else parts[0]
        stamps = [c for c in frame.columns if c.startswith("_at_")]
        frame = frame.with_columns(pl.max_horizontal(stamps).alias("available_at")).drop(stamps).sort("as_of")
        for name in sorted(series):
            values = (
                series[name]
                .select(pl.col("available_at").alias("_series_at"), pl.col("value").alias(name))
                .sort("_series_at")
            )
            frame = frame.join_asof(values, left_on="available_at", right_on="_series_at", strategy="backward").drop(
                "_series_at"
            )
        return frame

    def history(self, bars: Mapping[InstrumentId, pl.DataFrame], series: Mapping[str, pl.DataFrame]) -> FeatureHistory:
        """Batch: every feature at every date of the given histories."""
        per_instrument = {k: v.select("as_of", "available_at").hstack(self.bar_table.batch(v)) for k, v in bars.items()}
        aligned = self.aligned(bars, series)
        instruments = sorted(bars)
        columns = [c for c in aligned.columns if c not in ("as_of", "available_at")]
        cross = aligned.select("as_of", "available_at").hstack(
            self.cross_table_for(instruments, columns).batch(aligned)
        )
        for flt in self.new_filters(columns):
            cross = cross.hstack(run_filter(flt, aligned))
        for name in sorted(series):
            frame = series[name]
            computed = self.series_table.batch(frame)
            computed = computed.rename({c: f"{name}_{c}" for c in computed.columns})
            stamped = frame.select(pl.col("available_at").alias("_series_at")).hstack(computed).sort("_series_at")
            cross = cross.join_asof(stamped, left_on="available_at", right_on="_series_at", strategy="backward").drop(
                "_series_at"
            )
        cross = cross.with_columns(pl.col(c).fill_null(_NAN) for c, t in cross.schema.items() if t == pl.Float64)
        return FeatureHistory(per_instrument, cross)
