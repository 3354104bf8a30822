"""Live-feed pieces: freshness watchdog with CME masking, durable capture, Sierra poller."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest

from qgtm_core import DataError
from qgtm_data import (
    CME_MAINTENANCE,
    CaptureWriter,
    DepthLevel,
    ExchangeSessionMask,
    FreshnessAlarm,
    FreshnessWatchdog,
    MaintenanceWindow,
    Mbp10,
    ValidationRules,
    Validator,
    read_capture,
)
from qgtm_data.adapters.sierra import SierraCsvPoller

from .conftest import NOW

LATER = datetime(2026, 11, 24, tzinfo=UTC)

# Monday 2026-11-23: CME Globex open except the 17:00-18:00 ET (22:00-23:00 UTC) halt
MONDAY_NOON_ET = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)


def _watchdog(alarms: list[FreshnessAlarm], start: datetime) -> FreshnessWatchdog:
    mask = ExchangeSessionMask("CMES", (CME_MAINTENANCE,))
    windows = {"GC.bars": timedelta(seconds=60), "GC.depth": timedelta(seconds=5)}
    return FreshnessWatchdog(windows, mask, alarms.append, started_at=start)


def test_silence_during_open_session_alarms_once_and_recovers() -> None:
    alarms: list[FreshnessAlarm] = []
    dog = _watchdog(alarms, MONDAY_NOON_ET)
    dog.observe("GC.bars", MONDAY_NOON_ET)
    dog.observe("GC.depth", MONDAY_NOON_ET)
    assert dog.check(MONDAY_NOON_ET + timedelta(seconds=4)) == []
    # a stalled depth feed surfaces within seconds; bars are still inside their window
    raised = dog.check(MONDAY_NOON_ET + timedelta(seconds=6))
    assert [a.feed for a in raised] == ["GC.depth"]
    assert raised[0].silent_for == timedelta(seconds=6)
    assert not dog.healthy("GC.depth")
    assert dog.check(MONDAY_NOON_ET + timedelta(seconds=7)) == []  # one alarm per episode
    later = dog.check(MONDAY_NOON_ET + timedelta(seconds=61))
    assert [a.feed for a in later] == ["GC.bars"]
    dog.observe("GC.depth", MONDAY_NOON_ET + timedelta(seconds=62))
    assert dog.healthy("GC.depth")
    assert alarms == [*raised, *later]


def test_cme_maintenance_window_and_weekend_are_masked() -> None:
    alarms: list[FreshnessAlarm] = []
    before_halt = datetime(2026, 11, 23, 21, 59, tzinfo=UTC)  # 16:59 ET
    dog = _watchdog(alarms, before_halt)
    dog.observe("GC.bars", before_halt)
    dog.observe("GC.depth", before_halt)
    for minute in range(1, 61, 5):  # the whole 17:00-18:00 ET halt passes in silence
        assert dog.check(before_halt + timedelta(minutes=minute)) == []
    reopened = datetime(2026, 11, 23, 23, 0, tzinfo=UTC)  # 18:00 ET
    assert dog.check(reopened) == []
    assert dog.check(reopened + timedelta(seconds=4)) == []  # silence counts from the reopen
    assert [a.feed for a in dog.check(reopened + timedelta(seconds=6))] == ["GC.depth"]
    saturday = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)
    weekend = _watchdog(alarms, saturday)
    assert weekend.check(saturday + timedelta(hours=5)) == []


def test_adapter_errors_alarm_immediately_and_unknown_feeds_raise() -> None:
    alarms: list[FreshnessAlarm] = []
    dog = _watchdog(alarms, MONDAY_NOON_ET)
    alarm = dog.fail(
        "GC.depth", MONDAY_NOON_ET + timedelta(milliseconds=10), "depth subscription rejected (code 10092)"
    )
    assert alarms == [alarm]
    assert alarm.reason == "feed error: depth subscription rejected (code 10092)"
    with pytest.raises(DataError, match=r"no window for feed 'ES\.bars'"):
        dog.observe("ES.bars", MONDAY_NOON_ET)
    mask = ExchangeSessionMask("CMES", (MaintenanceWindow(time(9, 0), time(9, 30), "America/New_York"),))
    assert mask.is_masked(datetime(2026, 11, 23, 14, 10, tzinfo=UTC))
    with pytest.raises(DataError, match="naive"):
        mask.is_masked(datetime(2026, 11, 23, 14, 10))
    with pytest.raises(DataError, match=r"outside the CMES calendar's range"):
        mask.is_masked(datetime(1990, 1, 2, tzinfo=UTC))


def _book(i: int) -> Mbp10:
    bids = [DepthLevel(2000.0 - 0.1 * k, 1 + k) for k in range(10)]
    asks = [DepthLevel(2000.1 + 0.1 * k, 1 + k) for k in range(10)]
    stamp = NOW + timedelta(milliseconds=i)
    return Mbp10("GC", stamp, stamp + timedelta(microseconds=50), bids, asks)


def test_capture_survives_a_restart_and_reports_a_torn_line(tmp_path: Path) -> None:
    path = tmp_path / "capture" / "GC.jsonl"
    writer = CaptureWriter(path)
    for i in range(3):
        writer.append(_book(i))
    writer.append({"type": "tick", "instrument": "GC", "price": 2000.1, "size": 2})
    # simulate a crash mid-write: the process dies after a partial line reached the file
    with path.open("ab") as handle:
        handle.write(b'{"type":"mbp10","instr')
    writer.close()
    with CaptureWriter(path, durable=False) as restarted:
        restarted.append(_book(9))
    records, rejects = read_capture(path)
    assert [r["type"] for r in records] == ["mbp10", "mbp10", "mbp10", "tick"]
    assert records[0]["bids"][0] == [2000.0, 1]
    assert len(records[0]["asks"]) == 10
    (torn,) = rejects
    assert (torn.row, torn.reason) == (5, "not valid JSON")  # the restart appended after the torn bytes


def test_capture_rejects_bad_books(tmp_path: Path) -> None:
    with CaptureWriter(tmp_path / "c.jsonl") as writer:
        good = _book(0)
        with pytest.raises(DataError, match="asks has 11 levels"):
            writer.append(Mbp10("GC", good.ts_event, good.ts_recv, good.bids, [*good.asks, DepthLevel(2002.0, 1)]))
        with pytest.raises(DataError, match="not a positive finite price"):
            writer.append(Mbp10("GC", good.ts_event, good.ts_recv, [DepthLevel(float("nan"), 1)], []))
        with pytest.raises(DataError, match="tz-aware"):
            writer.append(Mbp10("GC", datetime(2026, 1, 1), good.ts_recv, [], []))
    (tmp_path / "d.jsonl").write_text('{"a": 1}\n[1, 2]\n{"b"')
    records, rejects = read_capture(tmp_path / "d.jsonl")
    assert records == [{"a": 1}]
    assert [(r.row, r.reason) for r in rejects] == [(2, "not a JSON object"), (3, "torn line (write cut by a crash)")]


TICKS_HEADER = "Date, Time, Open, High, Low, Last, Volume, NumberOfTrades, BidVolume, AskVolume\n"


def test_sierra_poller_reads_only_complete_appended_lines(tmp_path: Path) -> None:
    path = tmp_path / "GCZ26.csv"
    polled = [datetime(2026, 11, 23, 15, 0, 1, tzinfo=UTC)]
    poller = SierraCsvPoller(path, "GC", "ticks", now=lambda: polled[0])
    path.write_text(
        TICKS_HEADER
        + "2026/11/23, 09:59:59.5, 2001.1, 2001.1, 2001.1, 2001.1, 2, 1, 0, 2\n2026/11/23, 09:59:59.5, 2001"
    )
    first = poller.poll()
    assert first is not None
    assert first.frame.height == 1
    assert first.frame.row(0, named=True)["as_of"] == datetime(2026, 11, 23, 14, 59, 59, 500000, tzinfo=UTC)
    assert poller.poll() is None  # the partial line waits for its newline
    with path.open("a") as handle:
        handle.write(
            ".1, 2001.1, 2001.1, 2001.1, 1, 1, 1, 0\n2026/11/23, 10:00:00, 2001.2, 2001.2, 2001.2, x, 1, 1, 1, 0\n"
        )
    polled[0] = datetime(2026, 11, 23, 15, 0, 2, tzinfo=UTC)
    (second,) = poller.load()
    result = Validator(ValidationRules(), lambda: LATER).validate(second)
    assert result.clean.get_column("row").to_list() == [3]  # same stamp as row 2: a second trade, kept
    assert result.clean.row(0, named=True)["available_at"] == polled[0]
    assert [(r.row, r.field, r.reason) for r in result.rejects] == [(4, "Last", "not a number")]
    path.write_text(TICKS_HEADER)
    with pytest.raises(DataError, match="file shrank"):
        poller.poll()


def test_sierra_depth_levels_and_layout_errors(tmp_path: Path) -> None:
    path = tmp_path / "depth.csv"
    path.write_text(
        "Date, Time, Side, Level, Price, Quantity\n"
        "2026/11/23, 10:00:00, Bid, 1, 2000.0, 5\n"
        "2026/11/23, 10:00:00, Ask, 1, 2000.1, 3\n"
        "2026/11/23, 10:00:00, Ask, 11, 2001.1, 3\n"
        "2026/11/23, 10:00:00, Mid, 2, 2000.2, 3\n"
        "2026/11/23, 10:00:00, Ask, 1, 2000.1, 4\n"
        "2026/11/23, 25:00:00, Ask, 2, 2000.2, 4\n"
        "2026/11/23, 10:00:01, Ask\n"
    )
    (batch,) = SierraCsvPoller(path, "GC", "depth", now=lambda: LATER).load()
    result = Validator(ValidationRules(), lambda: LATER).validate(batch)
    assert result.clean.get_column("row").to_list() == [2, 3]
    reasons = sorted((r.row, r.reason) for r in result.rejects)
    assert reasons == [
        (4, "level outside 1..10"),
        (5, "side is not bid or ask"),
        (6, "duplicate timestamp"),
        (7, "not a Sierra date/time"),
        (8, "truncated or malformed row: expected 6 fields, got 3"),
    ]
    bad = tmp_path / "bad.csv"
    bad.write_text("Date, Time, Price\n")
    with pytest.raises(DataError, match="wrong column layout"):
        SierraCsvPoller(bad, "GC", "depth", now=lambda: NOW).poll()
    with pytest.raises(DataError, match="unknown Sierra export kind"):
        SierraCsvPoller(bad, "GC", "book", now=lambda: NOW)
    with pytest.raises(DataError, match="not found"):
        SierraCsvPoller(tmp_path / "none.csv", "GC", "ticks", now=lambda: NOW).poll()
    empty = tmp_path / "empty.csv"
    empty.write_text(TICKS_HEADER)
    assert SierraCsvPoller(empty, "GC", "ticks", now=lambda: NOW).load() == []
    assert os.path.getsize(empty) > 0
    assert json.dumps([]) == "[]"
