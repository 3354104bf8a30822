"""Every bundled daily file under ``data/`` mapped to its adapter (the ``qgtm data ingest`` set)."""

from __future__ import annotations

from pathlib import Path

from qgtm_data.adapters._port import Adapter
from qgtm_data.adapters.cftc import CotProvider
from qgtm_data.adapters.comex import ComexProvider
from qgtm_data.adapters.datahub import DatahubGoldProvider
from qgtm_data.adapters.fred import FredProvider
from qgtm_data.adapters.lbma import LbmaProvider
from qgtm_data.adapters.spdr import SpdrProvider
from qgtm_data.adapters.stooq import StooqProvider
from qgtm_data.adapters.yahoo import YahooProvider

__all__ = ["RESEARCH_SYMBOLS", "bundled_adapters"]

RESEARCH_SYMBOLS = frozenset({"ORCL", "NVDA", "YHOO", "FRED"})
"""Known to the data layer for research although not in the trading universe."""

_YAHOO = {
    "GLD": "etf/GLD_daily_yahoo_2004_2024.csv",
    "SLV": "etf/SLV_daily_yahoo_2006_2024.csv",
    "SPY": "equities/SPY_daily_yahoo_1993_2024.csv",
    "QQQ": "equities/QQQ_daily_yahoo_1999_2024.csv",
    "ORCL": "equities/ORCL_daily_yahoo_1995_2014.csv",
    "NVDA": "equities/NVDA_daily_yahoo_1999_2014.csv",
    "YHOO": "equities/YHOO_daily_yahoo_1996_2015.csv",
}
_FRED = {
    "DGS10": "DGS10.csv",
    "DFII10": "DFII10.csv",
    "DTWEXBGS": "DTWEXBGS.csv",
    "DTWEXB": "DTWEXB_discontinued.csv",
    "T10YIE": "T10YIE.csv",
    "DGS2": "DGS2.csv",
    "CPIAUCSL": "CPIAUCSL.csv",
    "FEDFUNDS": "FEDFUNDS.csv",
    "GVZCLS": "GVZCLS.csv",
}


def bundled_adapters(data_dir: Path) -> list[Adapter]:
    """One adapter per bundled file, in a fixed order (so ingest output is reproducible)."""
    prices, cot = data_dir / "prices", data_dir / "cot"
    adapters: list[Adapter] = [
        LbmaProvider(prices / "lbma_gold_daily_1968_2020.csv", "gold"),
        LbmaProvider(prices / "lbma_silver_daily_1968_2020.csv", "silver"),
        ComexProvider(prices / "comex_gc_front_openclose_2006_2026.csv", "GC", "openclose"),
        ComexProvider(prices / "comex_si_front_openclose_2006_2026.csv", "SI", "openclose"),
        ComexProvider(prices / "comex_gc_front_ohlcv_2024_2026.csv", "GC", "ohlcv"),
        ComexProvider(prices / "comex_si_front_ohlcv_2024_2026.csv", "SI", "ohlcv"),
        DatahubGoldProvider(prices / "gold_monthly_usd_1833_2026.csv", annual=False),
        DatahubGoldProvider(prices / "gold_annual_usd_1833_2026.csv", annual=True),
        SpdrProvider(data_dir / "etf" / "GLD_spdr_nav_holdings_2004_2025.csv"),
        StooqProvider(data_dir / "etf" / "GLD_daily_stooq_2015_2026.csv", "GLD"),
        StooqProvider(data_dir / "equities" / "SPY_daily_stooq_2015_2026.csv", "SPY"),
        CotProvider(cot / "cot_gold_legacy_futonly_2006_2026.csv", "legacy_subset", "GC"),
        CotProvider(cot / "cot_silver_legacy_futonly_2006_2026.csv", "legacy_subset", "SI"),
        CotProvider(cot / "cot_gold_disagg_2006_2026.csv", "disagg_subset", "GC"),
        CotProvider(cot / "cot_silver_disagg_2006_2026.csv", "disagg_subset", "SI"),
        CotProvider(cot / "cot_gold_legacy_futonly_socrata_2006_2026.csv", "legacy_socrata"),
        CotProvider(cot / "cftc_legacy_futonly_raw_2025_gold_silver.txt", "legacy_raw"),
        CotProvider(cot / "cftc_disagg_futonly_raw_2021_gold_silver.txt", "disagg_raw"),
    ]
    adapters += [YahooProvider(data_dir / path, symbol) for symbol, path in _YAHOO.items()]
    adapters += [FredProvider(data_dir / "fred" / path, series) for series, path in _FRED.items()]
    return adapters
