"""Account history the rules need: fills (for day trades) and tax lots (for wash sales).

The compliance port is ``check(target, account)``: the account state says what is held, not how it
got there. History arrives separately: the app calls ``record_fill`` after step 9 (and ``replay``
with the OMS store's fills at start-up), so the rules never read retired broker fields such as a
broker's pattern-day-trader flag or day-trade counter; they count from our own fills.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from datetime import date
from functools import cache

import exchange_calendars as xcals

from qgtm_compliance._dates import trade_date
from qgtm_compliance._wash_sale import WashSaleLedger
from qgtm_core import Fill, InstrumentId, Side

__all__ = ["TradeHistory", "business_days_back"]


@cache
def _sessions() -> tuple[date, ...]:
    calendar = xcals.get_calendar("XNYS", start="2000-01-03")
    return tuple(ts.date() for ts in calendar.sessions)


def business_days_back(end: date, count: int) -> tuple[date, ...]:
    """The ``count`` NYSE sessions ending at ``end`` (inclusive if ``end`` is a session)."""
    sessions = _sessions()
    index = bisect_right(sessions, end)
    return sessions[max(0, index - count) : index]


class TradeHistory:
    """Fills seen so far (deduplicated by execution id) and the wash-sale ledger fed from them."""

    def __init__(self, ledger: WashSaleLedger | None = None) -> None:
        self.ledger = ledger or WashSaleLedger()
        self._by_day: dict[date, list[Fill]] = {}
        self._seen: set[str] = set()

    def record_fill(self, fill: Fill) -> bool:
        """Add one fill; False if its execution id was already recorded."""
        if fill.execution_id in self._seen:
            return False
        self._seen.add(fill.execution_id)
        self._by_day.setdefault(trade_date(fill.at), []).append(fill)
        self.ledger.record_fill(fill)
        return True

    def replay(self, fills: Iterable[Fill]) -> int:
        """Record many fills in time order; returns how many were new."""
        fresh = [f for f in fills if f.execution_id not in self._seen]
        return sum(self.record_fill(f) for f in sorted(fresh, key=lambda f: (f.at, f.execution_id)))

    def sides_on(self, instrument: InstrumentId, day: date) -> frozenset[Side]:
        """Sides traded in one instrument on one day."""
        return frozenset(f.side for f in self._by_day.get(day, ()) if f.instrument == instrument)

    def day_trades(self, days: Iterable[date]) -> int:
        """Day trades (a buy and a sell of one instrument on one day) within ``days``.

        Each pair of opposite orders on the same instrument and day counts once, as FINRA counts
        round trips; orders, not partial fills, are the unit.
        """
        orders: dict[tuple[InstrumentId, date], dict[Side, set[str]]] = {}
        for day in set(days):
            for fill in self._by_day.get(day, ()):
                orders.setdefault((fill.instrument, day), {Side.BUY: set(), Side.SELL: set()})[fill.side].add(
                    fill.client_order_id
                )
        return sum(min(len(s[Side.BUY]), len(s[Side.SELL])) for s in orders.values())

    def trades(self, days: Iterable[date]) -> int:
        """Orders (not fills) within ``days``."""
        return len({f.client_order_id for day in set(days) for f in self._by_day.get(day, ())})
