"""Loading the real data and the rolling eight-factor model."""

from __future__ import annotations

import csv
from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from _risk_helpers import DATA

from qgtm_core import DataError, InstrumentId, PipelineError
from qgtm_risk import FACTORS, FactorRiskModel, ReturnPanel, load_panels, load_series


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "series.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_load_series_sorts_skips_blanks_and_names_bad_rows(tmp_path: Path) -> None:
    series = load_series(_write(tmp_path, "date,V\n2024-01-03,2\n2024-01-02,\n2024-01-01,1\n"), "V", date_column="date")
    assert series.dates.tolist() == [date(2024, 1, 1), date(2024, 1, 3)]
    assert series.log_returns().values.tolist() == pytest.approx([np.log(2.0)])
    assert series.differences(2.0).values.tolist() == [2.0]
    with pytest.raises(DataError, match="file not found"):
        load_series(tmp_path / "missing.csv", "V")
    with pytest.raises(DataError, match="column 'W' missing"):
        load_series(_write(tmp_path, "date,V\n2024-01-01,1\n"), "W", date_column="date")
    with pytest.raises(DataError, match=r"row 3: bad 'date'/'V' value \('2024-13-01', '1'\)"):
        load_series(_write(tmp_path, "date,V\n2024-01-01,1\n2024-13-01,1\n"), "V", date_column="date")
    with pytest.raises(DataError, match="row 2: 'V' must be a positive finite number"):
        load_series(_write(tmp_path, "date,V\n2024-01-01,-1\n2024-01-02,1\n"), "V", date_column="date")
    with pytest.raises(DataError, match="date 2024-01-01 appears twice"):
        load_series(_write(tmp_path, "date,V\n2024-01-01,1\n2024-01-01,2\n"), "V", date_column="date")
    with pytest.raises(DataError, match="fewer than two"):
        load_series(_write(tmp_path, "date,V\n2024-01-01,1\n"), "V", date_column="date")
    signed = load_series(
        _write(tmp_path, "date,V\n2024-01-01,-0.5\n2024-01-02,0.25\n"), "V", date_column="date", positive=False
    )
    assert signed.values.tolist() == [-0.5, 0.25]


def test_gld_is_extended_by_stooq_after_the_yahoo_file_ends() -> None:
    yahoo = load_series(DATA / "etf/GLD_daily_yahoo_2004_2024.csv", "Close")
    stooq = load_series(DATA / "etf/GLD_daily_stooq_2015_2026.csv", "Close")
    both = yahoo.extended_with(stooq)
    assert both.dates[-1] == np.datetime64("2026-04-17")
    assert both.dates.size == yahoo.dates.size + int((stooq.dates > yahoo.dates[-1]).sum())
    assert np.all(np.diff(both.dates.astype(np.int64)) > 0)


def test_panels_cover_the_real_data_with_eight_factors() -> None:
    factors, assets = load_panels(DATA)
    assert (
        factors.names
        == FACTORS
        == ("gold", "silver", "usd", "real_rates", "equities", "duration", "volatility", "momentum")
    )
    assert assets.names == ("GLD", "SLV", "SPY", "QQQ")
    assert factors.dates[0] >= np.datetime64("2008-06-03")  # GVZ starts then
    assert factors.dates[-1] == np.datetime64("2024-01-04")  # SLV ends then
    assert factors.values.shape == (factors.dates.size, 8)
    assert np.isfinite(factors.values).all()
    # GLD on 2013-04-15 (the crash) from the raw file: close 2013-04-12 -> 2013-04-15.
    with (DATA / "etf/GLD_daily_yahoo_2004_2024.csv").open() as handle:
        closes = {row["Date"]: float(row["Close"]) for row in csv.DictReader(handle)}
    crash = int(np.searchsorted(assets.dates, np.datetime64("2013-04-15")))
    assert assets.column("GLD")[crash] == pytest.approx(np.log(closes["2013-04-15"] / closes["2013-04-12"]))
    assert factors.column("gold")[crash] == assets.column("GLD")[crash]


def test_model_reproduces_sample_volatility_and_obvious_betas(model: FactorRiskModel) -> None:
    estimate = model.estimate(date(2020, 3, 20))
    assert estimate.as_of < date(2020, 3, 20)
    cov = estimate.covariance()
    sample = np.cov(estimate.returns, rowvar=False)
    assert np.sqrt(np.diag(cov)) == pytest.approx(np.sqrt(np.diag(sample)), rel=0.05)
    gld = estimate.instruments.index(InstrumentId("GLD"))
    spy = estimate.instruments.index(InstrumentId("SPY"))
    assert estimate.betas[gld, FACTORS.index("gold")] == pytest.approx(1.0, abs=0.05)
    assert estimate.betas[spy, FACTORS.index("equities")] == pytest.approx(1.0, abs=0.05)
    exposures = estimate.exposures({InstrumentId("GC"): 0.5, InstrumentId("SPY"): -0.2})
    assert exposures["gold"] == pytest.approx(0.5 * estimate.betas[gld, 0] - 0.2 * estimate.betas[spy, 0])
    assert set(exposures) == set(FACTORS)
    with pytest.raises(PipelineError, match="no return history or proxy for 'ZZZ'"):
        estimate.vector({InstrumentId("ZZZ"): 0.1})
    assert model.estimate(date(2020, 3, 20)) is estimate  # cached


def test_model_is_point_in_time() -> None:
    factors, assets = load_panels(DATA)
    day = date(2015, 6, 1)
    cut = int(np.searchsorted(factors.dates, np.datetime64(day)))
    tampered = factors.values.copy()
    tampered[cut:] = 10.0  # anything dated on or after the day must not matter
    clean = FactorRiskModel(factors, assets).estimate(day)
    dirty = FactorRiskModel(replace(factors, values=tampered), assets).estimate(day)
    assert np.array_equal(clean.betas, dirty.betas)
    assert np.array_equal(clean.factor_cov, dirty.factor_cov)


def test_model_refuses_short_windows_and_early_dates(model: FactorRiskModel) -> None:
    factors, assets = load_panels(DATA)
    with pytest.raises(DataError, match="window 10 too short"):
        FactorRiskModel(factors, assets, window=10)
    with pytest.raises(DataError, match="rows of factor history before 2009-02-02"):
        model.estimate(date(2009, 2, 2))
    assert model.last_date == date(2024, 1, 4)
    late = model.estimate(date(2026, 3, 2))
    assert late.as_of == date(2024, 1, 4)
    assert isinstance(ReturnPanel, type)
