"""Readers for the bundled CSV layouts. Every bad row is an error naming file, row and field."""

from __future__ import annotations

import csv
import math
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import polars as pl

from qgtm_core import BAR_COLUMNS, SERIES_COLUMNS, DataError
from qgtm_data._publication import daily_bar_times, next_business_morning

__all__ = ["read_fred_daily", "read_yahoo_daily"]

_YAHOO_HEADER = ("Date", "Open", "High", "Low", "Close", "Adj Close", "Volume")
_TS = pl.Datetime("us", "UTC")


def _open_rows(path: Path) -> list[list[str]]:
    if not path.is_file():
        msg = f"{path}: data file not found"
        raise DataError(msg)
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def _number(path: Path, row: int, field: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        msg = f"{path}: row {row}: field {field!r}: not a number: {text!r}"
        raise DataError(msg) from None
    if not math.isfinite(value):
        msg = f"{path}: row {row}: field {field!r}: not a finite number: {text!r}"
        raise DataError(msg)
    return value


def _date(path: Path, row: int, field: str, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        msg = f"{path}: row {row}: field {field!r}: not a date: {text!r}"
        raise DataError(msg) from None


def read_yahoo_daily(path: Path, delay: timedelta) -> pl.DataFrame:
    """Read a Yahoo daily CSV (unadjusted ``Close``) into a bar frame with PIT stamps.

    Rows must be complete, positive, internally consistent (low <= open/close <= high) and in
    strictly increasing date order; the first violation raises ``DataError``.
    """
    rows = _open_rows(path)
    if not rows or tuple(rows[0]) != _YAHOO_HEADER:
        msg = f"{path}: row 1: expected Yahoo header {','.join(_YAHOO_HEADER)}"
        raise DataError(msg)
    cols: dict[str, list[object]] = {c: [] for c in BAR_COLUMNS}
    previous: date | None = None
    for number, raw in enumerate(rows[1:], start=2):
        if len(raw) != len(_YAHOO_HEADER):
            msg = f"{path}: row {number}: expected {len(_YAHOO_HEADER)} fields, got {len(raw)}"
            raise DataError(msg)
        session = _date(path, number, "Date", raw[0])
        o, h, lo, c = (_number(path, number, f, raw[i]) for i, f in enumerate(_YAHOO_HEADER[1:5], start=1))
        volume = _number(path, number, "Volume", raw[6])
        if min(o, h, lo, c) <= 0:
            msg = f"{path}: row {number}: non-positive price"
            raise DataError(msg)
        if not lo <= min(o, c) <= max(o, c) <= h:
            msg = f"{path}: row {number}: open/close outside the low-high range"
            raise DataError(msg)
        if previous is not None and session <= previous:
            msg = f"{path}: row {number}: field 'Date': {session} is not after {previous}"
            raise DataError(msg)
        previous = session
        as_of, available_at = daily_bar_times(session, delay)
        for key, value in zip(
            BAR_COLUMNS,
            (as_of.astimezone(UTC), available_at.astimezone(UTC), o, h, lo, c, volume),
            strict=True,
        ):
            cols[key].append(value)
    return pl.DataFrame(cols, schema={"as_of": _TS, "available_at": _TS} | dict.fromkeys(BAR_COLUMNS[2:], pl.Float64))


def read_fred_daily(path: Path) -> pl.DataFrame:
    """Read a FRED daily CSV; blank values (holidays) are skipped, as FRED publishes nothing."""
    rows = _open_rows(path)
    if not rows or len(rows[0]) != 2 or rows[0][0] != "date":
        msg = f"{path}: row 1: expected FRED header 'date,<SERIES>'"
        raise DataError(msg)
    cols: dict[str, list[object]] = {c: [] for c in SERIES_COLUMNS}
    for number, raw in enumerate(rows[1:], start=2):
        if len(raw) != 2:
            msg = f"{path}: row {number}: expected 2 fields, got {len(raw)}"
            raise DataError(msg)
        day = _date(path, number, "date", raw[0])
        if raw[1].strip() in ("", "."):
            continue
        value = _number(path, number, rows[0][1], raw[1])
        cols["as_of"].append(datetime.combine(day, time(0), UTC))
        cols["available_at"].append(next_business_morning(day).astimezone(UTC))
        cols["value"].append(value)
    return pl.DataFrame(cols, schema={"as_of": _TS, "available_at": _TS, "value": pl.Float64})
