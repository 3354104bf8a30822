"""A bar-by-bar event loop around the simulated venue, for single-instrument research and speed.

The full ten-step ``Pipeline`` is what backtests of the trading system run (``run_backtest``).
This loop is for the questions a researcher asks before a strategy becomes a pipeline step
(does an EMA cross on one-minute GLD bars make money after costs?), and it is what the speed
benchmark compares with NautilusTrader and backtrader: the same venue, fill models and
commission schedules, but a strategy callback per bar instead of ten steps per cycle.

The strategy sees a ``BarContext``: the current bar, its own history up to and including it,
and order entry. Asking for a bar after the current one raises ``LookAheadError``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

import numpy as np
import numpy.typing as npt
import polars as pl

from qgtm_backtest._clock import ReplayClock, from_ns
from qgtm_backtest._venue import SimulatedVenue
from qgtm_core import (
    ZERO,
    Bar,
    ClientOrderId,
    DataError,
    Fill,
    InstrumentId,
    LookAheadError,
    Order,
    OrderIntent,
    OrderType,
    Side,
    TimeInForce,
    correlation_id_for,
)

__all__ = ["BarContext", "BarFeed", "BarRunResult", "BarStrategy", "FillTiming", "run_bars"]

_FIELDS = ("open", "high", "low", "close", "volume")


class FillTiming(StrEnum):
    """When an order placed on a bar's close can first fill."""

    NEXT_BAR = "next_bar"
    """On the next bar, under the venue's fill model (realistic; backtrader's default)."""
    SAME_CLOSE = "same_close"
    """At the close it was placed on (backtrader's cheat-on-close; NautilusTrader on bar data)."""


@dataclass(frozen=True)
class BarFeed:
    """Bars of one instrument as columns; ``close_ns`` are bar close times in UTC nanoseconds."""

    instrument: InstrumentId
    close_ns: npt.NDArray[np.int64]
    open: npt.NDArray[np.float64]
    high: npt.NDArray[np.float64]
    low: npt.NDArray[np.float64]
    close: npt.NDArray[np.float64]
    volume: npt.NDArray[np.float64]
    bar_length: timedelta = timedelta(minutes=1)

    def __post_init__(self) -> None:
        n = self.close_ns.size
        for name in _FIELDS:
            if getattr(self, name).size != n:
                msg = f"bar feed {self.instrument}: column {name} has {getattr(self, name).size} rows, expected {n}"
                raise DataError(msg)
        if n > 1 and bool(np.any(np.diff(self.close_ns) <= 0)):
            row = int(np.argmax(np.diff(self.close_ns) <= 0)) + 1
            msg = f"bar feed {self.instrument}: row {row} close time is not after the previous bar"
            raise DataError(msg)

    @classmethod
    def from_frame(cls, instrument: str, frame: pl.DataFrame, bar_length: timedelta) -> BarFeed:
        """From a frame with ``as_of`` (UTC datetime, bar close) and OHLCV columns."""
        missing = [c for c in ("as_of", *_FIELDS) if c not in frame.columns]
        if missing:
            msg = f"bar frame for {instrument}: missing columns {missing}"
            raise DataError(msg)
        columns = {c: frame.get_column(c).cast(pl.Float64).to_numpy() for c in _FIELDS}
        return cls(
            InstrumentId(instrument),
            frame.get_column("as_of").dt.epoch("ns").to_numpy().astype(np.int64),
            columns["open"],
            columns["high"],
            columns["low"],
            columns["close"],
            columns["volume"],
            bar_length,
        )

    def __len__(self) -> int:
        return int(self.close_ns.size)


