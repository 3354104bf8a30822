"""Step 7, first version: gross and net leverage caps, a drawdown limit and the kill switch.

When the kill switch is tripped the approved target is the current book, so the OMS sends
nothing new; every weight the gate changed is reported with the limit that bound it.
"""

from __future__ import annotations

from dataclasses import dataclass

from qgtm_core import (
    AccountState,
    FeatureSet,
    InstrumentId,
    KeyValueStore,
    Posture,
    RiskBinding,
    RiskLimit,
    RiskReport,
    RiskResult,
    TargetPortfolio,
)
from qgtm_risk._kill_switch import KillSwitch

__all__ = ["LeverageDrawdownRiskGate", "RiskLimits"]

_PEAK_KEY = "risk.peak_equity"


@dataclass(frozen=True, slots=True)
class RiskLimits:
    """Limits of the gate, as fractions of equity."""

    max_gross_leverage: float = 1.0
    max_net_leverage: float = 1.0
    max_drawdown: float = 0.25


class LeverageDrawdownRiskGate:
    """Implements ``RiskGate``."""

    def __init__(self, limits: RiskLimits, store: KeyValueStore) -> None:
        self._limits = limits
        self._store = store
        self.kill_switch = KillSwitch(store)

    def _peak(self, equity: float) -> float:
        stored = self._store.get(_PEAK_KEY)
        peak = max(float(stored), equity) if isinstance(stored, int | float) else equity
        self._store.put(_PEAK_KEY, peak)
        return peak

    def assess(self, target: TargetPortfolio, account: AccountState, features: FeatureSet) -> RiskResult:
        """Risk-approved target and the report of what bound it."""
        equity = float(account.equity)
        peak = self._peak(equity)
        drawdown = 1.0 - equity / peak if peak > 0 else 0.0
        if drawdown >= self._limits.max_drawdown:
            self.kill_switch.trip(
                f"drawdown {drawdown:.2%} reached the limit {self._limits.max_drawdown:.2%}", target.at
            )
        bindings: list[RiskBinding] = []
        if self.kill_switch.tripped:
            approved = self._hold(target, account, bindings)
            posture = Posture.NO_NEW_ENTRIES
        else:
            approved = self._cap_leverage(dict(target.weights), bindings)
            posture = Posture.FULL
        gross = sum(abs(w) for w in approved.values())
        net = sum(approved.values())
        report = RiskReport(
            at=target.at,
            equity=equity,
            peak_equity=peak,
            drawdown=drawdown,
            gross_leverage=gross,
            net_leverage=net,
            posture=posture,
            kill_switch=self.kill_switch.tripped,
            bindings=tuple(bindings),
        )
        return RiskResult(approved=target.with_weights(approved), report=report)

    def _hold(
        self, target: TargetPortfolio, account: AccountState, bindings: list[RiskBinding]
    ) -> dict[InstrumentId, float]:
        held = {i: account.weight(i) for i in sorted(set(target.weights) | set(account.positions))}
        reason = self.kill_switch.reason or "kill switch tripped"
        for instrument, current in held.items():
            requested = target.weights.get(instrument, 0.0)
            if requested != current:
                bindings.append(RiskBinding(RiskLimit.KILL_SWITCH, instrument, requested, current, reason))
        return held

    def _cap_leverage(
        self, weights: dict[InstrumentId, float], bindings: list[RiskBinding]
    ) -> dict[InstrumentId, float]:
        for limit, cap in (
            (RiskLimit.GROSS_LEVERAGE, self._limits.max_gross_leverage),
            (RiskLimit.NET_LEVERAGE, self._limits.max_net_leverage),
        ):
            values = weights.values()
            level = sum(abs(v) for v in values) if limit is RiskLimit.GROSS_LEVERAGE else abs(sum(values))
            if level > cap:
                scale = cap / level
                scaled = {k: v * scale for k, v in weights.items()}
                bindings.extend(
                    RiskBinding(limit, k, weights[k], scaled[k], f"{limit.value} {level:.4f} above {cap:.4f}")
                    for k in sorted(weights)
                    if weights[k] != 0.0
                )
                weights = scaled
        return weights
