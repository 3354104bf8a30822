"""Yahoo Finance daily CSV downloads (ETFs and stocks)."""

from qgtm_data.adapters.yahoo.provider import YahooProvider

__all__ = ["YahooProvider"]
