"""What the API reads and controls, as small Protocols the app implements over its stores.

The API never opens a database itself: the app adapts its run directory (or a live daemon) into
these read models, so the same API serves a finished run, a paper daemon or a test double.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from qgtm_api._views import (
    AuditRecordView,
    BacktestRunView,
    ComplianceBlockView,
    FillView,
    FlattenView,
    KillSwitchView,
    OrderView,
    PortfolioView,
    RiskView,
    SignalView,
    StrategyView,
    TearSheetView,
)
from qgtm_core import JsonValue

__all__ = [
    "AuditReader",
    "BacktestReader",
    "Controls",
    "PortfolioReader",
    "RiskReader",
    "SignalReader",
    "StreamPublisher",
    "TradeReader",
]


class PortfolioReader(Protocol):
    """Cash, equity and positions with P&L."""

    def portfolio(self) -> PortfolioView: ...


class TradeReader(Protocol):
    """Orders and fills, newest last."""

    def orders(self, limit: int) -> Sequence[OrderView]: ...

    def fills(self, limit: int) -> Sequence[FillView]: ...


class RiskReader(Protocol):
    """The latest risk report and recent compliance blocks."""

    def risk(self) -> RiskView | None: ...

    def compliance_blocks(self, limit: int) -> Sequence[ComplianceBlockView]: ...


class SignalReader(Protocol):
    """Recent signals and the configured strategies."""

    def signals(self, limit: int) -> Sequence[SignalView]: ...

    def strategies(self) -> Sequence[StrategyView]: ...


class AuditReader(Protocol):
    """Every audit record of one correlation id, in sequence order."""

    def trace(self, correlation_id: str) -> Sequence[AuditRecordView]: ...


class BacktestReader(Protocol):
    """Stored runs and their tear sheets."""

    def runs(self) -> Sequence[BacktestRunView]: ...

    def tear_sheet(self, run_id: str) -> TearSheetView | None: ...


class Controls(Protocol):
    """The few writes an operator may make; ``actor`` is the API key id, recorded by the implementation."""

    def kill_switch(self) -> KillSwitchView: ...

    def trip_kill_switch(self, reason: str, actor: str) -> KillSwitchView: ...

    def reset_kill_switch(self, actor: str) -> KillSwitchView: ...

    def flatten(self, reason: str, actor: str) -> FlattenView: ...

    def set_paused(self, strategy: str, paused: bool, actor: str) -> StrategyView | None:
        """The strategy's new state, or None when no strategy has that name."""
        ...


class StreamPublisher(Protocol):
    """Anything that can put an event on the WebSocket stream (the hub, or a Redis relay)."""

    def publish(self, kind: str, data: Mapping[str, JsonValue]) -> None: ...
