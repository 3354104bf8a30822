from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from qgtm_core import ConfigError, StrategyId
from qgtm_portfolio import (
    VOL_FLOOR,
    StrategyWeighting,
    covariance_of,
    equal_risk_contribution,
    inverse_volatility_budgets,
)

DATA = Path(__file__).resolve().parents[3] / "data"


def _log_returns(path: Path) -> pl.DataFrame:
    frame = pl.read_csv(path, try_parse_dates=True).select("Date", "Adj Close")
    return frame.with_columns(pl.col("Adj Close").log().diff().alias("r")).drop_nulls()


def test_risk_parity_equalises_risk_contributions_on_real_gold_and_equity_returns() -> None:
    gld = _log_returns(DATA / "etf/GLD_daily_yahoo_2004_2024.csv")
    spy = _log_returns(DATA / "equities/SPY_daily_yahoo_1993_2024.csv")
    slv = _log_returns(DATA / "etf/SLV_daily_yahoo_2006_2024.csv")
    joined = gld.join(spy, on="Date", suffix="_spy").join(slv, on="Date", suffix="_slv")
    returns = joined.select("r", "r_spy", "r_slv").to_numpy()
    cov = np.cov(returns.T)
    w = equal_risk_contribution(cov)
    contributions = w * (cov @ w)
    assert w.sum() == pytest.approx(1.0)
    assert np.all(w > 0)
    np.testing.assert_allclose(contributions, contributions.mean(), rtol=1e-6)
    # silver is the most volatile of the three, so it must get the smallest weight
    assert int(np.argmin(w)) == 2


def test_risk_parity_without_correlation_is_inverse_volatility() -> None:
    vols = np.array([0.1, 0.2, 0.4])
    w = equal_risk_contribution(np.diag(vols**2))
    expected = (1 / vols) / (1 / vols).sum()
    np.testing.assert_allclose(w, expected, rtol=1e-8)


@pytest.mark.parametrize("cov", [np.zeros((0, 0)), np.ones((2, 3)), np.diag([1.0, 0.0]), np.diag([1.0, np.nan])])
def test_risk_parity_rejects_degenerate_covariances(cov: np.ndarray) -> None:
    with pytest.raises(ValueError, match="risk parity"):
        equal_risk_contribution(cov)


def test_inverse_volatility_budgets_have_mean_one_and_unknowns_get_the_average() -> None:
    a, b, c = StrategyId("a"), StrategyId("b"), StrategyId("c")
    budgets = inverse_volatility_budgets({a: 0.1, b: 0.2, c: float("nan")})
    assert budgets[a] / budgets[b] == pytest.approx(2.0)
    assert sum(budgets.values()) == pytest.approx(3.0)
    assert budgets[c] == pytest.approx((budgets[a] + budgets[b]) / 2)
    assert inverse_volatility_budgets({a: float("nan"), b: 0.0}) == {a: 1.0, b: 1.0}


def test_unknown_weighting_names_the_choices() -> None:
    assert StrategyWeighting.parse("risk_parity") is StrategyWeighting.RISK_PARITY
    with pytest.raises(ConfigError, match=r"portfolio\.method: unknown weighting 'kelly'.*voting"):
        StrategyWeighting.parse("kelly")


def test_a_strategy_that_was_flat_does_not_take_the_whole_book() -> None:
    rng = np.random.default_rng(0)
    active = rng.normal(0, 0.01, (3, 60))
    flat = np.zeros((1, 60))
    cov = covariance_of(np.vstack([active, flat]).tolist())
    w = equal_risk_contribution(cov)
    vols = np.sqrt(np.diag(cov))
    assert vols[3] == pytest.approx(VOL_FLOOR * np.median(vols[:3]), rel=1e-3)
    assert w[3] / w[:3].mean() < 1 / VOL_FLOOR + 0.5  # bounded by the floor, not near 100%
    a, b, c = StrategyId("a"), StrategyId("b"), StrategyId("c")
    budgets = inverse_volatility_budgets({a: 0.2, b: 1e-9, c: 0.2})
    assert budgets[b] / budgets[a] == pytest.approx(1 / VOL_FLOOR)
