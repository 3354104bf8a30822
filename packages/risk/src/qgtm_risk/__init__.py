"""The risk gate of QGTM (step 7): limits, posture and the kill switch.

from qgtm_risk import LeverageDrawdownRiskGate, RiskLimits
gate = LeverageDrawdownRiskGate(RiskLimits(max_gross_leverage=1.0), store)
result = gate.assess(target, account, features)
result.report.bindings  # which limit bound which trade
"""

from qgtm_risk._gate import LeverageDrawdownRiskGate, RiskLimits
from qgtm_risk._kill_switch import KillSwitch

__all__ = ["KillSwitch", "LeverageDrawdownRiskGate", "RiskLimits"]
