"""DataHub ``core/gold-prices``: monthly (``YYYY-MM``) and annual (``YYYY``) USD averages.

Dates have no day; a monthly row is dated the first of its month and an annual row January 1.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from qgtm_data._batch import QuarantineRecord
from qgtm_data.adapters._table import read_table, typed_frame

__all__ = ["parse_datahub"]


def parse_datahub(path: Path, annual: bool) -> tuple[pl.DataFrame, list[QuarantineRecord]]:
    """Frame with ``row``, ``session`` (first day of the period) and ``value``."""
    table = read_table(path, ["Date", "Price"])
    for row in table.rows:
        row[0] = f"{row[0]}-01-01" if annual else f"{row[0]}-01"
    frame, rejects = typed_frame(
        table, {"Date": "date", "Price": "value"}, date_column="Date", date_format="%Y-%m-%d", numeric=["value"]
    )
    return frame, [*table.rejects, *rejects]
