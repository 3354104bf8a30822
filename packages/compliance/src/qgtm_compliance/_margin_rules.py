"""FINRA Rule 4210 day-trading regimes, as two dated rules.

* ``PatternDayTraderRule``: Rule 4210(f)(8)(B) from 2001-09-28 until 2026-06-03. A customer who
  makes four or more day trades within five business days (and those are more than 6% of the
  trades in that period) is a pattern day trader and must keep $25,000 of equity on any day they
  day trade. We block a trade that would be a day trade when equity is below the minimum and the
  account is, or with this trade would become, a pattern day trader.
* ``IntradayMarginRule``: SR-FINRA-2025-017 (SEC approval 2026-04-14, effective 2026-06-04)
  removed the PDT designation and the $25,000 minimum, and instead requires equity commensurate
  with intraday exposure: a firm blocks transactions that would create or increase an intraday
  margin deficit. We compute the maintenance requirement of the target (25% of long, 30% of short
  market value, Rule 4210(c)) and scale down increases that would exceed equity; the $2,000
  minimum equity of Rule 4210(b) blocks new exposure outright.

Both apply to securities only: futures (GC, SI) are margined by the exchange, not Rule 4210.
Counts come from our own fills (``TradeHistory``), never a broker's retired PDT fields.
"""

from __future__ import annotations

from qgtm_compliance._dates import trade_date
from qgtm_compliance._history import business_days_back
from qgtm_compliance._rules import RuleContext, violation
from qgtm_core import AssetClass, ComplianceAction, ComplianceRule, ComplianceViolation, InstrumentId, Side

__all__ = ["IntradayMarginRule", "PatternDayTraderRule"]

_TOLERANCE = 1e-9


def _is_security(ctx: RuleContext, instrument: InstrumentId) -> bool:
    return ctx.asset_class(instrument) is not AssetClass.METAL_FUTURE


class PatternDayTraderRule:
    """FINRA 4210(f)(8)(B): four day trades in five business days, $25,000 minimum equity."""

    name = "pattern_day_trader"

    def __init__(self, min_equity: float = 25_000.0, day_trades: int = 4, window_days: int = 5) -> None:
        self._min_equity = min_equity
        self._day_trades = day_trades
        self._window = window_days

    def apply(self, weights: dict[InstrumentId, float], ctx: RuleContext) -> list[ComplianceViolation]:
        """Block would-be day trades of an under-funded (would-be) pattern day trader."""
        equity = float(ctx.account.equity)
        if equity >= self._min_equity:
            return []
        today = trade_date(ctx.at)
        days = business_days_back(today, self._window)
        if not days or days[-1] != today:
            days = (*days[1:], today)
        counted = ctx.history.day_trades(days)
        trades = ctx.history.trades(days)
        out: list[ComplianceViolation] = []
        for instrument in sorted(weights):
            if not _is_security(ctx, instrument):
                continue
            requested = weights[instrument]
            current = ctx.current(instrument)
            delta = requested - current
            if abs(delta) <= _TOLERANCE:
                continue
            side = Side.BUY if delta > 0 else Side.SELL
            opposite = Side.SELL if side is Side.BUY else Side.BUY
            if opposite not in ctx.history.sides_on(instrument, today):
                continue
            would_be = counted + 1
            pdt = would_be >= self._day_trades and would_be > 0.06 * (trades + 1)
            if not pdt:
                counted = would_be
                trades += 1
                continue
            weights[instrument] = current
            out.append(
                violation(
                    ComplianceRule.PATTERN_DAY_TRADER,
                    ComplianceAction.BLOCK,
                    instrument,
                    requested,
                    current,
                    f"day trade #{would_be} in {len(days)} business days with equity {equity:,.2f} below "
                    f"the pattern-day-trader minimum {self._min_equity:,.2f} (FINRA 4210(f)(8)(B))",
                )
            )
        return out


class IntradayMarginRule:
    """FINRA 4210 intraday margin standard (2026): no new intraday margin deficit."""

    name = "intraday_margin"

    def __init__(self, long_rate: float = 0.25, short_rate: float = 0.30, min_equity: float = 2_000.0) -> None:
        self._long = long_rate
        self._short = short_rate
        self._min_equity = min_equity

    def _requirement(self, weight: float) -> float:
        return abs(weight) * (self._long if weight >= 0 else self._short)

    def apply(self, weights: dict[InstrumentId, float], ctx: RuleContext) -> list[ComplianceViolation]:
        """Scale increases of security exposure so the requirement stays within equity."""
        equity = float(ctx.account.equity)
        securities = sorted(i for i in weights if _is_security(ctx, i))
        increases = [i for i in securities if abs(weights[i]) > abs(ctx.current(i)) + _TOLERANCE]
        if not increases:
            return []
        out: list[ComplianceViolation] = []
        if equity < self._min_equity:
            for instrument in increases:
                requested, current = weights[instrument], ctx.current(instrument)
                weights[instrument] = current
                out.append(
                    violation(
                        ComplianceRule.INTRADAY_MARGIN,
                        ComplianceAction.BLOCK,
                        instrument,
                        requested,
                        current,
                        f"equity {equity:,.2f} below the {self._min_equity:,.2f} margin-account minimum "
                        "(FINRA 4210(b))",
                    )
                )
            return out
        # Requirement as a fraction of equity; the intraday peak is the larger of now and the target.
        # A sign flip first closes the old position (a reduction), so it grows from zero.
        start = {i: ctx.current(i) if ctx.current(i) * weights[i] > 0 else 0.0 for i in increases}
        fixed = sum(self._requirement(weights[i]) for i in securities if i not in increases)
        base = sum(self._requirement(start[i]) for i in increases)
        extra = sum(self._requirement(weights[i]) - self._requirement(start[i]) for i in increases)
        room = 1.0 - fixed - base
        if fixed + base + extra <= 1.0 + _TOLERANCE:
            return []
        scale = max(0.0, room) / extra
        for instrument in increases:
            requested, current = weights[instrument], start[instrument]
            approved = current + (requested - current) * scale
            weights[instrument] = approved
            out.append(
                violation(
                    ComplianceRule.INTRADAY_MARGIN,
                    ComplianceAction.REDUCE,
                    instrument,
                    requested,
                    approved,
                    f"intraday maintenance requirement {fixed + base + extra:.2%} of equity would exceed equity "
                    "(FINRA 4210 intraday margin standard, effective 2026-06-04)",
                )
            )
        return out
