"""Test doubles of the outside world (brokers), shipped with the package so users test with them too.

from qgtm_execution.testing import FakeAlpacaServer
with FakeAlpacaServer() as server:
    broker = AlpacaBroker("fake-key", "fake-secret", url_override=server.base_url)
"""

from qgtm_execution.testing._fake_alpaca import FakeAlpacaServer
from qgtm_execution.testing._fake_ib import FakeIB
from qgtm_execution.testing._scripted_broker import ScriptedBroker

__all__ = ["FakeAlpacaServer", "FakeIB", "ScriptedBroker"]
