"""CFTC Commitments of Traders: raw legacy/disaggregated files, Socrata export, subset histories."""

from qgtm_data.adapters.cftc.parsing import LAYOUTS
from qgtm_data.adapters.cftc.provider import CotProvider

__all__ = ["LAYOUTS", "CotProvider"]
