"""Latency of pipeline steps 4-7 (aggregation, regime/meta filter, compliance, risk) and model fit times.

Run: ``uv run python benchmarks/bench_decision_layers.py`` (``--cycles N`` to change the sample).

Part 1 fits the regime HMM (3 states, full covariances) and the LightGBM meta-labeller (purged,
embargoed 5-fold CV, isotonic calibration) on 20 years of real GLD daily closes.
Part 2 times one decision cycle for 29 strategies x 50 instruments (1,450 signals) through the
public classes the app wires: ``MultiStrategyAggregator`` (risk parity, volatility target,
asset-class caps, regime weights), ``RegimeMetaFilter`` (HMM + BOCPD tracker, meta-labeller,
forewarner), the compliance gate and the risk gate. Target: p99 < 2 ms per cycle.
Cycles are one minute apart within a day, so the daily Monte Carlo forewarner is timed apart.
"""

from __future__ import annotations

import argparse
import gc
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import polars as pl

import qgtm_compliance
import qgtm_risk
from qgtm_core import (
    DEFAULT_UNIVERSE,
    AccountState,
    AssetClass,
    Direction,
    FeatureSet,
    Instrument,
    InstrumentId,
    JsonValue,
    QgtmError,
    Signal,
    StrategyId,
    Universe,
    Venue,
)
from qgtm_ml import (
    GaussianRegimeHmm,
    MetaLabeller,
    MonteCarloForewarner,
    RegimeMetaFilter,
    RegimeTracker,
    build_meta_dataset,
    hmm_observations,
    price_features,
    trend_side,
)
from qgtm_portfolio import (
    MultiStrategyAggregator,
    PortfolioConstraints,
    RegimeWeights,
    StrategyWeighting,
    VolatilityTarget,
)

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
N_STRATEGIES, N_INSTRUMENTS = 29, 50
FAMILIES = ("trend", "mean_reversion", "carry", "macro", "positioning")


class DictStore:
    """In-memory ``KeyValueStore`` (the daemon uses SQLite; this isolates the decision logic)."""

    def __init__(self) -> None:
        self._data: dict[str, JsonValue] = {}

    def get(self, key: str) -> JsonValue:
        return self._data.get(key)

    def put(self, key: str, value: JsonValue) -> None:
        self._data[key] = value


def _timed(fn: Callable[[], object]) -> tuple[object, float]:
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def fit_models() -> tuple[GaussianRegimeHmm, MetaLabeller, np.ndarray, np.ndarray]:
    frame = pl.read_csv(DATA / "etf/GLD_daily_yahoo_2004_2024.csv", try_parse_dates=True)
    close = frame["Adj Close"].to_numpy().astype(np.float64)
    first, last = frame["Date"][0], frame["Date"][-1]
    print(f"training data: GLD daily {first} .. {last}, {close.shape[0]} closes")
    feats = price_features(close)
    obs = hmm_observations(feats["ret_1"], feats["vol_fast"])
    obs = obs[np.all(np.isfinite(obs), axis=1)]
    hmm, hmm_s = _timed(lambda: GaussianRegimeHmm.fit(obs, n_states=3))
    assert isinstance(hmm, GaussianRegimeHmm)
    vols = ", ".join(f"{n}={v:.1%}" for n, v in zip(hmm.names, hmm.state_vols(), strict=True))
    print(f"HMM fit (3 states, full cov, {obs.shape[0]} rows):          {hmm_s:8.2f} s   state vols: {vols}")
    probs, filt_s = _timed(lambda: hmm.filter(hmm_observations(feats["ret_1"], feats["vol_fast"])))
    print(f"HMM causal filter over the whole history:              {filt_s:8.2f} s")
    side, conviction = trend_side(close)
    assert isinstance(probs, np.ndarray)
    data = build_meta_dataset(close, side, conviction, p_turbulent=probs[:, -1])
    meta, meta_s = _timed(
        lambda: MetaLabeller.fit(data, created_at=datetime.now(UTC), training_data={"gld": str(first)})
    )
    assert isinstance(meta, MetaLabeller)
    aucs = [float(str(m["auc"])) for m in meta.card.fold_metrics if "auc" in m]
    print(
        f"meta-labeller fit ({len(data)} events, 5 purged folds + final): {meta_s:8.2f} s   "
        f"fold AUC {min(aucs):.3f}..{max(aucs):.3f}"
    )
    returns = close[1:] / close[:-1] - 1.0
    return hmm, meta, returns, feats["vol_fast"]


