"""Shared reading of delimited files: layout check, truncated rows, typed columns with rejects.

Layout problems (missing file, empty file, wrong header) raise ``DataError`` naming the file:
nothing in such a file can be trusted. Row-level problems (a truncated last line, a field that is
not a number or not a date) become quarantine records and the row is left out of the frame.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from qgtm_core import DataError
from qgtm_data._batch import QuarantineRecord

__all__ = ["RawTable", "read_table", "typed_frame"]


@dataclass
class RawTable:
    """Header and well-formed rows (1-based file line numbers kept) plus rejected lines."""

    source: str
    header: list[str]
    lines: list[int]
    rows: list[list[str]]
    rejects: list[QuarantineRecord] = field(default_factory=list)


def read_table(path: Path, expected: Sequence[str], *, strip: bool = False, subset: bool = False) -> RawTable:
    """Read a CSV whose header must equal ``expected`` (after stripping spaces when ``strip``).

    With ``subset`` the header must contain every ``expected`` name (wide raw layouts where only
    some of the columns are used).
    """
    source = str(path)
    if not path.is_file():
        msg = f"{source}: data file not found"
        raise DataError(msg)
    with path.open(newline="", encoding="utf-8") as handle:
        lines = list(csv.reader(handle))
    if not lines:
        msg = f"{source}: empty file (no header)"
        raise DataError(msg)
    header = [h.strip() for h in lines[0]] if strip else lines[0]
    if subset:
        absent = [name for name in expected if name not in header]
        if absent:
            msg = f"{source}: row 1: wrong column layout: missing column(s) {absent}"
            raise DataError(msg)
    elif header != list(expected):
        msg = f"{source}: row 1: wrong column layout: expected {list(expected)}, got {header}"
        raise DataError(msg)
    table = RawTable(source, header, [], [])
    width = len(header)
    for number, raw in enumerate(lines[1:], start=2):
        if not raw:
            continue
        if len(raw) != width:
            reason = f"truncated or malformed row: expected {width} fields, got {len(raw)}"
            table.rejects.append(QuarantineRecord(source, number, "*", reason, ",".join(raw)))
            continue
        table.lines.append(number)
        table.rows.append([c.strip() for c in raw] if strip else raw)
    return table


def typed_frame(
    table: RawTable,
    columns: Mapping[str, str],
    *,
    date_column: str,
    date_format: str,
    numeric: Sequence[str],
    instrument: str = "",
    feed: str = "",
) -> tuple[pl.DataFrame, list[QuarantineRecord]]:
    """Frame with ``row``, ``session`` (Date) and the renamed ``numeric`` columns as Float64.

    ``columns`` maps file header -> output name. A blank cell becomes null (the validator reports
    it); text that is not a number or not a date is rejected here, naming the field.
    """
    index = {name: table.header.index(name) for name in columns}
    raw = pl.DataFrame(
        {"row": table.lines} | {columns[name]: [r[i] for r in table.rows] for name, i in index.items()},
        schema={"row": pl.Int64} | dict.fromkeys(columns.values(), pl.String),
    )
    out_date = columns[date_column]
    parsed = raw.with_columns(
        pl.col(out_date).str.strptime(pl.Date, date_format, strict=False).alias("session"),
        *[
            pl.when(pl.col(c).str.strip_chars() == "")
            .then(None)
            .otherwise(pl.col(c).str.strip_chars().cast(pl.Float64, strict=False))
            .alias(f"__num_{c}")
            for c in numeric
        ],
    )
    rejects: list[QuarantineRecord] = []
    bad_rows: set[int] = set()
    for row, text in parsed.filter(pl.col("session").is_null()).select("row", out_date).iter_rows():
        rejects.append(
            QuarantineRecord(table.source, row, out_date, f"not a date ({date_format})", text, instrument, feed)
        )
        bad_rows.add(row)
    for c in numeric:
        failed = parsed.filter(pl.col(f"__num_{c}").is_null() & (pl.col(c).str.strip_chars() != ""))
        for row, text in failed.select("row", c).iter_rows():
            rejects.append(QuarantineRecord(table.source, row, c, "not a number", text, instrument, feed))
            bad_rows.add(row)
    frame = parsed.filter(~pl.col("row").is_in(sorted(bad_rows))).select(
        "row", "session", *[pl.col(f"__num_{c}").alias(c) for c in numeric]
    )
    return frame, rejects
