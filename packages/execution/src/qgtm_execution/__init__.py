"""Order management and broker execution for QGTM (steps 8 and 9).

from qgtm_execution import BrokerExecutor, SqliteStateStore, TargetOrderPlanner
store = SqliteStateStore(":memory:")
planner = TargetOrderPlanner(DEFAULT_UNIVERSE)
executor = BrokerExecutor(broker, store, store, DEFAULT_UNIVERSE, clock)
"""

from qgtm_execution._alpaca import AlpacaApiError, AlpacaBroker
from qgtm_execution._errors import (
    BrokerDisconnectedError,
    IllegalTransitionError,
    ReconciliationError,
    SubmitOutcomeUnknownError,
)
from qgtm_execution._executor import BrokerExecutor, ExecutionPolicy
from qgtm_execution._ib import IbBroker, IbClient
from qgtm_execution._journal import JournalingBroker, ReplayableVenue
from qgtm_execution._migrations import MIGRATIONS, Migration
from qgtm_execution._planner import MarketContextSource, TargetOrderPlanner
from qgtm_execution._postgres_store import PostgresStateStore
from qgtm_execution._routing import (
    MarketContext,
    OrderStyle,
    Quote,
    Router,
    RoutingPolicy,
    SliceMethod,
    Urgency,
    parse_slice,
)
from qgtm_execution._shadow import AccountSource, ShadowExecutor, broker_account
from qgtm_execution._sierra import SierraChartBroker
from qgtm_execution._sqlite_store import SqliteStateStore
from qgtm_execution._state_machine import LEGAL_TRANSITIONS, advance, new_order

__all__ = [
    "LEGAL_TRANSITIONS",
    "MIGRATIONS",
    "AccountSource",
    "AlpacaApiError",
    "AlpacaBroker",
    "BrokerDisconnectedError",
    "BrokerExecutor",
    "ExecutionPolicy",
    "IbBroker",
    "IbClient",
    "IllegalTransitionError",
    "JournalingBroker",
    "MarketContext",
    "MarketContextSource",
    "Migration",
    "OrderStyle",
    "PostgresStateStore",
    "Quote",
    "ReconciliationError",
    "ReplayableVenue",
    "Router",
    "RoutingPolicy",
    "ShadowExecutor",
    "SierraChartBroker",
    "SliceMethod",
    "SqliteStateStore",
    "SubmitOutcomeUnknownError",
    "TargetOrderPlanner",
    "Urgency",
    "advance",
    "broker_account",
    "new_order",
    "parse_slice",
]
