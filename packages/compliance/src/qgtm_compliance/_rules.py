"""Rules, effective-dated rule sets and the book that picks the set in force on a date.

Rules change (the pattern-day-trader regime ended on 2026-06-04; federal metals position limits
began on 2021-03-15), and a backtest of 2015 must be judged by the rules of 2015. So a rule set is
a value with an ``effective`` date, and the book answers "which set applied on this day?".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from qgtm_compliance._history import TradeHistory
from qgtm_core import (
    AccountState,
    AssetClass,
    ComplianceAction,
    ComplianceRule,
    ComplianceViolation,
    ConfigError,
    Instrument,
    InstrumentId,
    PipelineError,
)

__all__ = ["DatedRuleSet", "Rule", "RuleBook", "RuleContext", "violation"]


@dataclass(frozen=True)
class RuleContext:
    """What a rule may look at besides the weights: time, the account, its history, the instruments."""

    at: datetime
    account: AccountState
    history: TradeHistory
    instruments: Mapping[InstrumentId, Instrument]

    def current(self, instrument: InstrumentId) -> float:
        """Weight held now."""
        return self.account.weight(instrument)

    def asset_class(self, instrument: InstrumentId) -> AssetClass:
        """Asset class, failing loudly for an instrument the rules do not know."""
        try:
            return self.instruments[instrument].asset_class
        except (KeyError, ConfigError):
            msg = f"compliance: unknown instrument {instrument!r} in the target"
            raise PipelineError(msg) from None


class Rule(Protocol):
    """One compliance rule: adjusts ``weights`` in place and says what it changed or flagged."""

    @property
    def name(self) -> str: ...

    def apply(self, weights: dict[InstrumentId, float], ctx: RuleContext) -> list[ComplianceViolation]: ...


def violation(
    rule: ComplianceRule,
    action: ComplianceAction,
    instrument: InstrumentId,
    requested: float,
    approved: float,
    message: str,
) -> ComplianceViolation:
    """Shorthand used by every rule."""
    return ComplianceViolation(rule, action, instrument, requested, approved, message)


@dataclass(frozen=True)
class DatedRuleSet:
    """The rules in force from ``effective`` until the next set's effective date."""

    effective: date
    label: str
    rules: tuple[Rule, ...]


class RuleBook:
    """Effective-dated rule sets; ``active(day)`` is the latest set whose date is not after ``day``."""

    def __init__(self, sets: Iterable[DatedRuleSet]) -> None:
        self._sets = sorted(sets, key=lambda s: s.effective)
        if not self._sets:
            msg = "compliance: a rule book needs at least one rule set"
            raise ConfigError(msg)
        dates = [s.effective for s in self._sets]
        if len(set(dates)) != len(dates):
            msg = f"compliance: two rule sets share an effective date ({dates})"
            raise ConfigError(msg)

    @property
    def sets(self) -> tuple[DatedRuleSet, ...]:
        """All sets, oldest first."""
        return tuple(self._sets)

    def active(self, day: date) -> DatedRuleSet:
        """The set in force on ``day``."""
        chosen = None
        for rule_set in self._sets:
            if rule_set.effective <= day:
                chosen = rule_set
        if chosen is None:
            msg = f"compliance: no rule set in force on {day} (the first starts {self._sets[0].effective})"
            raise PipelineError(msg)
        return chosen
