"""One cycle of the ten-step pipeline, identical in backtest, paper and live.

The pipeline owns the order of the steps, the correlation id, the look-ahead guard after step 1
and the audit trail: every step's input and output are digested canonically and appended to the
audit log with the cycle's correlation id, then step 10 seals the cycle with a record over the
nine step records. It holds no trading logic of its own.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from qgtm_core.audit import AuditEntry, AuditRecord, PipelineStep
from qgtm_core.canonical import JsonValue, digest
from qgtm_core.decisions import ComplianceResult, FilterResult, RiskResult
from qgtm_core.ids import CorrelationId, correlation_id_for
from qgtm_core.observations import PitSnapshot
from qgtm_core.orders import AccountState, ExecutionReport, OrderIntent
from qgtm_core.portfolio import TargetPortfolio
from qgtm_core.ports import (
    AuditLog,
    Clock,
    ComplianceGate,
    Executor,
    FeatureEngine,
    OrderPlanner,
    PointInTimeSource,
    RiskGate,
    SignalAggregator,
    SignalFilter,
    SignalGenerator,
)
from qgtm_core.signals import FeatureSet, Signal

__all__ = ["CycleResult", "Pipeline", "PipelineSteps", "StepObserver"]

StepObserver = Callable[[PipelineStep, int], None]
"""Called after each step with its duration in nanoseconds (metrics hook)."""


@dataclass(frozen=True)
class PipelineSteps:
    """The ten step implementations the app wires together."""

    data: PointInTimeSource
    features: FeatureEngine
    strategies: SignalGenerator
    aggregation: SignalAggregator
    regime: SignalFilter
    compliance: ComplianceGate
    risk: RiskGate
    orders: OrderPlanner
    executor: Executor
    audit: AuditLog


@dataclass(frozen=True)
class CycleResult:
    """Everything one cycle saw and decided, for summaries, tests and the shadow log."""

    cycle: int
    correlation_id: CorrelationId
    at: datetime
    snapshot: PitSnapshot
    features: FeatureSet
    signals: tuple[Signal, ...]
    target: TargetPortfolio
    filtered: FilterResult
    account: AccountState
    compliance: ComplianceResult
    risk: RiskResult
    intents: tuple[OrderIntent, ...]
    execution: ExecutionReport
    audit_records: tuple[AuditRecord, ...]
    step_nanos: Mapping[PipelineStep, int]

    def step_outputs(self) -> dict[PipelineStep, object]:
        """The output of each step, keyed by step, in pipeline order."""
        return {
            PipelineStep.DATA: self.snapshot,
            PipelineStep.FEATURES: self.features,
            PipelineStep.STRATEGIES: self.signals,
            PipelineStep.AGGREGATION: self.target,
            PipelineStep.REGIME_META: self.filtered,
            PipelineStep.COMPLIANCE: self.compliance,
            PipelineStep.RISK: self.risk,
            PipelineStep.ORDER_MANAGEMENT: self.intents,
            PipelineStep.BROKER: self.execution,
        }


class _Recorder:
    """Times steps and appends one audit record per step."""

    def __init__(
        self,
        audit: AuditLog,
        at: datetime,
        correlation_id: CorrelationId,
        actor: str,
        observer: StepObserver | None,
    ) -> None:
        self._audit = audit
        self._at = at
        self._cid = correlation_id
        self._actor = actor
        self._observer = observer
        self.records: list[AuditRecord] = []
        self.nanos: dict[PipelineStep, int] = {}

    def record(self, step: PipelineStep, started: int, step_input: object, output: object, summary: JsonValue) -> None:
        elapsed = time.perf_counter_ns() - started
        self.nanos[step] = elapsed
        if self._observer is not None:
            self._observer(step, elapsed)
        entry = AuditEntry(
            at=self._at,
            correlation_id=self._cid,
            step=step.value,
            actor=self._actor,
            input_digest=digest(step_input),
            output_digest=digest(output),
            summary=summary,
        )
        self.records.append(self._audit.append(entry))


class Pipeline:
    """Runs cycles of the ten steps against a clock."""

    def __init__(
        self,
        steps: PipelineSteps,
        clock: Clock,
        *,
        actor: str = "qgtm",
        namespace: str = "qgtm",
        observer: StepObserver | None = None,
    ) -> None:
        self._steps = steps
        self._clock = clock
        self._actor = actor
        self._namespace = namespace
        self._observer = observer

    def run_cycle(self, cycle: int) -> CycleResult:
        """Run steps 1-10 once at the clock's current time."""
        s = self._steps
        at = self._clock.now()
        cid = correlation_id_for(at, cycle, self._namespace)
        rec = _Recorder(s.audit, at, cid, self._actor, self._observer)
        clock_input = {"at": at, "cycle": cycle}

        t = time.perf_counter_ns()
        snapshot = s.data.snapshot(at)
        snapshot.assert_no_leak()
        rec.record(PipelineStep.DATA, t, clock_input, snapshot, {"instruments": len(snapshot.bars)})

        t = time.perf_counter_ns()
        features = s.features.compute(snapshot)
        rec.record(PipelineStep.FEATURES, t, snapshot, features, {"instruments": len(features.values)})

        t = time.perf_counter_ns()
        signals = s.strategies.generate(features)
        rec.record(PipelineStep.STRATEGIES, t, features, signals, {"signals": len(signals)})

        t = time.perf_counter_ns()
        target = s.aggregation.aggregate(signals, features)
        rec.record(PipelineStep.AGGREGATION, t, signals, target, {"gross": target.gross})

        t = time.perf_counter_ns()
        filtered = s.regime.filter(target, signals, features)
        rec.record(
            PipelineStep.REGIME_META,
            t,
            target,
            filtered,
            {"regime": filtered.regime, "decisions": len(filtered.decisions)},
        )

        marks = snapshot.marks()
        t = time.perf_counter_ns()
        account = s.executor.account(marks)
        compliance = s.compliance.check(filtered.target, account)
        rec.record(
            PipelineStep.COMPLIANCE,
            t,
            {"target": filtered.target, "account": account},
            compliance,
            {"violations": [v.rule.value for v in compliance.violations]},
        )

        t = time.perf_counter_ns()
        risk = s.risk.assess(compliance.approved, account, features)
        rec.record(
            PipelineStep.RISK,
            t,
            compliance.approved,
            risk,
            {"posture": risk.report.posture.value, "kill_switch": risk.report.kill_switch},
        )

        t = time.perf_counter_ns()
        intents = s.orders.plan(risk.approved, account, marks, cid)
        rec.record(PipelineStep.ORDER_MANAGEMENT, t, risk.approved, intents, {"intents": len(intents)})

        t = time.perf_counter_ns()
        execution = s.executor.execute(intents, cid, marks)
        rec.record(
            PipelineStep.BROKER,
            t,
            intents,
            execution,
            {
                "orders": len(execution.orders),
                "fills": len(execution.fills),
                "reconciled": execution.reconciled,
            },
        )

        t = time.perf_counter_ns()
        sealed = [r.record_hash for r in rec.records]
        rec.record(PipelineStep.AUDIT, t, sealed, {"cycle": cycle, "records": sealed}, {"sealed": len(sealed)})

        return CycleResult(
            cycle=cycle,
            correlation_id=cid,
            at=at,
            snapshot=snapshot,
            features=features,
            signals=signals,
            target=target,
            filtered=filtered,
            account=account,
            compliance=compliance,
            risk=risk,
            intents=intents,
            execution=execution,
            audit_records=tuple(rec.records),
            step_nanos=dict(rec.nanos),
        )
