"""``qgtm data ingest`` and ``qgtm data verify`` end to end on the bundled data."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qgtm_app.cli import app, main

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("data-cli")
    result = CliRunner().invoke(
        app,
        [
            "data",
            "ingest",
            "--store",
            str(root / "store"),
            "--data-dir",
            str(REPO / "data"),
            "--quarantine",
            str(root / "q.sqlite"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "ingested 50 feeds" in result.output
    return root


def test_ingest_fills_store_and_quarantine(ingested: Path) -> None:
    with sqlite3.connect(ingested / "q.sqlite") as db:
        (silver_bad,) = db.execute(
            "SELECT reason FROM quarantine WHERE feed = 'lbma_usd' AND instrument = 'XAG' AND value = '1983-02-05'"
        ).fetchone()
        (holidays,) = db.execute("SELECT COUNT(*) FROM quarantine WHERE reason LIKE 'HOLIDAY%'").fetchone()
    assert silver_bad == "not an open session of XLON"
    assert holidays == 175
    assert (ingested / "store/manifest.json").is_file()


def test_quarantine_counts_by_feed_and_reason(ingested: Path) -> None:
    result = CliRunner().invoke(app, ["data", "quarantine", "--quarantine", str(ingested / "q.sqlite")])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["710", "FRED/DGS10", "blank", "or", "NaN", "value"]  # the most frequent
    assert "175  GLD/spdr_nav" in result.output
    missing = CliRunner().invoke(app, ["data", "quarantine", "--quarantine", str(ingested / "none.sqlite")])
    assert missing.exit_code == 1
    assert "no quarantine table" in str(missing.exception)


def test_verify_passes_then_names_a_flipped_shard(ingested: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    store = ingested / "store"
    ok = runner.invoke(app, ["data", "verify", "--store", str(store)])
    assert ok.exit_code == 0, ok.output
    assert "store ok" in ok.output
    shard = sorted(store.glob("GLD/spdr_nav/2010-01-01/*.parquet"))[0]
    shard.chmod(0o644)
    data = bytearray(shard.read_bytes())
    data[100] ^= 0xFF
    shard.write_bytes(bytes(data))
    bad = runner.invoke(app, ["data", "verify", "--store", str(store)])
    assert bad.exit_code == 1
    relative = shard.relative_to(store).as_posix()
    assert f"corrupted: {relative}" in bad.output.replace("\n", "")


def test_verify_without_a_store_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "argv", ["qgtm", "data", "verify", "--store", str(tmp_path / "none")])
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 2
    expected = f"qgtm: error: {tmp_path / 'none'}: no store manifest (run `qgtm data ingest` first)"
    assert capsys.readouterr().err.strip() == expected
