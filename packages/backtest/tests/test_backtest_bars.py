"""The bar event loop: fill timing, look-ahead refusal, equity bookkeeping, feed validation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
import pytest

from qgtm_backtest import (
    BarContext,
    BarFeed,
    FillTiming,
    MaKind,
    MovingAverageCross,
    ReplayClock,
    SimulatedVenue,
    from_ns,
    run_bars,
    to_ns,
)
from qgtm_core import ConfigError, DataError, InstrumentId, LookAheadError, Side

START = datetime(2004, 1, 1, tzinfo=UTC)


def run(feed: BarFeed, strategy: object, timing: FillTiming = FillTiming.NEXT_BAR, *, record: bool = False):  # type: ignore[no-untyped-def]
    clock = ReplayClock(START)
    venue = SimulatedVenue(Decimal(100_000), clock)
    return run_bars(feed, strategy, venue, clock, timing=timing, record_equity=record)  # type: ignore[arg-type]


class Peeker:
    """Tries to trade on tomorrow's close: must be stopped, not rewarded."""

    def on_bar(self, ctx: BarContext) -> None:
        if ctx.index >= 1 and ctx.value("close", ctx.index + 1) > ctx.close:
            ctx.submit(Side.BUY, Decimal(1))


def test_reading_tomorrows_bar_is_a_look_ahead_error(gld_feed: BarFeed) -> None:
    with pytest.raises(LookAheadError, match=r"GLD: bar 2 close requested on bar 1"):
        run(gld_feed, Peeker())


class History:
    def __init__(self) -> None:
        self.seen: list[float] = []

    def on_bar(self, ctx: BarContext) -> None:
        window = ctx.history("close", 3)
        assert window[-1] == ctx.close
        assert ctx.value("close", ctx.index) == ctx.close
        with pytest.raises(ValueError, match="read-only"):
            window[0] = 0.0
        self.seen.append(float(window.sum()))


def test_history_is_bounded_by_the_current_bar(gld_feed: BarFeed) -> None:
    probe = History()
    result = run(gld_feed, probe)
    assert result.bars == len(gld_feed) == len(probe.seen)
    closes = gld_feed.close
    assert probe.seen[0] == closes[0]
    assert probe.seen[10] == pytest.approx(closes[8:11].sum())


def test_next_bar_fills_at_open_same_close_fills_at_close(gld_feed: BarFeed) -> None:
    next_bar = run(gld_feed, MovingAverageCross(10, 30, Decimal(100)))
    same_close = run(gld_feed, MovingAverageCross(10, 30, Decimal(100)), FillTiming.SAME_CLOSE)
    assert len(next_bar.fills) == len(same_close.fills) > 20
    closes = {
        to_ns(datetime.combine(from_ns(int(t)).date(), datetime.min.time(), UTC)): c
        for t, c in zip(gld_feed.close_ns, gld_feed.close, strict=True)
    }
    opens = {
        to_ns(datetime.combine(from_ns(int(t)).date(), datetime.min.time(), UTC)): o
        for t, o in zip(gld_feed.close_ns, gld_feed.open, strict=True)
    }
    for a, b in zip(next_bar.fills, same_close.fills, strict=True):
        day = lambda f: to_ns(datetime.combine(f.at.date(), datetime.min.time(), UTC))  # noqa: E731
        assert float(a.price) == opens[day(a)]
        assert float(b.price) == closes[day(b)]
        assert a.at > b.at


def test_equity_curve_ends_at_final_equity(gld_feed: BarFeed) -> None:
    result = run(gld_feed, MovingAverageCross(20, 50, Decimal(100), MaKind.EMA), record=True)
    assert result.equity is not None
    assert result.equity.size == len(gld_feed)
    assert result.equity[-1] == pytest.approx(float(result.final_equity), abs=1e-6)
    frame = result.fills_frame()
    assert frame.height == len(result.fills)
    assert frame.get_column("side").to_list()[:2] == ["buy", "sell"]


def test_bad_feeds_and_strategy_params_are_named() -> None:
    ns = np.asarray([2, 1], dtype=np.int64)
    ones = np.ones(2)
    with pytest.raises(DataError, match="row 1 close time is not after"):
        BarFeed(InstrumentId("X"), ns, ones, ones, ones, ones, ones)
    with pytest.raises(DataError, match="column high has 1 rows"):
        BarFeed(InstrumentId("X"), np.asarray([1, 2]), ones, np.ones(1), ones, ones, ones)
    with pytest.raises(ConfigError, match=r"strategy\.fast"):
        MovingAverageCross(50, 20, Decimal(1))


def test_replay_clock_is_monotonic() -> None:
    clock = ReplayClock(START)
    clock.advance_to(START + timedelta(days=1))
    assert clock.now() == START + timedelta(days=1)
    assert clock.ns == to_ns(START + timedelta(days=1))
    with pytest.raises(ValueError, match="cannot go back"):
        clock.advance_to(START)
    with pytest.raises(ValueError, match="timezone-aware"):
        to_ns(datetime(2020, 1, 1))
