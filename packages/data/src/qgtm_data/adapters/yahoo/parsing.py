"""Yahoo daily CSV: ``Date, Open, High, Low, Close, Adj Close, Volume``.

``Close`` (and OHLC) is split-adjusted only; ``Adj Close`` is also dividend-adjusted *as of the
download date*, so the two are kept as separate feeds and never mixed. The file may lack a
trailing newline; a last line with missing fields is a truncated row, not a header problem.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from qgtm_data._batch import QuarantineRecord
from qgtm_data.adapters._table import read_table, typed_frame

__all__ = ["YAHOO_COLUMNS", "parse_yahoo"]

YAHOO_COLUMNS = {
    "Date": "date",
    "Open": "open",
    "High": "high",
    "Low": "low",
    "Close": "close",
    "Adj Close": "adj_close",
    "Volume": "volume",
}


def parse_yahoo(path: Path) -> tuple[pl.DataFrame, list[QuarantineRecord]]:
    """Frame with ``row``, ``session`` and the numeric columns, plus rows rejected while parsing."""
    table = read_table(path, list(YAHOO_COLUMNS))
    numeric = [v for k, v in YAHOO_COLUMNS.items() if k != "Date"]
    frame, rejects = typed_frame(table, YAHOO_COLUMNS, date_column="Date", date_format="%Y-%m-%d", numeric=numeric)
    return frame, [*table.rejects, *rejects]
