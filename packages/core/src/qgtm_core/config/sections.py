"""Sections of the configuration tree owned by one package each.

Each package's team extends its own section; defaults are the embedded paper-mode defaults.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from qgtm_core.config._base import Section

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
    "RiskConfig",
    "StateConfig",
    "StrategiesConfig",
]


class DataConfig(Section):
    """``[data]``: where the content-addressed store lives and how late daily bars publish."""

    store_root: Path | None = None
    bar_publication_delay_minutes: int = Field(default=15, ge=0)


class FeaturesConfig(Section):
    """``[features]``: look-back windows."""

    fast_window: int = Field(default=20, ge=2)
    slow_window: int = Field(default=100, ge=3)


class StrategiesConfig(Section):
    """``[strategies]``: which strategies run, by name."""

    enabled: tuple[str, ...] = ("gold_trend", "gold_silver_ratio_mr")


class PortfolioConfig(Section):
    """``[portfolio]``: aggregation and constraints."""

    method: str = "conviction"
    max_weight: float = Field(default=0.4, gt=0, le=2)
    long_only: bool = False
    cash_buffer: float = Field(default=0.05, ge=0, lt=1)


class MlConfig(Section):
    """``[ml]``: regime and meta-label filter."""

    enabled: bool = False


class ComplianceConfig(Section):
    """``[compliance]``: static limits."""

    max_position_weight: float = Field(default=0.35, gt=0, le=2)
    restricted: tuple[str, ...] = ()


class RiskConfig(Section):
    """``[risk]``: leverage and loss limits of the risk gate."""

    max_gross_leverage: float = Field(default=1.0, gt=0)
    max_net_leverage: float = Field(default=1.0, gt=0)
    max_drawdown: float = Field(default=0.25, gt=0, lt=1)


class ExecutionConfig(Section):
    """``[execution]``: broker choice and the commission schedule of the simulated venue."""

    broker: str = "paper"
    commission_per_share: float = Field(default=0.005, ge=0)
    min_commission: float = Field(default=1.0, ge=0)
    min_trade_weight: float = Field(default=0.01, ge=0)


class StateConfig(Section):
    """``[state]``: SQLite file by default, PostgreSQL when ``database_url`` is set."""

    database_url: str | None = None


class AuditConfig(Section):
    """``[audit]``: where the audit log lives (default under ``var_dir``)."""

    path: Path | None = None


class BusConfig(Section):
    """``[bus]``: in-process unless a Redis URL is given."""

    redis_url: str | None = None


class ApiConfig(Section):
    """``[api]``: bind address of the REST/WebSocket server."""

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
