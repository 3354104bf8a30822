"""Point-in-time observations and the snapshot that step 1 hands to the rest of the pipeline.

A snapshot holds, per instrument and per series, the history *as it was knowable* at ``at``:
every row has ``available_at <= at``. The pipeline re-checks this on every cycle
(``PitSnapshot.assert_no_leak``) so a buggy adapter can never leak the future into a strategy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import polars as pl

from qgtm_core.errors import LookAheadError
from qgtm_core.ids import InstrumentId
from qgtm_core.money import to_decimal

__all__ = ["Observation", "PitSnapshot"]


@dataclass(frozen=True, slots=True)
class Observation:
    """One value of one series: what it refers to (``as_of``), when it was knowable, which vintage."""

    series: str
    as_of: datetime
    available_at: datetime
    value: float
    vintage: int = 0


@dataclass(frozen=True)
class PitSnapshot:
    """Histories available at ``at``: bars per instrument and scalar series by name.

    Frames use ``BAR_COLUMNS`` / ``SERIES_COLUMNS`` and are sorted by ``available_at``.
    ``sources`` lists the content hashes of the stored shards read, for run provenance.
    """

    at: datetime
    bars: Mapping[InstrumentId, pl.DataFrame]
    series: Mapping[str, pl.DataFrame] = field(default_factory=dict)
    sources: tuple[str, ...] = ()

    def assert_no_leak(self) -> None:
        """Raise ``LookAheadError`` naming the first frame and row not yet available at ``at``."""
        frames: list[tuple[str, pl.DataFrame]] = [(f"bars:{k}", v) for k, v in self.bars.items()]
        frames += [(f"series:{k}", v) for k, v in self.series.items()]
        for name, frame in frames:
            if frame.height == 0:
                continue
            latest = frame.get_column("available_at").max()
            if isinstance(latest, datetime) and latest > self.at:
                leaking = frame.with_row_index("row").filter(pl.col("available_at") > self.at).row(0, named=True)
                msg = (
                    f"{name} row {leaking['row']} (as_of {leaking['as_of']}) is available at "
                    f"{leaking['available_at']}, after the clock {self.at}"
                )
                raise LookAheadError(msg)

    def last_close(self, instrument: InstrumentId) -> float | None:
        """The latest known close, or ``None`` if nothing is known yet."""
        frame = self.bars.get(instrument)
        if frame is None or frame.height == 0:
            return None
        value = frame.get_column("close")[-1]
        return float(value)

    def marks(self) -> dict[InstrumentId, Decimal]:
        """Latest close per instrument as Decimal, the prices used to value positions."""
        out: dict[InstrumentId, Decimal] = {}
        for instrument in self.bars:
            close = self.last_close(instrument)
            if close is not None:
                out[instrument] = to_decimal(close)
        return out

    def __canonical__(self) -> dict[str, object]:
        """A cheap, stable fingerprint for audit digests: sizes and last rows, not whole histories."""

        def tail(frame: pl.DataFrame) -> object:
            if frame.height == 0:
                return {"rows": 0}
            return {"rows": frame.height, "last": frame.row(frame.height - 1, named=True)}

        return {
            "at": self.at,
            "bars": {k: tail(v) for k, v in sorted(self.bars.items())},
            "series": {k: tail(v) for k, v in sorted(self.series.items())},
            "sources": list(self.sources),
        }
