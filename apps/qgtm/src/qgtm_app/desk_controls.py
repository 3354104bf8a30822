"""The desk's hand controls, as the daemon honours them: pause a strategy, flatten the book.

The API records these requests in the run's key-value state (it never talks to the daemon
directly); the daemon reads them at the start of the steps they affect, every cycle. They are step
decorators composed here, in the app, so neither the strategies nor the risk package needs to know
that an API exists.

- Paused strategies still compute (their state stays warm for a resume), but their signals are
  withheld from step 4 and counted in the step's output, so "why did momentum stop trading?" has
  an answer.
- A flatten request sets every target weight to zero for one cycle and trips the kill switch with
  the requester and reason, so the strategies cannot re-enter on the next cycle; trading resumes
  only with an explicit kill-switch reset. The request is then marked handled, with the cycle time.
"""

from __future__ import annotations

from dataclasses import replace

from qgtm_core import (
    AccountState,
    FeatureSet,
    InstrumentId,
    KeyValueStore,
    Posture,
    RiskBinding,
    RiskGate,
    RiskLimit,
    RiskResult,
    Signal,
    SignalGenerator,
    TargetPortfolio,
)
from qgtm_risk import KillSwitch

__all__ = ["FLATTEN_KEY", "PAUSED_KEY", "FlattenOnRequest", "PausableStrategies"]

PAUSED_KEY = "strategies.paused"
FLATTEN_KEY = "api.flatten_request"


def paused_strategies(state: KeyValueStore) -> frozenset[str]:
    """The names the desk has paused (an empty set when nothing is stored)."""
    stored = state.get(PAUSED_KEY)
    return frozenset(str(s) for s in stored) if isinstance(stored, list) else frozenset()


class PausableStrategies:
    """Step 3 decorator: withholds the signals of paused strategies."""

    def __init__(self, inner: SignalGenerator, state: KeyValueStore) -> None:
        self._inner = inner
        self._state = state
        self.withheld = 0

    def generate(self, features: FeatureSet) -> tuple[Signal, ...]:
        """The inner book's signals minus those of paused strategies."""
        signals = self._inner.generate(features)
        paused = paused_strategies(self._state)
        if not paused:
            return signals
        kept = tuple(s for s in signals if s.strategy not in paused)
        self.withheld += len(signals) - len(kept)
        return kept


class FlattenOnRequest:
    """Step 7 decorator: a pending flatten request overrides the risk-approved target."""

    def __init__(self, inner: RiskGate, state: KeyValueStore, kill_switch: KillSwitch) -> None:
        self._inner = inner
        self._state = state
        self._kill_switch = kill_switch

    def assess(self, target: TargetPortfolio, account: AccountState, features: FeatureSet) -> RiskResult:
        """The inner gate's verdict, or a flat book with the request as its binding reason."""
        result = self._inner.assess(target, account, features)
        request = self._state.get(FLATTEN_KEY)
        if not isinstance(request, dict) or "handled_at" in request:
            return result
        reason = f"flatten requested by {request.get('by', 'unknown')}: {request.get('reason', '')}".rstrip(": ")
        instruments = sorted(set(result.approved.weights) | set(account.positions))
        flat: dict[InstrumentId, float] = dict.fromkeys(instruments, 0.0)
        bindings = tuple(
            RiskBinding(RiskLimit.KILL_SWITCH, i, result.approved.weights.get(i, 0.0), 0.0, reason)
            for i in instruments
            if result.approved.weights.get(i, 0.0) != 0.0 or account.weight(i) != 0.0
        )
        self._kill_switch.trip(reason, target.at)
        self._state.put(FLATTEN_KEY, {**request, "handled_at": target.at.isoformat()})
        report = replace(
            result.report,
            posture=Posture.FLATTEN,
            kill_switch=True,
            bindings=result.report.bindings + bindings,
            gross_leverage=0.0,
            net_leverage=0.0,
        )
        return RiskResult(approved=result.approved.with_weights(flat), report=report)
