"""The one definition of a feature, shared by the batch (research) and live (one new bar) paths.

A feature is a polars expression (or, where polars has no primitive, a numpy function of the
frame) plus ``lookback``: how many of the most recent rows it may read. Batch evaluates the
definition over the whole history; live evaluates the *same* definition over the last ``lookback``
rows and keeps the last value. The two agree exactly when the definition only reads rows it
declares, which ``assert_causal`` (at construction) and the parity property tests check.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from qgtm_core import LookAheadError

__all__ = ["ArrayFeature", "Feature", "FeatureTable"]

ArrayFn = Callable[[Mapping[str, np.ndarray]], Mapping[str, np.ndarray]]
"""Column arrays of a frame in, one array per output name (same length) out."""


@dataclass(frozen=True)
class Feature:
    """A polars-expression feature reading at most the ``lookback`` most recent rows."""

    name: str
    lookback: int
    expr: pl.Expr
    inputs: tuple[str, ...]

    def __post_init__(self) -> None:
        if self.lookback < 1:
            msg = f"feature {self.name!r}: lookback must be at least 1 row"
            raise ValueError(msg)


@dataclass(frozen=True)
class ArrayFeature:
    """A numpy feature (eigenvalues, batched linear algebra) with one or more outputs."""

    names: tuple[str, ...]
    lookback: int
    fn: ArrayFn
    inputs: tuple[str, ...]


@dataclass(frozen=True)
class FeatureTable:
    """Features over one kind of frame (bars of an instrument, a series, the aligned cross frame)."""

    features: tuple[Feature, ...]
    arrays: tuple[ArrayFeature, ...] = ()
    _exprs: tuple[pl.Expr, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        names = [f.name for f in self.features] + [n for a in self.arrays for n in a.names]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            msg = f"duplicate feature names: {', '.join(duplicates)}"
            raise ValueError(msg)
        exprs = tuple(f.expr.cast(pl.Float64).fill_null(float("nan")).alias(f.name) for f in self.features)
        object.__setattr__(self, "_exprs", exprs)

    @property
    def names(self) -> tuple[str, ...]:
        """Every output name, expressions first, in definition order."""
        return tuple(f.name for f in self.features) + tuple(n for a in self.arrays for n in a.names)

    @property
    def lookback(self) -> int:
        """Rows the live path keeps: the longest lookback of any feature."""
        return max([f.lookback for f in self.features] + [a.lookback for a in self.arrays] + [1])

    def restricted_to(self, columns: Sequence[str]) -> FeatureTable:
        """The features whose inputs are all present (a missing instrument drops its features)."""
        have = set(columns)
        return FeatureTable(
            tuple(f for f in self.features if set(f.inputs) <= have),
            tuple(a for a in self.arrays if set(a.inputs) <= have),
        )

    def batch(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Every feature at every row of ``frame`` (float64 columns, NaN while warming up)."""
        out = frame.select(self._exprs) if self._exprs else pl.DataFrame()
        if self.arrays:
            arrays = {c: frame.get_column(c).cast(pl.Float64).to_numpy() for c in frame.columns if c != "as_of"}
            extra: dict[str, np.ndarray] = {}
            for array_feature in self.arrays:
                extra.update(array_feature.fn(arrays))
            out = out.hstack(pl.DataFrame(extra)) if out.width else pl.DataFrame(extra)
        return out

    def latest(self, frame: pl.DataFrame) -> dict[str, float]:
        """The live path: the same definitions over the last ``lookback`` rows, last value only."""
        if not self.names:
            return {}
        if frame.height == 0:
            return dict.fromkeys(self.names, float("nan"))
        tail = self.batch(frame.tail(self.lookback))
        return dict(zip(tail.columns, tail.row(tail.height - 1), strict=True))

    def assert_causal(self, probe: pl.DataFrame, cut: int | None = None) -> None:
        """Raise ``LookAheadError`` naming a feature whose value at a row changes with later rows.

        Computes every feature on ``probe`` and on ``probe`` with the rows after ``cut`` scrambled;
        any difference at or before ``cut`` means the definition reads the future.
        """
        if probe.height < 3:
            msg = "causality probe needs at least 3 rows"
            raise ValueError(msg)
        at = probe.height // 2 if cut is None else cut
        honest = self.batch(probe)
        numeric = [c for c, t in probe.schema.items() if t.is_numeric()]
        scrambled_frame = probe.with_columns(
            pl.when(pl.int_range(pl.len()) > at).then(pl.col(c) * 1.37 + 0.11).otherwise(pl.col(c)).alias(c)
            for c in numeric
        )
        scrambled = self.batch(scrambled_frame)
        for name in self.names:
            a = honest.get_column(name).to_numpy()[: at + 1]
            b = scrambled.get_column(name).to_numpy()[: at + 1]
            same = np.isclose(a, b, rtol=1e-9, atol=1e-12, equal_nan=True)
            if not bool(same.all()):
                row = int(np.flatnonzero(~same)[0])
                msg = f"feature {name!r} at row {row} depends on rows after {at}: it reads the future"
                raise LookAheadError(msg)
