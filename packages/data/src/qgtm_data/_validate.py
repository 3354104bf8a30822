"""The validation wall: one validator every adapter's rows pass before the store or the pipeline.

Checks run in three stages so that one defect is reported once and does not cause others: first
per-row checks (blank/NaN, non-positive prices, OHLC consistency, crossed quotes, closed session,
future timestamp, unknown instrument, source-specific identities), then ordering (duplicates and
out-of-order rows among the survivors), then robust price jumps among what is left. Every failing
row becomes a ``QuarantineRecord``; the clean frame keeps only rows that failed nothing.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import polars as pl

from qgtm_core import DataError
from qgtm_data._batch import FeedBatch, Kind, QuarantineRecord, RowCheck
from qgtm_data._calendars import is_session

__all__ = ["ValidationResult", "ValidationRules", "Validator"]

_MAD_TO_SIGMA = 1.4826


@dataclass(frozen=True, slots=True)
class ValidationRules:
    """Thresholds of the wall.

    ``jump_threshold`` is in robust sigmas: a price that leaves both neighbours in the same
    direction by more than this many MAD-sigmas of log returns (and by at least ``jump_floor`` in
    log terms) is quarantined. ``instruments`` lists the known instruments; ``None`` accepts any.
    """

    jump_threshold: float = 8.0
    jump_window: int = 63
    jump_floor: float = 0.05
    instruments: frozenset[str] | None = None


@dataclass(frozen=True)
class ValidationResult:
    """The clean frame (``row`` column kept for provenance) and every rejected row."""

    batch: FeedBatch
    clean: pl.DataFrame
    rejects: tuple[QuarantineRecord, ...]


def _bar_checks() -> list[RowCheck]:
    hi, lo = pl.col("high"), pl.col("low")
    return [
        RowCheck("high", "high below low", hi < lo),
        RowCheck("open", "open outside the low-high range", (pl.col("open") < lo) | (pl.col("open") > hi)),
        RowCheck("close", "close outside the low-high range", (pl.col("close") < lo) | (pl.col("close") > hi)),
    ]


class Validator:
    """Validate batches against ``rules``; ``now`` supplies the clock for the future-timestamp check."""

    def __init__(self, rules: ValidationRules, now: Callable[[], datetime]) -> None:
        self._rules = rules
        self._now = now

    @property
    def rules(self) -> ValidationRules:
        """The thresholds in force."""
        return self._rules

    def now(self) -> datetime:
        """The validator's clock (also the default time a revision is learned)."""
        return self._now()

    def validate(self, batch: FeedBatch) -> ValidationResult:
        """Split ``batch`` into clean rows and quarantine records; nothing is dropped unrecorded."""
        frame = batch.frame
        missing = [
            c for c in ("row", "session", "as_of", "available_at", *batch.value_columns) if c not in frame.columns
        ]
        if missing:
            msg = f"{batch.source}: adapter produced no column(s) {', '.join(missing)} for {batch.key}"
            raise DataError(msg)
        flagged: list[tuple[str, str, pl.Expr]] = [(c.field, c.reason, c.bad) for c in self._row_checks(batch)]
        stage1 = self._apply(batch, frame, flagged)
        rejects = list(batch.rejects) + stage1.rejects
        survivors = stage1.clean
        order = self._apply(batch, survivors, self._order_checks(survivors, batch.unique_key))
        rejects += order.rejects
        jumps = self._apply(batch, order.clean, self._jump_checks(batch, order.clean))
        rejects += jumps.rejects
        return ValidationResult(batch=batch, clean=jumps.clean, rejects=tuple(rejects))

    # ------------------------------------------------------------------ checks

    def _row_checks(self, batch: FeedBatch) -> list[RowCheck]:
        checks: list[RowCheck] = []
        for column in batch.value_columns:
            value = pl.col(column)
            blank = value.is_null() | value.is_nan() if batch.frame.schema[column].is_float() else value.is_null()
            checks.append(RowCheck(column, "blank or NaN value", blank))
        checks.extend(RowCheck(c, "non-positive price", pl.col(c) <= 0) for c in batch.price_columns)
        if batch.kind is Kind.BARS:
            checks.extend(_bar_checks())
        if batch.kind is Kind.QUOTES:
            checks.append(RowCheck("ask", "crossed or locked quote (ask <= bid)", pl.col("ask") <= pl.col("bid")))
        if batch.calendar is not None:
            days = batch.frame.get_column("session").to_numpy().astype("datetime64[D]")
            open_days = is_session(batch.calendar, days)
            if batch.calendar_since is not None:
                early = days < np.datetime64(batch.calendar_since, "D")
                open_days = np.where(early, is_session("WEEKDAYS", days), open_days)
            checks.append(
                RowCheck(
                    "session",
                    f"not an open session of {batch.calendar}",
                    pl.lit(pl.Series(~open_days, dtype=pl.Boolean)),
                )
            )
        now = self._now()
        checks.append(
            RowCheck("available_at", f"timestamp in the future (now {now.isoformat()})", pl.col("available_at") > now)
        )
        checks.append(RowCheck("as_of", "as_of after available_at", pl.col("as_of") > pl.col("available_at")))
        known = self._rules.instruments
        if known is not None:
            if "instrument" in batch.frame.columns:
                checks.append(RowCheck("instrument", "unknown instrument", ~pl.col("instrument").is_in(sorted(known))))
            elif batch.instrument not in known:
                checks.append(RowCheck("instrument", f"unknown instrument {batch.instrument!r}", pl.lit(value=True)))
        checks.extend(batch.checks)
        return checks

    @staticmethod
    def _order_checks(frame: pl.DataFrame, unique_key: tuple[str, ...]) -> list[tuple[str, str, pl.Expr]]:
        key = [c for c in ("instrument",) if c in frame.columns]
        stamp = pl.col("as_of")
        previous_max = stamp.cum_max().shift(1)
        if key:
            previous_max = previous_max.over(key)
        duplicate = ~pl.struct([*key, "as_of", *unique_key]).is_first_distinct()
        return [
            ("as_of", "duplicate timestamp", duplicate),
            ("as_of", "out-of-order timestamp", ~duplicate & previous_max.is_not_null() & (stamp < previous_max)),
        ]

    def _jump_checks(self, batch: FeedBatch, frame: pl.DataFrame) -> list[tuple[str, str, pl.Expr]]:
        """A spike: the price leaves both neighbours in the same direction by many robust sigmas.

        Level shifts (real regime moves such as the 1980 silver squeeze) move away from one
        neighbour only and are kept; sigma is the MAD of log returns over ``jump_window`` rows.
        """
        rules = self._rules
        out: list[tuple[str, str, pl.Expr]] = []
        for column in batch.jump_columns:
            log_price = pl.col(column).log()
            up = log_price - log_price.shift(1)
            down = log_price.shift(-1) - log_price
            spike = pl.when(up * down < 0).then(pl.min_horizontal(up.abs(), down.abs())).otherwise(0.0)
            sigma = up.abs().rolling_median(rules.jump_window, min_samples=5, center=True) * _MAD_TO_SIGMA
            limit = pl.max_horizontal(sigma.fill_null(0.0) * rules.jump_threshold, pl.lit(rules.jump_floor))
            reason = f"price spike beyond {rules.jump_threshold:g} robust sigmas against both neighbours"
            out.append((column, reason, spike > limit))
        return out if frame.height else []

    # ------------------------------------------------------------------ plumbing

    @dataclass(frozen=True)
    class _Stage:
        clean: pl.DataFrame
        rejects: list[QuarantineRecord]

    def _apply(
        self, batch: FeedBatch, frame: pl.DataFrame, checks: list[tuple[str, str, pl.Expr]] | list[RowCheck]
    ) -> Validator._Stage:
        normalized = [(c.field, c.reason, c.bad) if isinstance(c, RowCheck) else c for c in checks]
        if not normalized or frame.height == 0:
            return Validator._Stage(frame, [])
        flags = frame.select(
            [bad.fill_null(value=False).alias(f"__bad{i}") for i, (_, _, bad) in enumerate(normalized)]
        )
        matrix = flags.to_numpy().astype(bool)
        any_bad = matrix.any(axis=1)
        rejects: list[QuarantineRecord] = []
        if any_bad.any():
            rows = frame.get_column("row").to_numpy()
            for position in np.flatnonzero(any_bad):
                for index in np.flatnonzero(matrix[position]):
                    field, reason, _ = normalized[index]
                    value = frame.get_column(field)[int(position)] if field in frame.columns else None
                    rejects.append(
                        QuarantineRecord(
                            source=batch.source,
                            row=int(rows[position]),
                            field=field,
                            reason=reason,
                            value=_text(value),
                            instrument=batch.instrument,
                            feed=batch.feed,
                        )
                    )
        clean = frame.filter(pl.Series(~any_bad, dtype=pl.Boolean))
        return Validator._Stage(clean, rejects)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    return str(value)
