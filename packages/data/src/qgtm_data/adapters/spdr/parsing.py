"""SPDR Gold Trust daily archive (``GLD_US_archive_EN.csv``).

Quirks handled here: ``DD-Mon-YYYY`` dates; a leading space before every field after the date;
a ``$`` prefix on the bid/ask mid-point and a ``%`` suffix on the premium; and ``HOLIDAY`` rows
whose every value cell is the text ``HOLIDAY`` (the trust published nothing that day). Holiday
rows are quarantined with their own reason so they are counted, not silently skipped. Cells
reading ``NYSE Closed`` (Hurricane Sandy, 2012-10-29/30) or ``AWAITED`` fail as "not a number",
naming the field.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from qgtm_data._batch import QuarantineRecord
from qgtm_data.adapters._table import RawTable, read_table, typed_frame

__all__ = ["HOLIDAY_REASON", "SPDR_COLUMNS", "parse_spdr"]

SPDR_COLUMNS = {
    "Date": "date",
    "GLD Close": "close",
    "NAV per GLD in Gold": "nav_oz_per_share",
    "NAV/share at 10.30 a.m. NYT": "nav_1030",
    "Indicative Price of GLD at 4.15 p.m. NYT": "indicative_1615",
    "Mid point of bid/ask spread at 4.15 p.m. NYT#": "mid_1615",
    "Premium/Discount of GLD mid point v Indicative Value of GLD at 4.15 p.m. NYT": "premium_pct",
    "Daily Share Volume": "volume",
    "Total Net Asset Value Ounces in the Trust as at 4.15 p.m. NYT": "ounces",
    "Total Net Asset Value Tonnes in the Trust as at 4.15 p.m. NYT": "tonnes",
    "Total Net Asset Value in the Trust": "nav_usd",
}
HOLIDAY_REASON = "HOLIDAY marker row: the trust published no values"


def parse_spdr(path: Path) -> tuple[pl.DataFrame, list[QuarantineRecord]]:
    """Numeric frame and the rejected rows (holiday markers, malformed values)."""
    table = read_table(path, list(SPDR_COLUMNS), strip=True)
    rejects = list(table.rejects)
    kept_lines: list[int] = []
    kept_rows: list[list[str]] = []
    for line, row in zip(table.lines, table.rows, strict=True):
        markers = set(row[1:])
        if markers == {"HOLIDAY"}:
            rejects.append(QuarantineRecord(table.source, line, "*", HOLIDAY_REASON, row[0]))
            continue
        cleaned = [cell.removeprefix("$").removesuffix("%") for cell in row]
        kept_lines.append(line)
        kept_rows.append(cleaned)
    cleaned_table = RawTable(table.source, table.header, kept_lines, kept_rows)
    numeric = [v for k, v in SPDR_COLUMNS.items() if k != "Date"]
    frame, parse_rejects = typed_frame(
        cleaned_table, SPDR_COLUMNS, date_column="Date", date_format="%d-%b-%Y", numeric=numeric
    )
    return frame, [*rejects, *parse_rejects]
