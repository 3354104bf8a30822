"""Compliance rules for QGTM (step 6): effective-dated rule sets over the target and the account history.

from qgtm_compliance import build_compliance_gate
gate = build_compliance_gate(settings.compliance, universe, fills=state.fills)  # history pulled each check
result = gate.check(target, account)
result.violations  # each blocked, reduced or flagged trade with its rule and reason
"""

from qgtm_compliance._cftc import COMEX_LEVELS_2006, FEDERAL_LEVELS_2021, CftcLevels, CftcPositionRule
from qgtm_compliance._config import build_compliance_gate
from qgtm_compliance._defaults import (
    FEDERAL_METALS_LIMITS_EFFECTIVE,
    INTRADAY_MARGIN_EFFECTIVE,
    PDT_EFFECTIVE,
    default_rule_book,
)
from qgtm_compliance._gate import RuleBookCompliance
from qgtm_compliance._history import TradeHistory, business_days_back
from qgtm_compliance._limits import PositionLimitCompliance
from qgtm_compliance._margin_rules import IntradayMarginRule, PatternDayTraderRule
from qgtm_compliance._position_rules import AssetClassLimitRule, InstrumentLimitRule, RestrictedListRule
from qgtm_compliance._rules import DatedRuleSet, Rule, RuleBook, RuleContext
from qgtm_compliance._wash_rule import WashSaleRule
from qgtm_compliance._wash_sale import Disposition, PendingLoss, TaxLot, WashSaleAdjustment, WashSaleLedger

__all__ = [
    "COMEX_LEVELS_2006",
    "FEDERAL_LEVELS_2021",
    "FEDERAL_METALS_LIMITS_EFFECTIVE",
    "INTRADAY_MARGIN_EFFECTIVE",
    "PDT_EFFECTIVE",
    "AssetClassLimitRule",
    "CftcLevels",
    "CftcPositionRule",
    "DatedRuleSet",
    "Disposition",
    "InstrumentLimitRule",
    "IntradayMarginRule",
    "PatternDayTraderRule",
    "PendingLoss",
    "PositionLimitCompliance",
    "RestrictedListRule",
    "Rule",
    "RuleBook",
    "RuleBookCompliance",
    "RuleContext",
    "TaxLot",
    "TradeHistory",
    "WashSaleAdjustment",
    "WashSaleLedger",
    "WashSaleRule",
    "build_compliance_gate",
    "business_days_back",
    "default_rule_book",
]
