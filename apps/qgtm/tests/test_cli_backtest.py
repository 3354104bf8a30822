"""``qgtm backtest`` and ``qgtm walkforward`` over the real pipeline and the bundled data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qgtm_app.cli import app
from qgtm_app.research import oos_path, pipeline_returns, preflight, run_pipeline_backtest
from qgtm_backtest import EvalTask, Split, read_manifest
from qgtm_core import ConfigError, IntegrityError, QgtmSettings, load_settings

REPO = Path(__file__).resolve().parents[3]
runner = CliRunner()


def config(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "qgtm.toml"
    path.write_text(
        f"""
[run]
data_dir = "{REPO / "data"}"
var_dir = "{tmp_path / "var"}"
start = 2016-01-04
{extra}
""",
        encoding="utf-8",
    )
    return path


def invoke(*args: str) -> object:
    result = runner.invoke(app, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code == 0, result.output
    return result


def test_backtest_writes_outputs_and_a_manifest_that_reproduces(tmp_path: Path) -> None:
    cfg = config(tmp_path)
    first = tmp_path / "first"
    out = invoke("backtest", "--config", str(cfg), "--max-cycles", "25", "--out", str(first), "--no-progress")
    assert "sharpe" in out.output  # type: ignore[attr-defined]
    manifest = read_manifest(first / "manifest.json")
    assert manifest.kind == "backtest"
    assert set(manifest.data) == {
        "etf/GLD_daily_yahoo_2004_2024.csv",
        "etf/SLV_daily_yahoo_2006_2024.csv",
        "equities/SPY_daily_yahoo_1993_2024.csv",
        "fred/DFII10.csv",
    }
    assert manifest.config["run"]["mode"] == "backtest"  # type: ignore[index]
    assert manifest.outputs.keys() == {"equity.csv", "exposure.csv", "fills.csv", "metrics.json"}
    page = (first / "tearsheet.html").read_text(encoding="utf-8")
    assert "Equity vs benchmark" in page
    assert manifest.output_digest in page
    equity = (first / "equity.csv").read_text(encoding="utf-8").splitlines()
    assert len(equity) == 26

    second = tmp_path / "second"
    again = invoke(
        "backtest",
        "--config",
        str(cfg),
        "--manifest",
        str(first / "manifest.json"),
        "--out",
        str(second),
        "--no-progress",
    )
    assert "byte-identical" in again.output  # type: ignore[attr-defined]
    for name in manifest.outputs:
        assert (first / name).read_bytes() == (second / name).read_bytes()

    tampered = json.loads((first / "manifest.json").read_text())
    tampered["output_digest"] = "0" * 64
    (tmp_path / "tampered.json").write_text(json.dumps(tampered))
    with pytest.raises(IntegrityError, match="outputs differ from the manifest"):
        invoke(
            "backtest",
            "--config",
            str(cfg),
            "--manifest",
            str(tmp_path / "tampered.json"),
            "--out",
            str(tmp_path / "third"),
            "--no-progress",
        )


@pytest.mark.parametrize(
    ("extra", "args", "field"),
    [
        ('[strategies]\nenabled = ["gold_trend", "no_such_alpha"]', ["backtest"], "strategies.enabled"),
        ('[backtest]\nsweep = { "features.no_such_window" = [1, 2] }', ["walkforward"], "backtest.sweep"),
        ("[backtest]\ntrain = 5000\ntest = 100", ["walkforward"], "backtest.train"),
        ("[backtest]\nfolds = 5\nembargo = 200", ["walkforward", "--method", "purged-kfold"], "backtest.embargo"),
        ("[backtest]\nfolds = 5\nembargo = 200", ["walkforward", "--method", "cpcv"], "backtest.embargo"),
        ("", ["walkforward", "--method", "bootstrap"], "--method"),
        ("", ["walkforward", "--executor", "cloud"], "--executor"),
    ],
)
def test_bad_configuration_fails_before_the_run_naming_the_field(
    tmp_path: Path, extra: str, args: list[str], field: str
) -> None:
    cfg = config(tmp_path, extra)
    out = tmp_path / "out"
    with pytest.raises(ConfigError, match=field.replace(".", r"\.")):
        invoke(*args, "--config", str(cfg), "--out", str(out), "--max-cycles", "800")
    assert not out.exists()  # nothing ran, nothing was written


def test_walkforward_and_purged_kfold_run_the_pipeline(tmp_path: Path) -> None:
    cfg = config(
        tmp_path,
        '[backtest]\ntrain = 12\ntest = 6\nfolds = 3\nembargo = 2\nsweep = { "features.slow_window" = [60, 100] }',
    )
    wf = tmp_path / "wf"
    out = invoke("walkforward", "--config", str(cfg), "--max-cycles", "24", "--out", str(wf), "--executor", "serial")
    assert "walkforward folds" in out.output  # type: ignore[attr-defined]
    folds = (wf / "folds.csv").read_text(encoding="utf-8").splitlines()
    assert len(folds) == 1 + 2  # (24 - 12) / 6 folds
    assert "Walk-forward folds" in (wf / "tearsheet.html").read_text(encoding="utf-8")
    assert len((wf / "equity.csv").read_text(encoding="utf-8").splitlines()) == 1 + 12
    kfold = tmp_path / "kfold"
    out = invoke(
        "walkforward",
        "--config",
        str(cfg),
        "--max-cycles",
        "24",
        "--out",
        str(kfold),
        "--executor",
        "serial",
        "--method",
        "purged-kfold",
    )
    assert "deflated sharpe" in out.output  # type: ignore[attr-defined]
    assert read_manifest(kfold / "manifest.json").kind == "walkforward:purged-kfold"


def test_fold_objective_matches_a_direct_backtest_slice(tmp_path: Path) -> None:
    settings = load_settings(config(tmp_path))
    sessions, _ = preflight(settings)
    payload = json.dumps(settings.model_dump(mode="json"))
    sliced = pipeline_returns(payload, EvalTask({}, 0, 10))
    direct = run_pipeline_backtest(settings, tmp_path / "direct", stop=10)
    assert sliced.tolist() == direct.returns.to_list()
    assert direct.equity.get_column("at").to_list() == sessions[:10]
    with pytest.raises(ConfigError, match=r"unknown key 'run\.nope'"):
        pipeline_returns(payload, EvalTask({"run.nope": 1}, 0, 10))
    with pytest.raises(ConfigError, match=r"unknown key 'nope\.x'"):
        pipeline_returns(payload, EvalTask({"nope.x": 1}, 0, 10))


def test_cpcv_paths_average_rows_tested_twice() -> None:
    import numpy as np  # noqa: PLC0415 - only this test

    sessions = list(range(4))
    splits = [Split(0, np.asarray([2, 3]), np.asarray([0, 1])), Split(1, np.asarray([3]), np.asarray([1, 2]))]
    days, returns = oos_path(sessions, splits, [np.asarray([0.1, 0.2]), np.asarray([0.4, 0.3])])  # type: ignore[arg-type]
    assert days == [0, 1, 2]
    assert returns.tolist() == pytest.approx([0.1, 0.3, 0.3])


def test_settings_type_is_the_core_tree() -> None:
    assert isinstance(load_settings(None), QgtmSettings)
