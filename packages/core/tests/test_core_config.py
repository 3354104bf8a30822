from pathlib import Path

import pytest

from qgtm_core import ConfigError, RunMode, load_settings


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "qgtm.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_embedded_defaults_are_paper_mode():
    settings = load_settings()
    assert settings.run.mode is RunMode.PAPER
    assert settings.run.instruments == ("GLD", "SLV", "SPY")
    assert settings.state.database_url is None


def test_toml_values_are_loaded(tmp_path):
    settings = load_settings(write(tmp_path, '[run]\ninstruments = ["GLD"]\n[risk]\nmax_drawdown = 0.1\n'))
    assert settings.run.instruments == ("GLD",)
    assert settings.risk.max_drawdown == 0.1


def test_environment_overrides_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv("QGTM_RISK__MAX_DRAWDOWN", "0.2")
    settings = load_settings(write(tmp_path, "[risk]\nmax_drawdown = 0.1\n"))
    assert settings.risk.max_drawdown == 0.2
    assert settings.risk.max_gross_leverage == 1.0


def test_invalid_toml_names_the_file_and_line(tmp_path):
    path = write(tmp_path, "[run\ninstruments = 1\n")
    with pytest.raises(ConfigError, match=r"qgtm\.toml: invalid TOML: .*line 1"):
        load_settings(path)


def test_missing_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match=r"nope\.toml: configuration file not found"):
        load_settings(tmp_path / "nope.toml")


def test_unknown_instrument_names_the_key(tmp_path):
    with pytest.raises(ConfigError, match=r"run\.instruments: unknown instrument 'XYZ'"):
        load_settings(write(tmp_path, '[run]\ninstruments = ["GLD", "XYZ"]\n'))


def test_unknown_key_is_an_error_not_silence(tmp_path):
    with pytest.raises(ConfigError, match=r"risk\.max_drawdwn: Extra inputs are not permitted"):
        load_settings(write(tmp_path, "[risk]\nmax_drawdwn = 0.1\n"))


def test_out_of_range_value_names_the_key_and_counts_the_rest(tmp_path):
    with pytest.raises(ConfigError, match=r"risk\.max_gross_leverage: Input should be greater than 0 \(and 1 more\)"):
        load_settings(write(tmp_path, "[risk]\nmax_drawdown = 2.0\nmax_gross_leverage = -1\n"))


def test_dates_must_be_ordered(tmp_path):
    with pytest.raises(ConfigError, match="must be after start"):
        load_settings(write(tmp_path, "[run]\nstart = 2020-01-01\nend = 2019-01-01\n"))
    with pytest.raises(ConfigError, match="at least one instrument"):
        load_settings(write(tmp_path, "[run]\ninstruments = []\n"))
