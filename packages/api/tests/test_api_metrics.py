from __future__ import annotations

import socket
import urllib.request
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import polars as pl

from qgtm_api import MetricsRecorder, serve_metrics
from qgtm_core import (
    AccountState,
    ClientOrderId,
    ComplianceAction,
    ComplianceResult,
    ComplianceRule,
    ComplianceViolation,
    CorrelationId,
    CycleResult,
    ExecutionId,
    ExecutionReport,
    FeatureSet,
    Fill,
    FilterResult,
    InstrumentId,
    Order,
    OrderIntent,
    OrderStatus,
    PipelineStep,
    PitSnapshot,
    Posture,
    RiskBinding,
    RiskLimit,
    RiskReport,
    RiskResult,
    Side,
    TargetPortfolio,
)

AT = datetime(2024, 3, 4, 21, 15, tzinfo=UTC)
GLD = InstrumentId("GLD")
CID = CorrelationId("sig-20240304-211500-abcd")


def _order(n: int, status: OrderStatus, reason: str | None = None) -> Order:
    intent = OrderIntent(ClientOrderId(f"c{n}"), CID, GLD, Side.BUY, Decimal(10))
    return Order(intent, status, AT, reject_reason=reason)


def _cycle() -> CycleResult:
    bars = pl.DataFrame({"available_at": [AT - timedelta(days=1), AT - timedelta(minutes=15)], "close": [1.0, 2.0]})
    target = TargetPortfolio(AT, {GLD: 0.5})
    account = AccountState(AT, Decimal(1000), {})
    violations = (
        ComplianceViolation(ComplianceRule.POSITION_LIMIT, ComplianceAction.REDUCE, GLD, 0.5, 0.35, "cut"),
        ComplianceViolation(ComplianceRule.WASH_SALE, ComplianceAction.FLAG, GLD, 0.35, 0.35, "flag only"),
    )
    report = RiskReport(
        AT,
        1000.0,
        1100.0,
        0.09,
        0.35,
        0.35,
        Posture.REDUCED,
        False,
        (RiskBinding(RiskLimit.DRAWDOWN, None, 0.35, 0.2, "drawdown"),),
    )
    fill = Fill(ExecutionId("e1"), ClientOrderId("c1"), GLD, Side.BUY, Decimal(10), Decimal(2), Decimal(1), AT)
    execution = ExecutionReport(
        (
            _order(1, OrderStatus.FILLED),
            _order(2, OrderStatus.REJECTED, "insufficient_buying_power"),
            _order(3, OrderStatus.REJECTED),
        ),
        (fill,),
        account,
    )
    return CycleResult(
        cycle=1,
        correlation_id=CID,
        at=AT,
        snapshot=PitSnapshot(AT, {GLD: bars}, {"DFII10": bars.head(1)}),
        features=FeatureSet(AT, {}),
        signals=(),
        target=target,
        filtered=FilterResult(target, (), "calm"),
        account=account,
        compliance=ComplianceResult(target, violations),
        risk=RiskResult(target, report),
        intents=(),
        execution=execution,
        audit_records=(),
        step_nanos={PipelineStep.DATA: 2_000_000, PipelineStep.RISK: 3_000_000},
    )


def _value(recorder: MetricsRecorder, name: str, labels: dict[str, str] | None = None) -> float | None:
    return recorder.registry.get_sample_value(name, labels or {})


def test_cycle_metrics_cover_latency_orders_fills_rejects_freshness_posture() -> None:
    recorder = MetricsRecorder()
    recorder.observe_step(PipelineStep.DATA, 2_000_000)
    recorder.observe_cycle(_cycle())
    assert _value(recorder, "qgtm_cycles_total") == 1
    assert _value(recorder, "qgtm_cycle_latency_seconds_sum") == 0.005
    assert _value(recorder, "qgtm_step_latency_seconds_sum", {"step": "01-data"}) == 0.002
    assert _value(recorder, "qgtm_orders_total") == 3
    assert _value(recorder, "qgtm_fills_total") == 1
    assert _value(recorder, "qgtm_rejects_total", {"reason": "compliance.position_limit"}) == 1
    assert _value(recorder, "qgtm_rejects_total", {"reason": "compliance.wash_sale"}) is None  # a flag is not a reject
    assert _value(recorder, "qgtm_rejects_total", {"reason": "risk.drawdown"}) == 1
    assert _value(recorder, "qgtm_rejects_total", {"reason": "broker.insufficient_buying_power"}) == 1
    assert _value(recorder, "qgtm_rejects_total", {"reason": "broker.unspecified"}) == 1
    assert _value(recorder, "qgtm_data_freshness_seconds", {"feed": "bars:GLD"}) == 900
    assert _value(recorder, "qgtm_data_freshness_seconds", {"feed": "DFII10"}) == 86400
    assert _value(recorder, "qgtm_posture", {"posture": "reduced"}) == 1
    assert _value(recorder, "qgtm_posture", {"posture": "full"}) == 0
    assert _value(recorder, "qgtm_kill_switch") == 0
    assert _value(recorder, "qgtm_last_cycle_timestamp_seconds") == AT.timestamp()


def test_two_recorders_do_not_share_a_registry_and_can_be_scraped() -> None:
    a, b = MetricsRecorder(), MetricsRecorder()
    a.set_posture(Posture.FLATTEN, kill_switch=True)
    assert _value(b, "qgtm_kill_switch") == 0
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    serve_metrics(a, "127.0.0.1", port)
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    assert "qgtm_kill_switch 1.0" in text
    assert 'qgtm_posture{posture="flatten"} 1.0' in text
