"""The FastAPI application factory: REST reads, guarded writes, the WebSocket stream, ``/metrics``.

Nothing is global: every collaborator comes in through ``ApiServices``, so two apps in one
process (tests, a benchmark) never share keys, state or metrics.
"""

from __future__ import annotations

import itertools
import logging
import math
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Path, Query, Request, Response, Security, WebSocket
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyHeader
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from qgtm_api._keys import ApiKey, Scope
from qgtm_api._services import ApiServices
from qgtm_api._views import (
    AuditRecordView,
    BacktestRunView,
    ComplianceBlockView,
    FillView,
    FlattenRequest,
    Health,
    KillSwitchView,
    OrderView,
    PortfolioView,
    PositionView,
    ReasonRequest,
    RiskView,
    SignalView,
    StrategyView,
    TearSheetView,
    WriteResult,
)
from qgtm_api._ws import serve_stream
from qgtm_core import AuditEntry, JsonValue, correlation_id_for, digest

__all__ = ["Health", "create_app"]

_log = logging.getLogger(__name__)

_DESCRIPTION = """Read the state of a QGTM daemon or run, and make the few guarded writes an operator needs.

Authenticate with the `X-API-Key` header. Scopes are ordered: `read` < `trade` < `admin`; every
write needs `trade` (kill-switch reset needs `admin`) and is recorded in the audit log with the key
id as actor. Rate limits are per key (HTTP 429 with `Retry-After`).

**WebSocket** `/ws/stream` (not shown below, OpenAPI cannot describe it): send
`{"type": "hello", "api_key": "...", "last_seq": 41}` first (or pass `X-API-Key` as a header).
Events arrive as `{"type": "event", "seq": 42, "kind": "fill", "at": "...", "data": {...}}`;
a `heartbeat` comes every 10 s. Reconnect with the last `seq` you saw to receive exactly what you
missed; if that is older than the replay buffer you get `{"type": "resync", ...}` (close code 4410):
fetch the REST snapshot and reconnect without `last_seq`.
"""

_ERRORS: dict[int | str, dict[str, object]] = {
    401: {"description": "missing or unknown API key"},
    403: {"description": "the key's scope does not allow this"},
    429: {"description": "rate limit exceeded; see Retry-After"},
}
_CORRELATION_PATTERN = r"^sig-\d{8}-\d{6}-[0-9a-f]{4}$"
_RUN_PATTERN = r"^[A-Za-z0-9._-]{1,120}$"
_NAME_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"

Limit = Annotated[int, Query(ge=1, le=1000, description="newest N items")]


def _validation_message(exc: RequestValidationError) -> JSONResponse:
    """422 naming each bad field; the offending input is never echoed (it may be a secret)."""
    details: list[dict[str, JsonValue]] = []
    parts: list[str] = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ())]
        message = str(err.get("msg", ""))
        details.append({"loc": list[JsonValue](loc), "msg": message, "type": str(err.get("type", ""))})
        parts.append(f"{'.'.join(loc)}: {message}")
    return JSONResponse(status_code=422, content={"message": "; ".join(parts), "detail": details})


_HEADER = APIKeyHeader(name="X-API-Key", auto_error=False, description="API key: qgtm_<id>.<secret>")


def _services(request: Request) -> ApiServices:
    services: ApiServices = request.app.state.services
    return services


def _authenticate(request: Request, token: Annotated[str | None, Security(_HEADER)]) -> ApiKey:
    svc = _services(request)
    if not token:
        raise HTTPException(401, "missing API key (send the X-API-Key header)", {"WWW-Authenticate": "ApiKey"})
    key = svc.keys.verify(token)
    if key is None:
        raise HTTPException(401, "unknown or revoked API key", {"WWW-Authenticate": "ApiKey"})
    wait = svc.limiter.allow(key.key_id, key.rate_per_minute)
    if wait > 0:
        raise HTTPException(
            429, f"rate limit of {key.rate_per_minute}/min exceeded", {"Retry-After": str(math.ceil(wait))}
        )
    return key


def _require(scope: Scope) -> Callable[[ApiKey], ApiKey]:
    def check(key: Annotated[ApiKey, Depends(_authenticate)]) -> ApiKey:
        if key.scope < scope:
            raise HTTPException(403, f"this action needs the {scope.name.lower()} scope")
        return key

    return check


Reader = Annotated[ApiKey, Depends(_require(Scope.READ))]
Trader = Annotated[ApiKey, Depends(_require(Scope.TRADE))]
Admin = Annotated[ApiKey, Depends(_require(Scope.ADMIN))]


