"""Typed configuration: one tree, a TOML file plus ``QGTM_*`` environment variables."""

from qgtm_core.config.run import RunConfig, RunMode
from qgtm_core.config.sections import (
    ApiConfig,
    AuditConfig,
    BacktestConfig,
    BusConfig,
    ComplianceConfig,
    DataConfig,
    ExecutionConfig,
    FeaturesConfig,
    LiveConfig,
    MlConfig,
    PortfolioConfig,
    RiskConfig,
    SignalsConfig,
    StateConfig,
    StrategiesConfig,
)
from qgtm_core.config.settings import QgtmSettings, load_settings

__all__ = [
    "ApiConfig",
    "AuditConfig",
    "BacktestConfig",
    "BusConfig",
    "ComplianceConfig",
    "DataConfig",
    "ExecutionConfig",
    "FeaturesConfig",
    "LiveConfig",
    "MlConfig",
    "PortfolioConfig",
    "QgtmSettings",
    "RiskConfig",
    "RunConfig",
    "RunMode",
    "SignalsConfig",
    "StateConfig",
    "StrategiesConfig",
    "load_settings",
]
