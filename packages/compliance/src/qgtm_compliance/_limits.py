"""Step 6, first rules: a restricted list and a per-instrument position limit."""

from __future__ import annotations

from collections.abc import Iterable

from qgtm_core import (
    AccountState,
    ComplianceAction,
    ComplianceResult,
    ComplianceRule,
    ComplianceViolation,
    InstrumentId,
    TargetPortfolio,
)

__all__ = ["PositionLimitCompliance"]


class PositionLimitCompliance:
    """Implements ``ComplianceGate``: blocks restricted instruments, caps each absolute weight."""

    def __init__(self, max_position_weight: float, restricted: Iterable[str] = ()) -> None:
        self._limit = max_position_weight
        self._restricted = frozenset(InstrumentId(r) for r in restricted)

    def check(self, target: TargetPortfolio, account: AccountState) -> ComplianceResult:
        """Approved target plus every blocked or reduced weight with its rule."""
        approved: dict[InstrumentId, float] = {}
        violations: list[ComplianceViolation] = []
        for instrument, weight in sorted(target.weights.items()):
            if instrument in self._restricted:
                approved[instrument] = 0.0
                violations.append(
                    ComplianceViolation(
                        ComplianceRule.RESTRICTED_LIST,
                        ComplianceAction.BLOCK,
                        instrument,
                        weight,
                        0.0,
                        f"{instrument} is on the restricted list",
                    )
                )
                continue
            if abs(weight) > self._limit:
                capped = self._limit if weight > 0 else -self._limit
                approved[instrument] = capped
                violations.append(
                    ComplianceViolation(
                        ComplianceRule.POSITION_LIMIT,
                        ComplianceAction.REDUCE,
                        instrument,
                        weight,
                        capped,
                        f"|weight| {abs(weight):.4f} above the position limit {self._limit:.4f}",
                    )
                )
                continue
            approved[instrument] = weight
        return ComplianceResult(approved=target.with_weights(approved), violations=tuple(violations))
