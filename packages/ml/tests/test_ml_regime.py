from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from qgtm_core import DataError, FeatureSet, InstrumentId, IntegrityError
from qgtm_ml import (
    BayesianChangePoint,
    ChangePointPrior,
    GaussianRegimeHmm,
    ModelCard,
    RegimeTracker,
    hmm_observations,
    load_hmm,
    price_features,
    save_hmm,
    state_names,
)

GLD = InstrumentId("GLD")


def _observations(gld, start: date, end: date) -> np.ndarray:
    f = price_features(gld.close)
    obs = hmm_observations(f["ret_1"], f["vol_fast"])
    keep = np.array([start <= d <= end for d in gld.dates]) & np.all(np.isfinite(obs), axis=1)
    return obs[keep]


def test_states_are_sorted_by_volatility_and_named(gld_hmm: GaussianRegimeHmm) -> None:
    vols = gld_hmm.state_vols()
    assert gld_hmm.names == ("calm", "turbulent")
    assert np.all(np.diff(vols) > 0)
    assert np.allclose(gld_hmm.transmat.sum(axis=1), 1.0)


def test_refits_on_other_windows_and_seeds_keep_the_same_names_for_the_same_days(gld, gld_hmm) -> None:
    other = GaussianRegimeHmm.fit(_observations(gld, date(2008, 1, 1), date(2016, 12, 31)), 2, seed=3, n_iter=30)
    assert np.all(np.diff(other.state_vols()) > 0)
    window = _observations(gld, date(2008, 1, 1), date(2014, 12, 31))
    a = gld_hmm.filter(window).argmax(axis=1)
    b = other.filter(window).argmax(axis=1)
    # same label on the vast majority of days: the relabelling made the states comparable
    assert np.mean(a == b) > 0.85


def test_autumn_2008_is_turbulent_and_2017_is_calm(gld, gld_hmm) -> None:
    f = price_features(gld.close)
    probs = gld_hmm.filter(hmm_observations(f["ret_1"], f["vol_fast"]))
    by_day = dict(zip(gld.dates, probs, strict=True))
    assert gld_hmm.names[int(np.argmax(by_day[date(2008, 10, 24)]))] == "turbulent"
    assert gld_hmm.names[int(np.argmax(by_day[date(2017, 8, 15)]))] == "calm"


def test_filtering_is_causal(gld, gld_hmm) -> None:
    obs = _observations(gld, date(2010, 1, 1), date(2012, 12, 31))
    np.testing.assert_array_equal(gld_hmm.filter(obs[:300]), gld_hmm.filter(obs)[:300])
    with_gap = obs.copy()
    with_gap[10] = np.nan
    probs = gld_hmm.filter(with_gap)
    np.testing.assert_array_equal(probs[10], probs[9])
    assert np.all(np.isnan(gld_hmm.filter(np.full((2, 2), np.nan))))


def test_hmm_fit_rejects_bad_observations() -> None:
    with pytest.raises(DataError, match=r"shape \(n, 2\)"):
        GaussianRegimeHmm.fit(np.zeros((10, 3)))
    bad = np.ones((200, 2))
    bad[5, 1] = np.nan
    with pytest.raises(DataError, match="row 5"):
        GaussianRegimeHmm.fit(bad)
    with pytest.raises(DataError, match="too few"):
        GaussianRegimeHmm.fit(np.random.default_rng(0).normal(size=(20, 2)))
    assert state_names(3) == ("calm", "normal", "turbulent")
    assert state_names(6)[-1] == "vol5"


def _card(name: str = "regime_hmm") -> ModelCard:
    return ModelCard(name, "gaussian-hmm-regime", datetime(2025, 1, 1, tzinfo=UTC), {"gld": "abc"}, {"n_states": 2})


def test_hmm_round_trips_through_verified_json_and_refuses_tampering(tmp_path: Path, gld_hmm, gld) -> None:
    card = save_hmm(gld_hmm, tmp_path, _card())
    loaded, loaded_card = load_hmm(tmp_path)
    assert loaded_card == card
    obs = _observations(gld, date(2013, 1, 1), date(2013, 12, 31))
    np.testing.assert_allclose(loaded.filter(obs), gld_hmm.filter(obs))
    payload = tmp_path / "regime_hmm.hmm.json"
    params = json.loads(payload.read_text())
    params["transmat"][0] = [0.5, 0.5]
    payload.write_text(json.dumps(params, sort_keys=True))
    with pytest.raises(IntegrityError, match="refusing to load a modified artifact"):
        load_hmm(tmp_path)


