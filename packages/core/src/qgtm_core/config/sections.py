"""Sections of the configuration tree owned by one package each.

Each package's team extends its own section; defaults are the embedded paper-mode defaults.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr

from qgtm_core.config._base import Section

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
    "RiskConfig",
    "SignalsConfig",
    "StateConfig",
    "StrategiesConfig",
]


class DataConfig(Section):
    """``[data]``: the content-addressed store, the quarantine table, the validation wall's spike
    threshold (robust sigmas, floored in log terms) and the live-feed freshness windows.

    ``store_root``/``quarantine_path`` default to ``<var_dir>/store`` and
    ``<var_dir>/quarantine.sqlite``. Depth feeds get a short window so a stalled book surfaces in
    seconds.
    """

    store_root: Path | None = None
    bar_publication_delay_minutes: int = Field(default=15, ge=0)
    quarantine_path: Path | None = None
    jump_threshold_sigmas: float = Field(default=8.0, gt=0)
    jump_floor_log: float = Field(default=0.05, ge=0)
    freshness_window_seconds: float = Field(default=120.0, gt=0)
    depth_freshness_window_seconds: float = Field(default=5.0, gt=0)


class FeaturesConfig(Section):
    """``[features]``: look-back windows."""

    fast_window: int = Field(default=20, ge=2)
    slow_window: int = Field(default=100, ge=3)
    eigen_windows: tuple[int, ...] = Field(default=(20, 60, 120), min_length=2)
    """Correlation windows of the eigenvalue velocity divergence, shortest minus longest."""
    eigen_instruments: tuple[str, ...] = ()
    """Instruments of the eigenvalue features; empty means every instrument in the snapshot."""


class StrategiesConfig(Section):
    """``[strategies]``: which strategies run, by name."""

    enabled: tuple[str, ...] = ("gold_trend", "gold_silver_ratio_mr")
    session_windows: tuple[Literal["asia", "europe", "us_pre", "us_regular", "us_post"], ...] = (
        "asia",
        "europe",
        "us_pre",
        "us_regular",
        "us_post",
    )
    """Session mask: windows in which strategies may emit signals (configuration only, no retraining)."""
    trade_outside_sessions: bool = True
    """Whether times in none of the windows (overnight, weekends) may produce signals."""


class PortfolioConfig(Section):
    """``[portfolio]``: aggregation and constraints."""

    method: str = "conviction"
    max_weight: float = Field(default=0.4, gt=0, le=2)
    long_only: bool = False
    cash_buffer: float = Field(default=0.05, ge=0, lt=1)
    volatility_target: float | None = Field(default=None, gt=0)
    volatility_max_scale: float = Field(default=1.0, gt=0)
    assumed_correlation: float = Field(default=0.3, gt=-1, le=1)
    max_asset_class_weight: dict[str, float] = Field(default_factory=dict)
    regime_weights: dict[str, dict[str, float]] = Field(default_factory=dict)
    voting_quorum: float = Field(default=0.5, ge=0, le=1)
    min_history: int = Field(default=20, ge=2)


class MlConfig(Section):
    """``[ml]``: regime and meta-label filter."""

    enabled: bool = False
    model_dir: Path | None = None
    public_key: Path | None = None
    hmm_model: str = "regime_hmm"
    meta_model: str = "meta_labeller"
    regime_instrument: str = "GLD"
    keep_threshold: float = Field(default=0.55, ge=0, le=1)
    reduce_threshold: float = Field(default=0.45, ge=0, le=1)
    reduce_min_scale: float = Field(default=0.5, ge=0, le=1)
    change_point_threshold: float = Field(default=0.5, gt=0, le=1)
    change_point_scale: float = Field(default=0.5, ge=0, le=1)
    forewarn: bool = True
    forewarn_drawdown: float = Field(default=0.15, gt=0, lt=1)
    forewarn_horizon_days: int = Field(default=63, ge=1)
    forewarn_paths: int = Field(default=2000, ge=1)
    forewarn_orange_probability: float = Field(default=0.05, ge=0, le=1)
    forewarn_red_probability: float = Field(default=0.20, ge=0, le=1)
    orange_scale: float = Field(default=0.5, ge=0, le=1)


class ComplianceConfig(Section):
    """``[compliance]``: static limits."""

    max_position_weight: float = Field(default=0.35, gt=0, le=2)
    restricted: tuple[str, ...] = ()
    instrument_limits: dict[str, float] = Field(default_factory=dict)
    asset_class_limits: dict[str, float] = Field(default_factory=dict)
    block_wash_sales: bool = False
    substantially_identical: dict[str, str] = Field(default_factory=dict)
    cftc_warn_fraction: float = Field(default=0.9, gt=0, le=1)
    pdt_min_equity: float = Field(default=25_000.0, ge=0)


class RiskConfig(Section):
    """``[risk]``: leverage and loss limits of the risk gate."""

    max_gross_leverage: float = Field(default=1.0, gt=0)
    max_net_leverage: float = Field(default=1.0, gt=0)
    max_drawdown: float = Field(default=0.25, gt=0, lt=1)
    max_instrument_weight: float = Field(default=1.0, gt=0)
    max_daily_loss: float = Field(default=0.08, gt=0, lt=1)
    max_var: float | None = Field(default=0.03, gt=0)
    var_level: float = Field(default=0.99, gt=0.5, lt=1)
    var_method: str = Field(default="historical", pattern="^(historical|parametric|cornish_fisher)$")
    factor_window: int = Field(default=252, ge=32)
    reduced_leverage_scale: float = Field(default=0.5, gt=0, le=1)
    posture_recovery_cycles: int = Field(default=3, ge=1)
    stale_after_hours: float = Field(default=96.0, gt=0)


class ExecutionConfig(Section):
    """``[execution]``: broker choice and the commission schedule of the simulated venue."""

    broker: str = "paper"
    commission_per_share: float = Field(default=0.005, ge=0)
    min_commission: float = Field(default=1.0, ge=0)
    min_trade_weight: float = Field(default=0.01, ge=0)
    # OMS and routing (qgtm_execution)
    journal_paper_venue: bool = True
    position_tolerance: float = Field(default=0.0, ge=0)
    submit_attempts: int = Field(default=3, ge=1)
    order_style: Literal["market", "limit"] = "market"
    urgency: Literal["low", "normal", "high"] = "normal"
    max_spread_bps: float = Field(default=10.0, ge=0)
    max_participation: float = Field(default=0.0, ge=0, le=1)
    slicing: Literal["twap", "vwap"] = "twap"
    slice_interval_seconds: float = Field(default=300.0, gt=0)
    take_profit: float | None = Field(default=None, gt=0)
    stop_loss: float | None = Field(default=None, gt=0, lt=1)
    # Alpaca (secrets only from the environment: QGTM_EXECUTION__ALPACA_KEY_ID / _SECRET_KEY)
    alpaca_key_id: SecretStr | None = None
    alpaca_secret_key: SecretStr | None = None
    alpaca_paper: bool = True
    alpaca_url: str | None = None
    alpaca_stream_url: str | None = None


class StateConfig(Section):
    """``[state]``: SQLite file by default, PostgreSQL when ``database_url`` is set."""

    database_url: str | None = None
    schema_name: str = "qgtm"
    power_safe: bool = False


class AuditConfig(Section):
    """``[audit]``: where the audit log lives (default under ``var_dir``) and how it is kept.

    ``log_format`` picks the verifiable Merkle log (RFC 6962 tree, signed tree heads) or the older
    plain hash chain. The Merkle log signs its tree heads with the Ed25519 key at ``signing_key``
    (default ``<var_dir>/audit-signing.key``, created on first use with ``.pub`` beside it: hand the
    public half to auditors). Its index goes to PostgreSQL when ``index_url`` is set, else to SQLite
    inside the log directory. Records become durable ``batch_size`` at a time (one fsync per
    batch); a head is signed every ``sign_every`` records or ``sign_interval_s`` seconds, and on
    shutdown. ``segment_records`` (a power of two) records go in each segment file.
    """

    path: Path | None = None
    log_format: Literal["merkle", "hash-chain"] = "merkle"
    signing_key: Path | None = None
    index_url: str | None = None
    batch_size: int = Field(default=1000, ge=1)
    sign_every: int = Field(default=10_000, ge=1)
    sign_interval_s: float = Field(default=60.0, gt=0)
    segment_records: int = Field(default=65_536, ge=2, le=1 << 30, multiple_of=2)


class BusConfig(Section):
    """``[bus]``: in-process unless a Redis URL is given.

    ``stream_channel`` is the Redis channel (and ``<channel>:seq`` the counter key) that numbers
    WebSocket stream events across API processes.
    """

    redis_url: str | None = None
    stream_channel: str = Field(default="qgtm:stream", min_length=1)


class ApiConfig(Section):
    """``[api]``: bind address of the REST/WebSocket server."""

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    keys_path: Path | None = None  # hashed API keys; default <var_dir>/api-keys.sqlite
    cors_origins: tuple[str, ...] = ()
    rate_limit_per_minute: int = Field(default=120, ge=1)
    heartbeat_seconds: float = Field(default=10.0, gt=0)
    stream_buffer: int = Field(default=10_000, ge=1)
    metrics_host: str = "127.0.0.1"
    metrics_port: int | None = Field(default=None, ge=1, le=65535)  # daemon /metrics; None = off


class SignalsConfig(Section):
    """``[signals]``: subscriber tiers (delayed by ``delayed_minutes``; end of day at the cut-off,
    weekdays, in ``eod_timezone``) and webhook retries (exponential backoff from
    ``webhook_backoff_seconds``). ``delivery_log`` defaults to ``<var_dir>/signal-deliveries.sqlite``.
    """

    delayed_minutes: int = Field(default=15, ge=1)
    eod_cutoff: str = Field(default="16:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    eod_timezone: str = "America/New_York"
    webhook_max_attempts: int = Field(default=5, ge=1)
    webhook_backoff_seconds: float = Field(default=0.5, gt=0)
    delivery_log: Path | None = None


class BacktestConfig(Section):
    """``[backtest]``: research runs (walk-forward, purged CV, sweeps) and where they execute.

    Lengths are in trading sessions. ``sweep`` maps a dotted configuration key to the values to
    try (``{"features.slow_window": [50, 100]}``); sweeps and folds run on a local process pool,
    or on Ray when ``ray_address`` is set (``"local"`` starts a local Ray instance).
    """

    window: str = Field(default="rolling", pattern="^(rolling|anchored)$")
    train: int = Field(default=504, ge=1)
    test: int = Field(default=126, ge=1)
    step: int | None = Field(default=None, ge=1)
    folds: int = Field(default=5, ge=2)
    embargo: int = Field(default=5, ge=0)
    sweep: dict[str, list[float]] = Field(default_factory=dict)
    ray_address: str | None = None
    max_workers: int | None = Field(default=None, ge=1)


class LiveConfig(Section):
    """``[live]``: the daemon's schedule, heartbeat, watchdogs and alert channel."""

    calendar: str = "XNYS"
    cadence_seconds: float = Field(default=300.0, gt=0)
    maintenance_windows: tuple[str, ...] = ()
    reconcile_every_cycles: int = Field(default=20, ge=1)
    stale_data_seconds: float = Field(default=4 * 86400.0, gt=0)
    cycle_overrun_seconds: float = Field(default=30.0, gt=0)
    max_failed_restarts: int = Field(default=3, ge=1)
    alert_webhook_url: str | None = None
    alert_email_to: tuple[str, ...] = ()
    alert_email_from: str = "qgtm@localhost"
    alert_smtp_host: str = "127.0.0.1"
    alert_smtp_port: int = Field(default=25, ge=1, le=65535)
