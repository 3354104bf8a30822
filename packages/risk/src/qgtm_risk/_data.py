"""Daily series from the bundled real data (``data/``), as the risk model and stress tests need them.

Only what risk needs, read with the standard library so the package stays light: a date column,
a value column, blanks skipped (FRED keeps holidays as empty rows), any row order (LBMA files are
newest first). A malformed row raises ``DataError`` naming the file, row and field.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import numpy.typing as npt

from qgtm_core import DataError

__all__ = ["DailySeries", "load_series"]

FloatArray = npt.NDArray[np.float64]
DateArray = npt.NDArray[np.datetime64]


@dataclass(frozen=True)
class DailySeries:
    """One named series: ascending unique dates and positive or signed float values."""

    name: str
    dates: DateArray
    values: FloatArray

    def log_returns(self) -> DailySeries:
        """Log change between consecutive observations, dated at the later one."""
        return DailySeries(self.name, self.dates[1:], np.diff(np.log(self.values)))

    def differences(self, scale: float = 1.0) -> DailySeries:
        """Change between consecutive observations times ``scale`` (yields in % -> return proxies)."""
        return DailySeries(self.name, self.dates[1:], np.diff(self.values) * scale)

    def between(self, start: date, end: date) -> DailySeries:
        """Observations with ``start <= date <= end``."""
        mask = (self.dates >= np.datetime64(start, "D")) & (self.dates <= np.datetime64(end, "D"))
        return DailySeries(self.name, self.dates[mask], self.values[mask])

    def extended_with(self, later: DailySeries) -> DailySeries:
        """This series followed by the observations of ``later`` dated after its last date."""
        tail = later.dates > self.dates[-1]
        return DailySeries(
            self.name,
            np.concatenate([self.dates, later.dates[tail]]),
            np.concatenate([self.values, later.values[tail]]),
        )


def load_series(
    path: Path, value_column: str, *, date_column: str = "Date", name: str | None = None, positive: bool = True
) -> DailySeries:
    """Read one value column of a CSV into a ``DailySeries`` sorted by date."""
    if not path.is_file():
        msg = f"{path}: file not found"
        raise DataError(msg)
    rows: dict[date, float] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle, skipinitialspace=True)
        fields = reader.fieldnames or []
        for column in (date_column, value_column):
            if column not in fields:
                msg = f"{path}: column {column!r} missing (columns: {', '.join(fields)})"
                raise DataError(msg)
        for line, row in enumerate(reader, start=2):
            raw_date, raw_value = row[date_column], (row[value_column] or "").strip()
            if not raw_value or raw_value == ".":
                continue
            try:
                day = date.fromisoformat(raw_date.strip())
                value = float(raw_value)
            except ValueError as exc:
                msg = f"{path}: row {line}: bad {date_column!r}/{value_column!r} value ({raw_date!r}, {raw_value!r})"
                raise DataError(msg) from exc
            if not math.isfinite(value) or (positive and value <= 0):
                msg = f"{path}: row {line}: {value_column!r} must be a positive finite number, got {raw_value!r}"
                raise DataError(msg)
            if day in rows:
                msg = f"{path}: row {line}: date {day} appears twice"
                raise DataError(msg)
            rows[day] = value
    if len(rows) < 2:
        msg = f"{path}: fewer than two observations of {value_column!r}"
        raise DataError(msg)
    days = sorted(rows)
    return DailySeries(
        name or value_column,
        np.array(days, dtype="datetime64[D]"),
        np.array([rows[d] for d in days], dtype=np.float64),
    )
