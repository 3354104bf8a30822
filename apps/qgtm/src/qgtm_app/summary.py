"""The end-of-run summary: what the daemon did, in numbers a desk reads first."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from qgtm_core import CycleResult, MetaAction

__all__ = ["RunSummary"]


@dataclass
class RunSummary:
    """Accumulates per-cycle results into the run summary."""

    initial_equity: float
    cycles: int = 0
    orders: int = 0
    fills: int = 0
    commissions: float = 0.0
    rejects: Counter[str] = field(default_factory=Counter)
    unreconciled_cycles: int = 0
    final_equity: float = 0.0
    peak_equity: float = 0.0
    max_drawdown: float = 0.0
    first_cycle_at: str = ""
    last_cycle_at: str = ""
    last_correlation_id: str = ""

    def __post_init__(self) -> None:
        self.final_equity = self.peak_equity = self.initial_equity

    def observe(self, result: CycleResult) -> None:
        """Fold one cycle in."""
        self.cycles += 1
        self.orders += len(result.execution.orders)
        self.fills += len(result.execution.fills)
        self.commissions += float(sum(f.commission for f in result.execution.fills))
        self.unreconciled_cycles += 0 if result.execution.reconciled else 1
        for decision in result.filtered.decisions:
            if decision.action is not MetaAction.KEEP:
                self.rejects[f"regime/meta:{decision.action.value}"] += 1
        for violation in result.compliance.violations:
            self.rejects[f"compliance:{violation.rule.value}:{violation.action.value}"] += 1
        for binding in result.risk.report.bindings:
            self.rejects[f"risk:{binding.limit.value}"] += 1
        equity = float(result.execution.account.equity)
        self.final_equity = equity
        self.peak_equity = max(self.peak_equity, equity)
        self.max_drawdown = max(self.max_drawdown, 1.0 - equity / self.peak_equity)
        if not self.first_cycle_at:
            self.first_cycle_at = result.at.isoformat()
        self.last_cycle_at = result.at.isoformat()
        self.last_correlation_id = result.correlation_id
