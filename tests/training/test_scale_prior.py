"""The within-scale prior: fitting, the shipped file, and its use by predict_scales and the harness."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import traitlens
from traitlens.errors import InputError
from traitlens.training import scale_prior
from traitlens.training.scale_prior import (
    ScalePrior,
    available_priors,
    fit_within_shift,
    load_scale_prior,
    within_scale_pairs,
    write_priors,
)


def test_within_scale_pairs_are_keyed_and_finite():
    pred = np.array([[1.0, 0.2, -0.1], [0.2, 1.0, np.nan], [-0.1, np.nan, 1.0]])
    obs = np.array([[1.0, 0.5, -0.4], [0.5, 1.0, -0.3], [-0.4, -0.3, 1.0]])
    w = np.array([[1.0], [1.0], [-1.0]])
    p, o = within_scale_pairs(pred, obs, w)
    assert p.tolist() == [0.2, 0.1] and o.tolist() == [0.5, 0.4]


def test_fit_weighs_each_data_set_once_and_leaves_each_out():
    shift, leave, stats = fit_within_shift({"big": (np.zeros(1000), np.full(1000, 0.4)),
                                            "small": (np.full(2, 0.1), np.full(2, 0.3)),
                                            "mid": (np.zeros(10), np.full(10, 0.3))})
    assert shift == pytest.approx((0.4 + 0.2 + 0.3) / 3)
    assert leave == pytest.approx({"big": 0.25, "small": 0.35, "mid": 0.3})
    assert stats["big"] == {"n_pairs": 1000, "observed": pytest.approx(0.4), "predicted": 0.0}
    with pytest.raises(InputError, match="no within-scale pairs"):
        fit_within_shift({"empty": (np.zeros(0), np.zeros(0))})
    with pytest.raises(InputError, match="no data sets"):
        fit_within_shift({})


def test_priors_round_trip_and_match_by_fingerprint_and_method(tmp_path):
    prior = ScalePrior("m", "abc", "tuned", 0.25, {"bfi": 0.2}, {"bfi": {"n_pairs": 3, "observed": 0.3,
                                                                          "predicted": 0.1}})
    path = tmp_path / "priors.json"
    write_priors([prior], path, {"fitted_by": "test"})
    assert json.loads(path.read_text())["fitted_by"] == "test"
    got = load_scale_prior("abc", "tuned", path)
    assert got == prior
    assert got.shift_without("bfi") == 0.2 and got.shift_without("spi") == 0.25 and got.shift_without(None) == 0.25
    assert got.provenance("bfi")["within_scale_shift"] == 0.2
    assert load_scale_prior("abc", "head", path) is None and load_scale_prior("other", "tuned", path) is None
    assert available_priors(tmp_path / "missing.json") == ()


def test_shipped_priors_cover_both_models_and_the_learned_predictors():
    shipped = available_priors()
    have = {(p.model_name.split("/")[-1], p.method) for p in shipped}
    for model in ("all-MiniLM-L6-v2", "all-mpnet-base-v2"):
        assert {(model, m) for m in ("tuned", "head", "profile")} <= have
    for p in shipped:  # fitted on the five data sets with responses, each left out once
        assert set(p.leave_one_out) == set(p.datasets) == {"ipip50", "bfi", "spi", "adjectives", "bainbridge"}
        assert -0.1 < p.shift < 0.5
        gaps = [d["observed"] - d["predicted"] for d in p.datasets.values()]
        assert p.shift == pytest.approx(np.mean(gaps), abs=1e-3)


def test_predict_scales_applies_the_prior_of_its_model_and_method(fake_encoder, tmp_path, monkeypatch):
    items = pd.DataFrame({"item": ["n1", "n2", "n3", "e1", "e2", "e3"],
                          "text": ["I worry.", "I panic.", "I am calm.", "I love parties.", "I chat.", "I am quiet."],
                          "scale": ["N", "N", "N", "E", "E", "E"], "key": [1, 1, -1, 1, 1, -1]})
    plain = traitlens.predict_scales(items, model=fake_encoder, method="profile")
    assert plain.reliability.attrs["provenance"]["within_scale_shift"] == 0.0
    assert "none fitted" in plain.reliability.attrs["provenance"]["within_scale_prior"]
    path = tmp_path / "priors.json"
    write_priors([ScalePrior(fake_encoder.name, fake_encoder.fingerprint, "profile", 0.2)], path, {})
    monkeypatch.setattr(scale_prior, "PRIOR_FILE", path)
    shifted = traitlens.predict_scales(items, model=fake_encoder, method="profile")
    off = traitlens.predict_scales(items, model=fake_encoder, method="profile", scale_prior=False)
    assert shifted.reliability.attrs["provenance"]["within_scale_shift"] == 0.2
    assert off.reliability.attrs["provenance"]["within_scale_prior"] == "off"
    pd.testing.assert_frame_equal(shifted.item_correlations, plain.item_correlations)  # items never change
    pd.testing.assert_frame_equal(off.reliability, plain.reliability)
    assert (shifted.reliability["alpha"] > plain.reliability["alpha"]).all()
    assert not np.allclose(shifted.scale_correlations, plain.scale_correlations)


def test_harness_scores_a_data_set_with_the_prior_fitted_without_it(tmp_path, monkeypatch):
    from traitlens.evaluation.harness import _with_prior

    path = tmp_path / "priors.json"
    write_priors([ScalePrior("m", "fp", "tuned", 0.3, {"bfi": 0.1})], path, {})
    monkeypatch.setattr(scale_prior, "PRIOR_FILE", path)
    encoder = type("E", (), {"fingerprint": "fp"})()
    r = np.eye(2)
    w = np.ones((2, 1))
    shifted, info = _with_prior(r, w, encoder, "tuned", "bfi")
    assert shifted[0, 1] == pytest.approx(0.1) and info["within_scale_shift"] == 0.1
    shifted, info = _with_prior(r, w, encoder, "tuned", "neo300-facet-r")
    assert shifted[0, 1] == pytest.approx(0.3)
    same, info = _with_prior(r, w, encoder, "cosine", "bfi")
    assert same is r and info == {"within_scale_shift": 0.0}


@pytest.mark.slow
def test_the_bundled_model_gets_its_shipped_prior(real_encoder):
    prior = load_scale_prior(real_encoder.fingerprint, "tuned")
    assert prior is not None and prior.model_name == real_encoder.name


def test_short_form_keeps_its_ranks_and_raises_its_levels_with_the_prior(fake_encoder, tmp_path, monkeypatch):
    from traitlens.api import short_form

    items = pd.DataFrame({"scale": ["N"] * 4 + ["E"] * 4,
                          "text": ["I worry.", "I panic.", "I am calm.", "I fret.", "I love parties.", "I chat.",
                                   "I am quiet.", "I lead."], "key": [1, 1, -1, 1, 1, 1, -1, 1]})
    monkeypatch.setattr(scale_prior, "PRIOR_FILE", tmp_path / "none.json")
    plain = short_form(items, fake_encoder, k=2, method="profile")
    write_priors([ScalePrior(fake_encoder.name, fake_encoder.fingerprint, "profile", 0.2)], tmp_path / "p.json", {})
    monkeypatch.setattr(scale_prior, "PRIOR_FILE", tmp_path / "p.json")
    shifted = short_form(items, fake_encoder, k=2, method="profile")
    assert shifted["rank"].tolist() == plain["rank"].tolist() and shifted["item"].tolist() == plain["item"].tolist()
    np.testing.assert_allclose(shifted["centrality"], plain["centrality"] + 0.2)
    before, after = (pd.DataFrame(t.attrs["provenance"]["short_form"]["summary"]) for t in (plain, shifted))
    assert (after["r_short_full"] > before["r_short_full"]).all()
    assert shifted.attrs["provenance"]["within_scale_shift"] == 0.2
