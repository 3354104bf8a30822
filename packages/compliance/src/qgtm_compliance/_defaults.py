"""The rule book QGTM ships with: three dated sets covering 2001 to today."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

from qgtm_compliance._cftc import COMEX_LEVELS_2006, FEDERAL_LEVELS_2021, CftcLevels, CftcPositionRule
from qgtm_compliance._margin_rules import IntradayMarginRule, PatternDayTraderRule
from qgtm_compliance._position_rules import AssetClassLimitRule, InstrumentLimitRule, RestrictedListRule
from qgtm_compliance._rules import DatedRuleSet, Rule, RuleBook
from qgtm_compliance._wash_rule import WashSaleRule

__all__ = ["FEDERAL_METALS_LIMITS_EFFECTIVE", "INTRADAY_MARGIN_EFFECTIVE", "PDT_EFFECTIVE", "default_rule_book"]

PDT_EFFECTIVE = date(2001, 9, 28)
"""FINRA (then NASD) Rule 2520 / NYSE 431 day-trading amendments took effect (SR-NASD-00-03)."""
FEDERAL_METALS_LIMITS_EFFECTIVE = date(2021, 3, 15)
"""CFTC position-limits final rule (86 FR 3236) took effect."""
INTRADAY_MARGIN_EFFECTIVE = date(2026, 6, 4)
"""SR-FINRA-2025-017 (intraday margin standards replace the PDT provisions) took effect."""


def default_rule_book(
    max_position_weight: float,
    restricted: Iterable[str] = (),
    *,
    instrument_limits: Mapping[str, float] | None = None,
    asset_class_limits: Mapping[str, float] | None = None,
    block_wash_sales: bool = False,
    cftc_warn_fraction: float = 0.9,
    pdt_min_equity: float = 25_000.0,
    intraday_effective: date = INTRADAY_MARGIN_EFFECTIVE,
) -> RuleBook:
    """Rule sets for the PDT era (exchange, then federal metals limits) and the intraday-margin era.

    Margin rules run first and the hard limits after them, so a limit always wins over a block
    that would keep an over-limit holding; the wash-sale rule runs last and only trims buys.
    """
    restricted = tuple(restricted)

    def rules(margin: Rule, cftc: Mapping[str, CftcLevels]) -> tuple[Rule, ...]:
        return (
            margin,
            RestrictedListRule(restricted),
            InstrumentLimitRule(max_position_weight, instrument_limits),
            AssetClassLimitRule(asset_class_limits or {}),
            CftcPositionRule(cftc, cftc_warn_fraction),
            WashSaleRule(block_wash_sales),
        )

    pdt = PatternDayTraderRule(pdt_min_equity)
    return RuleBook(
        [
            DatedRuleSet(
                PDT_EFFECTIVE, "FINRA 4210 pattern day trader; COMEX metals limits", rules(pdt, COMEX_LEVELS_2006)
            ),
            DatedRuleSet(
                FEDERAL_METALS_LIMITS_EFFECTIVE,
                "FINRA 4210 pattern day trader; federal metals limits",
                rules(pdt, FEDERAL_LEVELS_2021),
            ),
            DatedRuleSet(
                intraday_effective,
                "FINRA 4210 intraday margin; federal metals limits",
                rules(IntradayMarginRule(), FEDERAL_LEVELS_2021),
            ),
        ]
    )
