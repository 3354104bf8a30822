"""Stooq daily CSV downloads (dividend-adjusted)."""

from qgtm_data.adapters.stooq.provider import StooqProvider

__all__ = ["StooqProvider"]
