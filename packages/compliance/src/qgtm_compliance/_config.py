"""Build the step-6 gate from the ``[compliance]`` section, so the composition root stays one line."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from qgtm_compliance._defaults import default_rule_book
from qgtm_compliance._gate import RuleBookCompliance
from qgtm_compliance._history import TradeHistory
from qgtm_compliance._wash_sale import WashSaleLedger
from qgtm_core import Fill, Instrument, InstrumentId
from qgtm_core.config import ComplianceConfig

__all__ = ["build_compliance_gate"]


def build_compliance_gate(
    config: ComplianceConfig,
    instruments: Mapping[InstrumentId, Instrument],
    fills: Callable[[], Iterable[Fill]] | None = None,
) -> RuleBookCompliance:
    """The default effective-dated rule book with the configured limits and wash-sale groups."""
    book = default_rule_book(
        config.max_position_weight,
        config.restricted,
        instrument_limits=config.instrument_limits,
        asset_class_limits=config.asset_class_limits,
        block_wash_sales=config.block_wash_sales,
        cftc_warn_fraction=config.cftc_warn_fraction,
        pdt_min_equity=config.pdt_min_equity,
    )
    history = TradeHistory(WashSaleLedger(config.substantially_identical))
    return RuleBookCompliance(book, instruments, history, fills)
