"""Historical stress scenarios replayed on the bundled real prices.

A scenario is a date range; replaying it applies the actual daily moves of those dates to today's
book, held without rebalancing. Metals come from the LBMA fixes (1968-2020), equities from SPY and
QQQ (1993/1999 on). An instrument with no series in a scenario (SPY in 1980) is listed as unmapped,
never silently treated as flat: the result says what it could not price.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from qgtm_core import DataError, InstrumentId
from qgtm_risk._data import DailySeries, FloatArray, load_series

__all__ = ["DEFAULT_SCENARIOS", "SERIES_OF", "StressReplayer", "StressResult", "StressScenario"]


@dataclass(frozen=True, slots=True)
class StressScenario:
    """A named historical window."""

    name: str
    start: date
    end: date
    note: str


DEFAULT_SCENARIOS = (
    StressScenario(
        "silver_squeeze_1980", date(1980, 1, 2), date(1980, 3, 31), "Hunt brothers squeeze and Silver Thursday"
    ),
    StressScenario("gfc_2008", date(2008, 9, 2), date(2008, 11, 28), "Lehman failure and the autumn 2008 deleveraging"),
    StressScenario(
        "gold_top_2011", date(2011, 8, 22), date(2011, 12, 30), "gold's September 2011 top and the fall after"
    ),
    StressScenario(
        "gold_crash_2013", date(2013, 4, 1), date(2013, 6, 28), "the April 2013 gold crash and taper tantrum"
    ),
    StressScenario("covid_2020", date(2020, 2, 19), date(2020, 3, 31), "March 2020 dash for cash"),
)

SERIES_OF: Mapping[str, str] = {
    "GLD": "gold",
    "IAU": "gold",
    "GC": "gold",
    "XAU": "gold",
    "GDX": "gold",
    "SLV": "silver",
    "SI": "silver",
    "XAG": "silver",
    "SIL": "silver",
    "SPY": "spy",
    "QQQ": "qqq",
}
"""Which price series moves each instrument in a replay (miners use the metal: a lower bound)."""


@dataclass(frozen=True, slots=True)
class StressResult:
    """What the book would have done over one scenario, as fractions of equity."""

    scenario: str
    total_return: float
    worst_day: float
    max_drawdown: float
    days: int
    unmapped: tuple[InstrumentId, ...]


def _load(data_dir: Path) -> dict[str, DailySeries]:
    prices = data_dir / "prices"
    equities = data_dir / "equities"
    return {
        "gold": load_series(prices / "lbma_gold_daily_1968_2020.csv", "USD (PM)", name="gold"),
        "silver": load_series(prices / "lbma_silver_daily_1968_2020.csv", "USD", name="silver"),
        "spy": load_series(equities / "SPY_daily_yahoo_1993_2024.csv", "Adj Close", name="spy"),
        "qqq": load_series(equities / "QQQ_daily_yahoo_1999_2024.csv", "Adj Close", name="qqq"),
    }


class StressReplayer:
    """Precomputes each scenario's price relatives once; a replay is then a matrix-vector product."""

    def __init__(
        self, series: Mapping[str, DailySeries], scenarios: Sequence[StressScenario] = DEFAULT_SCENARIOS
    ) -> None:
        self.scenarios = tuple(scenarios)
        self._names = tuple(sorted(series))
        self._paths: dict[str, tuple[FloatArray, FloatArray]] = {}
        for scenario in self.scenarios:
            windows = {n: series[n].between(scenario.start, scenario.end) for n in self._names}
            present = [n for n in self._names if windows[n].dates.size >= 2]
            if not present:
                msg = f"stress scenario {scenario.name}: no series has data between {scenario.start} and {scenario.end}"
                raise DataError(msg)
            days = windows[present[0]].dates
            for n in present[1:]:
                days = np.union1d(days, windows[n].dates)
            relatives = np.full((days.size, len(self._names)), np.nan)
            for k, n in enumerate(self._names):
                window = windows[n]
                if n not in present:
                    continue
                # Carry the last price over days the series did not trade (holidays differ by market).
                index = np.searchsorted(window.dates, days, side="right") - 1
                prices = window.values[np.clip(index, 0, None)]
                prices[index < 0] = window.values[0]
                relatives[:, k] = prices / window.values[0] - 1.0
            self._paths[scenario.name] = (relatives, np.array([n in present for n in self._names]))

    @classmethod
    def from_data_dir(cls, data_dir: Path, scenarios: Sequence[StressScenario] = DEFAULT_SCENARIOS) -> StressReplayer:
        """Scenarios over the bundled real data."""
        return cls(_load(data_dir), scenarios)

    def replay(self, weights: Mapping[InstrumentId, float]) -> tuple[StressResult, ...]:
        """Each scenario applied to ``weights`` held from its first day to its last."""
        out: list[StressResult] = []
        for scenario in self.scenarios:
            relatives, present = self._paths[scenario.name]
            vector = np.zeros(len(self._names))
            unmapped: list[InstrumentId] = []
            for instrument, weight in sorted(weights.items()):
                if weight == 0.0:
                    continue
                series = SERIES_OF.get(instrument)
                if series is None or not present[self._names.index(series)]:
                    unmapped.append(instrument)
                    continue
                vector[self._names.index(series)] += weight
            used = vector != 0.0
            path = relatives[:, used] @ vector[used] if used.any() else np.zeros(relatives.shape[0])
            wealth = 1.0 + path
            peak = np.maximum.accumulate(np.maximum(wealth, 1.0))
            previous = np.concatenate(([1.0], wealth[:-1]))
            daily = wealth / previous - 1.0
            out.append(
                StressResult(
                    scenario.name,
                    float(path[-1]),
                    float(daily.min()),
                    float(np.max(1.0 - wealth / peak)),
                    int(relatives.shape[0]),
                    tuple(unmapped),
                )
            )
        return tuple(out)
