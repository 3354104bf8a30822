"""Point-in-time market, macro and positioning data for QGTM.

from pathlib import Path
from qgtm_data import BundledDailySource
source = BundledDailySource(Path("data"), ["GLD", "SLV"])
snap = source.snapshot(source.common_sessions()[100])
"""

from qgtm_data._bundled import BUNDLED_BAR_FILES, BUNDLED_SERIES_FILES, BundledDailySource
from qgtm_data._csv import read_fred_daily, read_yahoo_daily
from qgtm_data._publication import daily_bar_times, next_business_morning

__all__ = [
    "BUNDLED_BAR_FILES",
    "BUNDLED_SERIES_FILES",
    "BundledDailySource",
    "daily_bar_times",
    "next_business_morning",
    "read_fred_daily",
    "read_yahoo_daily",
]
