"""The compliance gate of step 6: the rule set in force on the target's date, applied in order."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from qgtm_compliance._dates import trade_date
from qgtm_compliance._history import TradeHistory
from qgtm_compliance._rules import RuleBook, RuleContext
from qgtm_compliance._wash_sale import Disposition, WashSaleAdjustment
from qgtm_core import (
    AccountState,
    ComplianceResult,
    ComplianceViolation,
    Fill,
    Instrument,
    InstrumentId,
    PipelineError,
    TargetPortfolio,
)

__all__ = ["RuleBookCompliance"]


class RuleBookCompliance:
    """Implements ``ComplianceGate`` over an effective-dated ``RuleBook``.

    History comes either from ``fills``, a provider called before every check (for example the OMS
    store's ``fills`` method: new execution ids are recorded, known ones skipped, so a restarted
    daemon rebuilds the same tax lots and day-trade counts), or from the app calling ``record_fill``
    after step 9 and ``replay`` at start-up. Both deduplicate by execution id.
    """

    def __init__(
        self,
        book: RuleBook,
        instruments: Mapping[InstrumentId, Instrument],
        history: TradeHistory | None = None,
        fills: Callable[[], Iterable[Fill]] | None = None,
    ) -> None:
        self._book = book
        self._instruments = instruments
        self.history = history or TradeHistory()
        self._known = frozenset(instruments)
        self._fills = fills

    @property
    def book(self) -> RuleBook:
        """The rule sets this gate applies."""
        return self._book

    def record_fill(self, fill: Fill) -> bool:
        """Add one fill to the history; False for a duplicate."""
        return self.history.record_fill(fill)

    def replay(self, fills: Iterable[Fill]) -> int:
        """Add many fills; returns how many were new."""
        return self.history.replay(fills)

    def wash_sales(self) -> tuple[tuple[Disposition, ...], tuple[WashSaleAdjustment, ...]]:
        """Every lot disposition and every disallowed-loss transfer so far (the wash-sale report)."""
        ledger = self.history.ledger
        return ledger.dispositions, ledger.adjustments

    def check(self, target: TargetPortfolio, account: AccountState) -> ComplianceResult:
        """Approved target plus every blocked, reduced or flagged trade with its rule and reason."""
        unknown = sorted(set(target.weights) - self._known)
        if unknown:
            msg = f"compliance: unknown instrument(s) {', '.join(unknown)} in the target of {target.at.isoformat()}"
            raise PipelineError(msg)
        if self._fills is not None:
            self.history.replay(self._fills())
        rule_set = self._book.active(trade_date(target.at))
        ctx = RuleContext(target.at, account, self.history, self._instruments)
        weights = dict(target.weights)
        violations: list[ComplianceViolation] = []
        for rule in rule_set.rules:
            violations.extend(rule.apply(weights, ctx))
        return ComplianceResult(approved=target.with_weights(weights), violations=tuple(violations))
