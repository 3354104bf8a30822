"""Build the step-7 gate from the ``[risk]`` section, so the composition root stays one line."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from qgtm_core import FeatureSet, KeyValueStore, TargetPortfolio
from qgtm_core.config import RiskConfig
from qgtm_risk._factors import FactorRiskModel
from qgtm_risk._portfolio_gate import PortfolioRiskGate, PortfolioRiskLimits
from qgtm_risk._posture import PostureThresholds
from qgtm_risk._stress import StressReplayer
from qgtm_risk._var import VarMethod

__all__ = ["build_risk_gate"]


def build_risk_gate(
    config: RiskConfig,
    store: KeyValueStore,
    data_dir: Path,
    health: Callable[[], bool] | None = None,
    data_age: Callable[[TargetPortfolio, FeatureSet], timedelta] | None = None,
) -> PortfolioRiskGate:
    """The full gate: limits from the config, factor model and stress scenarios from ``data_dir``.

    ``health`` (a watchdog's verdict) and ``data_age`` (age of the freshest bar at the cycle) feed
    the posture sensors; see ``PortfolioRiskGate``.
    """
    limits = PortfolioRiskLimits(
        max_gross_leverage=config.max_gross_leverage,
        max_net_leverage=config.max_net_leverage,
        max_instrument_weight=config.max_instrument_weight,
        max_drawdown=config.max_drawdown,
        max_daily_loss=config.max_daily_loss,
        max_var=config.max_var,
        var_level=config.var_level,
        var_method=VarMethod(config.var_method),
        reduced_leverage_scale=config.reduced_leverage_scale,
    )
    thresholds = PostureThresholds(
        stale_after=timedelta(hours=config.stale_after_hours), recovery_cycles=config.posture_recovery_cycles
    )
    return PortfolioRiskGate(
        limits,
        store,
        FactorRiskModel.from_data_dir(data_dir, config.factor_window),
        StressReplayer.from_data_dir(data_dir),
        thresholds,
        health,
        data_age,
    )
