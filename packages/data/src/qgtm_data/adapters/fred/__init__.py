"""FRED macro series: downloaded CSV files and the live HTTP endpoint."""

from qgtm_data.adapters.fred.provider import LEVEL_SERIES, FredHttpProvider, FredProvider

__all__ = ["LEVEL_SERIES", "FredHttpProvider", "FredProvider"]
