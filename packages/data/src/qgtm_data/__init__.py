"""Point-in-time market, macro and positioning data for QGTM.

Ingest every bundled file through the validation wall into the content-addressed store, then ask
what was knowable at a time::

    from datetime import UTC, datetime
    from pathlib import Path
    from qgtm_data import Ingestor, QuarantineTable, ShardStore, Validator, ValidationRules, bundled_adapters

    store = ShardStore(Path("var/store"))
    validator = Validator(ValidationRules(), lambda: datetime.now(UTC))
    ingestor = Ingestor(store, validator, QuarantineTable(Path("var/q.sqlite")))
    reports = ingestor.ingest_all(bundled_adapters(Path("data")))
    assert store.verify().ok
"""

from qgtm_data._batch import TS_UTC, Adjustment, FeedBatch, Kind, QuarantineRecord, RowCheck
from qgtm_data._bundled import BUNDLED_BAR_FILES, BUNDLED_SERIES_FILES, BundledDailySource
from qgtm_data._capture import CaptureWriter, DepthLevel, Mbp10, read_capture
from qgtm_data._csv import read_fred_daily, read_yahoo_daily
from qgtm_data._ingest import FeedReport, Ingestor
from qgtm_data._pit import PitSeries, pit_panel
from qgtm_data._publication import daily_bar_times, next_business_morning
from qgtm_data._quarantine import DataMetrics, QuarantineTable
from qgtm_data._source import StorePitSource
from qgtm_data._store import Partition, ShardEntry, ShardProblem, ShardStore, VerifyReport
from qgtm_data._validate import ValidationResult, ValidationRules, Validator
from qgtm_data._watchdog import (
    CME_MAINTENANCE,
    ExchangeSessionMask,
    FreshnessAlarm,
    FreshnessWatchdog,
    MaintenanceWindow,
    SessionMask,
)
from qgtm_data.adapters import RESEARCH_SYMBOLS, Adapter, bundled_adapters

__all__ = [
    "BUNDLED_BAR_FILES",
    "BUNDLED_SERIES_FILES",
    "CME_MAINTENANCE",
    "RESEARCH_SYMBOLS",
    "TS_UTC",
    "Adapter",
    "Adjustment",
    "BundledDailySource",
    "CaptureWriter",
    "DataMetrics",
    "DepthLevel",
    "ExchangeSessionMask",
    "FeedBatch",
    "FeedReport",
    "FreshnessAlarm",
    "FreshnessWatchdog",
    "Ingestor",
    "Kind",
    "MaintenanceWindow",
    "Mbp10",
    "Partition",
    "PitSeries",
    "QuarantineRecord",
    "QuarantineTable",
    "RowCheck",
    "SessionMask",
    "ShardEntry",
    "ShardProblem",
    "ShardStore",
    "StorePitSource",
    "ValidationResult",
    "ValidationRules",
    "Validator",
    "VerifyReport",
    "bundled_adapters",
    "daily_bar_times",
    "next_business_morning",
    "pit_panel",
    "read_capture",
    "read_fred_daily",
    "read_yahoo_daily",
]
