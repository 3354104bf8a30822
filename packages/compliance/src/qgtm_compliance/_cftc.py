"""CFTC speculative position limits and large-trader reporting levels for COMEX gold and silver.

Reporting levels are 17 CFR 15.03(b): 200 contracts for gold, 150 for silver. A trader at or above
the level is reported by its FCM, and must file Form 40 when the CFTC asks, so we flag before it
happens. Spot-month limits: before 2021-03-15 only the exchange's (COMEX Rule 560: 3,000 GC, 1,500
SI); from 2021-03-15 the federal limits of 17 CFR 150.2, Appendix E (6,000 GC, 3,000 SI). QGTM
trades the front month, so the spot-month limit is applied to the whole position (conservative).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from qgtm_compliance._rules import RuleContext, violation
from qgtm_core import ComplianceAction, ComplianceRule, ComplianceViolation, InstrumentId

__all__ = ["COMEX_LEVELS_2006", "FEDERAL_LEVELS_2021", "CftcLevels", "CftcPositionRule"]


@dataclass(frozen=True, slots=True)
class CftcLevels:
    """Position limit and reporting level of one contract, in contracts, with where they come from."""

    position_limit: int
    reportable: int
    source: str


COMEX_LEVELS_2006: Mapping[str, CftcLevels] = {
    "GC": CftcLevels(3_000, 200, "COMEX Rule 560 spot month; 17 CFR 15.03(b)"),
    "SI": CftcLevels(1_500, 150, "COMEX Rule 560 spot month; 17 CFR 15.03(b)"),
}
FEDERAL_LEVELS_2021: Mapping[str, CftcLevels] = {
    "GC": CftcLevels(6_000, 200, "17 CFR 150.2 App. E spot month; 17 CFR 15.03(b)"),
    "SI": CftcLevels(3_000, 150, "17 CFR 150.2 App. E spot month; 17 CFR 15.03(b)"),
}


class CftcPositionRule:
    """Reduces a futures target above its position limit; flags crossing or nearing a level."""

    name = "cftc_position_limits"

    def __init__(self, levels: Mapping[str, CftcLevels], warn_fraction: float = 0.9) -> None:
        self._levels = {InstrumentId(k): v for k, v in levels.items()}
        self._warn = warn_fraction

    def _contract_value(self, instrument: InstrumentId, ctx: RuleContext) -> float | None:
        account = ctx.account
        mark = account.marks.get(instrument)
        if mark is None and instrument in account.positions:
            mark = account.positions[instrument].average_price
        if mark is None or mark <= 0:
            return None
        multiplier = account.multipliers.get(instrument) or ctx.instruments[instrument].multiplier
        return float(mark * Decimal(multiplier))

    def apply(self, weights: dict[InstrumentId, float], ctx: RuleContext) -> list[ComplianceViolation]:
        """Check each gold/silver futures target against its levels."""
        equity = float(ctx.account.equity)
        out: list[ComplianceViolation] = []
        for instrument in sorted(i for i in weights if i in self._levels):
            levels = self._levels[instrument]
            requested = weights[instrument]
            current = ctx.current(instrument)
            value = self._contract_value(instrument, ctx)
            if value is None:
                if abs(requested) > abs(current):
                    weights[instrument] = current
                    out.append(
                        violation(
                            ComplianceRule.CFTC_POSITION_LIMIT,
                            ComplianceAction.BLOCK,
                            instrument,
                            requested,
                            current,
                            f"{instrument}: no mark to convert the target into contracts; increase blocked",
                        )
                    )
                continue
            contracts = abs(requested) * equity / value
            held = abs(current) * equity / value
            if contracts > levels.position_limit:
                allowed = math.copysign(levels.position_limit * value / equity, requested)
                weights[instrument] = allowed
                out.append(
                    violation(
                        ComplianceRule.CFTC_POSITION_LIMIT,
                        ComplianceAction.REDUCE,
                        instrument,
                        requested,
                        allowed,
                        f"{instrument}: {contracts:,.0f} contracts above the position limit "
                        f"{levels.position_limit:,} ({levels.source})",
                    )
                )
                contracts = float(levels.position_limit)
            elif contracts >= self._warn * levels.position_limit:
                out.append(
                    violation(
                        ComplianceRule.CFTC_POSITION_LIMIT,
                        ComplianceAction.FLAG,
                        instrument,
                        requested,
                        requested,
                        f"{instrument}: {contracts:,.0f} contracts within {1 - self._warn:.0%} of the position "
                        f"limit {levels.position_limit:,} ({levels.source})",
                    )
                )
            if contracts >= self._warn * levels.reportable and contracts > held:
                crossing = contracts >= levels.reportable > held
                what = "crosses" if crossing else ("is above" if contracts >= levels.reportable else "nears")
                out.append(
                    violation(
                        ComplianceRule.LARGE_TRADER_REPORTING,
                        ComplianceAction.FLAG,
                        instrument,
                        requested,
                        weights[instrument],
                        f"{instrument}: {contracts:,.0f} contracts {what} the reportable level "
                        f"{levels.reportable:,} (17 CFR 15.03(b)); large-trader reporting applies",
                    )
                )
        return out