def _universe(n_instruments: int) -> Universe:
    real = [DEFAULT_UNIVERSE[i] for i in DEFAULT_UNIVERSE if DEFAULT_UNIVERSE[i].tradable][:n_instruments]
    classes = (AssetClass.EQUITY_ETF, AssetClass.METAL_ETF, AssetClass.MINER_ETF)
    synthetic = [
        Instrument(
            InstrumentId(f"SYN{k:02d}"),
            f"synthetic {k}",
            classes[k % 3],
            Venue.NYSE_ARCA,
            "USD",
            Decimal("0.01"),
            Decimal(1),
        )
        for k in range(max(n_instruments - len(real), 0))
    ]
    return Universe([*real, *synthetic])


def _signal_sets(
    ids: list[InstrumentId], n_strategies: int, at: datetime, rng: np.random.Generator, count: int
) -> list[list[Signal]]:
    sets = []
    for _ in range(count):
        directions = rng.choice([-1, 0, 1], size=(n_strategies, len(ids)), p=[0.3, 0.2, 0.5])
        convictions = rng.random((n_strategies, len(ids)))
        sets.append(
            [
                Signal(
                    StrategyId(f"s{s:02d}"),
                    instrument,
                    Direction(int(directions[s, k])),
                    float(convictions[s, k]),
                    20,
                    at,
                    family=FAMILIES[s % len(FAMILIES)],
                    rationale="bench",
                )
                for s in range(n_strategies)
                for k, instrument in enumerate(ids)
            ]
        )
    return sets


def _features(ids: list[InstrumentId], at: datetime, rng: np.random.Generator) -> FeatureSet:
    values = {
        i: {
            "ret_1": float(rng.normal(0, 0.01)),
            "vol_fast": float(rng.uniform(0.1, 0.4)),
            "zscore_fast": float(rng.normal()),
            "mom_slow": float(rng.normal(0, 0.1)),
        }
        for i in ids
    }
    return FeatureSet(at, values)


