"""COMEX gold and silver continuous front-month futures (Yahoo ``GC=F`` / ``SI=F``)."""

from qgtm_data.adapters.comex.provider import ComexProvider

__all__ = ["ComexProvider"]
