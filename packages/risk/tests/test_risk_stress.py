"""Stress scenarios replayed on the real data, checked against the raw files."""

from __future__ import annotations

import csv
from datetime import date

import numpy as np
import pytest
from _risk_helpers import DATA

from qgtm_core import DataError, InstrumentId
from qgtm_risk import DEFAULT_SCENARIOS, StressReplayer, StressScenario, load_series


def _lbma_silver(day: str) -> float:
    with (DATA / "prices/lbma_silver_daily_1968_2020.csv").open() as handle:
        return next(float(r["USD"]) for r in csv.DictReader(handle) if r["Date"] == day)


def test_the_five_scenarios_are_the_ones_asked_for() -> None:
    assert [s.name for s in DEFAULT_SCENARIOS] == [
        "silver_squeeze_1980",
        "gfc_2008",
        "gold_top_2011",
        "gold_crash_2013",
        "covid_2020",
    ]


def test_silver_squeeze_replays_the_lbma_fixes(stress: StressReplayer) -> None:
    results = {r.scenario: r for r in stress.replay({InstrumentId("SLV"): 1.0, InstrumentId("SPY"): 0.0})}
    squeeze = results["silver_squeeze_1980"]
    first, last = _lbma_silver("1980-01-02"), _lbma_silver("1980-03-31")
    assert squeeze.total_return == pytest.approx(last / first - 1.0)
    # The 1980-01-18 fix (49.45) is the peak; the worst later fix sets the drawdown.
    assert squeeze.max_drawdown > 0.7
    assert squeeze.unmapped == ()
    short = {r.scenario: r for r in stress.replay({InstrumentId("SI"): -0.5})}["silver_squeeze_1980"]
    assert short.total_return == pytest.approx(-0.5 * (last / first - 1.0))


def test_equities_are_unmapped_before_spy_existed(stress: StressReplayer) -> None:
    results = {r.scenario: r for r in stress.replay({InstrumentId("SPY"): 1.0, InstrumentId("ZZZ"): 0.1})}
    assert results["silver_squeeze_1980"].unmapped == (InstrumentId("SPY"), InstrumentId("ZZZ"))
    assert results["silver_squeeze_1980"].total_return == 0.0
    covid = results["covid_2020"]
    spy = load_series(DATA / "equities/SPY_daily_yahoo_1993_2024.csv", "Adj Close").between(
        date(2020, 2, 19), date(2020, 3, 31)
    )
    assert covid.total_return == pytest.approx(spy.values[-1] / spy.values[0] - 1.0)
    assert covid.max_drawdown == pytest.approx(1.0 - spy.values.min() / spy.values[0])
    assert covid.worst_day == pytest.approx(np.min(spy.values[1:] / spy.values[:-1] - 1.0))


def test_gold_crash_and_top_hurt_a_long_gold_book(stress: StressReplayer) -> None:
    results = {r.scenario: r for r in stress.replay({InstrumentId("GLD"): 1.0})}
    assert results["gold_crash_2013"].total_return < -0.15
    assert results["gold_crash_2013"].worst_day < -0.08  # 2013-04-15
    assert results["gold_top_2011"].max_drawdown > 0.12


def test_a_scenario_without_any_data_is_refused() -> None:
    series = {"gold": load_series(DATA / "prices/lbma_gold_daily_1968_2020.csv", "USD (PM)", name="gold")}
    with pytest.raises(DataError, match="stress scenario far_future: no series has data"):
        StressReplayer(series, [StressScenario("far_future", date(2030, 1, 1), date(2030, 2, 1), "")])
