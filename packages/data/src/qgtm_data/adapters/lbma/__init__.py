"""LBMA gold and silver fixes (Quandl ``LBMA/GOLD`` and ``LBMA/SILVER`` exports)."""

from qgtm_data.adapters.lbma.provider import LbmaProvider

__all__ = ["LbmaProvider"]
