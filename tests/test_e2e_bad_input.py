"""Bad input to ``qgtm run`` is one line naming the file, row or key, a non-zero exit, no traceback."""

from __future__ import annotations

import shutil

import pytest


def assert_one_line_error(result, *fragments: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("qgtm: error: ")
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def test_missing_data_file_is_named(qgtm, config, tmp_path):
    empty = tmp_path / "nodata"
    empty.mkdir()
    result = qgtm("run", "--config", str(config(data_dir=empty)))
    assert_one_line_error(result, "GLD_daily_yahoo_2004_2024.csv", "not found")


def test_malformed_csv_row_names_file_row_and_field(qgtm, config, tmp_path, bundled_data):
    data = tmp_path / "data"
    shutil.copytree(bundled_data, data)
    gld = data / "etf" / "GLD_daily_yahoo_2004_2024.csv"
    lines = gld.read_text().splitlines()
    fields = lines[41].split(",")
    fields[4] = "12..5"
    lines[41] = ",".join(fields)
    gld.write_text("\n".join(lines))
    result = qgtm("run", "--config", str(config(data_dir=data)))
    assert_one_line_error(result, "GLD_daily_yahoo_2004_2024.csv", "row 42", "'Close'", "12..5")


def test_unknown_instrument_in_config_names_the_key(qgtm, config):
    result = qgtm("run", "--config", str(config('instruments = ["GLD", "XAUT"]\n')))
    assert_one_line_error(result, "run.instruments", "unknown instrument 'XAUT'")


def test_invalid_toml_names_the_file(qgtm, tmp_path):
    bad = tmp_path / "broken.toml"
    bad.write_text("[run\nmode = paper\n")
    result = qgtm("run", "--config", str(bad))
    assert_one_line_error(result, "broken.toml", "invalid TOML")


@pytest.mark.parametrize("key", ["QGTM_RISK__MAX_DRAWDOWN"])
def test_bad_environment_value_names_the_key(qgtm, config, key):
    result = qgtm("run", "--config", str(config()), env={key: "lots"})
    assert_one_line_error(result, "risk.max_drawdown")
