"""Faithful loopback fakes of the outside data vendors, for tests and local demos.

Each fake serves on 127.0.0.1 with an ephemeral port (or, for IB, replays recorded event
sequences through the same client surface ``ib_async`` exposes). No real vendor is contacted.
"""

from qgtm_data.testing._alpaca import FakeAlpacaDataApi, FakeAlpacaStream, stream_bar, stream_quote
from qgtm_data.testing._fred import FakeFredServer
from qgtm_data.testing._http import LoopbackHttpServer
from qgtm_data.testing._ib import RECORDINGS, FakeIB, ReplayClock

__all__ = [
    "RECORDINGS",
    "FakeAlpacaDataApi",
    "FakeAlpacaStream",
    "FakeFredServer",
    "FakeIB",
    "LoopbackHttpServer",
    "ReplayClock",
    "stream_bar",
    "stream_quote",
]
