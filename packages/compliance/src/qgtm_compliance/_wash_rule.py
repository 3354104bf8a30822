"""The wash-sale rule as a compliance check: warn (or refuse) before a trade washes a loss."""

from __future__ import annotations

from decimal import Decimal

from qgtm_compliance._dates import trade_date
from qgtm_compliance._rules import RuleContext, violation
from qgtm_core import ComplianceAction, ComplianceRule, ComplianceViolation, InstrumentId

__all__ = ["WashSaleRule"]

_TOLERANCE = 1e-9


class WashSaleRule:
    """A buy within 30 days after a loss sale washes that loss; ``block=True`` refuses such buys.

    Flagging is the default: a wash sale is legal, it only defers the loss, so it is a cost the
    user may accept. The ledger records it either way, lot by lot.
    """

    name = "wash_sale"

    def __init__(self, block: bool = False) -> None:
        self._action = ComplianceAction.BLOCK if block else ComplianceAction.FLAG

    def apply(self, weights: dict[InstrumentId, float], ctx: RuleContext) -> list[ComplianceViolation]:
        """One violation per instrument whose increase would wash a pending loss."""
        ledger = ctx.history.ledger
        pending = ledger.pending(trade_date(ctx.at))
        out: list[ComplianceViolation] = []
        for instrument in sorted(weights):
            requested = weights[instrument]
            current = ctx.current(instrument)
            if requested <= max(current, 0.0) + _TOLERANCE:
                continue
            group = ledger.group(instrument)
            hits = [p for p in pending if ledger.group(p.instrument) == group]
            if not hits:
                continue
            shares = sum((p.quantity for p in hits), Decimal(0))
            loss = sum((p.quantity * p.loss_per_share for p in hits), Decimal(0))
            approved = min(requested, max(current, 0.0)) if self._action is ComplianceAction.BLOCK else requested
            weights[instrument] = approved
            out.append(
                violation(
                    ComplianceRule.WASH_SALE,
                    self._action,
                    instrument,
                    requested,
                    approved,
                    f"buying {instrument} would wash up to {loss:,.2f} of loss on {shares} shares sold since "
                    f"{min(p.sold for p in hits)} (26 U.S.C. 1091; the loss moves into the new lots' basis)",
                )
            )
        return out
