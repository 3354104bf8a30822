"""CFTC Commitments of Traders in five layouts: the raw legacy and disaggregated text files, the
Socrata legacy export, and two column-subset histories built from CFTC files.

Raw files quote their headers, right-align numbers with leading spaces and pad code columns
(``"CMX "``); cells are stripped. The Socrata export lost the contract code's leading zero
(``88691``); codes are zero-padded back to six digits. Derived columns a repository author
added (RSI, COT index, signal) are not CFTC data and are not read.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from qgtm_data._batch import QuarantineRecord
from qgtm_data.adapters._table import read_table, typed_frame

__all__ = ["CODES", "LAYOUTS", "Layout", "parse_cot"]

CODES = {"088691": "GC", "084691": "SI"}
"""CFTC contract market code -> instrument (COMEX gold, COMEX silver)."""


@dataclass(frozen=True)
class Layout:
    """How one COT file is laid out: its date column and format, and the columns read."""

    feed: str
    date_column: str
    date_format: str
    columns: dict[str, str]
    code_column: str | None = None
    subset: bool = False
    strip: bool = False


_SUBSET_LEGACY = {
    c: c
    for c in (
        "date",
        "spec_long",
        "spec_short",
        "comm_long",
        "comm_short",
        "nonrept_long",
        "nonrept_short",
        "spec_net",
        "comm_net",
        "small_spec_net",
    )
}
_SUBSET_DISAGG = {
    c: c
    for c in (
        "date",
        "oi",
        "mm_long",
        "mm_short",
        "pm_long",
        "pm_short",
        "sd_long",
        "sd_short",
        "other_long",
        "other_short",
        "mm_net",
        "pm_net",
        "sd_net",
        "other_net",
    )
}
_SOCRATA = {
    "report_date_as_yyyy_mm_dd": "date",
    "cftc_contract_market_code": "code",
    "open_interest_all": "oi",
    "noncomm_positions_long_all": "spec_long",
    "noncomm_positions_short_all": "spec_short",
    "comm_positions_long_all": "comm_long",
    "comm_positions_short_all": "comm_short",
    "nonrept_positions_long_all": "nonrept_long",
    "nonrept_positions_short_all": "nonrept_short",
}
_RAW_LEGACY = {
    "As of Date in Form YYYY-MM-DD": "date",
    "CFTC Contract Market Code": "code",
    "Open Interest (All)": "oi",
    "Noncommercial Positions-Long (All)": "spec_long",
    "Noncommercial Positions-Short (All)": "spec_short",
    "Noncommercial Positions-Spreading (All)": "spec_spread",
    "Commercial Positions-Long (All)": "comm_long",
    "Commercial Positions-Short (All)": "comm_short",
    "Nonreportable Positions-Long (All)": "nonrept_long",
    "Nonreportable Positions-Short (All)": "nonrept_short",
}
_RAW_DISAGG = {
    "Report_Date_as_YYYY-MM-DD": "date",
    "CFTC_Contract_Market_Code": "code",
    "Open_Interest_All": "oi",
    "Prod_Merc_Positions_Long_All": "pm_long",
    "Prod_Merc_Positions_Short_All": "pm_short",
    "Swap_Positions_Long_All": "sd_long",
    "Swap__Positions_Short_All": "sd_short",
    "Swap__Positions_Spread_All": "sd_spread",
    "M_Money_Positions_Long_All": "mm_long",
    "M_Money_Positions_Short_All": "mm_short",
    "M_Money_Positions_Spread_All": "mm_spread",
    "Other_Rept_Positions_Long_All": "other_long",
    "Other_Rept_Positions_Short_All": "other_short",
    "Other_Rept_Positions_Spread_All": "other_spread",
    "NonRept_Positions_Long_All": "nonrept_long",
    "NonRept_Positions_Short_All": "nonrept_short",
}

LAYOUTS = {
    "legacy_subset": Layout("cot_legacy_futonly", "date", "%Y-%m-%d", _SUBSET_LEGACY),
    "disagg_subset": Layout("cot_disagg_futopt", "date", "%Y-%m-%d", _SUBSET_DISAGG),
    "legacy_socrata": Layout(
        "cot_legacy_futonly_socrata", "report_date_as_yyyy_mm_dd", "%Y-%m-%d", _SOCRATA, "code", subset=True
    ),
    "legacy_raw": Layout(
        "cot_legacy_futonly_raw", "As of Date in Form YYYY-MM-DD", "%Y-%m-%d", _RAW_LEGACY, "code", True, True
    ),
    "disagg_raw": Layout(
        "cot_disagg_futonly_raw", "Report_Date_as_YYYY-MM-DD", "%Y-%m-%d", _RAW_DISAGG, "code", True, True
    ),
}
"""Layout name -> how to read it. The feed names keep futures-only and futures+options apart."""


def parse_cot(path: Path, layout: Layout) -> tuple[pl.DataFrame, list[QuarantineRecord]]:
    """Frame with ``row``, ``session``, a zero-padded ``code`` (if the layout has one), counts."""
    table = read_table(path, list(layout.columns), strip=layout.strip, subset=layout.subset)
    numeric = [v for k, v in layout.columns.items() if k != layout.date_column and v != "code"]
    frame, rejects = typed_frame(
        table, layout.columns, date_column=layout.date_column, date_format=layout.date_format, numeric=numeric
    )
    if layout.code_column is not None:
        index = table.header.index(next(k for k, v in layout.columns.items() if v == "code"))
        codes = {line: row[index].strip().zfill(6) for line, row in zip(table.lines, table.rows, strict=True)}
        frame = frame.with_columns(pl.col("row").replace_strict(codes, return_dtype=pl.String).alias("code"))
    return frame, [*table.rejects, *rejects]
