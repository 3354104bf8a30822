"""COT files -> ``GC``/``SI`` batches, one per market, with the CFTC accounting identities checked.

The raw files interleave gold and silver newest first; each market is split out and put in time
order. Identities (open interest equals the sum of the long side, and of the short side; nets
equal long minus short) are row checks, so a row that breaks them is quarantined by name.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import reduce
from operator import add
from pathlib import Path

import polars as pl

from qgtm_core import DataError
from qgtm_data._batch import Adjustment, FeedBatch, Kind, RowCheck
from qgtm_data.adapters.cftc.parsing import CODES, LAYOUTS, parse_cot
from qgtm_data.adapters.cftc.publication import stamps

__all__ = ["CotProvider", "identity_checks"]


def _sum(columns: list[str]) -> pl.Expr:
    return reduce(add, [pl.col(c) for c in columns])


def identity_checks(columns: set[str]) -> tuple[RowCheck, ...]:
    """The accounting identities that the present columns allow."""
    checks: list[RowCheck] = []
    for net, long, short in (
        ("spec_net", "spec_long", "spec_short"),
        ("comm_net", "comm_long", "comm_short"),
        ("small_spec_net", "nonrept_long", "nonrept_short"),
        ("mm_net", "mm_long", "mm_short"),
        ("pm_net", "pm_long", "pm_short"),
        ("sd_net", "sd_long", "sd_short"),
        ("other_net", "other_long", "other_short"),
    ):
        if {net, long, short} <= columns:
            checks.append(RowCheck(net, f"{net} != {long} - {short}", pl.col(net) != pl.col(long) - pl.col(short)))
    if "spec_spread" in columns:
        for side in ("long", "short"):
            terms = [f"spec_{side}", "spec_spread", f"comm_{side}", f"nonrept_{side}"]
            checks.append(RowCheck("oi", f"open interest != {' + '.join(terms)}", pl.col("oi") != _sum(terms)))
    if "mm_spread" in columns:
        for side in ("long", "short"):
            terms = [
                f"pm_{side}",
                f"sd_{side}",
                "sd_spread",
                f"mm_{side}",
                "mm_spread",
                f"other_{side}",
                "other_spread",
                f"nonrept_{side}",
            ]
            checks.append(RowCheck("oi", f"open interest != {' + '.join(terms)}", pl.col("oi") != _sum(terms)))
    return tuple(checks)


@dataclass(frozen=True)
class CotProvider:
    """A COT file in one of ``LAYOUTS``; ``instrument`` is required for the single-market subsets."""

    path: Path
    layout: str
    instrument: str | None = None

    def load(self) -> list[FeedBatch]:
        """One batch per market present in the file."""
        layout = LAYOUTS[self.layout]
        frame, rejects = parse_cot(self.path, layout)
        values = tuple(v for k, v in layout.columns.items() if k != layout.date_column and v != "code")
        if "code" in frame.columns:
            unknown = frame.filter(~pl.col("code").is_in(list(CODES)))
            if unknown.height:
                row, code = unknown.select("row", "code").row(0)
                msg = f"{self.path}: row {row}: field 'CFTC Contract Market Code': unknown market {code!r}"
                raise DataError(msg)
            markets = [(CODES[c], frame.filter(pl.col("code") == c)) for c in sorted(frame["code"].unique())]
        elif self.instrument is None:
            msg = f"{self.path}: layout {self.layout!r} has no market code column; pass the instrument"
            raise DataError(msg)
        else:
            markets = [(self.instrument, frame)]
        batches = []
        for instrument, part in markets:
            ordered = stamps(part.sort("row", descending=bool(layout.code_column and layout.strip)))
            batches.append(
                FeedBatch(
                    source=str(self.path),
                    instrument=instrument,
                    feed=layout.feed,
                    kind=Kind.SERIES,
                    frame=ordered.select("row", "session", "as_of", "available_at", *values),
                    value_columns=values,
                    calendar="WEEKDAYS",
                    adjustment=Adjustment.NOT_PRICE,
                    checks=identity_checks(set(values)),
                    rejects=tuple(replace(r, instrument=instrument, feed=layout.feed) for r in rejects),
                )
            )
        return batches
