"""Step 1 over the bundled real daily data: GLD, SLV, SPY bars and FRED series from CSV files.

Files are read once; a snapshot is a binary search per frame on ``available_at`` and a zero-copy
slice, so a replay of thousands of cycles costs microseconds per cycle.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from qgtm_core import DataError, InstrumentId, PitSnapshot
from qgtm_data._csv import read_fred_daily, read_yahoo_daily

__all__ = ["BUNDLED_BAR_FILES", "BUNDLED_SERIES_FILES", "BundledDailySource"]

BUNDLED_BAR_FILES: Mapping[str, str] = {
    "GLD": "etf/GLD_daily_yahoo_2004_2024.csv",
    "SLV": "etf/SLV_daily_yahoo_2006_2024.csv",
    "SPY": "equities/SPY_daily_yahoo_1993_2024.csv",
    "QQQ": "equities/QQQ_daily_yahoo_1999_2024.csv",
}
"""Instrument -> Yahoo daily file under the data directory."""

BUNDLED_SERIES_FILES: Mapping[str, str] = {
    "DFII10": "fred/DFII10.csv",
    "DGS10": "fred/DGS10.csv",
    "T10YIE": "fred/T10YIE.csv",
    "DTWEXBGS": "fred/DTWEXBGS.csv",
}
"""FRED series id -> file under the data directory."""


class _Indexed:
    """A frame sorted by ``available_at`` with its stamps as int64 microseconds for bisection."""

    __slots__ = ("frame", "stamps")

    def __init__(self, frame: pl.DataFrame) -> None:
        self.frame = frame.sort("available_at")
        self.stamps = self.frame.get_column("available_at").dt.epoch("us").to_numpy()

    def until(self, at: datetime) -> pl.DataFrame:
        end = int(np.searchsorted(self.stamps, int(at.timestamp() * 1_000_000), side="right"))
        return self.frame.slice(0, end)


class BundledDailySource:
    """Point-in-time source over the bundled CSVs (implements ``PointInTimeSource``)."""

    def __init__(
        self,
        data_dir: Path,
        instruments: Sequence[str],
        series: Sequence[str] = ("DFII10",),
        bar_delay: timedelta = timedelta(minutes=15),
    ) -> None:
        self._bars: dict[InstrumentId, _Indexed] = {}
        for symbol in instruments:
            relative = BUNDLED_BAR_FILES.get(symbol)
            if relative is None:
                msg = f"no bundled daily file for instrument {symbol!r} (have: {', '.join(BUNDLED_BAR_FILES)})"
                raise DataError(msg)
            self._bars[InstrumentId(symbol)] = _Indexed(read_yahoo_daily(data_dir / relative, bar_delay))
        self._series: dict[str, _Indexed] = {}
        for name in series:
            relative = BUNDLED_SERIES_FILES.get(name)
            if relative is None:
                msg = f"no bundled file for series {name!r} (have: {', '.join(BUNDLED_SERIES_FILES)})"
                raise DataError(msg)
            self._series[name] = _Indexed(read_fred_daily(data_dir / relative))

    def snapshot(self, at: datetime) -> PitSnapshot:
        """Histories available at ``at``."""
        return PitSnapshot(
            at=at,
            bars={k: v.until(at) for k, v in self._bars.items()},
            series={k: v.until(at) for k, v in self._series.items()},
        )

    def bars(self, instrument: InstrumentId) -> pl.DataFrame:
        """The whole bar history of one instrument (for the replay schedule and the venue)."""
        return self._bars[instrument].frame

    def common_sessions(self) -> list[datetime]:
        """``available_at`` times at which every instrument has a new bar, in order."""
        sets: Iterable[set[datetime]] = (set(f.frame.get_column("available_at").to_list()) for f in self._bars.values())
        common = set.intersection(*sets)
        return sorted(common)
