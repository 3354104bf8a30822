"""Latency of one full live cycle (all ten steps, journaled paper broker, daemon bookkeeping) and
order round trips per second against the fake Alpaca server on loopback.

Usage: uv run python benchmarks/bench_live_cycle.py [--cycles N] [--orders N]
Prints p50/p99 of a whole cycle and of steps 8-9 (the OMS and broker), and Alpaca round trips/s.
The brief asks for 29 strategies x 10 instruments; the bundled data has daily files for four
instruments (GLD, SLV, SPY, QQQ), so the benchmark runs every registered strategy on those four.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import qgtm_strategies
from qgtm_app.paths import new_run
from qgtm_app.wiring import build_paper_rig
from qgtm_core import (
    CycleResult,
    InstrumentId,
    OrderIntent,
    PipelineStep,
    QgtmSettings,
    Side,
    client_order_id_for,
    correlation_id_for,
)
from qgtm_core.config import RunConfig, StrategiesConfig
from qgtm_execution import AlpacaBroker
from qgtm_execution.testing import FakeAlpacaServer
from qgtm_live import Daemon, Heartbeat

REPO = Path(__file__).resolve().parent.parent
INSTRUMENTS = ("GLD", "SLV", "SPY", "QQQ")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def live_cycle(cycles: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = QgtmSettings(
            run=RunConfig(
                data_dir=REPO / "data", var_dir=Path(tmp), instruments=INSTRUMENTS, start=datetime(2016, 1, 4).date()
            ),
            strategies=StrategiesConfig(enabled=tuple(qgtm_strategies.REGISTRY)),
        )
        paths = new_run(Path(tmp))
        rig = build_paper_rig(settings, paths)
        total_ms: list[float] = []
        oms_ms: list[float] = []
        orders = 0
        started = [0.0]
        per_step: dict[PipelineStep, list[float]] = {step: [] for step in PipelineStep}

        def before(at: datetime) -> None:
            rig.feed_venue(at)
            started[0] = time.perf_counter()

        def after(result: CycleResult) -> None:
            nonlocal orders
            total_ms.append((time.perf_counter() - started[0]) * 1e3)
            oms = result.step_nanos[PipelineStep.ORDER_MANAGEMENT] + result.step_nanos[PipelineStep.BROKER]
            oms_ms.append(oms / 1e6)
            orders += len(result.execution.orders)
            for step, nanos in result.step_nanos.items():
                per_step[step].append(nanos / 1e6)

        daemon = Daemon(
            rig.pipeline, rig.clock, before, after, state=rig.state, heartbeat=Heartbeat(paths.root / "hb.json")
        )
        t0 = time.perf_counter()
        daemon.run(rig.schedule[:cycles])
        elapsed = time.perf_counter() - t0
        rig.close()
    n = len(total_ms)
    print(
        f"live cycle: {n} cycles, {len(qgtm_strategies.REGISTRY)} strategies x {len(INSTRUMENTS)} instruments, "
        f"journaled paper broker, SQLite state, {orders} orders"
    )
    print(
        f"  full cycle ms (10 steps + daemon bookkeeping): p50 {statistics.median(total_ms):.3f}  "
        f"p99 {percentile(total_ms, 0.99):.3f}  (target p99 < 5 ms)"
    )
    print(f"  steps 8-9 (OMS + broker) ms: p50 {statistics.median(oms_ms):.3f}  p99 {percentile(oms_ms, 0.99):.3f}")
    print(f"  cycles per second: {n / elapsed:,.1f}")
    for step, values in per_step.items():
        print(f"    {step.value:<22} p50 {statistics.median(values):.3f}  p99 {percentile(values, 0.99):.3f}")


def alpaca_round_trips(count: int) -> None:
    with FakeAlpacaServer(cash=Decimal(10**9)) as server:
        server.set_price("GLD", Decimal("180.25"))
        broker = AlpacaBroker(
            server.key_id, server.secret_key, url_override=server.base_url, stream_url=server.stream_url
        )
        cid = correlation_id_for(datetime.now(UTC), 1)
        latencies: list[float] = []
        t0 = time.perf_counter()
        for k in range(count):
            intent = OrderIntent(
                client_order_id_for(cid, InstrumentId("GLD"), f"bench-{k}"),
                cid,
                InstrumentId("GLD"),
                Side.BUY,
                Decimal(1),
            )
            t = time.perf_counter()
            broker.submit(intent)
            latencies.append((time.perf_counter() - t) * 1e3)
        elapsed = time.perf_counter() - t0
        t1 = time.perf_counter()
        for k in range(count):
            broker.order(client_order_id_for(cid, InstrumentId("GLD"), f"bench-{k}"))
        lookups = time.perf_counter() - t1
        broker.close()
    print(f"alpaca (alpaca-py -> fake server on loopback, REST + trade stream): {count} orders")
    print(
        f"  order round trips per second: {count / elapsed:,.0f}  (submit->ack ms p50 "
        f"{statistics.median(latencies):.2f}, p99 {percentile(latencies, 0.99):.2f})"
    )
    print(f"  lookups by client order id per second: {count / lookups:,.0f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cycles", type=int, default=300)
    parser.add_argument("--orders", type=int, default=300)
    args = parser.parse_args()
    live_cycle(args.cycles)
    alpaca_round_trips(args.orders)


if __name__ == "__main__":
    main()
