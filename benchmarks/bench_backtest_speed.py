"""Backtest speed: qgtm vs NautilusTrader 1.221 vs backtrader on the same one-minute bars.

    uv run python benchmarks/bench_backtest_speed.py            # 1,000,000 bars, all three engines
    uv run python benchmarks/bench_backtest_speed.py --bars 200000 --pipeline-years 5

Bars: real GLD daily OHLC (data/etf/GLD_daily_yahoo_2004_2024.csv); inside each real day a seeded
Brownian bridge runs from the day's open to its close in 390 one-minute steps, clipped to the day's
high/low and rounded to the cent, so all three engines read identical, realistic prices. Strategy:
EMA(10)/EMA(30) cross on minute closes, long 100 shares / flat, market orders filled at the close
of the signal bar (qgtm SAME_CLOSE, backtrader cheat-on-close, NautilusTrader's bar execution),
no commission. The script checks the three trade lists are identical, then prints bars/s and
ratios. It also times the full ten-step pipeline (10 strategies x 10 instruments x 20 years).
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
from nautilus_trader.backtest.engine import BacktestEngine, BacktestEngineConfig
from nautilus_trader.config import LoggingConfig, StrategyConfig
from nautilus_trader.indicators import ExponentialMovingAverage
from nautilus_trader.model.currencies import USD
from nautilus_trader.model.data import Bar, BarType
from nautilus_trader.model.enums import AccountType, OmsType, OrderSide
from nautilus_trader.model.identifiers import TraderId, Venue
from nautilus_trader.model.objects import Money, Quantity
from nautilus_trader.persistence.wranglers import BarDataWrangler
from nautilus_trader.test_kit.providers import TestInstrumentProvider
from nautilus_trader.trading.strategy import Strategy

from qgtm_app.research import run_pipeline_backtest
from qgtm_backtest import (
    BarFeed,
    FillTiming,
    MaKind,
    MovingAverageCross,
    PerShareCommission,
    ReplayClock,
    SimulatedVenue,
    run_bars,
)
from qgtm_core import QgtmSettings

with warnings.catch_warnings():
    # backtrader 1.9.78 has invalid escape sequences in docstrings; compiling them warns once.
    warnings.simplefilter("ignore")
    import backtrader as bt

REPO = Path(__file__).resolve().parents[1]
GLD = REPO / "data" / "etf" / "GLD_daily_yahoo_2004_2024.csv"
MINUTES = 390
FAST, SLOW, SIZE = 10, 30, 100
Trade = tuple[int, str, int, float]


def minute_bars(n_bars: int, seed: int = 20241121) -> pd.DataFrame:
    """``n_bars`` one-minute bars bridged inside the most recent real GLD days."""
    daily = pl.read_csv(GLD, try_parse_dates=True)
    days = -(-n_bars // MINUTES)
    if days > daily.height:
        msg = f"--bars {n_bars} needs {days} days of GLD, the file has {daily.height}"
        raise SystemExit(msg)
    daily = daily.tail(days)
    rng = np.random.default_rng(seed)
    o, h, lo, c = (daily.get_column(k).to_numpy() for k in ("Open", "High", "Low", "Close"))
    steps = rng.normal(size=(days, MINUTES)) * (h - lo)[:, None] / np.sqrt(MINUTES) / 2
    walk = np.concatenate([np.zeros((days, 1)), np.cumsum(steps, axis=1)], axis=1)
    t = np.linspace(0.0, 1.0, MINUTES + 1)
    bridge = walk - t[None, :] * walk[:, -1:]
    path = o[:, None] + t[None, :] * (c - o)[:, None] + bridge
    path = np.round(np.clip(path, lo[:, None], h[:, None]), 2)
    opens, closes = path[:, :-1], path[:, 1:]
    wiggle = np.round(np.abs(rng.normal(size=(days, MINUTES))) * 0.01, 2)
    highs = np.minimum(np.maximum(opens, closes) + wiggle, h[:, None].round(2))
    lows = np.maximum(np.minimum(opens, closes) - wiggle, lo[:, None].round(2))
    highs, lows = np.maximum(highs, np.maximum(opens, closes)), np.minimum(lows, np.minimum(opens, closes))
    dates = daily.get_column("Date").to_list()
    start = np.asarray([int(datetime(d.year, d.month, d.day, 14, 31, tzinfo=UTC).timestamp()) for d in dates])
    stamps = (start[:, None] + 60 * np.arange(MINUTES)[None, :]) * 1_000_000_000
    volume = np.maximum(1, (daily.get_column("Volume").to_numpy() // MINUTES))[:, None].repeat(MINUTES, axis=1)
    frame = pd.DataFrame(
        {
            "open": opens.ravel(),
            "high": highs.ravel(),
            "low": lows.ravel(),
            "close": closes.ravel(),
            "volume": volume.ravel().astype(float),
        },
        index=pd.to_datetime(stamps.ravel(), utc=True),
    )
    return frame.iloc[-n_bars:]


# ----------------------------------------------------------------------------- qgtm


def run_qgtm(bars: pd.DataFrame) -> tuple[list[Trade], float]:
    ns = bars.index.asi8.astype(np.int64)
    feed = BarFeed(
        "GLD",  # type: ignore[arg-type]
        ns,
        *(bars[k].to_numpy(dtype=np.float64) for k in ("open", "high", "low", "close", "volume")),
        bar_length=timedelta(minutes=1),
    )
    clock = ReplayClock(datetime.fromtimestamp(int(ns[0]) // 1_000_000_000 - 60, UTC))
    venue = SimulatedVenue(Decimal(10_000_000), clock, PerShareCommission(Decimal(0), Decimal(0)))
    strategy = MovingAverageCross(FAST, SLOW, Decimal(SIZE), MaKind.EMA)
    index = {int(v): i for i, v in enumerate(ns)}
    started = time.perf_counter()
    result = run_bars(feed, strategy, venue, clock, timing=FillTiming.SAME_CLOSE)
    elapsed = time.perf_counter() - started
    trades = [
        (index[int(f.at.timestamp()) * 1_000_000_000], f.side.value, int(f.quantity), float(f.price))
        for f in result.fills
    ]
    return trades, elapsed


# ----------------------------------------------------------------------------- backtrader


def run_backtrader(bars: pd.DataFrame) -> tuple[list[Trade], float]:
    stamps = {ts.to_pydatetime().replace(tzinfo=None): i for i, ts in enumerate(bars.index)}

    class EmaCross(bt.Strategy):
        def __init__(self) -> None:
            self.fast = self.slow = 0.0
            self.count = 0
            self.long = False
            self.a_fast, self.a_slow = 2.0 / (FAST + 1.0), 2.0 / (SLOW + 1.0)
            self.trades: list[Trade] = []

        def next(self) -> None:
            x = self.data.close[0]
            if self.count == 0:
                self.fast = self.slow = x
            self.fast = self.a_fast * x + ((1.0 - self.a_fast) * self.fast)
            self.slow = self.a_slow * x + ((1.0 - self.a_slow) * self.slow)
            self.count += 1
            if self.count < SLOW:
                return
            if not self.long and self.fast > self.slow:
                self.buy(size=SIZE)
                self.long = True
            elif self.long and self.fast < self.slow:
                self.sell(size=SIZE)
                self.long = False

        def notify_order(self, order: bt.Order) -> None:
            if order.status == order.Completed:
                when = stamps[bt.num2date(order.executed.dt)]
                side = "buy" if order.isbuy() else "sell"
                self.trades.append((when, side, abs(int(order.executed.size)), round(order.executed.price, 2)))

    cerebro = bt.Cerebro(stdstats=False)
    frame = bars.copy()
    frame.index = frame.index.tz_localize(None)
    cerebro.adddata(bt.feeds.PandasData(dataname=frame, openinterest=None, timeframe=bt.TimeFrame.Minutes))
    cerebro.addstrategy(EmaCross)
    cerebro.broker.setcash(10_000_000.0)
    cerebro.broker.set_coc(True)
    started = time.perf_counter()
    (strategy,) = cerebro.run()
    return strategy.trades, time.perf_counter() - started


# ----------------------------------------------------------------------------- NautilusTrader


def run_nautilus(bars: pd.DataFrame) -> tuple[list[Trade], float]:

    instrument = TestInstrumentProvider.equity("GLD", "XNAS")
    bar_type = BarType.from_str(f"{instrument.id}-1-MINUTE-LAST-EXTERNAL")
    index = {int(v): i for i, v in enumerate(bars.index.asi8)}

    class EmaCrossConfig(StrategyConfig, frozen=True):
        fast: int = FAST
        slow: int = SLOW

    class EmaCross(Strategy):
        def __init__(self, config: EmaCrossConfig) -> None:
            super().__init__(config)
            self.fast = ExponentialMovingAverage(config.fast)
            self.slow = ExponentialMovingAverage(config.slow)
            self.long = False
            self.qty = Quantity.from_int(SIZE)

        def on_start(self) -> None:
            self.register_indicator_for_bars(bar_type, self.fast)
            self.register_indicator_for_bars(bar_type, self.slow)
            self.subscribe_bars(bar_type)

        def on_bar(self, bar: Bar) -> None:
            if not self.indicators_initialized():
                return
            if not self.long and self.fast.value > self.slow.value:
                self.submit_order(self.order_factory.market(instrument.id, OrderSide.BUY, self.qty))
                self.long = True
            elif self.long and self.fast.value < self.slow.value:
                self.submit_order(self.order_factory.market(instrument.id, OrderSide.SELL, self.qty))
                self.long = False

    engine = BacktestEngine(
        BacktestEngineConfig(trader_id=TraderId("BENCH-001"), logging=LoggingConfig(bypass_logging=True))
    )
    engine.add_venue(
        venue=Venue("XNAS"),
        oms_type=OmsType.NETTING,
        account_type=AccountType.CASH,
        base_currency=USD,
        starting_balances=[Money(10_000_000, USD)],
    )
    engine.add_instrument(instrument)
    frame = bars.copy()
    frame.index.name = "timestamp"
    # bar timestamps are bar closes in all three engines
    engine.add_data(BarDataWrangler(bar_type, instrument).process(frame))
    engine.add_strategy(EmaCross(EmaCrossConfig()))
    started = time.perf_counter()
    engine.run()
    elapsed = time.perf_counter() - started
    report = engine.trader.generate_fills_report()
    trades: list[Trade] = []
    for _, row in report.iterrows():
        ts = int(pd.Timestamp(row["ts_event"]).value)
        side = str(row["order_side"]).lower()
        trades.append((index.get(ts, -1), side, int(float(row["last_qty"])), round(float(row["last_px"]), 2)))
    engine.dispose()
    return trades, elapsed


# ----------------------------------------------------------------------------- full pipeline


PIPELINE_STRATEGIES = (
    "gold_trend",
    "gold_silver_ratio_mr",
    "ma_crossover_50_200",
    "tsmom_12m",
    "tsmom_3m",
    "rsi_mr",
    "bollinger_mr",
    "donchian_breakout",
    "zscore_mr",
    "vol_breakout",
)


def run_pipeline(cycles: int | None) -> None:
    """Cycles per second of the real ten-step pipeline, 10 strategies, every bundled daily instrument.

    The bundled data has daily bars for four instruments (GLD, SLV, SPY, QQQ), common from 2006, so
    this is 10 strategies x 4 instruments x up to 18.7 years, not 10 instruments x 20 years.
    """

    settings = QgtmSettings(
        run={"instruments": ("GLD", "SLV", "SPY", "QQQ"), "start": "2006-05-01", "data_dir": str(REPO / "data")},
        strategies={"enabled": PIPELINE_STRATEGIES},
    )
    # The last ``cycles`` sessions: the features see (almost) the full history there, the slow end.
    with tempfile.TemporaryDirectory(prefix="qgtm-bench-") as tmp:
        result = run_pipeline_backtest(settings, Path(tmp), start=-cycles if cycles else 0, progress=True)
    rate = result.cycles / result.elapsed_seconds
    first, last = result.equity.get_column("at")[0], result.equity.get_column("at")[-1]
    print(
        f"\nfull pipeline: {result.cycles:,} cycles ({first.date()} .. {last.date()}), 10 strategies x 4 instruments: "
        f"{rate:,.1f} cycles/s ({result.elapsed_seconds:.1f}s); 20 years (5,040 sessions) would take "
        f"{5040 / rate:,.0f}s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bars", type=int, default=1_000_000)
    parser.add_argument("--skip", action="append", default=[], choices=["nautilus", "backtrader", "pipeline"])
    parser.add_argument(
        "--pipeline-cycles", type=int, default=500, help="the last N sessions; 0 = the whole 2006-2024 window"
    )
    args = parser.parse_args()
    t = time.perf_counter()
    bars = minute_bars(args.bars)
    print(
        f"generated {len(bars):,} one-minute GLD bars in {time.perf_counter() - t:.1f}s "
        f"({bars.index[0]} .. {bars.index[-1]})"
    )
    results: dict[str, tuple[list[Trade], float]] = {"qgtm": run_qgtm(bars)}
    if "nautilus" not in args.skip:
        results["nautilus-trader 1.221"] = run_nautilus(bars)
    if "backtrader" not in args.skip:
        results["backtrader"] = run_backtrader(bars)
    reference = results["qgtm"][0]
    print(f"\n{'engine':<24}{'trades':>8}{'seconds':>10}{'bars/s':>14}{'qgtm speed-up':>16}  same trades")
    for name, (trades, seconds) in results.items():
        same = "yes" if trades == reference else f"NO (first difference at {_first_diff(trades, reference)})"
        ratio = seconds / results["qgtm"][1]
        print(f"{name:<24}{len(trades):>8}{seconds:>10.2f}{len(bars) / seconds:>14,.0f}{ratio:>15.2f}x  {same}")
    if "pipeline" not in args.skip:
        run_pipeline(args.pipeline_cycles or None)


def _first_diff(a: list[Trade], b: list[Trade]) -> str:
    for k, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return f"trade {k}: {x} vs {y}"
    return f"lengths {len(a)} vs {len(b)}"


if __name__ == "__main__":
    main()
