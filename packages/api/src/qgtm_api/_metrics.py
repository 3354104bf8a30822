"""Prometheus metrics for the daemon and the API, on an injected registry (never the global one).

The daemon hooks ``observe_step`` into ``Pipeline(observer=...)`` and calls ``observe_cycle``
after each cycle; the API counts requests and WebSocket clients. Metric names are what the
alert rules and the Grafana dashboard in ``infra/`` query, so renaming one is a breaking change.
"""

from __future__ import annotations

from datetime import datetime

import polars as pl
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

from qgtm_core import ComplianceAction, CycleResult, OrderStatus, PipelineStep, Posture

__all__ = ["MetricsRecorder", "serve_metrics"]

_LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class MetricsRecorder:
    """All QGTM metrics on one registry."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        self.cycles = Counter("qgtm_cycles", "Pipeline cycles run", registry=r)
        self.cycle_latency = Histogram(
            "qgtm_cycle_latency_seconds", "Wall time of one pipeline cycle", buckets=_LATENCY_BUCKETS, registry=r
        )
        self.step_latency = Histogram(
            "qgtm_step_latency_seconds",
            "Wall time of one pipeline step",
            ["step"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.last_cycle = Gauge("qgtm_last_cycle_timestamp_seconds", "Unix time the last cycle finished", registry=r)
        self.orders = Counter("qgtm_orders", "Orders sent or updated by the broker step", registry=r)
        self.fills = Counter("qgtm_fills", "Fills received", registry=r)
        self.rejects = Counter("qgtm_rejects", "Trades blocked or orders rejected, by reason", ["reason"], registry=r)
        self.freshness = Gauge(
            "qgtm_data_freshness_seconds", "Clock time minus the newest available_at, per feed", ["feed"], registry=r
        )
        self.posture = Gauge(
            "qgtm_posture", "1 for the current risk posture, 0 for the others", ["posture"], registry=r
        )
        self.kill_switch = Gauge("qgtm_kill_switch", "1 while the kill switch is tripped", registry=r)
        self.ws_clients = Gauge("qgtm_ws_clients", "Connected WebSocket stream clients", registry=r)
        self.requests = Counter(
            "qgtm_api_requests", "API requests by route and status", ["method", "route", "status"], registry=r
        )
        self.request_latency = Histogram(
            "qgtm_api_request_seconds", "API request latency", ["route"], buckets=_LATENCY_BUCKETS, registry=r
        )
        self.writes = Counter("qgtm_api_writes", "Guarded API writes by action", ["action"], registry=r)
        for posture in Posture:
            self.posture.labels(posture.value).set(0)
        self.kill_switch.set(0)

    def observe_step(self, step: PipelineStep, nanos: int) -> None:
        """A ``StepObserver``: record one step's duration."""
        self.step_latency.labels(step.value).observe(nanos / 1e9)

    def observe_cycle(self, result: CycleResult, finished_at: datetime | None = None) -> None:
        """Record everything one cycle did; ``finished_at`` defaults to the cycle's clock time."""
        self.cycles.inc()
        self.cycle_latency.observe(sum(result.step_nanos.values()) / 1e9)
        self.last_cycle.set((finished_at or result.at).timestamp())
        self.orders.inc(len(result.execution.orders))
        self.fills.inc(len(result.execution.fills))
        for violation in result.compliance.violations:
            if violation.action is not ComplianceAction.FLAG:
                self.rejects.labels(f"compliance.{violation.rule.value}").inc()
        for binding in result.risk.report.bindings:
            self.rejects.labels(f"risk.{binding.limit.value}").inc()
        for order in result.execution.orders:
            if order.status is OrderStatus.REJECTED:
                self.rejects.labels(f"broker.{order.reject_reason or 'unspecified'}").inc()
        self.set_posture(result.risk.report.posture, result.risk.report.kill_switch)
        frames = {**{f"bars:{k}": v for k, v in result.snapshot.bars.items()}, **result.snapshot.series}
        for feed, frame in frames.items():
            if frame.height and "available_at" in frame.columns:
                newest = frame.select(pl.col("available_at").max()).item()
                if isinstance(newest, datetime):
                    self.freshness.labels(feed).set((result.at - newest).total_seconds())

    def set_posture(self, posture: Posture, kill_switch: bool) -> None:
        """Posture as a one-hot gauge and the kill switch as 0/1."""
        for p in Posture:
            self.posture.labels(p.value).set(1 if p is posture else 0)
        self.kill_switch.set(1 if kill_switch else 0)


def serve_metrics(recorder: MetricsRecorder, host: str = "127.0.0.1", port: int = 9108) -> None:
    """Expose the daemon's registry on ``http://host:port/metrics`` from a background thread."""
    start_http_server(port, addr=host, registry=recorder.registry)
