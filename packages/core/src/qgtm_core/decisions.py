"""Decisions of steps 5 to 7, each with a typed reason so "why was this trade cut?" has an answer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from qgtm_core.ids import InstrumentId, StrategyId
from qgtm_core.portfolio import TargetPortfolio

__all__ = [
    "ComplianceAction",
    "ComplianceResult",
    "ComplianceRule",
    "ComplianceViolation",
    "FilterResult",
    "MetaAction",
    "MetaDecision",
    "Posture",
    "RiskBinding",
    "RiskLimit",
    "RiskReport",
    "RiskResult",
]


class MetaAction(StrEnum):
    """What the regime/meta-label filter did to one signal."""

    KEEP = "keep"
    REDUCE = "reduce"
    REJECT = "reject"


@dataclass(frozen=True, slots=True)
class MetaDecision:
    """Step 5 verdict on one signal; ``scale`` multiplies its contribution (0 for reject)."""

    strategy: StrategyId
    instrument: InstrumentId
    action: MetaAction
    scale: float
    reason: str
    probability: float | None = None


@dataclass(frozen=True)
class FilterResult:
    """Step 5 output: the filtered target, per-signal decisions and the regime label used."""

    target: TargetPortfolio
    decisions: tuple[MetaDecision, ...]
    regime: str


class ComplianceRule(StrEnum):
    """Every compliance rule that can block or reduce a trade."""

    POSITION_LIMIT = "position_limit"
    ASSET_CLASS_LIMIT = "asset_class_limit"
    RESTRICTED_LIST = "restricted_list"
    WASH_SALE = "wash_sale"
    PATTERN_DAY_TRADER = "pattern_day_trader"
    INTRADAY_MARGIN = "intraday_margin"
    CFTC_POSITION_LIMIT = "cftc_position_limit"
    LARGE_TRADER_REPORTING = "large_trader_reporting"


class ComplianceAction(StrEnum):
    """Block removes the trade, reduce shrinks it, flag lets it through with a warning."""

    BLOCK = "block"
    REDUCE = "reduce"
    FLAG = "flag"


@dataclass(frozen=True, slots=True)
class ComplianceViolation:
    """One rule hit on one instrument, with the weight asked for and the weight allowed."""

    rule: ComplianceRule
    action: ComplianceAction
    instrument: InstrumentId
    requested_weight: float
    approved_weight: float
    message: str


@dataclass(frozen=True)
class ComplianceResult:
    """Step 6 output."""

    approved: TargetPortfolio
    violations: tuple[ComplianceViolation, ...]


class RiskLimit(StrEnum):
    """The limits that can bind a trade in the risk gate."""

    GROSS_LEVERAGE = "gross_leverage"
    NET_LEVERAGE = "net_leverage"
    INSTRUMENT_WEIGHT = "instrument_weight"
    DRAWDOWN = "drawdown"
    DAILY_LOSS = "daily_loss"
    VAR = "var"
    POSTURE = "posture"
    KILL_SWITCH = "kill_switch"


class Posture(StrEnum):
    """Graded trading posture, from normal to flatten everything."""

    FULL = "full"
    REDUCED = "reduced"
    NO_NEW_ENTRIES = "no_new_entries"
    FLATTEN = "flatten"


@dataclass(frozen=True, slots=True)
class RiskBinding:
    """A limit that changed a weight: which, on what, from what to what, and why."""

    limit: RiskLimit
    instrument: InstrumentId | None
    requested_weight: float
    approved_weight: float
    message: str


@dataclass(frozen=True)
class RiskReport:
    """What the risk gate saw and decided this cycle."""

    at: datetime
    equity: float
    peak_equity: float
    drawdown: float
    gross_leverage: float
    net_leverage: float
    posture: Posture
    kill_switch: bool
    bindings: tuple[RiskBinding, ...]
    metrics: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class RiskResult:
    """Step 7 output."""

    approved: TargetPortfolio
    report: RiskReport
