from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qgtm_core import DataError, IntegrityError, MetaAction
from qgtm_core.signing import MinisignKeyPair
from qgtm_ml import (
    META_FEATURES,
    MetaDataset,
    MetaLabeller,
    MetaLabellerParams,
    MetaPolicy,
    ModelCard,
    build_meta_dataset,
    load_artifact,
    payload_digest,
    save_artifact,
    trend_side,
)

NOW = datetime(2025, 1, 1, tzinfo=UTC)


def test_model_card_records_data_hash_params_purged_folds_and_importances(gld_meta: MetaLabeller, gld) -> None:
    card = gld_meta.card
    assert card.training_data["gld"] == gld.sha256
    assert card.params["n_estimators"] == 20
    assert card.params["feature_names"] == list(META_FEATURES)
    assert len(card.fold_metrics) == 4
    assert all(m["n_purged"] > 0 for m in card.fold_metrics)  # daily events with 20-bar labels overlap
    assert all(0.0 <= float(m["auc"]) <= 1.0 for m in card.fold_metrics)
    assert sum(card.feature_importances.values()) == pytest.approx(1.0)
    # no regime model was given: those columns are all missing and carry no importance
    assert card.feature_importances["p_turbulent"] == 0.0


def test_probabilities_are_in_unit_interval_and_calibration_is_monotone(gld_meta: MetaLabeller) -> None:
    grid = np.zeros((50, len(META_FEATURES)))
    grid[:, 0] = 1.0
    grid[:, 4] = np.linspace(0.05, 0.6, 50)
    p = gld_meta.probability(grid)
    assert np.all((p >= 0) & (p <= 1))
    raw = gld_meta.raw_probability(grid)
    order = np.argsort(raw)
    assert np.all(np.diff(p[order]) >= -1e-12)  # isotonic map keeps the ranking
    with pytest.raises(DataError, match="rows have 3 features"):
        gld_meta.probability(np.zeros((1, 3)))


