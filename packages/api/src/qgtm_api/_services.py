"""Everything ``create_app`` needs, injected: read models, controls, audit log, keys, stream, metrics."""

from __future__ import annotations

from dataclasses import dataclass, field

from qgtm_api._audit_memory import InMemoryAuditLog
from qgtm_api._keys import ApiKeyStore
from qgtm_api._memory import InMemoryState
from qgtm_api._metrics import MetricsRecorder
from qgtm_api._ports import (
    AuditReader,
    BacktestReader,
    Controls,
    PortfolioReader,
    RiskReader,
    SignalReader,
    TradeReader,
)
from qgtm_api._ratelimit import RateLimiter
from qgtm_api._stream import StreamHub
from qgtm_core import AuditLog, Clock, WallClock

__all__ = ["ApiServices"]


@dataclass(frozen=True)
class ApiServices:
    """The API's collaborators. ``in_memory()`` builds a self-contained set for tests and notebooks."""

    portfolio: PortfolioReader
    trades: TradeReader
    risk: RiskReader
    signals: SignalReader
    audit_reader: AuditReader
    backtests: BacktestReader
    controls: Controls
    audit_log: AuditLog
    keys: ApiKeyStore
    hub: StreamHub
    metrics: MetricsRecorder
    clock: Clock = field(default_factory=WallClock)
    limiter: RateLimiter = field(default_factory=RateLimiter)
    cors_origins: tuple[str, ...] = ()
    heartbeat_seconds: float = 10.0
    hello_timeout_seconds: float = 10.0

    @classmethod
    def in_memory(
        cls,
        state: InMemoryState | None = None,
        *,
        keys: ApiKeyStore | None = None,
        hub: StreamHub | None = None,
        clock: Clock | None = None,
        heartbeat_seconds: float = 10.0,
        cors_origins: tuple[str, ...] = (),
    ) -> ApiServices:
        """Every reader and control backed by one ``InMemoryState`` and an in-memory audit log."""
        chosen = clock or WallClock()
        state = state or InMemoryState(chosen)
        audit = InMemoryAuditLog()
        return cls(
            portfolio=state,
            trades=state,
            risk=state,
            signals=state,
            audit_reader=audit,
            backtests=state,
            controls=state,
            audit_log=audit,
            keys=keys or ApiKeyStore(),
            hub=hub or StreamHub(clock=chosen),
            metrics=MetricsRecorder(),
            clock=chosen,
            cors_origins=cors_origins,
            heartbeat_seconds=heartbeat_seconds,
        )
