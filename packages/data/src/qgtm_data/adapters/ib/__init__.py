"""Interactive Brokers (ib_async): historical bars, streaming bars, quotes and market depth."""

from qgtm_data.adapters.ib.provider import DEPTH_CODES, INFO_CODES, IbClient, IbError, IbHistoricalBars, IbLiveFeed

__all__ = ["DEPTH_CODES", "INFO_CODES", "IbClient", "IbError", "IbHistoricalBars", "IbLiveFeed"]