def _gates(universe: Universe) -> tuple[object, object, str]:
    """The richest compliance and risk gates the sibling packages currently export."""
    note = []
    compliance: object
    if hasattr(qgtm_compliance, "RuleBookCompliance") and hasattr(qgtm_compliance, "default_rule_book"):
        compliance = qgtm_compliance.RuleBookCompliance(qgtm_compliance.default_rule_book(0.35), universe)
        note.append("RuleBookCompliance(default_rule_book(0.35))")
    else:
        compliance = qgtm_compliance.PositionLimitCompliance(0.35)
        note.append("PositionLimitCompliance(0.35)")
    risk: object
    if hasattr(qgtm_risk, "PortfolioRiskGate"):
        model = None
        try:
            proxies = {str(i): ("GLD" if k % 2 else "SPY") for k, i in enumerate(universe) if str(i).startswith("SYN")}
            proxies.update({"IAU": "GLD", "GC": "GLD", "GDX": "GLD", "SI": "SLV", "SIL": "SLV"})
            factors, assets = qgtm_risk.load_panels(DATA)
            model = qgtm_risk.FactorRiskModel(factors, assets, proxies=proxies)
        except (QgtmError, TypeError, ValueError, AttributeError) as exc:
            note.append(f"(factor model unavailable: {exc})")
        risk = qgtm_risk.PortfolioRiskGate(qgtm_risk.PortfolioRiskLimits(max_var=0.03), DictStore(), model)
        note.append("PortfolioRiskGate(max_var=0.03" + (", factor model)" if model is not None else ")"))
    else:
        risk = qgtm_risk.LeverageDrawdownRiskGate(qgtm_risk.RiskLimits(), DictStore())
        note.append("LeverageDrawdownRiskGate")
    return compliance, risk, " + ".join(note)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run_cycles(
    hmm: GaussianRegimeHmm,
    meta: MetaLabeller,
    gold_returns: np.ndarray,
    cycles: int,
    n_strategies: int,
    n_instruments: int,
) -> None:
    rng = np.random.default_rng(42)
    universe = _universe(n_instruments)
    ids = sorted(universe)
    start = datetime(2024, 6, 3, 14, 30, tzinfo=UTC)
    tracker = RegimeTracker(hmm, instrument="GLD")
    aggregator = MultiStrategyAggregator(
        StrategyWeighting.RISK_PARITY,
        PortfolioConstraints(
            max_weight=0.1,
            cash_buffer=0.05,
            max_asset_class_weight={AssetClass.METAL_ETF: 0.5, AssetClass.MINER_ETF: 0.2},
            universe=universe,
        ),
        volatility_target=VolatilityTarget(0.10, max_scale=1.5),
        regime_weights=RegimeWeights({"turbulent": {"trend": 0.5}}),
        regime=tracker.label,
    )
    forewarner = MonteCarloForewarner()
    regime_filter = RegimeMetaFilter(tracker, meta, forewarner=forewarner)
    regime_filter.seed_returns({i: gold_returns[-756:] * (1 + 0.1 * (k % 5)) for k, i in enumerate(ids)})
    compliance, risk, note = _gates(universe)
    print(f"gates: {note}")
    account = AccountState(start, Decimal(1_000_000), {})
    signal_sets = _signal_sets(ids, n_strategies, start, rng, 10)
    warmup = 60
    # What the daemon should do after start-up: move the long-lived objects (models, history,
    # universe) out of the collector's sight, so a full collection cannot land inside a cycle.
    gc.collect()
    gc.freeze()
    names = ("aggregate", "filter", "compliance", "risk", "total")
    wall: dict[str, list[float]] = {n: [] for n in names}
    cpu: dict[str, list[float]] = {n: [] for n in names}
    decisions = 0
    for c in range(warmup + cycles):
        at = start + timedelta(minutes=c)
        features = _features(ids, at, rng)
        signals = signal_sets[c % len(signal_sets)]
        account = AccountState(at, account.cash, {})
        marks = [(time.perf_counter_ns(), time.thread_time_ns())]
        target = aggregator.aggregate(signals, features)
        marks.append((time.perf_counter_ns(), time.thread_time_ns()))
        filtered = regime_filter.filter(target, signals, features)
        marks.append((time.perf_counter_ns(), time.thread_time_ns()))
        approved = compliance.check(filtered.target, account)  # type: ignore[attr-defined]
        marks.append((time.perf_counter_ns(), time.thread_time_ns()))
        risk.assess(approved.approved, account, features)  # type: ignore[attr-defined]
        marks.append((time.perf_counter_ns(), time.thread_time_ns()))
        if c < warmup:
            continue
        decisions += len(filtered.decisions)
        spans = [(k, k + 1) for k in range(4)] + [(0, 4)]
        for name, (a, b) in zip(names, spans, strict=True):
            wall[name].append((marks[b][0] - marks[a][0]) / 1e6)
            cpu[name].append((marks[b][1] - marks[a][1]) / 1e6)
    load = os.getloadavg()[0]
    n_signals = n_strategies * len(ids)
    print(f"\ncycle latency (ms), {n_strategies} strategies x {len(ids)} instruments = {n_signals} signals")
    print(f"{cycles} cycles after {warmup} warm-up; load average {load:.1f} on {os.cpu_count()} CPUs")
    print(f"{'step':<12}{'wall p50':>10}{'wall p99':>10}{'cpu p50':>10}{'cpu p99':>10}")
    for name in names:
        print(
            f"{name:<12}{_pct(wall[name], 0.5):10.3f}{_pct(wall[name], 0.99):10.3f}"
            f"{_pct(cpu[name], 0.5):10.3f}{_pct(cpu[name], 0.99):10.3f}"
        )
    for label, table in (("wall-clock", wall), ("CPU-time", cpu)):
        p99 = _pct(table["total"], 0.99)
        verdict = "MET" if p99 < 2.0 else "NOT MET"
        print(f"target p99 < 2 ms per cycle ({label}): {verdict} (p99 = {p99:.3f} ms)")
    per_signal = _pct(cpu["total"], 0.5) * 1e3 / n_signals
    print(f"{decisions // cycles} meta decisions per cycle; {per_signal:.2f} us CPU per signal at p50 (gc frozen)")

    held = dict.fromkeys(ids, 0.02)
    history = {i: list(gold_returns[-756:]) for i in ids}
    _, fw_s = _timed(lambda: forewarner.assess(start.date(), held, history))
    print(
        f"daily forewarner ({forewarner.paths} paths x {forewarner.horizon_days} days, {len(ids)} instruments): "
        f"{fw_s * 1e3:.1f} ms, once a day"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cycles", type=int, default=500)
    parser.add_argument("--strategies", type=int, default=N_STRATEGIES, help="the issue's figure is 29")
    parser.add_argument(
        "--instruments",
        type=int,
        default=N_INSTRUMENTS,
        help="the issue's figure is 50 (the 9 tradable real ones first)",
    )
    args = parser.parse_args()
    hmm, meta, returns, _ = fit_models()
    run_cycles(hmm, meta, returns, args.cycles, args.strategies, args.instruments)


if __name__ == "__main__":
    main()
