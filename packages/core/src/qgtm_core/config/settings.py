"""The root of the configuration tree and its loader.

Precedence, highest first: ``QGTM_*`` environment variables (``QGTM_RISK__MAX_DRAWDOWN=0.2``),
then the TOML file, then the embedded defaults. Every failure is a ``ConfigError`` whose message
names the file and the dotted key, so ``qgtm run`` can print one line and exit.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from qgtm_core.config.run import RunConfig
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
from qgtm_core.errors import ConfigError

__all__ = ["QgtmSettings", "load_settings"]


class QgtmSettings(BaseSettings):
    """The whole configuration tree."""

    model_config = SettingsConfigDict(
        env_prefix="QGTM_",
        env_nested_delimiter="__",
        frozen=True,
        extra="forbid",
        nested_model_default_partial_update=True,
    )

    run: RunConfig = RunConfig()
    data: DataConfig = DataConfig()
    features: FeaturesConfig = FeaturesConfig()
    strategies: StrategiesConfig = StrategiesConfig()
    portfolio: PortfolioConfig = PortfolioConfig()
    ml: MlConfig = MlConfig()
    compliance: ComplianceConfig = ComplianceConfig()
    risk: RiskConfig = RiskConfig()
    execution: ExecutionConfig = ExecutionConfig()
    state: StateConfig = StateConfig()
    audit: AuditConfig = AuditConfig()
    bus: BusConfig = BusConfig()
    api: ApiConfig = ApiConfig()
    signals: SignalsConfig = SignalsConfig()
    live: LiveConfig = LiveConfig()
    backtest: BacktestConfig = BacktestConfig()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Environment beats the file (passed as init values), which beats defaults."""
        return env_settings, init_settings, file_secret_settings


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        msg = f"{path}: configuration file not found"
        raise ConfigError(msg) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = f"{path}: invalid TOML: {exc}"
        raise ConfigError(msg) from None


def _describe(exc: ValidationError, origin: str) -> str:
    first = exc.errors()[0]
    key = ".".join(str(p) for p in first["loc"]) or "<root>"
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    message = str(first["msg"]).removeprefix("Value error, ")
    return f"{origin}: {key}: {message}{more}"


def load_settings(path: Path | None = None) -> QgtmSettings:
    """Load the tree from ``path`` (optional) and the environment."""
    values = _read_toml(path) if path is not None else {}
    origin = str(path) if path is not None else "configuration"
    try:
        return QgtmSettings(**values)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, origin)) from None
