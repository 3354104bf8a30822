"""The ``[backtest]`` section: defaults, validation with the key named, TOML sweep grids."""

from pathlib import Path

import pytest

from qgtm_core import ConfigError, QgtmSettings, load_settings


def test_defaults_run_on_a_local_pool() -> None:
    bt = QgtmSettings().backtest
    assert (bt.window, bt.train, bt.test, bt.embargo, bt.folds) == ("rolling", 504, 126, 5, 5)
    assert bt.ray_address is None
    assert bt.sweep == {}


def test_toml_sweep_and_bad_values_name_the_key(tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text('[backtest]\nwindow = "anchored"\nsweep = { "features.slow_window" = [50, 100] }\n')
    assert load_settings(good).backtest.sweep == {"features.slow_window": [50.0, 100.0]}
    bad = tmp_path / "bad.toml"
    bad.write_text('[backtest]\nwindow = "expanding"\n')
    with pytest.raises(ConfigError, match=r"backtest\.window"):
        load_settings(bad)
    bad.write_text("[backtest]\nembargo = -1\n")
    with pytest.raises(ConfigError, match=r"backtest\.embargo"):
        load_settings(bad)
