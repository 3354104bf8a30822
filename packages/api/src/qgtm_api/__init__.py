"""The QGTM REST and WebSocket API, API keys, the sequenced event stream and Prometheus metrics.

Serve an in-memory state (tests, notebooks) or inject the app's read models::

    from qgtm_api import ApiServices, Scope, create_app

    services = ApiServices.in_memory()
    _, token = services.keys.create("ops", Scope.TRADE)
    app = create_app("0.1.0", services)   # uvicorn.run(app) ; send X-API-Key: <token>
"""

from qgtm_api._app import create_app
from qgtm_api._audit_memory import InMemoryAuditLog
from qgtm_api._keys import ApiKey, ApiKeyStore, Scope
from qgtm_api._memory import InMemoryState
from qgtm_api._metrics import MetricsRecorder, serve_metrics
from qgtm_api._ports import (
    AuditReader,
    BacktestReader,
    Controls,
    PortfolioReader,
    RiskReader,
    SignalReader,
    StreamPublisher,
    TradeReader,
)
from qgtm_api._ratelimit import RateLimiter
from qgtm_api._redis_relay import RedisStreamRelay
from qgtm_api._server import BackgroundServer
from qgtm_api._services import ApiServices
from qgtm_api._stream import GapTooOld, StreamHub, StreamMessage, StreamRelay, Subscription
from qgtm_api._views import (
    AuditRecordView,
    BacktestRunView,
    ComplianceBlockView,
    FillView,
    FlattenRequest,
    FlattenView,
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

__all__ = [
    "ApiKey",
    "ApiKeyStore",
    "ApiServices",
    "AuditReader",
    "AuditRecordView",
    "BackgroundServer",
    "BacktestReader",
    "BacktestRunView",
    "ComplianceBlockView",
    "Controls",
    "FillView",
    "FlattenRequest",
    "FlattenView",
    "GapTooOld",
    "Health",
    "InMemoryAuditLog",
    "InMemoryState",
    "KillSwitchView",
    "MetricsRecorder",
    "OrderView",
    "PortfolioReader",
    "PortfolioView",
    "PositionView",
    "RateLimiter",
    "ReasonRequest",
    "RedisStreamRelay",
    "RiskReader",
    "RiskView",
    "Scope",
    "SignalReader",
    "SignalView",
    "StrategyView",
    "StreamHub",
    "StreamMessage",
    "StreamPublisher",
    "StreamRelay",
    "Subscription",
    "TearSheetView",
    "TradeReader",
    "WriteResult",
    "create_app",
    "serve_metrics",
]
