"""DataHub ``core/gold-prices`` monthly and annual USD gold averages since 1833."""

from qgtm_data.adapters.datahub.provider import DatahubGoldProvider

__all__ = ["DatahubGoldProvider"]