def create_app(version: str = "0.1.0", services: ApiServices | None = None) -> FastAPI:
    """Build the API over ``services`` (an empty in-memory state when omitted)."""
    svc = services or ApiServices.in_memory()
    app = FastAPI(title="QGTM API", version=version, description=_DESCRIPTION)
    app.state.services = svc
    if svc.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(svc.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["X-API-Key", "Content-Type"],
        )
    write_ids = itertools.count(1)

    @app.exception_handler(RequestValidationError)
    async def on_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return _validation_message(exc)

    @app.middleware("http")
    async def count_requests(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        template = str(getattr(route, "path", "unmatched"))
        svc.metrics.requests.labels(request.method, template, str(response.status_code)).inc()
        svc.metrics.request_latency.labels(template).observe(time.perf_counter() - started)
        return response

    def audited(action: str, key: ApiKey, request: JsonValue, result: WriteResult | None = None) -> tuple[str, int]:
        at = svc.clock.now()
        cid = correlation_id_for(at, next(write_ids), "qgtm-api")
        record = svc.audit_log.append(
            AuditEntry(
                at=at,
                correlation_id=cid,
                step=f"api.{action}",
                actor=f"apikey:{key.key_id}",
                input_digest=digest(request),
                output_digest=digest(result.model_dump(mode="json") if result is not None else None),
                summary={"action": action, "key_name": key.name, "request": request},
            )
        )
        svc.audit_log.flush()
        svc.metrics.writes.labels(action).inc()
        _log.info("api write %s by key %s (%s)", action, key.key_id, cid)
        return cid, record.seq

    # ------------------------------------------------------------------ public
    @app.get("/health", tags=["system"])
    def health() -> Health:
        """Liveness; needs no key."""
        return Health(status="ok", version=version, at=svc.clock.now(), head_seq=svc.hub.head_seq)

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        svc.metrics.ws_clients.set(svc.hub.clients)
        return Response(generate_latest(svc.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    # ------------------------------------------------------------------ reads
    @app.get("/v1/portfolio", tags=["portfolio"], responses=_ERRORS)
    def portfolio(key: Reader) -> PortfolioView:
        """Cash, equity and positions with realised and unrealised P&L."""
        return svc.portfolio.portfolio()

    @app.get("/v1/positions", tags=["portfolio"], responses=_ERRORS)
    def positions(key: Reader) -> list[PositionView]:
        """Open positions with P&L."""
        return list(svc.portfolio.portfolio().positions)

    @app.get("/v1/orders", tags=["trading"], responses=_ERRORS)
    def orders(key: Reader, limit: Limit = 100) -> Sequence[OrderView]:
        """The newest orders, oldest first."""
        return svc.trades.orders(limit)

    @app.get("/v1/fills", tags=["trading"], responses=_ERRORS)
    def fills(key: Reader, limit: Limit = 100) -> Sequence[FillView]:
        """The newest fills, oldest first."""
        return svc.trades.fills(limit)

    @app.get("/v1/risk", tags=["risk"], responses={**_ERRORS, 404: {"description": "no risk report yet"}})
    def risk(key: Reader) -> RiskView:
        """The latest risk report and posture."""
        report = svc.risk.risk()
        if report is None:
            raise HTTPException(404, "no risk report yet: the daemon has not completed a cycle")
        return report

    @app.get("/v1/compliance/blocks", tags=["risk"], responses=_ERRORS)
    def compliance_blocks(key: Reader, limit: Limit = 100) -> Sequence[ComplianceBlockView]:
        """Trades compliance blocked or cut, newest last."""
        return svc.risk.compliance_blocks(limit)

    @app.get("/v1/kill-switch", tags=["risk"], responses=_ERRORS)
    def kill_switch(key: Reader) -> KillSwitchView:
        """Kill-switch state."""
        return svc.controls.kill_switch()

    @app.get("/v1/signals", tags=["signals"], responses=_ERRORS)
    def signals(key: Reader, limit: Limit = 100) -> Sequence[SignalView]:
        """Recent strategy signals."""
        return svc.signals.signals(limit)

    @app.get("/v1/strategies", tags=["signals"], responses=_ERRORS)
    def strategies(key: Reader) -> Sequence[StrategyView]:
        """Configured strategies and whether each is paused."""
        return svc.signals.strategies()

    @app.get("/v1/audit/{correlation_id}", tags=["audit"], responses={**_ERRORS, 404: {"description": "no such trace"}})
    def audit_trace(
        key: Reader, correlation_id: Annotated[str, Path(pattern=_CORRELATION_PATTERN)]
    ) -> Sequence[AuditRecordView]:
        """Every audit record of one cycle or write, in order."""
        records = svc.audit_reader.trace(correlation_id)
        if not records:
            raise HTTPException(404, f"no audit records for correlation id {correlation_id}")
        return records

    @app.get("/v1/backtests", tags=["research"], responses=_ERRORS)
    def backtests(key: Reader) -> Sequence[BacktestRunView]:
        """Stored runs with tear sheets."""
        return svc.backtests.runs()

    @app.get(
        "/v1/backtests/{run_id}/tear-sheet",
        tags=["research"],
        responses={**_ERRORS, 404: {"description": "no such run"}},
    )
    def tear_sheet(key: Reader, run_id: Annotated[str, Path(pattern=_RUN_PATTERN)]) -> TearSheetView:
        """One run's figures."""
        sheet = svc.backtests.tear_sheet(run_id)
        if sheet is None:
            raise HTTPException(404, f"no run {run_id!r}")
        return sheet

    # ------------------------------------------------------------------ writes
    def _switch_result(action: str, key: ApiKey, body: ReasonRequest, state: KillSwitchView) -> WriteResult:
        svc.hub.publish("kill_switch", state.model_dump(mode="json"))
        svc.metrics.kill_switch.set(1 if state.tripped else 0)
        cid, seq = audited(action, key, {"reason": body.reason, "tripped": state.tripped})
        return WriteResult(action=action, actor=key.key_id, correlation_id=cid, audit_seq=seq, kill_switch=state)

    @app.post("/v1/kill-switch/trip", tags=["control"], responses=_ERRORS)
    def trip(key: Trader, body: ReasonRequest) -> WriteResult:
        """Halt all new orders until an admin resets the switch (needs `trade`)."""
        return _switch_result("kill_switch.trip", key, body, svc.controls.trip_kill_switch(body.reason, key.key_id))

    @app.post("/v1/kill-switch/reset", tags=["control"], responses=_ERRORS)
    def reset(key: Admin, body: ReasonRequest) -> WriteResult:
        """Clear the kill switch (needs `admin`)."""
        return _switch_result("kill_switch.reset", key, body, svc.controls.reset_kill_switch(key.key_id))

    @app.post("/v1/flatten", tags=["control"], responses=_ERRORS)
    def flatten(key: Trader, body: FlattenRequest) -> WriteResult:
        """Ask the daemon to close every position at its next cycle (needs `trade`)."""
        state = svc.controls.flatten(body.reason, key.key_id)
        svc.hub.publish("control", {"action": "flatten", "reason": body.reason})
        cid, seq = audited("flatten", key, {"reason": body.reason})
        return WriteResult(action="flatten", actor=key.key_id, correlation_id=cid, audit_seq=seq, flatten=state)

    def _pause(name: str, paused: bool, key: ApiKey, body: ReasonRequest) -> WriteResult:
        state = svc.controls.set_paused(name, paused, key.key_id)
        if state is None:
            raise HTTPException(404, f"no strategy named {name!r}")
        action = "strategy.pause" if paused else "strategy.resume"
        svc.hub.publish("control", {"action": action, "strategy": name})
        cid, seq = audited(action, key, {"strategy": name, "reason": body.reason})
        return WriteResult(action=action, actor=key.key_id, correlation_id=cid, audit_seq=seq, strategy=state)

    @app.post(
        "/v1/strategies/{name}/pause", tags=["control"], responses={**_ERRORS, 404: {"description": "no such strategy"}}
    )
    def pause(key: Trader, name: Annotated[str, Path(pattern=_NAME_PATTERN)], body: ReasonRequest) -> WriteResult:
        """Stop a strategy generating signals (needs `trade`)."""
        return _pause(name, True, key, body)

    @app.post(
        "/v1/strategies/{name}/resume",
        tags=["control"],
        responses={**_ERRORS, 404: {"description": "no such strategy"}},
    )
    def resume(key: Trader, name: Annotated[str, Path(pattern=_NAME_PATTERN)], body: ReasonRequest) -> WriteResult:
        """Let a paused strategy generate signals again (needs `trade`)."""
        return _pause(name, False, key, body)

    # ------------------------------------------------------------------ stream
    @app.websocket("/ws/stream")
    async def stream(websocket: WebSocket) -> None:
        await serve_stream(websocket, svc)

    return app
