"""Sierra Chart text exports that another process keeps appending to.

Ticks use Sierra's intraday export layout ``Date, Time, Open, High, Low, Last, Volume,
NumberOfTrades, BidVolume, AskVolume`` (a tick has Open = High = Low = Last). Depth uses the
desk's study export ``Date, Time, Side, Level, Price, Quantity``. Sierra writes ``YYYY/M/D``
dates, ``HH:MM:SS[.ffffff]`` times in the chart's time zone, and a space after each comma.
"""

from __future__ import annotations

import polars as pl

from qgtm_data._batch import QuarantineRecord

__all__ = ["DEPTH_HEADER", "TICK_HEADER", "parse_lines"]

TICK_HEADER = ["Date", "Time", "Open", "High", "Low", "Last", "Volume", "NumberOfTrades", "BidVolume", "AskVolume"]
DEPTH_HEADER = ["Date", "Time", "Side", "Level", "Price", "Quantity"]


def parse_lines(
    source: str, header: list[str], lines: list[tuple[int, str]], text_columns: frozenset[str]
) -> tuple[pl.DataFrame, list[QuarantineRecord]]:
    """Rows to a frame with ``row``, ``stamp`` (naive local) and typed columns; bad lines rejected."""
    width = len(header)
    rows: list[list[str]] = []
    numbers: list[int] = []
    rejects: list[QuarantineRecord] = []
    for number, line in lines:
        cells = [c.strip() for c in line.split(",")]
        if len(cells) != width:
            reason = f"truncated or malformed row: expected {width} fields, got {len(cells)}"
            rejects.append(QuarantineRecord(source, number, "*", reason, line[:80]))
            continue
        rows.append(cells)
        numbers.append(number)
    raw = pl.DataFrame(
        {"row": numbers} | {name: [r[i] for r in rows] for i, name in enumerate(header)},
        schema={"row": pl.Int64} | dict.fromkeys(header, pl.String),
    )
    stamp = pl.concat_str(pl.col("Date"), pl.lit(" "), pl.col("Time")).str.strptime(
        pl.Datetime("us"), "%Y/%m/%d %H:%M:%S%.f", strict=False
    )
    numeric = [h for h in header[2:] if h not in text_columns]
    typed = raw.with_columns(
        stamp.alias("stamp"), *[pl.col(c).cast(pl.Float64, strict=False).alias(c) for c in numeric]
    )
    for row, date_text, time_text in typed.filter(pl.col("stamp").is_null()).select("row", "Date", "Time").iter_rows():
        rejects.append(QuarantineRecord(source, row, "Time", "not a Sierra date/time", f"{date_text} {time_text}"))
    for c in numeric:
        bad = typed.filter(pl.col(c).is_null() & pl.col("stamp").is_not_null())
        for row, text in bad.join(raw.select("row", pl.col(c).alias("raw")), on="row").select("row", "raw").iter_rows():
            rejects.append(QuarantineRecord(source, row, c, "not a number", text))
    bad_rows = sorted({r.row for r in rejects})
    return typed.filter(~pl.col("row").is_in(bad_rows)), rejects
