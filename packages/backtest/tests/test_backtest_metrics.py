"""Metrics agree with empyrical-reloaded (and quantstats' definitions) on the same returns to 1e-9."""

from __future__ import annotations

import math
from pathlib import Path

import empyrical as ep
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from qgtm_backtest import _metrics as m
from qgtm_backtest import (
    compute_metrics,
    deflated_sharpe_ratio,
    expected_max_sharpe,
    max_drawdown_duration,
    probability_of_backtest_overfitting,
)
from qgtm_core import ConfigError

DATA = Path(__file__).resolve().parents[3] / "data"


def gld_returns() -> np.ndarray:
    frame = pd.read_csv(DATA / "etf" / "GLD_daily_yahoo_2004_2024.csv")
    close = frame["Adj Close"] if "Adj Close" in frame else frame["Close"]
    return close.pct_change().dropna().to_numpy()


def close(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or abs(a - b) <= 1e-9 * max(1.0, abs(b))


def check_all(r: np.ndarray) -> None:
    assert close(m.cagr(r), ep.annual_return(r))
    assert close(m.annual_volatility(r), ep.annual_volatility(r))
    assert close(m.sharpe(r), ep.sharpe_ratio(r))
    assert close(m.sharpe(r, risk_free=0.0001), ep.sharpe_ratio(r, risk_free=0.0001))
    assert close(m.sortino(r), ep.sortino_ratio(r))
    assert close(m.max_drawdown(r), ep.max_drawdown(r))
    assert close(m.calmar(r), ep.calmar_ratio(r))
    assert close(m.cvar(r, 0.05), ep.conditional_value_at_risk(r, 0.05))
    assert close(m.cvar(r, 0.01), ep.conditional_value_at_risk(r, 0.01))
    assert np.allclose(m.drawdown(r), ep.stats.drawdown_series(r), atol=1e-12)


def test_real_gld_returns_match_empyrical() -> None:
    r = gld_returns()
    assert r.size > 4000
    check_all(r)


@settings(max_examples=80, deadline=None)
@given(arrays(np.float64, st.integers(3, 300), elements=st.floats(-0.2, 0.2, allow_subnormal=False)))
def test_random_returns_match_empyrical(r: np.ndarray) -> None:
    if np.std(r, ddof=1) < 1e-9 or np.mean(np.minimum(r, 0) ** 2) < 1e-18:
        return  # empyrical's zero-dispersion conventions (inf/nan) are not ours to copy
    check_all(r)


def test_quantstats_style_metrics_against_pandas() -> None:
    r = gld_returns()
    s = pd.Series(r)
    nonzero = s[s != 0]
    assert close(m.hit_rate(r), float((nonzero > 0).sum() / len(nonzero)))
    assert close(m.profit_factor(r), float(s[s > 0].sum() / abs(s[s < 0].sum())))
    wealth = (1 + s).cumprod()
    underwater = wealth < wealth.cummax().clip(lower=1.0)
    runs = underwater.astype(int).groupby((~underwater).cumsum()).sum()
    assert max_drawdown_duration(r) == int(runs.max())


def test_compute_metrics_turnover_exposure_and_edge_cases() -> None:
    r = np.array([0.01, -0.02, 0.01, 0.0])  # 1.01, 0.9898, 0.99970, 0.99970: underwater for 3
    out = compute_metrics(r, gross_exposure=[1.0, -0.5, 0.5, 0.0], traded_notional=[100, 0, 50, 0], equity=[1000] * 4)
    assert out.exposure == pytest.approx(0.5)
    assert out.turnover == pytest.approx((0.1 + 0.05) / 4 * 252)
    assert out.max_drawdown_duration == 3
    assert set(out.as_dict()) >= {"cagr", "cvar_95", "cvar_99", "turnover"}
    empty = compute_metrics([])
    undefined = ("cagr", "sharpe", "cvar_95", "max_drawdown", "hit_rate", "volatility", "turnover", "exposure")
    for name in (*undefined, "calmar"):
        assert math.isnan(getattr(empty, name)), name
    assert math.isnan(m.sortino([0.01]))
    assert math.isnan(m.sharpe([0.01, 0.01]))
    assert m.sortino([0.01, 0.02]) == math.inf
    assert m.profit_factor([0.01]) == math.inf
    assert math.isnan(m.profit_factor([0.0]))
    assert m.metrics_table({"a": out})["a"]["exposure"] == pytest.approx(0.5)


def test_deflated_sharpe_reproduces_the_paper_example() -> None:
    # Bailey & Lopez de Prado (2014), section 4: SR 2.5 (annual), 1250 days, skew -3, kurtosis 10,
    # 100 trials with annualised Sharpe variance 0.5 -> DSR 0.9004.
    dsr = deflated_sharpe_ratio(2.5 / math.sqrt(250), 0.5 / 250, 100, 1250, skew=-3, kurtosis=10)
    assert dsr == pytest.approx(0.9004, abs=5e-5)
    assert expected_max_sharpe(1.0, 1) == 0.0
    assert deflated_sharpe_ratio(0.0, 0.01, 1, 100) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="n_obs"):
        deflated_sharpe_ratio(0.1, 0.01, 10, 1)
    with pytest.raises(ValueError, match="non-positive variance"):
        deflated_sharpe_ratio(1.0, 0.01, 10, 100, skew=5.0)


def test_pbo_low_for_a_real_edge_and_high_for_noise() -> None:
    rng = np.random.default_rng(7)
    noise = rng.normal(0, 0.01, size=(1000, 20))
    skilled = noise.copy()
    skilled[:, 3] += 0.004  # one trial has a persistent edge in every block
    assert probability_of_backtest_overfitting(skilled, 8).pbo == 0.0
    result = probability_of_backtest_overfitting(noise, 8)
    assert len(result.logits) == 70  # C(8, 4)
    assert 0.25 < result.pbo < 0.75
    with pytest.raises(ConfigError, match="trials"):
        probability_of_backtest_overfitting(noise[:, :1])
    with pytest.raises(ConfigError, match=r"pbo\.n_splits"):
        probability_of_backtest_overfitting(noise, 7)
