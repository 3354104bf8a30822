"""Order management and broker execution for QGTM (steps 8 and 9).

from qgtm_execution import BrokerExecutor, SqliteStateStore, TargetOrderPlanner
store = SqliteStateStore(":memory:")
planner = TargetOrderPlanner(DEFAULT_UNIVERSE)
executor = BrokerExecutor(broker, store, store, DEFAULT_UNIVERSE, clock)
"""

from qgtm_execution._executor import BrokerExecutor
from qgtm_execution._planner import TargetOrderPlanner
from qgtm_execution._sqlite_store import SqliteStateStore

__all__ = ["BrokerExecutor", "SqliteStateStore", "TargetOrderPlanner"]
