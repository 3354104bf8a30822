"""LBMA gold (AM/PM per currency) and silver (one fix per currency), Quandl export layout.

Files run newest first; the frame is reversed so the validator's order check sees time order.
Euro columns are empty before the euro existed (1999-01-04): those cells are not observations.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl

from qgtm_data.adapters._table import read_table, typed_frame

__all__ = ["EURO_START", "GOLD_COLUMNS", "SILVER_COLUMNS", "parse_lbma"]

GOLD_COLUMNS = {
    "Date": "date",
    "USD (AM)": "usd_am",
    "USD (PM)": "usd_pm",
    "GBP (AM)": "gbp_am",
    "GBP (PM)": "gbp_pm",
    "EURO (AM)": "eur_am",
    "EURO (PM)": "eur_pm",
}
SILVER_COLUMNS = {"Date": "date", "USD": "usd", "GBP": "gbp", "EURO": "eur"}
EURO_START = date(1999, 1, 4)


def parse_lbma(path: Path, columns: dict[str, str]) -> tuple[pl.DataFrame, list[object]]:
    """Frame in time order (``row`` keeps the file line) and the rows rejected while parsing."""
    table = read_table(path, list(columns))
    numeric = [v for k, v in columns.items() if k != "Date"]
    frame, rejects = typed_frame(table, columns, date_column="Date", date_format="%Y-%m-%d", numeric=numeric)
    return frame.reverse(), [*table.rejects, *rejects]
