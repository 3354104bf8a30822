"""Stooq daily CSV: ``Date, Open, High, Low, Close, Volume``, prices dividend-adjusted.

Stooq rewrites history on each dividend, so its closes are not comparable to Yahoo's ``Close``.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from qgtm_data._batch import QuarantineRecord
from qgtm_data.adapters._table import read_table, typed_frame

__all__ = ["STOOQ_COLUMNS", "parse_stooq"]

STOOQ_COLUMNS = {"Date": "date", "Open": "open", "High": "high", "Low": "low", "Close": "close", "Volume": "volume"}


def parse_stooq(path: Path) -> tuple[pl.DataFrame, list[QuarantineRecord]]:
    """Frame with ``row``, ``session`` and OHLCV, plus rows rejected while parsing."""
    table = read_table(path, list(STOOQ_COLUMNS))
    numeric = [v for k, v in STOOQ_COLUMNS.items() if k != "Date"]
    frame, rejects = typed_frame(table, STOOQ_COLUMNS, date_column="Date", date_format="%Y-%m-%d", numeric=numeric)
    return frame, [*table.rejects, *rejects]
