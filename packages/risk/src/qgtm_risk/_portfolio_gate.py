"""Step 7, full version: kill switch, graded posture, per-instrument cap, leverage and a VaR limit.

Order of the checks, and why:
1. peak and start-of-day equity are updated; a drawdown or daily loss beyond its limit trips the
   kill switch automatically (it can also be tripped by hand through ``gate.kill_switch``);
2. a tripped switch approves the current book unchanged, so step 8 plans no order at all;
3. the posture (from health, data freshness, drawdown and volatility sensors, with hysteresis)
   flattens, freezes entries or lowers the leverage cap;
4. then the per-instrument cap, gross and net leverage, and the VaR limit, each only ever shrinking
   weights, so a later limit can never undo an earlier one.
Every weight a limit changed is reported as a ``RiskBinding`` naming the limit.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from qgtm_core import (
    AccountState,
    ConfigError,
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
from qgtm_risk._factors import FactorEstimate, FactorRiskModel
from qgtm_risk._kill_switch import KillSwitch
from qgtm_risk._posture import PostureController, PostureThresholds, SensorReadings
from qgtm_risk._stress import StressReplayer
from qgtm_risk._var import VarMethod, cornish_fisher, historical, parametric, var_table

__all__ = ["PortfolioRiskGate", "PortfolioRiskLimits"]

_PEAK_KEY = "risk.peak_equity"
_DAY_KEY = "risk.day_start"
_SWITCH_KEY = "risk.kill_switch"
_TOLERANCE = 1e-12


@dataclass(frozen=True, slots=True)
class PortfolioRiskLimits:
    """Limits as fractions of equity; ``max_var`` is a one-day loss at ``var_level`` by ``var_method``."""

    max_gross_leverage: float = 1.0
    max_net_leverage: float = 1.0
    max_instrument_weight: float = 1.0
    max_drawdown: float = 0.25
    max_daily_loss: float = 0.08
    max_var: float | None = 0.03
    var_level: float = 0.99
    var_method: VarMethod = VarMethod.HISTORICAL
    reduced_leverage_scale: float = 0.5

    def __post_init__(self) -> None:
        positive = {
            "max_gross_leverage": self.max_gross_leverage,
            "max_net_leverage": self.max_net_leverage,
            "max_instrument_weight": self.max_instrument_weight,
            "max_drawdown": self.max_drawdown,
            "max_daily_loss": self.max_daily_loss,
            "reduced_leverage_scale": self.reduced_leverage_scale,
        }
        if self.max_var is not None:
            positive["max_var"] = self.max_var
        for name, value in positive.items():
            if not value > 0:
                msg = f"risk limits: {name} must be positive, got {value}"
                raise ConfigError(msg)
        if not 0.5 < self.var_level < 1.0:
            msg = f"risk limits: var_level must be in (0.5, 1), got {self.var_level}"
            raise ConfigError(msg)


def _scale(
    weights: dict[InstrumentId, float], factor: float, limit: RiskLimit, message: str, bindings: list[RiskBinding]
) -> dict[InstrumentId, float]:
    scaled = {k: v * factor for k, v in weights.items()}
    bindings.extend(RiskBinding(limit, k, weights[k], scaled[k], message) for k in sorted(weights) if weights[k] != 0.0)
    return scaled


class PortfolioRiskGate:
    """Implements ``RiskGate``. ``model`` and ``stress`` are optional: without them VaR is not limited.

    ``health`` is called every cycle (a watchdog's verdict); ``data_age`` maps the cycle to the age
    of the freshest market data (default: the gap between the target's time and the features').
    """

    def __init__(
        self,
        limits: PortfolioRiskLimits,
        store: KeyValueStore,
        model: FactorRiskModel | None = None,
        stress: StressReplayer | None = None,
        thresholds: PostureThresholds | None = None,
        health: Callable[[], bool] | None = None,
        data_age: Callable[[TargetPortfolio, FeatureSet], timedelta] | None = None,
    ) -> None:
        self._limits = limits
        self._store = store
        self._model = model
        self._stress = stress
        self._health = health or (lambda: True)
        self._data_age = data_age or (lambda target, features: max(timedelta(0), target.at - features.at))
        self.kill_switch = KillSwitch(store)
        self.posture = PostureController(store, thresholds)

    @property
    def limits(self) -> PortfolioRiskLimits:
        """The configured limits."""
        return self._limits

    # ------------------------------------------------------------------ state

    def _peak(self, equity: float) -> float:
        stored = self._store.get(_PEAK_KEY)
        peak = max(float(stored), equity) if isinstance(stored, int | float) else equity
        self._store.put(_PEAK_KEY, peak)
        return peak

    def _rebase_after_reset(self, equity: float) -> None:
        """After an explicit reset, measure drawdown and daily loss from the equity at the reset.

        Otherwise the old peak would re-trip the switch on the very next cycle and a reset could
        never take effect. Works whoever reset the switch (CLI, API): it reads the stored state.
        """
        state = self._store.get(_SWITCH_KEY)
        if isinstance(state, dict) and state.get("tripped") is False and state.get("rebased") is not True:
            self._store.put(_PEAK_KEY, equity)
            self._store.put(_DAY_KEY, None)
            self._store.put(_SWITCH_KEY, {**state, "rebased": True})

    def _day_start(self, day: date, equity: float) -> float:
        """Equity at the end of the last cycle of an earlier day (the previous close)."""
        state = self._store.get(_DAY_KEY)
        start = equity
        if isinstance(state, dict):
            stored_day, stored_start, last = state.get("day"), state.get("start"), state.get("last")
            if stored_day == day.isoformat() and isinstance(stored_start, int | float):
                start = float(stored_start)
            elif isinstance(last, int | float):
                start = float(last)
        self._store.put(_DAY_KEY, {"day": day.isoformat(), "start": start, "last": equity})
        return start

    # ------------------------------------------------------------------ sensors

    def _volatility(self, weights: Mapping[InstrumentId, float], features: FeatureSet) -> float:
        """Exposure-weighted realised volatility of what the book holds or wants (annualised)."""
        pairs = [(abs(w), features.get(i, "vol_fast")) for i, w in weights.items() if w != 0.0]
        pairs = [(w, v) for w, v in pairs if math.isfinite(v)]
        total = sum(w for w, _ in pairs)
        return sum(w * v for w, v in pairs) / total if total > 0 else float("nan")

    # ------------------------------------------------------------------ the gate

    def assess(self, target: TargetPortfolio, account: AccountState, features: FeatureSet) -> RiskResult:
        """Risk-approved target and the report of what bound it."""
        limits = self._limits
        equity = float(account.equity)
        self._rebase_after_reset(equity)
        peak = self._peak(equity)
        drawdown = 1.0 - equity / peak if peak > 0 else 0.0
        day_start = self._day_start(target.at.date(), equity)
        daily_loss = 1.0 - equity / day_start if day_start > 0 else 0.0
        if drawdown >= limits.max_drawdown:
            self.kill_switch.trip(f"drawdown {drawdown:.2%} reached the limit {limits.max_drawdown:.2%}", target.at)
        if daily_loss >= limits.max_daily_loss:
            self.kill_switch.trip(
                f"daily loss {daily_loss:.2%} reached the limit {limits.max_daily_loss:.2%}", target.at
            )
        # One pass over the positions (``account.weight`` recomputes equity on every call).
        book = account.equity
        current = {
            i: float(account.market_value(i) / book) if book > 0 else 0.0
            for i in sorted(set(target.weights) | set(account.positions))
        }
        bindings: list[RiskBinding] = []
        metrics: dict[str, float] = {"daily_loss": daily_loss}
        if self.kill_switch.tripped:
            reason = self.kill_switch.reason or "no reason recorded"
            # Name the limit that tripped the switch when it was a limit, so the trade's cause is explicit.
            limit = (
                RiskLimit.DRAWDOWN
                if reason.startswith("drawdown")
                else RiskLimit.DAILY_LOSS
                if reason.startswith("daily loss")
                else RiskLimit.KILL_SWITCH
            )
            bindings.extend(
                RiskBinding(limit, i, target.weights.get(i, 0.0), held, f"kill switch tripped: {reason}")
                for i, held in current.items()
                if target.weights.get(i, 0.0) != held
            )
            approved, posture = dict(current), Posture.NO_NEW_ENTRIES
        else:
            readings = SensorReadings(
                healthy=self._health(),
                data_age=self._data_age(target, features),
                drawdown=drawdown,
                volatility=self._volatility({**current, **target.weights}, features),
            )
            posture, why = self.posture.update(readings)
            metrics["volatility"] = readings.volatility
            approved = self._apply_posture(dict(target.weights), current, posture, why, bindings)
            approved = self._cap(approved, posture, bindings)
            approved = self._limit_var(approved, target, bindings, metrics)
        if self._model is not None and any(approved.values()):
            self._describe(self._model, approved, target, metrics)
        if self._stress is not None:
            for result in self._stress.replay(approved):
                metrics[f"stress_{result.scenario}"] = result.total_return
                metrics[f"stress_{result.scenario}_max_drawdown"] = result.max_drawdown
        report = RiskReport(
            at=target.at,
            equity=equity,
            peak_equity=peak,
            drawdown=drawdown,
            gross_leverage=sum(abs(w) for w in approved.values()),
            net_leverage=sum(approved.values()),
            posture=posture,
            kill_switch=self.kill_switch.tripped,
            bindings=tuple(bindings),
            metrics=metrics,
        )
        return RiskResult(approved=target.with_weights(approved), report=report)

    def _apply_posture(
        self,
        weights: dict[InstrumentId, float],
        current: Mapping[InstrumentId, float],
        posture: Posture,
        why: str,
        bindings: list[RiskBinding],
    ) -> dict[InstrumentId, float]:
        for instrument in current:
            weights.setdefault(instrument, 0.0)
        if posture is Posture.FLATTEN:
            return _scale(weights, 0.0, RiskLimit.POSTURE, f"posture flatten: {why}", bindings)
        if posture is not Posture.NO_NEW_ENTRIES:
            return weights
        out: dict[InstrumentId, float] = {}
        for instrument, requested in sorted(weights.items()):
            held = current.get(instrument, 0.0)
            # No new entries: only move toward flat, never grow or flip a position.
            allowed = max(0.0, min(requested, held)) if held >= 0 else min(0.0, max(requested, held))
            out[instrument] = allowed
            if allowed != requested:
                bindings.append(
                    RiskBinding(RiskLimit.POSTURE, instrument, requested, allowed, f"posture no new entries: {why}")
                )
        return out

    def _cap(
        self, weights: dict[InstrumentId, float], posture: Posture, bindings: list[RiskBinding]
    ) -> dict[InstrumentId, float]:
        limits = self._limits
        cap = limits.max_instrument_weight
        for instrument in sorted(weights):
            requested = weights[instrument]
            if abs(requested) > cap:
                weights[instrument] = math.copysign(cap, requested)
                bindings.append(
                    RiskBinding(
                        RiskLimit.INSTRUMENT_WEIGHT,
                        instrument,
                        requested,
                        weights[instrument],
                        f"|weight| {abs(requested):.4f} above the instrument cap {cap:.4f}",
                    )
                )
        gross_cap = limits.max_gross_leverage
        gross_limit = RiskLimit.GROSS_LEVERAGE
        if posture is Posture.REDUCED:
            gross_cap *= limits.reduced_leverage_scale
            gross_limit = RiskLimit.POSTURE
        gross = sum(abs(v) for v in weights.values())
        if gross > gross_cap:
            weights = _scale(
                weights,
                gross_cap / gross * (1 - _TOLERANCE),
                gross_limit,
                f"gross {gross:.4f} above {gross_cap:.4f}",
                bindings,
            )
        net = abs(sum(weights.values()))
        if net > limits.max_net_leverage:
            weights = _scale(
                weights,
                limits.max_net_leverage / net * (1 - _TOLERANCE),
                RiskLimit.NET_LEVERAGE,
                f"|net| {net:.4f} above {limits.max_net_leverage:.4f}",
                bindings,
            )
        return weights

    def _book_var(self, estimate: FactorEstimate, weights: Mapping[InstrumentId, float]) -> float:
        vector = estimate.vector(weights)
        level = self._limits.var_level
        method = self._limits.var_method
        pnl = estimate.returns @ vector
        if method is VarMethod.HISTORICAL:
            return historical(pnl, level).var
        if method is VarMethod.CORNISH_FISHER:
            return cornish_fisher(pnl, level).var
        sigma = math.sqrt(max(float(vector @ estimate.covariance() @ vector), 0.0))
        return parametric(float(pnl.mean()), sigma, level).var

    def _limit_var(
        self,
        weights: dict[InstrumentId, float],
        target: TargetPortfolio,
        bindings: list[RiskBinding],
        metrics: dict[str, float],
    ) -> dict[InstrumentId, float]:
        limit = self._limits.max_var
        if self._model is None or limit is None or not any(weights.values()):
            return weights
        estimate = self._model.estimate(target.at.date())
        var = self._book_var(estimate, weights)
        metrics["var_limit_measure"] = var
        if var <= limit:
            return weights
        message = (
            f"{self._limits.var_method.value} VaR {self._limits.var_level:.0%} {var:.4f} above the limit {limit:.4f}"
        )
        return _scale(weights, limit / var * (1 - 1e-9), RiskLimit.VAR, message, bindings)

    @staticmethod
    def _describe(
        model: FactorRiskModel,
        weights: Mapping[InstrumentId, float],
        target: TargetPortfolio,
        metrics: dict[str, float],
    ) -> None:
        """VaR/CVaR table, factor betas and model volatility of the approved book."""
        estimate = model.estimate(target.at.date())
        vector = estimate.vector(weights)
        sigma = math.sqrt(max(float(vector @ estimate.covariance() @ vector), 0.0))
        metrics.update(var_table(estimate.returns @ vector, sigma))
        metrics.update({f"beta_{k}": v for k, v in estimate.exposures(weights).items()})
        metrics["model_volatility"] = sigma * math.sqrt(252.0)
        metrics["model_age_days"] = float((target.at.date() - estimate.as_of).days)
