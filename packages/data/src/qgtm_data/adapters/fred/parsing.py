"""FRED CSV downloads: ``date,<SERIES_ID>``.

Two conventions for missing days exist in the wild: a blank value (``date,``; the validator
quarantines it as blank) or no row at all. The legacy ``.`` marker is treated as blank too.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from qgtm_core import DataError
from qgtm_data._batch import QuarantineRecord
from qgtm_data.adapters._table import read_table, typed_frame

__all__ = ["parse_fred", "parse_fred_text"]


_DATE_HEADERS = ("date", "DATE", "observation_date")
"""Downloaded files say ``date`` or ``DATE``; the live endpoint now says ``observation_date``."""


def parse_fred(path: Path, series: str) -> tuple[pl.DataFrame, list[QuarantineRecord]]:
    """Frame with ``row``, ``session`` and ``value``, plus rows rejected while parsing."""
    with path.open(encoding="utf-8") as handle:
        first = handle.readline().split(",")[0].strip()
    date_header = first if first in _DATE_HEADERS else "date"
    table = read_table(path, [date_header, series])
    for row in table.rows:
        if row[1].strip() == ".":
            row[1] = ""
    frame, rejects = typed_frame(
        table,
        {date_header: "date", series: "value"},
        date_column=date_header,
        date_format="%Y-%m-%d",
        numeric=["value"],
    )
    return frame, [*table.rejects, *rejects]


def parse_fred_text(text: str, series: str, source: str, scratch: Path) -> tuple[pl.DataFrame, list[QuarantineRecord]]:
    """Parse a FRED CSV body fetched over HTTP (written to ``scratch`` so one parser serves both)."""
    if not text.strip():
        msg = f"{source}: empty FRED response"
        raise DataError(msg)
    scratch.write_text(text, encoding="utf-8")
    frame, rejects = parse_fred(scratch, series)
    return frame, [QuarantineRecord(source, r.row, r.field, r.reason, r.value) for r in rejects]
