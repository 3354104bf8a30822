from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import httpx
import pytest

from qgtm_api import ApiKeyStore, ApiServices, BackgroundServer, InMemoryState, RateLimiter, Scope, create_app
from qgtm_core import QgtmError

from .conftest import Api, running_api

TRIP = {"reason": "operator drill"}


def test_no_key_gets_401_everywhere_but_health(api: Api) -> None:
    for path in ("/v1/portfolio", "/v1/orders", "/v1/strategies", "/v1/kill-switch"):
        response = api.client.get(path)
        assert response.status_code == 401, path
        assert response.headers["WWW-Authenticate"] == "ApiKey"
    assert api.client.post("/v1/kill-switch/trip", json=TRIP).status_code == 401
    assert api.client.get("/health").status_code == 200


def test_unknown_or_malformed_key_gets_401(api: Api) -> None:
    good = api.tokens[Scope.READ]
    key_part = good.split(".")[0]
    for token in ("nonsense", f"{key_part}.wrong-secret", "qgtm_ffffffffffff.x", good.replace("qgtm_", "")):
        assert api.client.get("/v1/portfolio", headers={"X-API-Key": token}).status_code == 401


def test_read_key_cannot_trip_the_kill_switch(api: Api) -> None:
    response = api.client.post("/v1/kill-switch/trip", json=TRIP, headers=api.headers(Scope.READ))
    assert response.status_code == 403
    assert "trade scope" in response.json()["detail"]
    assert api.state.switch.tripped is False
    assert api.client.get("/v1/portfolio", headers=api.headers(Scope.READ)).status_code == 200


def test_trade_key_trips_and_only_admin_resets_and_each_write_is_audited(api: Api) -> None:
    response = api.client.post("/v1/kill-switch/trip", json=TRIP, headers=api.headers(Scope.TRADE))
    assert response.status_code == 200
    body = response.json()
    assert body["kill_switch"]["tripped"] is True
    assert body["actor"] == api.key_ids[Scope.TRADE]
    assert api.state.switch.tripped is True
    trace = api.client.get(f"/v1/audit/{body['correlation_id']}", headers=api.headers(Scope.READ)).json()
    assert [(r["step"], r["actor"]) for r in trace] == [("api.kill_switch.trip", f"apikey:{api.key_ids[Scope.TRADE]}")]
    assert trace[0]["summary"]["request"]["reason"] == "operator drill"

    denied = api.client.post("/v1/kill-switch/reset", json={"reason": "drill over"}, headers=api.headers(Scope.TRADE))
    assert denied.status_code == 403
    reset = api.client.post("/v1/kill-switch/reset", json={"reason": "drill over"}, headers=api.headers(Scope.ADMIN))
    assert reset.status_code == 200
    assert api.state.switch.tripped is False
    assert reset.json()["audit_seq"] == 2
    assert api.client.get("/v1/kill-switch", headers=api.headers(Scope.READ)).json()["tripped"] is False


def test_validation_errors_are_422_naming_the_field_without_echoing_input(api: Api) -> None:
    secret_looking = "x" * 500
    response = api.client.post("/v1/flatten", json={"reason": secret_looking}, headers=api.headers(Scope.TRADE))
    assert response.status_code == 422
    assert response.json()["message"].startswith("body.reason: String should have at most 200 characters")
    assert secret_looking not in response.text
    extra = api.client.post("/v1/flatten", json={"reason": "ok ok", "force": True}, headers=api.headers(Scope.TRADE))
    assert extra.status_code == 422
    assert "body.force: Extra inputs are not permitted" in extra.json()["message"]
    bad_limit = api.client.get("/v1/orders?limit=0", headers=api.headers(Scope.READ))
    assert bad_limit.status_code == 422
    assert "query.limit" in bad_limit.json()["message"]


def test_keys_never_appear_in_logs_or_responses(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    token = api.tokens[Scope.ADMIN]
    secret = token.split(".", 1)[1]
    texts = [
        api.client.post("/v1/kill-switch/trip", json=TRIP, headers=api.headers(Scope.ADMIN)).text,
        api.client.post("/v1/flatten", json={"reason": "flatten drill"}, headers=api.headers(Scope.ADMIN)).text,
        api.client.get("/v1/portfolio", headers=api.headers(Scope.ADMIN)).text,
        api.client.get("/metrics").text,
        api.client.get("/openapi.json").text,
    ]
    assert any("api write kill_switch.trip by key" in r.getMessage() for r in caplog.records)
    for text in [*texts, *(r.getMessage() for r in caplog.records)]:
        assert secret not in text


def test_key_store_keeps_only_hashes_and_revokes(tmp_path: Path) -> None:
    path = tmp_path / "keys.sqlite"
    store = ApiKeyStore(path)
    key, token = store.create("ops", Scope.TRADE, rate_per_minute=60)
    assert store.verify(token) == key
    store.close()
    raw = sqlite3.connect(path).execute("SELECT * FROM api_keys").fetchall()
    assert token.split(".", 1)[1] not in repr(raw)
    reopened = ApiKeyStore(path)
    assert reopened.verify(token) == key
    assert [k.name for k in reopened.list()] == ["ops"]
    assert reopened.revoke(key.key_id) is True
    assert reopened.revoke("nope") is False
    assert reopened.verify(token) is None
    assert reopened.list()[0].revoked is True
    with pytest.raises(QgtmError, match="rate_per_minute"):
        reopened.create("bad", Scope.READ, rate_per_minute=0)
    with pytest.raises(QgtmError, match="choose read, trade or admin"):
        Scope.parse("root")


def test_rate_limit_per_key_returns_429_with_retry_after() -> None:
    now = [0.0]
    services = ApiServices.in_memory(InMemoryState())
    services = ApiServices(**{**services.__dict__, "limiter": RateLimiter(lambda: now[0])})
    _, slow = services.keys.create("slow", Scope.READ, rate_per_minute=2)
    _, other = services.keys.create("other", Scope.READ, rate_per_minute=2)
    with BackgroundServer(create_app("1", services)) as server, httpx.Client(base_url=server.url) as c:
        assert c.get("/v1/portfolio", headers={"X-API-Key": slow}).status_code == 200
        assert c.get("/v1/portfolio", headers={"X-API-Key": slow}).status_code == 200
        limited = c.get("/v1/portfolio", headers={"X-API-Key": slow})
        assert limited.status_code == 429
        assert limited.headers["Retry-After"] == "30"
        assert c.get("/v1/portfolio", headers={"X-API-Key": other}).status_code == 200
        now[0] = 30.0
        assert c.get("/v1/portfolio", headers={"X-API-Key": slow}).status_code == 200


def test_cors_allows_only_configured_origins() -> None:
    preflight = {"Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "X-API-Key"}
    with running_api(cors_origins=("https://ops.example",)) as built:
        ok = built.client.options("/v1/portfolio", headers={"Origin": "https://ops.example", **preflight})
        assert ok.headers["access-control-allow-origin"] == "https://ops.example"
        bad = built.client.options("/v1/portfolio", headers={"Origin": "https://evil.example", **preflight})
        assert "access-control-allow-origin" not in bad.headers
