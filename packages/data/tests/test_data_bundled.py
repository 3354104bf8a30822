"""The app's existing ``BundledDailySource`` and CSV readers keep their behaviour."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from qgtm_core import DataError, InstrumentId
from qgtm_data import BundledDailySource, next_business_morning, read_fred_daily, read_yahoo_daily

from .conftest import DATA


def test_snapshot_bars_and_common_sessions() -> None:
    source = BundledDailySource(DATA, ["GLD", "SLV"], series=("DFII10", "DGS10"))
    sessions = source.common_sessions()
    assert sessions[0] == datetime(2006, 4, 28, 20, 15, tzinfo=UTC)  # SLV's first bar, published 16:15 EDT
    at = sessions[100]
    snap = source.snapshot(at)
    snap.assert_no_leak()
    assert snap.bars[InstrumentId("GLD")].get_column("available_at")[-1] == at
    just_before = source.snapshot(at - timedelta(microseconds=1))
    assert just_before.bars[InstrumentId("GLD")].height == snap.bars[InstrumentId("GLD")].height - 1
    assert source.bars(InstrumentId("SLV")).height == 4452
    assert snap.series["DGS10"].get_column("value").null_count() == 0  # blank FRED holidays skipped


def test_unknown_instrument_or_series_and_bad_files_raise(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no bundled daily file for instrument 'XYZ'"):
        BundledDailySource(DATA, ["XYZ"])
    with pytest.raises(DataError, match="no bundled file for series 'NOPE'"):
        BundledDailySource(DATA, ["GLD"], series=("NOPE",))
    bad = tmp_path / "bad.csv"
    header = "Date,Open,High,Low,Close,Adj Close,Volume\n"
    cases = {
        "Date,Close\n": "expected Yahoo header",
        header + "2024-01-02,1,2,0.5,1.5,1.5\n": "expected 7 fields",
        header + "2024-01-02,1,2,0.5,x,1.5,10\n": "field 'Close': not a number",
        header + "2024-01-02,1,2,0.5,nan,1.5,10\n": "not a finite number",
        header + "2024-01-02,1,2,-0.5,1.5,1.5,10\n": "non-positive price",
        header + "2024-01-02,3,2,0.5,1.5,1.5,10\n": "outside the low-high range",
        header + "2024-01-03,1,2,0.5,1.5,1.5,10\n2024-01-02,1,2,0.5,1.5,1.5,10\n": "is not after",
        header + "2024-13-02,1,2,0.5,1.5,1.5,10\n": "not a date",
    }
    for text, message in cases.items():
        bad.write_text(text)
        with pytest.raises(DataError, match=message):
            read_yahoo_daily(bad, timedelta(minutes=15))
    with pytest.raises(DataError, match="data file not found"):
        read_yahoo_daily(tmp_path / "none.csv", timedelta(0))
    for text, message in {"x\n": "expected FRED header", "date,A\n2024-01-02\n": "expected 2 fields"}.items():
        bad.write_text(text)
        with pytest.raises(DataError, match=message):
            read_fred_daily(bad)


def test_next_business_morning_skips_weekends() -> None:
    friday = datetime(2024, 1, 5, tzinfo=UTC).date()
    assert next_business_morning(friday).date().isoformat() == "2024-01-08"
