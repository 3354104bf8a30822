"""Yahoo ``GC=F``/``SI=F`` continuous front-month files in two layouts.

The open/close layout stores float32 artefacts (``518.5999755859375``); values are rounded back
to the shortest decimal that round-trips through float32 (``518.6``), which is what was printed.
The OHLCV layout puts ``close`` first; columns are matched by name, never by position.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from qgtm_data._batch import QuarantineRecord
from qgtm_data.adapters._table import read_table, typed_frame

__all__ = ["OHLCV_COLUMNS", "OPENCLOSE_COLUMNS", "parse_comex", "undo_float32"]

OPENCLOSE_COLUMNS = {"date": "date", "open": "open", "close": "close"}
OHLCV_COLUMNS = {"close": "close", "date": "date", "high": "high", "low": "low", "open": "open", "volume": "volume"}


def undo_float32(values: pl.Series) -> pl.Series:
    """Shortest decimal repr of each value's float32 (the number the vendor actually had)."""
    as32 = values.to_numpy().astype(np.float32)
    text = np.array([np.format_float_positional(v, unique=True, trim="-") for v in as32])
    return pl.Series(values.name, text.astype(np.float64), dtype=pl.Float64)


def parse_comex(path: Path, columns: dict[str, str]) -> tuple[pl.DataFrame, list[QuarantineRecord]]:
    """Frame (prices float32-cleaned) and the rows rejected while parsing."""
    table = read_table(path, list(columns))
    prices = [c for c in ("open", "high", "low", "close") if c in columns.values()]
    numeric = [*prices, *(["volume"] if "volume" in columns.values() else [])]
    frame, rejects = typed_frame(table, columns, date_column="date", date_format="%Y-%m-%d", numeric=numeric)
    cleaned = frame.with_columns(
        pl.when(pl.col(c).is_null()).then(None).otherwise(undo_float32(frame.get_column(c).fill_null(0.0))).alias(c)
        for c in prices
    )
    return cleaned, [*table.rejects, *rejects]
