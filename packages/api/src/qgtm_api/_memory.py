"""An in-memory implementation of every read model and control: the API's shipped test double.

``create_app(version)`` with no services serves this empty state, and tests fill it directly.
It is also what the app uses for the live part a run directory does not hold (recent signals).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from qgtm_api._views import (
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
from qgtm_core import Clock, WallClock

__all__ = ["InMemoryState"]


class InMemoryState:
    """Implements every reader Protocol and ``Controls``; mutate the public attributes to set it up."""

    def __init__(self, clock: Clock | None = None, signal_capacity: int = 1_000) -> None:
        self._clock = clock or WallClock()
        self._lock = threading.Lock()
        self.portfolio_view = PortfolioView(
            at=None,
            cash=Decimal(0),
            equity=Decimal(0),
            realized_pnl=Decimal(0),
            unrealized_pnl=Decimal(0),
            commissions=Decimal(0),
            positions=[],
        )
        self.order_views: list[OrderView] = []
        self.fill_views: list[FillView] = []
        self.risk_view: RiskView | None = None
        self.blocks: list[ComplianceBlockView] = []
        self.recent_signals: deque[SignalView] = deque(maxlen=signal_capacity)
        self.strategy_views: dict[str, StrategyView] = {}
        self.run_views: dict[str, TearSheetView] = {}
        self.switch = KillSwitchView(tripped=False)
        self.flatten_request: FlattenView | None = None

    # ------------------------------------------------------------------ readers
    def portfolio(self) -> PortfolioView:
        """The portfolio as last set."""
        return self.portfolio_view

    def orders(self, limit: int) -> Sequence[OrderView]:
        """The newest ``limit`` orders."""
        return self.order_views[-limit:]

    def fills(self, limit: int) -> Sequence[FillView]:
        """The newest ``limit`` fills."""
        return self.fill_views[-limit:]

    def risk(self) -> RiskView | None:
        """The last risk report, if any."""
        return self.risk_view

    def compliance_blocks(self, limit: int) -> Sequence[ComplianceBlockView]:
        """The newest ``limit`` blocks."""
        return self.blocks[-limit:]

    def signals(self, limit: int) -> Sequence[SignalView]:
        """The newest ``limit`` signals."""
        with self._lock:
            return list(self.recent_signals)[-limit:]

    def add_signal(self, signal: SignalView) -> None:
        """Remember a published signal (bounded)."""
        with self._lock:
            self.recent_signals.append(signal)

    def strategies(self) -> Sequence[StrategyView]:
        """Configured strategies by name."""
        return [self.strategy_views[k] for k in sorted(self.strategy_views)]

    def runs(self) -> Sequence[BacktestRunView]:
        """Stored runs by id."""
        return [BacktestRunView(run_id=k) for k in sorted(self.run_views)]

    def tear_sheet(self, run_id: str) -> TearSheetView | None:
        """One run's tear sheet."""
        return self.run_views.get(run_id)

    # ------------------------------------------------------------------ controls
    def kill_switch(self) -> KillSwitchView:
        """Current kill-switch state."""
        return self.switch

    def trip_kill_switch(self, reason: str, actor: str) -> KillSwitchView:
        """Trip; the first reason is kept while tripped (as the risk package's switch does)."""
        if not self.switch.tripped:
            self.switch = KillSwitchView(tripped=True, reason=f"{reason} (by {actor})", at=self._now())
        return self.switch

    def reset_kill_switch(self, actor: str) -> KillSwitchView:
        """Clear."""
        self.switch = KillSwitchView(tripped=False, reason=None, at=self._now())
        return self.switch

    def flatten(self, reason: str, actor: str) -> FlattenView:
        """Record a flatten request."""
        self.flatten_request = FlattenView(requested=True, reason=f"{reason} (by {actor})", at=self._now())
        return self.flatten_request

    def set_paused(self, strategy: str, paused: bool, actor: str) -> StrategyView | None:
        """Pause or resume a known strategy."""
        current = self.strategy_views.get(strategy)
        if current is None:
            return None
        updated = current.model_copy(update={"paused": paused})
        self.strategy_views[strategy] = updated
        return updated

    def _now(self) -> datetime:
        return self._clock.now()
