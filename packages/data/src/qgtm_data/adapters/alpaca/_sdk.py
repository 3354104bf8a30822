"""alpaca-py imported once, with its own deprecation of ``websockets.legacy`` silenced.

alpaca-py still uses ``websockets.legacy`` (deprecated upstream in websockets 14); the warning is
about alpaca-py's code, not ours, and would otherwise become an error under ``-W error``. Only
that one message is filtered; every other warning still surfaces.
"""

from __future__ import annotations

import warnings

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="websockets.legacy is deprecated", category=DeprecationWarning)
    from alpaca.data.enums import Adjustment as AlpacaAdjustment
    from alpaca.data.enums import DataFeed
    from alpaca.data.historical import StockHistoricalDataClient
    from alpaca.data.live import StockDataStream
    from alpaca.data.requests import StockBarsRequest
    from alpaca.data.timeframe import TimeFrame, TimeFrameUnit

__all__ = [
    "AlpacaAdjustment",
    "DataFeed",
    "StockBarsRequest",
    "StockDataStream",
    "StockHistoricalDataClient",
    "TimeFrame",
    "TimeFrameUnit",
]
