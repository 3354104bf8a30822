"""Alpaca market data (alpaca-py) against the loopback fake: REST bars and the live stream."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest

from qgtm_core import DataError
from qgtm_data import (
    ExchangeSessionMask,
    FeedBatch,
    FreshnessAlarm,
    FreshnessWatchdog,
    ValidationRules,
    Validator,
)
from qgtm_data.adapters.alpaca import AlpacaHistoricalBars, AlpacaLiveStream
from qgtm_data.adapters.alpaca.parsing import bars_frame, stamp
from qgtm_data.adapters.yahoo import YahooProvider
from qgtm_data.testing import FakeAlpacaDataApi, FakeAlpacaStream, stream_bar, stream_quote

from .conftest import DATA, NOW

KEY, SECRET = "PKTEST", "secret-test"


def _alpaca_bars_from_real_gld() -> list[dict[str, object]]:
    """The real GLD file as Alpaca would serve it: ``t`` at midnight New York time of the session."""
    (bars, _) = YahooProvider(DATA / "etf/GLD_daily_yahoo_2004_2024.csv", "GLD").load()
    frame = bars.frame.filter(pl.col("session") >= date(2023, 1, 1))
    out = []
    for row in frame.iter_rows(named=True):
        midnight = pl.select(
            pl.lit(row["session"])
            .cast(pl.Datetime("us"))
            .dt.replace_time_zone("America/New_York")
            .dt.convert_time_zone("UTC")
        ).item()
        out.append(
            {
                "t": midnight.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "o": row["open"],
                "h": row["high"],
                "l": row["low"],
                "c": row["close"],
                "v": row["volume"],
                "n": 1000,
                "vw": row["close"],
            }
        )
    return out


def test_alpaca_historical_bars_paginate_and_match_the_source() -> None:
    served = _alpaca_bars_from_real_gld()
    bad = dict(served[10], h=1.0)  # high below low: must be quarantined, not stored
    served[10] = bad
    with FakeAlpacaDataApi({"GLD": served}, KEY, SECRET, page_size=100) as api:
        (batch,) = AlpacaHistoricalBars(
            KEY,
            SECRET,
            ["GLD"],
            datetime(2023, 1, 1, tzinfo=UTC),
            datetime(2024, 2, 1, tzinfo=UTC),
            url_override=api.url,
        ).load()
        assert len(api.requests) == 3  # 255 bars at 100 a page
        assert api.requests[0]["adjustment"] == "raw"
    result = Validator(ValidationRules(), lambda: NOW).validate(batch)
    assert result.clean.height == len(served) - 1
    (reject,) = {r.row for r in result.rejects}
    assert reject == 11
    first = result.clean.row(0, named=True)
    assert first["session"] == date(2023, 1, 3)
    assert first["as_of"] == datetime(2023, 1, 3, 21, 0, tzinfo=UTC)  # 16:00 EST close
    assert first["available_at"] == datetime(2023, 1, 3, 21, 15, tzinfo=UTC)


def test_alpaca_wrong_keys_and_bad_timeframe_are_errors() -> None:
    with FakeAlpacaDataApi({}, KEY, SECRET) as api:
        source = AlpacaHistoricalBars(
            KEY,
            "wrong",
            ["GLD"],
            datetime(2024, 1, 1, tzinfo=UTC),
            datetime(2024, 1, 2, tzinfo=UTC),
            url_override=api.url,
        )
        with pytest.raises(Exception, match="forbidden"):
            source.load()
    with pytest.raises(DataError, match="unsupported timeframe '2Day'"):
        AlpacaHistoricalBars(KEY, SECRET, ["GLD"], NOW, NOW, timeframe="2Day").load()


def test_alpaca_live_stream_bars_and_quotes_reach_the_wall() -> None:
    start = datetime(2026, 11, 23, 15, 30, tzinfo=UTC)
    script = [
        stream_bar("GLD", start, 380.0, 380.5, 379.8, 380.2, 1200),
        stream_quote("GLD", start + timedelta(seconds=61), 380.20, 380.22, 3, 4),
        stream_quote("GLD", start + timedelta(seconds=62), 380.25, 380.25, 1, 1),  # locked
        stream_quote("SLV", start, 30.0, 30.01, 1, 1),  # not subscribed: never sent
        stream_bar("GLD", start + timedelta(minutes=1), 380.2, 380.3, 380.1, 380.25, 900),
    ]
    received: list[FeedBatch] = []
    alarms: list[FreshnessAlarm] = []
    done = threading.Event()
    clock = start + timedelta(minutes=3)

    def on_batch(batch: FeedBatch) -> None:
        received.append(batch)
        if len(received) == 4:
            done.set()

    with FakeAlpacaStream(KEY, SECRET, script) as fake:
        windows = {"GLD.bars": timedelta(minutes=2), "GLD.quotes": timedelta(seconds=30)}
        watchdog = FreshnessWatchdog(windows, ExchangeSessionMask("XNYS"), alarms.append, start)
        stream = AlpacaLiveStream(
            KEY, SECRET, ["GLD"], on_batch, clock=lambda: clock, url_override=fake.url, watchdog=watchdog
        )
        stream.start()
        assert done.wait(timeout=20), received
        stream.stop()
        auth, subscribe = fake.received
    assert auth == {"action": "auth", "key": KEY, "secret": SECRET}
    assert subscribe["bars"] == ["GLD"]
    assert subscribe["quotes"] == ["GLD"]
    validator = Validator(ValidationRules(), lambda: clock)
    results = [validator.validate(b) for b in received]
    assert [b.feed for b in received] == ["alpaca_1min", "alpaca_quotes", "alpaca_quotes", "alpaca_1min"]
    bar = results[0].clean.row(0, named=True)
    assert (bar["instrument"], bar["close"], bar["as_of"], bar["available_at"]) == (
        "GLD",
        380.2,
        start + timedelta(minutes=1),
        clock,
    )
    assert results[1].rejects == ()
    assert [r.reason for r in results[2].rejects] == ["crossed or locked quote (ask <= bid)"]
    assert watchdog.check(clock + timedelta(seconds=20)) == []
    assert [a.feed for a in watchdog.check(clock + timedelta(seconds=31))] == ["GLD.quotes"]
    assert alarms[0].last_seen == clock


def test_alpaca_payload_stamps_and_malformed_messages() -> None:
    assert stamp("2024-01-02T05:00:00Z", "s", 1) == datetime(2024, 1, 2, 5, tzinfo=UTC)
    assert stamp(datetime(2024, 1, 2, 5, tzinfo=UTC), "s", 1) == datetime(2024, 1, 2, 5, tzinfo=UTC)
    with pytest.raises(DataError, match="row 3: field 't': timestamp without a zone"):
        stamp("2024-01-02T05:00:00", "s", 3)
    with pytest.raises(DataError, match="row 4: field 't': not a timestamp: 17"):
        stamp(17, "s", 4)
    frame, rejects = bars_frame(
        [{"t": "2024-01-02T05:00:00Z", "o": 1, "h": 2, "l": 1, "c": "x", "v": 5}, {"o": 1}], "s"
    )
    assert frame.get_column("close").to_list() == [None]
    assert [(r.row, r.field, r.reason) for r in rejects] == [
        (2, "t", "malformed message: missing key(s) t, h, l, c, v")
    ]


def test_alpaca_handler_errors_alarm_instead_of_vanishing_in_the_sdk_log() -> None:
    start = datetime(2026, 11, 23, 15, 30, tzinfo=UTC)
    script = [stream_quote("GLD", start, 380.20, 380.22, 3, 4)]
    alarms: list[FreshnessAlarm] = []
    alarmed = threading.Event()

    def on_alarm(alarm: FreshnessAlarm) -> None:
        alarms.append(alarm)
        alarmed.set()

    def on_batch(batch: FeedBatch) -> None:
        msg = f"{batch.source}: downstream store refused the row"
        raise DataError(msg)

    windows = {"GLD.bars": timedelta(minutes=2), "GLD.quotes": timedelta(seconds=30)}
    watchdog = FreshnessWatchdog(windows, ExchangeSessionMask("XNYS"), on_alarm, start)
    with FakeAlpacaStream(KEY, SECRET, script) as fake:
        stream = AlpacaLiveStream(
            KEY, SECRET, ["GLD"], on_batch, lambda: start, url_override=fake.url, watchdog=watchdog
        )
        stream.start()
        assert alarmed.wait(timeout=20)
        stream.stop()
    assert alarms[0].feed == "GLD.quotes"
    assert alarms[0].reason.endswith("downstream store refused the row")
    assert isinstance(stream.errors[0], DataError)
