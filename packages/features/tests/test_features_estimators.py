"""Estimators checked against independent references: known volatility, numpy eigenvalues, a known hedge ratio."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest

from qgtm_features import (
    KalmanHedgeRatio,
    LocalLinearTrend,
    bar_table,
    eigen_feature,
    ewm_weights,
    largest_eigenvalues,
    rolling_correlations,
    run_filter,
)


def _intraday_gbm(sigma: float, days: int, steps: int, seed: int) -> pl.DataFrame:
    """Daily OHLC from a driftless GBM sampled ``steps`` times a day with a 1/4-day overnight gap."""
    rng = np.random.default_rng(seed)
    daily_var = sigma**2 / 252.0
    path = np.cumsum(rng.normal(0.0, math.sqrt(daily_var * 0.75 / steps), (days, steps)), axis=1)
    gaps = rng.normal(0.0, math.sqrt(daily_var * 0.25), days)
    opens = np.cumsum(gaps + np.concatenate([[0.0], path[:-1, -1]]))
    log_open = opens
    intraday = log_open[:, None] + path
    start = datetime(2000, 1, 3, 21, tzinfo=UTC)
    return pl.DataFrame(
        {
            "as_of": [start + timedelta(days=i) for i in range(days)],
            "open": np.exp(log_open + 4.0),
            "high": np.exp(np.maximum(intraday.max(axis=1), log_open) + 4.0),
            "low": np.exp(np.minimum(intraday.min(axis=1), log_open) + 4.0),
            "close": np.exp(intraday[:, -1] + 4.0),
            "volume": np.ones(days),
        }
    )


def test_volatility_estimators_recover_a_known_volatility() -> None:
    sigma = 0.2
    frame = _intraday_gbm(sigma, days=3000, steps=390, seed=7)
    out = bar_table().batch(frame).tail(2900)
    for name in ("vol_cc_20", "vol_ewma_20", "vol_yz_20", "vol_cc_60"):
        assert out.get_column(name).mean() == pytest.approx(sigma, rel=0.08), name
    # range estimators see only the intraday part of the variance (75% here), by construction
    intraday = sigma * math.sqrt(0.75)
    for name in ("vol_parkinson_20", "vol_gk_20"):
        assert out.get_column(name).mean() == pytest.approx(intraday, rel=0.08), name


def test_rsi_bollinger_and_channels_on_a_hand_made_series() -> None:
    close = [float(x) for x in range(1, 41)]  # a straight climb
    frame = pl.DataFrame(
        {
            "as_of": [datetime(2020, 1, 1, tzinfo=UTC) + timedelta(days=i) for i in range(40)],
            "open": close,
            "high": [c + 0.5 for c in close],
            "low": [c - 0.5 for c in close],
            "close": close,
            "volume": [1.0] * 40,
        }
    )
    last = bar_table().batch(frame).row(39, named=True)
    assert last["rsi_14"] == pytest.approx(100.0)  # only gains
    assert last["donchian_high_20"] == pytest.approx(39.5)  # yesterday's high, never today's
    assert last["donchian_low_20"] == pytest.approx(19.5)
    assert last["mom_20"] == pytest.approx(40.0 / 20.0 - 1.0)
    assert last["ret_1"] == pytest.approx(40.0 / 39.0 - 1.0)
    # the mean of 21..40 is 30.5 and the sample std of 20 consecutive integers is sqrt(35)
    assert last["bb_pct_20"] == pytest.approx((40.0 - 30.5) / (2.0 * math.sqrt(35.0)))
    assert last["day_of_month"] == 9.0
    assert last["month"] == 2.0


def test_ewm_weights_are_a_truncated_exponential() -> None:
    weights = ewm_weights(9)
    assert len(weights) == 27
    assert weights[-1] == 1.0
    assert weights[-2] == pytest.approx(0.8)  # 1 - 2 / (9 + 1)


def test_rolling_correlations_match_numpy() -> None:
    rng = np.random.default_rng(3)
    returns = rng.normal(size=(80, 4))
    returns[:, 1] += returns[:, 0]
    corr = rolling_correlations(returns, 30)
    assert np.isnan(corr[28]).all()
    np.testing.assert_allclose(corr[50], np.corrcoef(returns[21:51].T), atol=1e-10)


def test_largest_eigenvalue_matches_numpy_eigvalsh() -> None:
    rng = np.random.default_rng(4)
    mats = []
    for _ in range(20):
        x = rng.normal(size=(50, 6)) + rng.normal(size=(50, 1)) * rng.uniform(0, 2)
        mats.append(np.corrcoef(x.T))
    batch = np.array(mats)
    expected = np.linalg.eigvalsh(batch)[:, -1] / 6
    # 40 power steps: exact to ~1e-4 even when the top two eigenvalues are close (no common factor)
    np.testing.assert_allclose(largest_eigenvalues(batch), expected, rtol=1e-3)


def test_eigen_divergence_rises_when_correlation_concentrates() -> None:
    rng = np.random.default_rng(5)
    n = 400
    common = rng.normal(size=n)
    loadings = np.where(np.arange(n) >= 300, 3.0, 0.0)  # from bar 300 everything moves together
    returns = rng.normal(size=(n, 5)) * 0.01 + (loadings * common * 0.01)[:, None]
    prices = 100 * np.exp(np.cumsum(returns, axis=0))
    feature = eigen_feature([f"a{i}" for i in range(5)], (10, 60))
    out = feature.fn({f"a{i}": prices[:, i] for i in range(5)})
    assert out["eig_lmax_10"][320] > 0.8 > out["eig_lmax_10"][290]
    assert np.nanmax(out["eig_divergence"][300:315]) > 0
    with pytest.raises(ValueError, match="two windows"):
        eigen_feature(["a", "b"], (10,))


def test_kalman_hedge_ratio_tracks_a_known_beta() -> None:
    rng = np.random.default_rng(6)
    log_silver = np.log(20) + np.cumsum(rng.normal(0, 0.015, 3000))
    log_gold = 1.0 + 0.8 * log_silver + rng.normal(0, 0.01, 3000)
    frame = pl.DataFrame({"GLD": np.exp(log_gold), "SLV": np.exp(log_silver)})
    out = run_filter(KalmanHedgeRatio(), frame)
    assert out.get_column("gs_kf_beta")[-1] == pytest.approx(0.8, abs=0.05)
    z = out.get_column("gs_kf_spread_z").drop_nans()
    assert z.std() == pytest.approx(1.0, abs=0.25)


def test_kalman_filters_skip_missing_prices_without_losing_state() -> None:
    hedge = KalmanHedgeRatio()
    hedge.step((100.0, 20.0))
    assert all(math.isnan(v) for v in hedge.step((float("nan"), 20.0)))
    assert all(math.isfinite(v) for v in hedge.step((101.0, 20.1))[:3])
    with pytest.raises(ValueError, match="delta"):
        KalmanHedgeRatio(delta=1.5)
    trend = LocalLinearTrend()
    assert all(math.isnan(v) for v in trend.step((0.0,)))


def test_local_linear_trend_slope_follows_the_drift() -> None:
    rng = np.random.default_rng(8)
    up = np.exp(np.cumsum(0.002 + rng.normal(0, 0.005, 500)))
    out = run_filter(LocalLinearTrend("GLD"), pl.DataFrame({"GLD": up}))
    assert out.get_column("gold_kf_slope")[-1] == pytest.approx(0.002, abs=0.0015)
    assert out.get_column("gold_kf_slope_z")[-1] > 1.0
