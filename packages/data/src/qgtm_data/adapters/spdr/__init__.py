"""SPDR Gold Trust (GLD) official daily NAV and holdings archive: the ETF-flow source."""

from qgtm_data.adapters.spdr.provider import SpdrProvider

__all__ = ["SpdrProvider"]
