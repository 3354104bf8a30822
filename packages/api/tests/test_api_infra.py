"""The monitoring files in infra/ query metrics that MetricsRecorder really exports."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from qgtm_api import MetricsRecorder

INFRA = Path(__file__).resolve().parents[3] / "infra"
_METRIC = re.compile(r"\bqgtm_[a-z_]+")


def _exported() -> set[str]:
    recorder = MetricsRecorder()
    recorder.requests.labels("GET", "/x", "200").inc()
    recorder.request_latency.labels("/x").observe(0.1)
    recorder.step_latency.labels("01-data").observe(0.1)
    recorder.rejects.labels("risk.var").inc()
    recorder.freshness.labels("bars:GLD").set(1)
    recorder.writes.labels("flatten").inc()
    return {sample.name for family in recorder.registry.collect() for sample in family.samples}


def _alert_exprs() -> list[str]:
    rules = yaml.safe_load((INFRA / "prometheus" / "alerts.yml").read_text())
    return [rule["expr"] for group in rules["groups"] for rule in group["rules"]]


def _dashboard_exprs() -> list[str]:
    dashboard = json.loads((INFRA / "grafana" / "dashboards" / "qgtm.json").read_text())
    return [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]


def test_every_metric_in_alerts_and_dashboard_is_exported() -> None:
    exported = _exported()
    used = {m for expr in _alert_exprs() + _dashboard_exprs() for m in _METRIC.findall(expr)}
    assert used, "no qgtm metrics referenced"
    assert used - exported == set()
    for needed in ("qgtm_kill_switch", "qgtm_posture", "qgtm_cycle_latency_seconds_bucket", "qgtm_ws_clients"):
        assert needed in used


def test_compose_starts_the_full_stack_on_loopback() -> None:
    compose = yaml.safe_load((INFRA / "compose.yaml").read_text())
    assert set(compose["services"]) >= {"postgres", "redis", "prometheus", "grafana", "daemon", "api"}
    for name, service in compose["services"].items():
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:"), f"{name} publishes {port} beyond loopback"


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool not installed (apt-get install prometheus)")
def test_promtool_accepts_rules_and_their_unit_tests() -> None:
    promtool = shutil.which("promtool")
    assert promtool is not None
    for args in (
        ["check", "rules", str(INFRA / "prometheus" / "alerts.yml")],
        ["test", "rules", str(INFRA / "prometheus" / "alerts_test.yml")],
        ["check", "config", str(INFRA / "prometheus" / "prometheus.yml")],
    ):
        done = subprocess.run([promtool, *args], capture_output=True, text=True, check=False, timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr
