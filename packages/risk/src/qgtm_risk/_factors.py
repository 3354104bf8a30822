"""An eight-factor risk model estimated on rolling windows of the bundled real data.

Factors (daily): gold (GLD), silver (SLV), US dollar (broad index DTWEXBGS), real rates (10-year
TIPS yield DFII10, change), equities (SPY, total return), duration (10-year Treasury DGS10 as a
bond-return proxy, -8.5 x yield change), volatility (CBOE gold volatility index GVZCLS, log change)
and momentum (winner minus loser of gold, silver, equities and duration by their return over the
126 days ending 21 days earlier, rebalanced every 21 days). The panel runs from 2008-06 (GVZ start)
to 2024-01 (the last SLV row).

Estimation is point in time: ``estimate(day)`` uses only rows dated before ``day``. The instrument
returns are regressed on the factors with a light ridge penalty because momentum is, by
construction, a piecewise combination of other factors and would make plain OLS singular.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np

from qgtm_core import DataError, InstrumentId, PipelineError
from qgtm_risk._data import DailySeries, DateArray, FloatArray, load_series

__all__ = ["FACTORS", "PROXIES", "FactorEstimate", "FactorRiskModel", "ReturnPanel", "load_panels"]

FACTORS = ("gold", "silver", "usd", "real_rates", "equities", "duration", "volatility", "momentum")
PROXIES: Mapping[str, str] = {
    "IAU": "GLD",
    "GC": "GLD",
    "XAU": "GLD",
    "GDX": "GLD",
    "SI": "SLV",
    "XAG": "SLV",
    "SIL": "SLV",
}
"""Instruments without bundled history borrow a close substitute's returns (miners understate beta)."""

_DURATION = 8.5
_MOM_LOOKBACK, _MOM_SKIP, _MOM_HOLD = 126, 21, 21


@dataclass(frozen=True)
class ReturnPanel:
    """Aligned daily returns: ``values[t, k]`` is column ``names[k]`` on ``dates[t]``."""

    dates: DateArray
    names: tuple[str, ...]
    values: FloatArray

    def column(self, name: str) -> FloatArray:
        """One column by name."""
        return self.values[:, self.names.index(name)]

    def rows_before(self, day: date, count: int) -> slice:
        """The last ``count`` rows dated strictly before ``day``."""
        end = int(np.searchsorted(self.dates, np.datetime64(day, "D"), side="left"))
        return slice(max(0, end - count), end)


def _align(series: list[DailySeries]) -> tuple[DateArray, FloatArray]:
    common = series[0].dates
    for s in series[1:]:
        common = np.intersect1d(common, s.dates)
    columns = [s.values[np.searchsorted(s.dates, common)] for s in series]
    return common, np.column_stack(columns)


def _momentum(panel: FloatArray) -> FloatArray:
    """Winner-minus-loser daily return across the columns of ``panel``; NaN while warming up."""
    out = np.full(panel.shape[0], np.nan)
    cumulative = np.vstack([np.zeros(panel.shape[1]), np.cumsum(panel, axis=0)])
    start = _MOM_LOOKBACK + _MOM_SKIP
    for t0 in range(start, panel.shape[0], _MOM_HOLD):
        past = cumulative[t0 - _MOM_SKIP] - cumulative[t0 - _MOM_SKIP - _MOM_LOOKBACK]
        winner, loser = int(np.argmax(past)), int(np.argmin(past))
        block = slice(t0, min(t0 + _MOM_HOLD, panel.shape[0]))
        out[block] = panel[block, winner] - panel[block, loser]
    return out


def load_panels(data_dir: Path) -> tuple[ReturnPanel, ReturnPanel]:
    """Factor returns and instrument returns on the same dates, from ``data_dir`` (the repo's ``data/``)."""
    gld = load_series(data_dir / "etf/GLD_daily_yahoo_2004_2024.csv", "Close", name="GLD").extended_with(
        load_series(data_dir / "etf/GLD_daily_stooq_2015_2026.csv", "Close", name="GLD")
    )
    slv = load_series(data_dir / "etf/SLV_daily_yahoo_2006_2024.csv", "Close", name="SLV")
    spy = load_series(data_dir / "equities/SPY_daily_yahoo_1993_2024.csv", "Adj Close", name="SPY")
    qqq = load_series(data_dir / "equities/QQQ_daily_yahoo_1999_2024.csv", "Adj Close", name="QQQ")
    fred = data_dir / "fred"
    usd = load_series(fred / "DTWEXBGS.csv", "DTWEXBGS", date_column="date")
    real = load_series(fred / "DFII10.csv", "DFII10", date_column="date", positive=False)
    nominal = load_series(fred / "DGS10.csv", "DGS10", date_column="date")
    gvz = load_series(fred / "GVZCLS.csv", "GVZCLS", date_column="date")
    dates, raw = _align(
        [
            gld.log_returns(),
            slv.log_returns(),
            usd.log_returns(),
            real.differences(0.01),
            spy.log_returns(),
            nominal.differences(-_DURATION / 100.0),
            gvz.log_returns(),
            qqq.log_returns(),
        ]
    )
    momentum = _momentum(raw[:, [0, 1, 4, 5]])
    keep = ~np.isnan(momentum)
    factors = np.column_stack([raw[keep, :7], momentum[keep]])
    assets = raw[keep][:, [0, 1, 4, 7]]
    return (
        ReturnPanel(dates[keep], FACTORS, factors),
        ReturnPanel(dates[keep], ("GLD", "SLV", "SPY", "QQQ"), assets),
    )


@dataclass(frozen=True)
class FactorEstimate:
    """Betas, factor covariance and specific variance from one window, plus that window's returns."""

    as_of: date
    instruments: tuple[InstrumentId, ...]
    betas: FloatArray
    factor_cov: FloatArray
    specific_var: FloatArray
    returns: FloatArray
    factors: tuple[str, ...] = FACTORS
    _index: dict[InstrumentId, int] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._index.update({i: k for k, i in enumerate(self.instruments)})

    def covariance(self) -> FloatArray:
        """Daily covariance of instrument returns implied by the model: B F B' + D."""
        return self.betas @ self.factor_cov @ self.betas.T + np.diag(self.specific_var)

    def vector(self, weights: Mapping[InstrumentId, float]) -> FloatArray:
        """Weights as a vector over ``instruments``; an instrument the model does not cover is an error."""
        out = np.zeros(len(self.instruments))
        for instrument, weight in weights.items():
            if weight == 0.0:
                continue
            index = self._index.get(instrument)
            if index is None:
                msg = f"risk model: no return history or proxy for {instrument!r}"
                raise PipelineError(msg)
            out[index] = weight
        return out

    def exposures(self, weights: Mapping[InstrumentId, float]) -> dict[str, float]:
        """Portfolio beta to each factor."""
        return dict(zip(self.factors, (self.vector(weights) @ self.betas).tolist(), strict=True))


class FactorRiskModel:
    """Rolling-window estimation of the eight-factor model, cached per day."""

    def __init__(
        self,
        factors: ReturnPanel,
        assets: ReturnPanel,
        window: int = 252,
        ridge: float = 1e-3,
        proxies: Mapping[str, str] = PROXIES,
    ) -> None:
        if window < len(factors.names) * 4:
            msg = f"risk model: window {window} too short for {len(factors.names)} factors"
            raise DataError(msg)
        self._factors = factors
        self._assets = assets
        self._window = window
        self._ridge = ridge
        names = list(assets.names) + [p for p, source in proxies.items() if source in assets.names]
        self.instruments = tuple(InstrumentId(n) for n in names)
        self._columns = [assets.names.index(proxies.get(n, n)) for n in names]
        self._cache: dict[date, FactorEstimate] = {}

    @classmethod
    def from_data_dir(cls, data_dir: Path, window: int = 252) -> FactorRiskModel:
        """The model over the bundled real data."""
        factors, assets = load_panels(data_dir)
        return cls(factors, assets, window)

    @property
    def last_date(self) -> date:
        """Date of the last observation the model can use."""
        return date.fromisoformat(str(self._factors.dates[-1]))

    def estimate(self, day: date) -> FactorEstimate:
        """Fit on the ``window`` rows before ``day`` (the last window if ``day`` is after the data)."""
        cached = self._cache.get(day)
        if cached is not None:
            return cached
        rows = self._factors.rows_before(day, self._window)
        if rows.stop - rows.start < self._window:
            msg = f"risk model: only {rows.stop - rows.start} rows of factor history before {day}, need {self._window}"
            raise DataError(msg)
        f = self._factors.values[rows]
        y = self._assets.values[rows][:, self._columns]
        x = np.column_stack([np.ones(f.shape[0]), f])
        penalty = np.diag(np.r_[0.0, np.full(f.shape[1], self._ridge * float(np.mean(np.var(f, axis=0))) * len(f))])
        coef = np.linalg.solve(x.T @ x + penalty, x.T @ y)
        residuals = y - x @ coef
        estimate = FactorEstimate(
            as_of=date.fromisoformat(str(self._factors.dates[rows.stop - 1])),
            instruments=self.instruments,
            betas=coef[1:].T.copy(),
            factor_cov=np.cov(f, rowvar=False),
            specific_var=residuals.var(axis=0, ddof=f.shape[1] + 1),
            returns=y,
        )
        if len(self._cache) > 4096:
            self._cache.clear()
        self._cache[day] = estimate
        return estimate
