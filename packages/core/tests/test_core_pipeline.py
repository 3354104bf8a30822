"""The pipeline contract: step order, correlation ids, the look-ahead guard and the audit trail.

The steps here are minimal implementations of the ports, written in the test so that the contract
is checked independently of any package's logic.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import polars as pl
import pytest

from qgtm_core import (
    AccountState,
    AuditEntry,
    AuditRecord,
    ComplianceResult,
    CorrelationId,
    Direction,
    ExecutionReport,
    FeatureSet,
    FilterResult,
    InstrumentId,
    LookAheadError,
    ManualClock,
    OrderIntent,
    Pipeline,
    PipelineStep,
    PipelineSteps,
    PitSnapshot,
    Posture,
    RiskReport,
    RiskResult,
    Signal,
    StrategyId,
    TargetPortfolio,
    WallClock,
    canonical_bytes,
)

GLD = InstrumentId("GLD")
T0 = datetime(2024, 1, 2, 21, 15, tzinfo=UTC)
TS = pl.Datetime("us", "UTC")


def bars(times: list[datetime], closes: list[float]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "as_of": times,
            "available_at": times,
            "open": closes,
            "high": closes,
            "low": closes,
            "close": closes,
            "volume": [1.0] * len(times),
        },
        schema_overrides={"as_of": TS, "available_at": TS},
    )


@dataclass
class Source:
    leak: bool = False

    def snapshot(self, at: datetime) -> PitSnapshot:
        times = [at - timedelta(days=2), at - timedelta(days=1)]
        if self.leak:
            times.append(at + timedelta(hours=1))
        return PitSnapshot(at=at, bars={GLD: bars(times, [100.0 + i for i in range(len(times))])})


class Features:
    def compute(self, snapshot: PitSnapshot) -> FeatureSet:
        closes = snapshot.bars[GLD].get_column("close")
        return FeatureSet(snapshot.at, {GLD: {"close": float(closes[-1]), "max_seen": float(closes.max())}})  # type: ignore[arg-type]


@dataclass
class Strategies:
    seen: list[float] = field(default_factory=list)

    def generate(self, features: FeatureSet) -> tuple[Signal, ...]:
        self.seen.append(features.get(GLD, "max_seen"))
        return (Signal(StrategyId("s"), GLD, Direction.LONG, 0.5, 5, features.at),)


class Aggregator:
    def aggregate(self, signals: Sequence[Signal], features: FeatureSet) -> TargetPortfolio:
        return TargetPortfolio(features.at, {s.instrument: s.score for s in signals})


class Regime:
    def filter(self, target: TargetPortfolio, signals: Sequence[Signal], features: FeatureSet) -> FilterResult:
        return FilterResult(target, (), "calm")


class Compliance:
    def check(self, target: TargetPortfolio, account: AccountState) -> ComplianceResult:
        return ComplianceResult(target, ())


class Risk:
    def assess(self, target: TargetPortfolio, account: AccountState, features: FeatureSet) -> RiskResult:
        report = RiskReport(target.at, 1.0, 1.0, 0.0, target.gross, target.net, Posture.FULL, False, ())
        return RiskResult(target, report)


class Planner:
    def plan(
        self,
        target: TargetPortfolio,
        account: AccountState,
        marks: Mapping[InstrumentId, Decimal],
        correlation_id: CorrelationId,
    ) -> tuple[OrderIntent, ...]:
        return ()


@dataclass
class Executor:
    marks_seen: list[Mapping[InstrumentId, Decimal]] = field(default_factory=list)

    def account(self, marks: Mapping[InstrumentId, Decimal]) -> AccountState:
        self.marks_seen.append(dict(marks))
        return AccountState(T0, Decimal(1000), {})

    def execute(
        self, intents: Sequence[OrderIntent], correlation_id: CorrelationId, marks: Mapping[InstrumentId, Decimal]
    ) -> ExecutionReport:
        return ExecutionReport((), (), self.account(marks))


@dataclass
class Audit:
    records: list[AuditRecord] = field(default_factory=list)

    def append(self, entry: AuditEntry) -> AuditRecord:
        record = AuditRecord(len(self.records) + 1, entry, "prev", f"h{len(self.records) + 1}")
        self.records.append(record)
        return record

    def flush(self) -> None:
        return None


def make(source: Source | None = None) -> tuple[Pipeline, Strategies, Audit, list[PipelineStep]]:
    strategies, audit, observed = Strategies(), Audit(), []
    steps = PipelineSteps(
        source or Source(),
        Features(),
        strategies,
        Aggregator(),
        Regime(),
        Compliance(),
        Risk(),
        Planner(),
        Executor(),
        audit,
    )
    pipeline = Pipeline(steps, ManualClock(T0), observer=lambda step, nanos: observed.append(step))
    return pipeline, strategies, audit, observed


def test_a_cycle_passes_all_ten_steps_in_order_and_audits_each():
    pipeline, _, audit, observed = make()
    result = pipeline.run_cycle(1)
    assert observed == list(PipelineStep)
    assert [r.entry.step for r in audit.records] == [s.value for s in PipelineStep]
    assert {r.entry.correlation_id for r in audit.records} == {result.correlation_id}
    assert result.audit_records == tuple(audit.records)
    assert set(result.step_nanos) == set(PipelineStep)
    assert list(result.step_outputs()) == list(PipelineStep)[:9]
    sealed = audit.records[-1].entry.summary
    assert sealed == {"sealed": 9}


def test_leak_injection_stops_the_cycle_before_strategies_see_the_future():
    pipeline, strategies, audit, _ = make(Source(leak=True))
    with pytest.raises(LookAheadError, match=r"bars:GLD row 2 .* after the clock"):
        pipeline.run_cycle(1)
    assert strategies.seen == []
    assert audit.records == []


def test_same_inputs_give_byte_identical_step_outputs():
    first = make()[0].run_cycle(3)
    second = make()[0].run_cycle(3)
    for step, output in first.step_outputs().items():
        assert canonical_bytes(output) == canonical_bytes(second.step_outputs()[step]), step
    assert [r.entry.output_digest for r in first.audit_records] == [r.entry.output_digest for r in second.audit_records]


def test_marks_are_the_latest_closes():
    steps_executor = Executor()
    audit = Audit()
    steps = PipelineSteps(
        Source(),
        Features(),
        Strategies(),
        Aggregator(),
        Regime(),
        Compliance(),
        Risk(),
        Planner(),
        steps_executor,
        audit,
    )
    Pipeline(steps, ManualClock(T0)).run_cycle(1)
    assert steps_executor.marks_seen[0] == {GLD: Decimal("101.0")}


def test_snapshot_helpers():
    empty = PitSnapshot(at=T0, bars={GLD: bars([], [])})
    empty.assert_no_leak()
    assert empty.last_close(GLD) is None
    assert empty.marks() == {}
    full = Source().snapshot(T0)
    assert full.last_close(GLD) == 101.0
    fingerprint = full.__canonical__()
    assert fingerprint["bars"]["GLD"]["rows"] == 2  # type: ignore[index]


def test_clocks():
    clock = ManualClock(T0)
    clock.advance_to(T0 + timedelta(days=1))
    assert clock.now() == T0 + timedelta(days=1)
    with pytest.raises(ValueError, match="cannot go back"):
        clock.advance_to(T0)
    with pytest.raises(ValueError, match="timezone-aware"):
        ManualClock(datetime(2024, 1, 1))
    assert WallClock().now().tzinfo is UTC


def test_signal_validation():
    with pytest.raises(ValueError, match="conviction"):
        Signal(StrategyId("s"), GLD, Direction.LONG, 1.5, 5, T0)
    with pytest.raises(ValueError, match="horizon"):
        Signal(StrategyId("s"), GLD, Direction.LONG, 0.5, 0, T0)
    assert Signal(StrategyId("s"), GLD, Direction.SHORT, 0.5, 1, T0).score == -0.5
