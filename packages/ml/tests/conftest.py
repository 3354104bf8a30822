from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from qgtm_core import digest
from qgtm_ml import (
    GaussianRegimeHmm,
    MetaLabeller,
    MetaLabellerParams,
    build_meta_dataset,
    hmm_observations,
    price_features,
    trend_side,
)

DATA = Path(__file__).resolve().parents[3] / "data"
GLD_CSV = DATA / "etf/GLD_daily_yahoo_2004_2024.csv"


@dataclass(frozen=True)
class Prices:
    dates: list[date]
    close: np.ndarray
    sha256: str


@pytest.fixture(scope="session")
def gld() -> Prices:
    frame = pl.read_csv(GLD_CSV, try_parse_dates=True)
    close = frame["Adj Close"].to_numpy().astype(np.float64)
    return Prices(frame["Date"].to_list(), close, digest(frame))


@pytest.fixture(scope="session")
def gld_hmm(gld: Prices) -> GaussianRegimeHmm:
    """A quick 2-state fit on 2006-2014 (includes 2008 and the 2013 crash)."""
    f = price_features(gld.close)
    obs = hmm_observations(f["ret_1"], f["vol_fast"])
    keep = np.array([date(2006, 1, 1) <= d <= date(2014, 12, 31) for d in gld.dates]) & np.all(np.isfinite(obs), axis=1)
    return GaussianRegimeHmm.fit(obs[keep], n_states=2, n_iter=30)


@pytest.fixture(scope="session")
def gld_meta(gld: Prices) -> MetaLabeller:
    side, conviction = trend_side(gld.close)
    data = build_meta_dataset(gld.close, side, conviction, event_step=2, source=str(GLD_CSV))
    return MetaLabeller.fit(
        data,
        MetaLabellerParams(n_estimators=20, n_splits=4),
        created_at=datetime(2025, 1, 1, tzinfo=UTC),
        training_data={"gld": gld.sha256},
    )
