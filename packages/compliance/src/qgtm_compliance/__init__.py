"""Compliance rules for QGTM (step 6).

from qgtm_compliance import PositionLimitCompliance
result = PositionLimitCompliance(max_position_weight=0.35).check(target, account)
result.violations  # each blocked or reduced trade with its rule and reason
"""

from qgtm_compliance._limits import PositionLimitCompliance

__all__ = ["PositionLimitCompliance"]
