"""The risk gate of QGTM (step 7): factor risk, VaR/CVaR, limits, graded posture and the kill switch.

from qgtm_risk import build_risk_gate
gate = build_risk_gate(settings.risk, store, Path("data"))  # PortfolioRiskGate + factor model + stress
result = gate.assess(target, account, features)
result.report.bindings  # which limit bound which trade
gate.kill_switch.trip("manual halt", now)  # persisted in the store; gate.kill_switch.reset(by, now) clears it
"""

from qgtm_risk._config import build_risk_gate
from qgtm_risk._data import DailySeries, load_series
from qgtm_risk._factors import FACTORS, PROXIES, FactorEstimate, FactorRiskModel, ReturnPanel, load_panels
from qgtm_risk._gate import LeverageDrawdownRiskGate, RiskLimits
from qgtm_risk._kill_switch import KillSwitch
from qgtm_risk._portfolio_gate import PortfolioRiskGate, PortfolioRiskLimits
from qgtm_risk._posture import PostureController, PostureThresholds, SensorReadings
from qgtm_risk._stress import DEFAULT_SCENARIOS, SERIES_OF, StressReplayer, StressResult, StressScenario
from qgtm_risk._var import LEVELS, VarMethod, VarResult, cornish_fisher, historical, parametric, var_table

__all__ = [
    "DEFAULT_SCENARIOS",
    "FACTORS",
    "LEVELS",
    "PROXIES",
    "SERIES_OF",
    "DailySeries",
    "FactorEstimate",
    "FactorRiskModel",
    "KillSwitch",
    "LeverageDrawdownRiskGate",
    "PortfolioRiskGate",
    "PortfolioRiskLimits",
    "PostureController",
    "PostureThresholds",
    "ReturnPanel",
    "RiskLimits",
    "SensorReadings",
    "StressReplayer",
    "StressResult",
    "StressScenario",
    "VarMethod",
    "VarResult",
    "build_risk_gate",
    "cornish_fisher",
    "historical",
    "load_panels",
    "load_series",
    "parametric",
    "var_table",
]