def _synthetic(n: int, seed: int) -> MetaDataset:
    """Labels drawn with a known probability sigmoid(2 * x0), spans of 5 bars."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, len(META_FEATURES)))
    truth = 1 / (1 + np.exp(-2 * x[:, 0]))
    y = (rng.random(n) < truth).astype(np.int64)
    t0 = np.arange(n, dtype=np.int64)
    return MetaDataset(x, y, t0, t0 + 5)


def test_calibrated_probability_matches_observed_frequencies_out_of_sample() -> None:
    train, test = _synthetic(4000, 1), _synthetic(4000, 2)
    model = MetaLabeller.fit(train, MetaLabellerParams(n_estimators=40), created_at=NOW, training_data={"synthetic": 1})
    p = model.probability(test.x)
    truth = 1 / (1 + np.exp(-2 * test.x[:, 0]))
    assert float(np.mean(np.abs(p - truth))) < 0.08
    for lo, hi in ((0.0, 0.3), (0.3, 0.7), (0.7, 1.0)):
        in_bin = (p >= lo) & (p < hi)
        assert abs(test.y[in_bin].mean() - p[in_bin].mean()) < 0.05
    assert model.card.metrics["oof_calibrated"]["brier"] <= model.card.metrics["oof_raw"]["brier"] + 1e-9


def test_fits_are_deterministic(gld) -> None:
    side, conviction = trend_side(gld.close[:2500])
    data = build_meta_dataset(gld.close[:2500], side, conviction, event_step=3)
    params = MetaLabellerParams(n_estimators=10, n_splits=3)
    a = MetaLabeller.fit(data, params, created_at=NOW, training_data={})
    b = MetaLabeller.fit(data, params, created_at=NOW, training_data={})
    np.testing.assert_array_equal(a.probability(data.x), b.probability(data.x))
    assert a.card == b.card


def test_too_little_or_one_class_data_is_refused() -> None:
    data = _synthetic(30, 0)
    with pytest.raises(DataError, match="not enough"):
        MetaLabeller.fit(data, created_at=NOW, training_data={})
    one_class = MetaDataset(data.x, np.ones(30, dtype=np.int64), data.t0, data.t1)
    with pytest.raises(DataError, match=r"classes \[1\]"):
        MetaLabeller.fit(one_class, MetaLabellerParams(n_splits=2), created_at=NOW, training_data={})


def test_dataset_rejects_misaligned_inputs(gld) -> None:
    side, conviction = trend_side(gld.close[:500])
    with pytest.raises(DataError, match="change_prob has 3 rows but there are 500 closes"):
        build_meta_dataset(gld.close[:500], side, conviction, change_prob=np.zeros(3))
    data = build_meta_dataset(gld.close[:500], side, conviction, p_turbulent=np.full(500, 0.2))
    assert np.all(data.x[:, META_FEATURES.index("p_turbulent")] == 0.2)
    assert np.all(np.isnan(data.x[:, META_FEATURES.index("change_prob")]))


def test_saved_model_loads_identically(tmp_path: Path, gld_meta: MetaLabeller) -> None:
    card = gld_meta.save(tmp_path)
    loaded = MetaLabeller.load(tmp_path)
    x = np.random.default_rng(3).normal(size=(20, len(META_FEATURES)))
    np.testing.assert_array_equal(loaded.probability(x), gld_meta.probability(x))
    assert loaded.card == card
    assert card.artifact_digest


def test_a_tampered_model_artifact_is_refused(tmp_path: Path, gld_meta: MetaLabeller) -> None:
    gld_meta.save(tmp_path)
    model = tmp_path / "meta_labeller.lgbm.txt"
    model.write_text(model.read_text().replace("learning_rate: 0.05", "learning_rate: 0.5", 1))
    with pytest.raises(IntegrityError, match="does not match the model card"):
        MetaLabeller.load(tmp_path)


def test_a_tampered_card_is_refused_when_signatures_are_required(tmp_path: Path, gld_meta: MetaLabeller) -> None:
    key = MinisignKeyPair.generate()
    gld_meta.save(tmp_path, signer=key)
    assert MetaLabeller.load(tmp_path, public_key=key.public).card.name == "meta_labeller"
    # an attacker rewrites both files consistently: only the signature catches it
    model = tmp_path / "meta_labeller.lgbm.txt"
    model.write_text(model.read_text() + "\n")
    card_path = tmp_path / "meta_labeller.card.json"
    card = json.loads(card_path.read_text())
    card["artifact_digest"] = payload_digest("lightgbm-meta-labeller", model.read_text())
    card_path.write_text(json.dumps(card))
    MetaLabeller.load(tmp_path)  # digest alone is fooled...
    with pytest.raises(IntegrityError, match="signature verification failed"):
        MetaLabeller.load(tmp_path, public_key=key.public)  # ...the signed card is not
    with pytest.raises(IntegrityError, match="does not match the public key"):
        MetaLabeller.load(tmp_path, public_key=MinisignKeyPair.generate().public)


def test_artifact_kind_missing_files_and_bad_cards(tmp_path: Path) -> None:
    card = ModelCard("m", "gaussian-hmm-regime", NOW, {}, {})
    save_artifact(tmp_path, card, "{}", "hmm.json")
    with pytest.raises(IntegrityError, match="expected 'lightgbm-meta-labeller'"):
        load_artifact(tmp_path, "m", "lightgbm-meta-labeller", "hmm.json")
    with pytest.raises(DataError, match="model artifact file is missing"):
        load_artifact(tmp_path, "absent", "x", "hmm.json")
    card_path = tmp_path / "m.card.json"
    for text, match in [
        ("not json", "not a JSON model card"),
        ("[1]", "must be a JSON object"),
        ('{"card_version": 2}', "card_version 2"),
        ('{"card_version": 1}', "has no 'name'"),
        ('{"card_version": 1, "name": "m", "kind": "k", "created_at": "yesterday"}', "malformed"),
    ]:
        card_path.write_text(text)
        with pytest.raises(DataError, match=match):
            load_artifact(tmp_path, "m", "gaussian-hmm-regime", "hmm.json")


def test_broken_calibration_knots_are_reported(tmp_path: Path, gld_meta: MetaLabeller) -> None:
    broken = MetaLabeller.__new__(MetaLabeller)
    broken.__dict__.update(gld_meta.__dict__)
    broken.card = replace(gld_meta.card, params={"feature_names": list(META_FEATURES)})
    broken.save(tmp_path)
    with pytest.raises(DataError, match="calibration knots"):
        MetaLabeller.load(tmp_path)


@pytest.mark.parametrize(
    ("p", "action", "scale"),
    [
        (0.9, MetaAction.KEEP, 1.0),
        (0.55, MetaAction.KEEP, 1.0),
        (0.5, MetaAction.REDUCE, 0.75),
        (0.45, MetaAction.REDUCE, 0.5),
        (0.2, MetaAction.REJECT, 0.0),
    ],
)
def test_policy_maps_probability_to_keep_reduce_reject(p: float, action: MetaAction, scale: float) -> None:
    assert MetaPolicy(keep=0.55, reduce=0.45, min_scale=0.5).decide(p) == (action, pytest.approx(scale))


def test_policy_thresholds_must_be_ordered() -> None:
    with pytest.raises(ValueError, match="reduce"):
        MetaPolicy(keep=0.4, reduce=0.5)


@settings(max_examples=100, deadline=None)
@given(
    probabilities=st.lists(st.floats(0.0, 1.0), min_size=1, max_size=30),
    keep=st.floats(0.3, 0.9),
    gap=st.floats(0.0, 0.3),
    min_scale=st.floats(0.0, 1.0),
)
def test_vectorised_policy_agrees_with_the_scalar_one(
    probabilities: list[float], keep: float, gap: float, min_scale: float
) -> None:
    policy = MetaPolicy(keep=keep, reduce=max(keep - gap, 0.0), min_scale=min_scale)
    actions, scales = policy.decide_many(np.array(probabilities))
    for p, action, scale in zip(probabilities, actions, scales, strict=True):
        expected_action, expected_scale = policy.decide(p)
        assert action is expected_action
        assert scale == pytest.approx(expected_scale)
