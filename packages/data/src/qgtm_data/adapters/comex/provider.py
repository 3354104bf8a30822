"""COMEX front-month batches: ``GC``/``SI`` ``front_openclose`` (series) and ``front_ohlcv`` (bars).

Continuous contracts roll with no back-adjustment: feeds carry ``Adjustment.NONE`` and the roll
gaps are real prices. The OHLCV file's last row is an intraday snapshot of a bar that had not
closed when the file was captured, so it is quarantined rather than stored as a final bar.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from qgtm_data._batch import Adjustment, FeedBatch, Kind, QuarantineRecord
from qgtm_data.adapters.comex.parsing import OHLCV_COLUMNS, OPENCLOSE_COLUMNS, parse_comex
from qgtm_data.adapters.comex.publication import stamps

__all__ = ["ComexProvider"]

_LIVE_SNAPSHOT = "intraday live snapshot: the bar had not closed when the file was captured"


@dataclass(frozen=True)
class ComexProvider:
    """``instrument`` is ``GC`` or ``SI``; ``layout`` is ``openclose`` or ``ohlcv``."""

    path: Path
    instrument: str
    layout: str
    delay: timedelta = timedelta(minutes=15)

    def load(self) -> list[FeedBatch]:
        """One batch for the file."""
        ohlcv = self.layout == "ohlcv"
        frame, rejects = parse_comex(self.path, OHLCV_COLUMNS if ohlcv else OPENCLOSE_COLUMNS)
        values: tuple[str, ...] = ("open", "high", "low", "close", "volume") if ohlcv else ("open", "close")
        frame = frame.select("row", "session", *stamps(self.delay), *values)
        if ohlcv and frame.height:
            last = frame.row(frame.height - 1, named=True)
            rejects.append(
                QuarantineRecord(str(self.path), int(last["row"]), "*", _LIVE_SNAPSHOT, str(last["session"]))
            )
            frame = frame.slice(0, frame.height - 1)
        prices = tuple(v for v in values if v != "volume")
        return [
            FeedBatch(
                source=str(self.path),
                instrument=self.instrument,
                feed="front_ohlcv" if ohlcv else "front_openclose",
                kind=Kind.BARS if ohlcv else Kind.SERIES,
                frame=frame,
                value_columns=values,
                price_columns=prices,
                jump_columns=("close",),
                calendar="WEEKDAYS",
                adjustment=Adjustment.NONE,
                rejects=tuple(
                    QuarantineRecord(r.source, r.row, r.field, r.reason, r.value, self.instrument, r.feed)
                    for r in rejects
                ),
                notes=("continuous front month, rolled without back-adjustment",),
            )
        ]
