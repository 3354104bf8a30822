"""VaR and CVaR: each method against an independent calculation."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm

from qgtm_core import PipelineError
from qgtm_risk import VarMethod, cornish_fisher, historical, parametric, var_table


def test_historical_is_the_empirical_quantile_and_tail_mean() -> None:
    pnl = -np.arange(1.0, 101.0) / 1000.0  # losses 0.001 .. 0.100
    result = historical(pnl, 0.95)
    assert result.method is VarMethod.HISTORICAL
    assert result.var == pytest.approx(0.096)  # 96th of 100 sorted losses ("higher" interpolation)
    assert result.cvar == pytest.approx(np.mean([0.096, 0.097, 0.098, 0.099, 0.100]))
    with pytest.raises(PipelineError, match="at least one"):
        historical(np.array([]), 0.95)


def test_parametric_matches_the_normal_closed_form() -> None:
    result = parametric(0.0, 0.01, 0.99)
    assert result.var == pytest.approx(0.02326, abs=1e-5)
    assert result.cvar == pytest.approx(0.01 * norm.pdf(2.3263) / 0.01, abs=1e-5)
    assert parametric(0.001, 0.01, 0.95).var == pytest.approx(0.01 * 1.6449 - 0.001, abs=1e-6)
    with pytest.raises(PipelineError, match=r"in \(0.5, 1\)"):
        parametric(0.0, 0.01, 0.4)


def test_cornish_fisher_equals_normal_without_skew_or_kurtosis_and_fattens_skewed_tails() -> None:
    z = norm.ppf((np.arange(20000) + 0.5) / 20000)  # a sample with zero skew and ~zero excess kurtosis
    pnl = 0.01 * z
    cf = cornish_fisher(pnl, 0.99)
    assert cf.var == pytest.approx(parametric(0.0, 0.01, 0.99).var, rel=0.01)
    assert cf.cvar == pytest.approx(parametric(0.0, 0.01, 0.99).cvar, rel=0.01)
    rng = np.random.default_rng(7)
    skewed = -rng.lognormal(0.0, 0.6, 5000) * 0.01  # long left tail
    skewed -= skewed.mean()
    assert cornish_fisher(skewed, 0.99).var > parametric(0.0, float(skewed.std(ddof=1)), 0.99).var
    assert cornish_fisher(np.zeros(10), 0.99).var == 0.0


def test_every_measure_is_positively_homogeneous() -> None:
    rng = np.random.default_rng(1)
    pnl = rng.standard_t(4, 1000) * 0.01
    table, doubled = var_table(pnl), var_table(2.5 * pnl)
    assert len(table) == 12
    for key, value in table.items():
        assert doubled[key] == pytest.approx(2.5 * value), key
        if key.startswith("cvar"):
            assert value >= table["var" + key[4:]] - 1e-12
    with_model = var_table(pnl, model_sigma=0.02)
    assert with_model["var_parametric_99"] == pytest.approx(0.02 * 2.3263 - pnl.mean(), abs=1e-4)


def test_var_table_refuses_non_finite_results() -> None:
    with pytest.raises(PipelineError, match=r"1 non-finite value\(s\)"):
        var_table(np.array([0.01, np.inf, -0.02]))