class BarContext:
    """What a strategy may see and do on one bar."""

    __slots__ = ("_clock", "_feed", "_orders", "close", "high", "index", "low", "open", "venue", "volume")

    def __init__(self, feed: BarFeed, venue: SimulatedVenue, clock: ReplayClock) -> None:
        self._feed = feed
        self._clock = clock
        self._orders = 0
        self.venue = venue
        self.index = -1
        self.open = self.high = self.low = self.close = self.volume = 0.0

    @property
    def instrument(self) -> InstrumentId:
        """The instrument being replayed."""
        return self._feed.instrument

    def value(self, field: str, index: int) -> float:
        """``field`` of bar ``index``; a bar after the current one is a ``LookAheadError``."""
        if index > self.index:
            msg = f"{self._feed.instrument}: bar {index} {field} requested on bar {self.index}: it is not known yet"
            raise LookAheadError(msg)
        return float(getattr(self._feed, field)[index])

    def history(self, field: str, n: int) -> npt.NDArray[np.float64]:
        """The last ``n`` values of ``field`` up to and including the current bar (read-only)."""
        column: npt.NDArray[np.float64] = getattr(self._feed, field)
        view = column[max(0, self.index + 1 - n) : self.index + 1]
        view.flags.writeable = False
        return view

    def position(self) -> Decimal:
        """Signed quantity held at the venue."""
        held = self.venue.positions().get(self._feed.instrument)
        return held.quantity if held else ZERO

    def submit(
        self,
        side: Side,
        quantity: Decimal,
        order_type: OrderType = OrderType.MARKET,
        *,
        limit: Decimal | None = None,
        stop: Decimal | None = None,
        time_in_force: TimeInForce = TimeInForce.GTC,
    ) -> Order:
        """Send an order to the venue now."""
        return self.venue.submit(self._intent(side, quantity, order_type, limit, stop, time_in_force))

    def bracket(self, side: Side, quantity: Decimal, take_profit: Decimal, stop_loss: Decimal) -> Order:
        """Market entry with OCO take-profit and stop-loss legs."""
        intent = self._intent(side, quantity, OrderType.MARKET, None, None, TimeInForce.GTC)
        return self.venue.submit_bracket(intent, take_profit, stop_loss).entry

    def _intent(
        self,
        side: Side,
        quantity: Decimal,
        order_type: OrderType,
        limit: Decimal | None,
        stop: Decimal | None,
        tif: TimeInForce,
    ) -> OrderIntent:
        self._orders += 1
        cid = correlation_id_for(self._clock.now(), self.index, "bars")
        return OrderIntent(
            ClientOrderId(f"bar-{self._orders}"),
            cid,
            self._feed.instrument,
            side,
            quantity,
            order_type,
            tif,
            limit,
            stop,
        )


class BarStrategy(Protocol):
    """A research strategy driven bar by bar."""

    def on_bar(self, ctx: BarContext) -> None: ...


@dataclass(frozen=True)
class BarRunResult:
    """Fills, final equity (cash plus position at the last close) and the optional equity curve."""

    bars: int
    fills: tuple[Fill, ...]
    final_equity: Decimal
    equity: npt.NDArray[np.float64] | None

    def fills_frame(self) -> pl.DataFrame:
        """The trade list as a polars frame."""
        return pl.DataFrame(
            {
                "at": [f.at for f in self.fills],
                "side": [f.side.value for f in self.fills],
                "quantity": [float(f.quantity) for f in self.fills],
                "price": [float(f.price) for f in self.fills],
                "commission": [float(f.commission) for f in self.fills],
            },
            schema={
                "at": pl.Datetime("us", "UTC"),
                "side": pl.String,
                "quantity": pl.Float64,
                "price": pl.Float64,
                "commission": pl.Float64,
            },
        )


def run_bars(
    feed: BarFeed,
    strategy: BarStrategy,
    venue: SimulatedVenue,
    clock: ReplayClock,
    *,
    timing: FillTiming = FillTiming.NEXT_BAR,
    record_equity: bool = False,
) -> BarRunResult:
    """Replay ``feed`` through ``strategy`` and ``venue``; ``clock`` must be the venue's clock."""
    inst = feed.instrument
    opens, highs, lows = feed.open.tolist(), feed.high.tolist(), feed.low.tolist()
    closes, volumes, stamps = feed.close.tolist(), feed.volume.tolist(), feed.close_ns.tolist()
    length = int(feed.bar_length.total_seconds() * 1_000_000_000)
    ctx = BarContext(feed, venue, clock)
    on_bar = strategy.on_bar
    same_close = timing is FillTiming.SAME_CLOSE
    multiplier = float(venue.multiplier(inst))
    cash, held = float(venue.cash()), float(ctx.position())
    curve: list[float] | None = [] if record_equity else None
    for i, close_ns in enumerate(stamps):
        o, c = opens[i], closes[i]
        if venue.has_working:
            clock.advance_to_ns(close_ns - length)
            at = from_ns(close_ns)
            if venue.on_bar_ohlc(Bar(inst, at, at, o, highs[i], lows[i], c, volumes[i]), from_ns(close_ns - length)):
                cash, held = float(venue.cash()), float(ctx.position())
        clock.advance_to_ns(close_ns)
        ctx.index = i
        ctx.open, ctx.high, ctx.low, ctx.close, ctx.volume = o, highs[i], lows[i], c, volumes[i]
        on_bar(ctx)
        if same_close and venue.has_working and venue.on_bar(inst, c, clock.now()):
            cash, held = float(venue.cash()), float(ctx.position())
        if curve is not None:
            curve.append(cash + held * c * multiplier)
    fills, _ = venue.fills_since(0)
    last = Decimal(repr(closes[-1])) if closes else ZERO
    final = venue.cash() + ctx.position() * last * venue.multiplier(inst)
    equity = None if curve is None else np.asarray(curve, dtype=np.float64)
    return BarRunResult(len(stamps), tuple(fills), final, equity)
