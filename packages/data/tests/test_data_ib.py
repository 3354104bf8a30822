"""Interactive Brokers adapter against a fake client replaying a recorded session."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from ib_async import Future

from qgtm_core import DataError
from qgtm_data import (
    CME_MAINTENANCE,
    CaptureWriter,
    ExchangeSessionMask,
    FeedBatch,
    FreshnessAlarm,
    FreshnessWatchdog,
    ValidationRules,
    Validator,
    read_capture,
)
from qgtm_data.adapters.ib import IbHistoricalBars, IbLiveFeed
from qgtm_data.testing import RECORDINGS, FakeIB, ReplayClock

START = datetime(2026, 11, 23, 14, 30, tzinfo=UTC)
GC = Future("GC", "202612", "COMEX")


def test_historical_minute_and_daily_bars() -> None:
    ib = FakeIB(RECORDINGS / "ib_gc_session.json", ReplayClock(START))
    (minutes,) = IbHistoricalBars(ib, GC, "GC", bar_size="1 min").load()
    (daily,) = IbHistoricalBars(ib, GC, "GC", duration="2 D", bar_size="1 day").load()
    assert ib.requests[0] == "historical GC 1 D 1 min TRADES fmt=2"
    validator = Validator(ValidationRules(), lambda: START + timedelta(hours=1))
    clean = validator.validate(minutes).clean
    assert clean.height == 3
    first = clean.row(0, named=True)
    assert first["as_of"] == datetime(2026, 11, 23, 14, 28, tzinfo=UTC)  # 14:27 bar ends at 14:28
    assert first["available_at"] == datetime(2026, 11, 23, 14, 28, 2, tzinfo=UTC)
    day = validator.validate(daily).clean.row(0, named=True)
    assert day["session"] == date(2026, 11, 19)
    assert day["as_of"] == datetime(2026, 11, 19, 22, 0, tzinfo=UTC)  # 17:00 ET
    with pytest.raises(DataError, match="unsupported bar size '3 mins'"):
        IbHistoricalBars(ib, GC, "GC", bar_size="3 mins").load()


def test_live_replay_validates_captures_and_surfaces_depth_problems_within_seconds(tmp_path: Path) -> None:
    clock = ReplayClock(START)
    ib = FakeIB(RECORDINGS / "ib_gc_session.json", clock)
    alarms: list[FreshnessAlarm] = []
    windows = {"GC.bars": timedelta(seconds=60), "GC.quotes": timedelta(seconds=60), "GC.depth": timedelta(seconds=5)}
    watchdog = FreshnessWatchdog(windows, ExchangeSessionMask("CMES", (CME_MAINTENANCE,)), alarms.append, START)
    batches: list[FeedBatch] = []
    capture = CaptureWriter(tmp_path / "GC.mbp10.jsonl")
    feed = IbLiveFeed(ib, GC, "GC", batches.append, clock, watchdog, capture)
    feed.start()
    assert ib.requests == ["realtime GC 5 TRADES", "mktdata GC", "depth GC 10"]
    ib.replay(after_each=watchdog.check)
    capture.close()

    validator = Validator(ValidationRules(), clock)
    results = [validator.validate(b) for b in batches]
    assert [b.feed for b in batches] == ["ib_quotes", "ib_5secs", "ib_quotes", "ib_5secs"]
    assert results[0].rejects == ()
    assert [r.reason for r in results[2].rejects] == ["crossed or locked quote (ask <= bid)"]
    bar = results[1].clean.row(0, named=True)
    assert bar["as_of"] == datetime(2026, 11, 23, 14, 30, 5, tzinfo=UTC)
    assert bar["available_at"] == datetime(2026, 11, 23, 14, 30, 5, 50000, tzinfo=UTC)

    books, torn = read_capture(tmp_path / "GC.mbp10.jsonl")
    assert torn == []
    assert len(books) == 3
    assert books[0]["bids"][0] == [2000.1, 2.0]
    assert len(books[2]["asks"]) == 10

    # the depth feed went quiet after 14:30:10.1: alarmed at the 14:30:16 check (5.9 s), then the
    # RESET error alarms at once; the status message 2104 is not an error
    stale, reset = alarms
    assert (stale.feed, stale.at) == ("GC.depth", datetime(2026, 11, 23, 14, 30, 16, tzinfo=UTC))
    assert stale.silent_for < timedelta(seconds=6)
    assert (reset.feed, reset.at) == ("GC.depth", datetime(2026, 11, 23, 14, 30, 18, tzinfo=UTC))
    assert reset.reason.startswith("feed error: IB error 317: Market depth data has been RESET")
    assert [(e.feed, e.code) for e in feed.errors] == [("GC.depth", 317)]
    assert watchdog.healthy("GC.bars")
    assert not watchdog.healthy("GC.depth")


def test_bar_and_market_data_errors_are_attributed() -> None:
    clock = ReplayClock(START)
    ib = FakeIB(RECORDINGS / "ib_gc_session.json", clock)
    alarms: list[FreshnessAlarm] = []
    windows = {"GC.bars": timedelta(seconds=60), "GC.quotes": timedelta(seconds=60), "GC.depth": timedelta(seconds=5)}
    watchdog = FreshnessWatchdog(windows, ExchangeSessionMask("CMES"), alarms.append, START)
    feed = IbLiveFeed(ib, GC, "GC", lambda _: None, clock, watchdog)
    feed.start()
    ib.errorEvent.emit(7, 162, "Historical Market Data Service error message", None)
    ib.errorEvent.emit(9, 354, "Requested market data is not subscribed.", None)
    assert [(a.feed, a.reason) for a in alarms] == [
        ("GC.bars", "feed error: IB error 162: Historical Market Data Service error message"),
        ("GC.quotes", "feed error: IB error 354: Requested market data is not subscribed."),
    ]
