"""FRED over HTTP against the loopback fake, compared with the downloaded file."""

from __future__ import annotations

import polars as pl
import pytest

from qgtm_core import DataError
from qgtm_data import ValidationRules, Validator
from qgtm_data.adapters.fred import FredHttpProvider, FredProvider
from qgtm_data.testing import FakeFredServer

from .conftest import DATA, NOW


def test_fred_over_http_matches_the_downloaded_file_and_survives_dropped_connections() -> None:
    with FakeFredServer({"DGS10": DATA / "fred/DGS10.csv"}, drop_first=2) as server:
        (live,) = FredHttpProvider(server.url, "DGS10").load()
        assert len(server.requests) == 3  # two dropped connections retried
    (local,) = FredProvider(DATA / "fred/DGS10.csv", "DGS10").load()
    validator = Validator(ValidationRules(), lambda: NOW)
    live_clean, local_clean = validator.validate(live), validator.validate(local)
    assert live_clean.clean.drop("row").equals(local_clean.clean.drop("row"))
    assert len(live_clean.rejects) == 710
    assert live.source.endswith("/graph/fredgraph.csv?id=DGS10")
    assert live.frame.schema["available_at"] == pl.Datetime("us", "UTC")


def test_fred_unknown_series_is_a_clear_error_not_retried() -> None:
    with FakeFredServer({}) as server:
        with pytest.raises(DataError, match=r"fredgraph\.csv\?id=NOPE: HTTP 404"):
            FredHttpProvider(server.url, "NOPE").load()
        assert len(server.requests) == 1


def test_fred_empty_body_is_an_error(tmp_path) -> None:
    empty = tmp_path / "E.csv"
    empty.write_text("")
    with FakeFredServer({"E": empty}) as server, pytest.raises(DataError, match="empty FRED response"):
        FredHttpProvider(server.url, "E").load()
