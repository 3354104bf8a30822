from __future__ import annotations

from datetime import UTC, datetime

from qgtm_api import (
    ComplianceBlockView,
    RiskView,
    Scope,
    SignalView,
    TearSheetView,
)
from qgtm_api import (
    __all__ as public_names,
)

from .conftest import Api


def test_public_api_is_pinned_and_sorted() -> None:
    assert list(public_names) == sorted(public_names)
    assert {"create_app", "ApiServices", "StreamHub", "MetricsRecorder", "RedisStreamRelay"} <= set(public_names)


def test_portfolio_and_positions_carry_decimal_pnl_as_strings(api: Api) -> None:
    body = api.client.get("/v1/portfolio", headers=api.headers(Scope.READ)).json()
    assert body["equity"] == "1000550.00"
    assert body["positions"][0]["unrealized_pnl"] == "550.00"
    positions = api.client.get("/v1/positions", headers=api.headers(Scope.READ)).json()
    assert [p["instrument"] for p in positions] == ["GLD"]


def test_orders_and_fills_respect_limit(api: Api) -> None:
    orders = api.client.get("/v1/orders?limit=2", headers=api.headers(Scope.READ)).json()
    assert [o["client_order_id"][-1] for o in orders] == ["1", "2"]
    fills = api.client.get("/v1/fills", headers=api.headers(Scope.READ)).json()
    assert fills[0]["price"] == "190.00"


def test_risk_is_404_until_a_report_exists_then_served(api: Api) -> None:
    assert api.client.get("/v1/risk", headers=api.headers(Scope.READ)).status_code == 404
    at = datetime(2024, 3, 4, 21, tzinfo=UTC)
    api.state.risk_view = RiskView(
        at=at, correlation_id="sig-20240304-210000-abcd", posture="reduced", kill_switch=False
    )
    api.state.blocks.append(
        ComplianceBlockView(at=at, correlation_id="sig-20240304-210000-abcd", rule="position_limit")
    )
    assert api.client.get("/v1/risk", headers=api.headers(Scope.READ)).json()["posture"] == "reduced"
    blocks = api.client.get("/v1/compliance/blocks", headers=api.headers(Scope.READ)).json()
    assert blocks[0]["rule"] == "position_limit"


def test_signals_strategies_and_pause_resume(api: Api) -> None:
    api.state.add_signal(
        SignalView(
            strategy="gold_trend",
            instrument="GLD",
            direction=1,
            conviction=0.5,
            horizon_bars=5,
            as_of=datetime(2024, 3, 4, 21, tzinfo=UTC),
        )
    )
    assert api.client.get("/v1/signals", headers=api.headers(Scope.READ)).json()[0]["instrument"] == "GLD"
    names = [s["name"] for s in api.client.get("/v1/strategies", headers=api.headers(Scope.READ)).json()]
    assert names == ["gold_silver_ratio_mr", "gold_trend"]
    reason = {"reason": "regime change"}
    assert (
        api.client.post("/v1/strategies/gold_trend/pause", json=reason, headers=api.headers(Scope.READ)).status_code
        == 403
    )
    paused = api.client.post("/v1/strategies/gold_trend/pause", json=reason, headers=api.headers(Scope.TRADE))
    assert paused.json()["strategy"] == {"name": "gold_trend", "enabled": True, "paused": True}
    assert api.state.strategy_views["gold_trend"].paused is True
    resumed = api.client.post("/v1/strategies/gold_trend/resume", json=reason, headers=api.headers(Scope.TRADE))
    assert resumed.json()["strategy"]["paused"] is False
    missing = api.client.post("/v1/strategies/nope/pause", json=reason, headers=api.headers(Scope.TRADE))
    assert missing.status_code == 404
    assert missing.json()["detail"] == "no strategy named 'nope'"


def test_flatten_is_recorded_and_streamed(api: Api) -> None:
    response = api.client.post("/v1/flatten", json={"reason": "vol spike"}, headers=api.headers(Scope.TRADE))
    assert response.status_code == 200
    assert api.state.flatten_request is not None
    assert api.state.flatten_request.reason.startswith("vol spike")
    assert api.services.hub.head_seq == 1
    trace = api.client.get(f"/v1/audit/{response.json()['correlation_id']}", headers=api.headers(Scope.READ)).json()
    assert trace[0]["step"] == "api.flatten"


def test_audit_and_backtest_lookups(api: Api) -> None:
    read = api.headers(Scope.READ)
    assert api.client.get("/v1/audit/not-an-id", headers=read).status_code == 422
    missing = api.client.get("/v1/audit/sig-20240304-210000-abcd", headers=read)
    assert missing.status_code == 404
    assert "sig-20240304-210000-abcd" in missing.json()["detail"]
    api.state.run_views["run-1"] = TearSheetView(run_id="run-1", metrics={"final_equity": 1.1e6})
    assert api.client.get("/v1/backtests", headers=read).json() == [{"run_id": "run-1", "created_at": None}]
    sheet = api.client.get("/v1/backtests/run-1/tear-sheet", headers=read).json()
    assert sheet["metrics"]["final_equity"] == 1.1e6
    assert api.client.get("/v1/backtests/run-2/tear-sheet", headers=read).status_code == 404


def test_health_and_metrics_are_public_and_count_requests(api: Api) -> None:
    health = api.client.get("/health").json()
    assert (health["status"], health["version"]) == ("ok", "9.9.9")
    api.client.get("/v1/portfolio")
    text = api.client.get("/metrics").text
    assert 'qgtm_api_requests_total{method="GET",route="/v1/portfolio",status="401"} 1.0' in text
    assert "qgtm_api_request_seconds_bucket" in text