def test_hmm_parameters_are_validated_on_load(gld_hmm) -> None:
    params = gld_hmm.to_json()
    assert GaussianRegimeHmm.from_json(params).names == gld_hmm.names
    for key, value, match in [
        ("transmat", [[1.0]], "'transmat' has shape"),
        ("names", "calm", "'names' must be a list"),
        ("means", "x", "malformed"),
    ]:
        broken = dict(params)
        broken[key] = value
        with pytest.raises(DataError, match=match):
            GaussianRegimeHmm.from_json(broken, "hmm.json")
    missing = dict(params)
    del missing["covars"]
    with pytest.raises(DataError, match="missing key 'covars'"):
        GaussianRegimeHmm.from_json(missing)


def test_change_point_detected_after_a_volatility_jump() -> None:
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(0, 0.01, 600), rng.normal(0, 0.04, 100)])
    p = BayesianChangePoint().run(x)
    assert p[:600].max() < 0.5
    assert p[600:615].max() > 0.5
    bocpd = BayesianChangePoint(ChangePointPrior(max_run=50))
    bocpd.run(x[:300])
    assert bocpd.run_length_posterior.shape[0] == 50  # truncated, so cost stays bounded
    assert 10 < bocpd.expected_run_length <= 50


def test_change_point_flags_the_april_2013_gold_crash(gld) -> None:
    r = np.log(gld.close[1:] / gld.close[:-1])
    p = BayesianChangePoint().run(r)
    by_day = dict(zip(gld.dates[1:], p, strict=True))
    assert by_day[date(2013, 4, 15)] > 0.5
    assert np.mean(p > 0.5) < 0.02  # rare: it is a flag, not a constant state


def test_change_point_prior_and_inputs() -> None:
    bocpd = BayesianChangePoint()
    assert bocpd.change_probability == 0.0
    assert bocpd.update(float("nan")) == 0.0
    assert bocpd.observations == 0
    bocpd.run(np.full(10, 0.001))
    bocpd.reset()
    assert bocpd.observations == 0
    with pytest.raises(ValueError, match="positive"):
        ChangePointPrior(beta0=0)
    with pytest.raises(ValueError, match="max_run"):
        ChangePointPrior(recent=600)


def _fs(at: datetime, ret: float, vol: float) -> FeatureSet:
    return FeatureSet(at, {GLD: {"ret_1": ret, "vol_fast": vol}})


def test_tracker_updates_once_per_cycle_and_labels_the_regime(gld, gld_hmm) -> None:
    f = price_features(gld.close)
    tracker = RegimeTracker(gld_hmm, instrument="GLD")
    idx = gld.dates.index(date(2008, 10, 1))
    tracker.warm_up(f["ret_1"][:idx], f["vol_fast"][:idx])
    at = datetime(2008, 10, 1, 21, tzinfo=UTC)
    first = tracker.state(_fs(at, f["ret_1"][idx], f["vol_fast"][idx]))
    again = tracker.state(_fs(at, 0.5, 5.0))  # same cycle: cached, the odd values are not absorbed
    assert again is first
    assert first.label == "turbulent"
    assert tracker.label(_fs(at, 0.0, 0.0)) == "turbulent"
    assert first.p_turbulent == pytest.approx(max(first.probabilities))
    assert first.description.startswith("turbulent (p=")
    later = tracker.state(_fs(at + timedelta(days=1), float("nan"), float("nan")))
    assert later.probabilities == first.probabilities


def test_tracker_without_hmm_is_unclassified_but_still_flags_change_points() -> None:
    tracker = RegimeTracker(None, change_threshold=0.5)
    at = datetime(2020, 1, 1, tzinfo=UTC)
    rng = np.random.default_rng(1)
    states = [
        tracker.state(_fs(at + timedelta(days=k), float(r), 0.1))
        for k, r in enumerate(np.concatenate([rng.normal(0, 0.005, 300), rng.normal(0, 0.05, 10)]))
    ]
    assert all(s.label == "unclassified" and np.isnan(s.p_turbulent) for s in states)
    assert not any(s.change_point for s in states[:300])
    flagged = [s for s in states[300:] if s.change_point]
    assert flagged
    assert "change point p=" in flagged[0].description
