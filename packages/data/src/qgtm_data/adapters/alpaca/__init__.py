"""Alpaca market data (alpaca-py): historical bars and the live bar/quote stream."""

from qgtm_data.adapters.alpaca.provider import AlpacaHistoricalBars, AlpacaLiveStream

__all__ = ["AlpacaHistoricalBars", "AlpacaLiveStream"]
