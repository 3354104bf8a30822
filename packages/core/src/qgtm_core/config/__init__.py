"""Typed configuration: one tree, a TOML file plus ``QGTM_*`` environment variables."""

from qgtm_core.config.run import RunConfig, RunMode
from qgtm_core.config.sections import (
    ApiConfig,
    AuditConfig,
    BusConfig,
    ComplianceConfig,
    DataConfig,
    ExecutionConfig,
    FeaturesConfig,
    MlConfig,
    PortfolioConfig,
    RiskConfig,
    StateConfig,
    StrategiesConfig,
)
from qgtm_core.config.settings import QgtmSettings, load_settings

__all__ = [
    "ApiConfig",
    "AuditConfig",
    "BusConfig",
    "ComplianceConfig",
    "DataConfig",
    "ExecutionConfig",
    "FeaturesConfig",
    "MlConfig",
    "PortfolioConfig",
    "QgtmSettings",
    "RiskConfig",
    "RunConfig",
    "RunMode",
    "StateConfig",
    "StrategiesConfig",
    "load_settings",
]
