"""Risk and compliance timings (steps 6 and 7) on the bundled real data. Prints figures, asserts nothing.

uv run python benchmarks/bench_risk.py
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np

from qgtm_compliance import RuleBookCompliance, default_rule_book
from qgtm_core import (
    DEFAULT_UNIVERSE,
    AccountState,
    ClientOrderId,
    ExecutionId,
    FeatureSet,
    Fill,
    InstrumentId,
    JsonValue,
    Position,
    Side,
    TargetPortfolio,
)
from qgtm_risk import (
    FactorRiskModel,
    PortfolioRiskGate,
    PortfolioRiskLimits,
    StressReplayer,
    load_panels,
    var_table,
)

DATA = Path(__file__).resolve().parents[1] / "data"


class MemoryKv:
    def __init__(self) -> None:
        self.data: dict[str, JsonValue] = {}

    def get(self, key: str) -> JsonValue:
        return self.data.get(key)

    def put(self, key: str, value: JsonValue) -> None:
        self.data[key] = value


def timed(label: str, fn: Callable[[], object], repeat: int) -> np.ndarray:
    samples = np.empty(repeat)
    for k in range(repeat):
        start = time.perf_counter()
        fn()
        samples[k] = time.perf_counter() - start
    ms = samples * 1e3
    print(f"{label:<52} n={repeat:<6} p50={np.percentile(ms, 50):8.3f} ms  p99={np.percentile(ms, 99):8.3f} ms")
    return samples


def main() -> None:
    print("== data")
    start = time.perf_counter()
    factors, assets = load_panels(DATA)
    print(
        f"load 8-factor panel ({factors.dates.size} days, {factors.dates[0]}..{factors.dates[-1]}): "
        f"{(time.perf_counter() - start) * 1e3:.1f} ms"
    )
    start = time.perf_counter()
    stress = StressReplayer.from_data_dir(DATA)
    print(f"load and precompute 5 stress scenarios: {(time.perf_counter() - start) * 1e3:.1f} ms")

    print("== factor model (252-day rolling window, ridge OLS of 11 instruments on 8 factors)")
    days = [date.fromisoformat(str(d)) for d in factors.dates[300::1]]
    model = FactorRiskModel(factors, assets)
    start = time.perf_counter()
    for day in days:
        model.estimate(day)
    total = time.perf_counter() - start
    print(f"rolling estimation over {len(days)} days: {total:.2f} s ({total / len(days) * 1e3:.3f} ms per window)")
    fresh = iter(days)
    timed("one window estimate (uncached)", lambda: FactorRiskModel(factors, assets).estimate(next(fresh)), 200)

    print("== VaR / CVaR (95, 99 x historical, parametric, Cornish-Fisher)")
    estimate = model.estimate(date(2020, 3, 23))
    rng = np.random.default_rng(0)
    weights = rng.normal(0, 0.2, len(estimate.instruments))
    pnl = estimate.returns @ weights
    sigma = float(np.sqrt(weights @ estimate.covariance() @ weights))
    timed("var_table on 252 days (12 numbers)", lambda: var_table(pnl, sigma), 2000)
    long_pnl = rng.standard_t(4, 5000) * 0.01
    timed("var_table on 5,000 days", lambda: var_table(long_pnl), 500)

    print("== stress replay (5 scenarios on real prices)")
    book = {InstrumentId(i): float(w) for i, w in zip(estimate.instruments, weights, strict=True)}
    timed("replay one book through all scenarios", lambda: stress.replay(book), 2000)

    print("== risk gate assess (PortfolioRiskGate with model, VaR limit and stress in the report)")
    when = datetime(2020, 3, 23, 21, tzinfo=UTC)
    names = [InstrumentId(n) for n in ("GLD", "SLV", "SPY", "QQQ", "IAU", "GC", "SI", "GDX", "SIL")]
    positions = {n: Position(n, Decimal(10), Decimal(100)) for n in names}
    marks = dict.fromkeys(names, Decimal(100))
    account = AccountState(when, Decimal(1_000_000), positions, marks)
    features = FeatureSet(when, {n: {"vol_fast": 0.2} for n in names})
    target = TargetPortfolio(when, {n: float(w) for n, w in zip(names, rng.normal(0, 0.3, len(names)), strict=True)})
    gate = PortfolioRiskGate(PortfolioRiskLimits(max_var=0.01), MemoryKv(), model, stress)
    timed("assess, same day (model cached)", lambda: gate.assess(target, account, features), 2000)
    later = iter(range(1, 10_000))

    def new_day() -> object:
        t = when + timedelta(days=next(later))
        return gate.assess(TargetPortfolio(t, target.weights), account, FeatureSet(t, features.values))

    timed("assess, new day (one window estimate included)", new_day, 300)

    print("== compliance check (default rule book, 9 tradable instruments)")
    gate_c = RuleBookCompliance(default_rule_book(0.35, ["QQQ"]), DEFAULT_UNIVERSE)
    fills = []
    for k in range(2000):
        day = datetime(2024, 1, 2, 15, tzinfo=UTC) + timedelta(days=k // 4)
        side = Side.BUY if k % 2 == 0 else Side.SELL
        fills.append(
            Fill(
                ExecutionId(f"e{k}"),
                ClientOrderId(f"o{k}"),
                names[k % 4],
                side,
                Decimal(5),
                Decimal(100 + k % 7),
                Decimal(0),
                day,
            )
        )
    start = time.perf_counter()
    gate_c.replay(fills)
    print(f"replay 2,000 fills into lots and history: {(time.perf_counter() - start) * 1e3:.1f} ms")
    check_at = fills[-1].at + timedelta(hours=1)
    c_target = TargetPortfolio(check_at, target.weights)
    c_account = AccountState(check_at, Decimal(1_000_000), positions, marks)
    timed("check (PDT era rule set)", lambda: gate_c.check(c_target, c_account), 500)
    future = datetime(2026, 7, 1, 20, tzinfo=UTC)
    f_target = TargetPortfolio(future, target.weights)
    timed("check (intraday margin era rule set)", lambda: gate_c.check(f_target, c_account), 500)


if __name__ == "__main__":
    main()
