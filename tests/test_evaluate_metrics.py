from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from traitlens.evaluation import find_overlaps, normalise_text
from traitlens.evaluation.metrics import assignment_metrics, bootstrap, item_pair_metrics, key_metrics, pearson


def test_item_pair_metrics_against_direct_computation():
    rng = np.random.default_rng(1)
    n = 12
    obs = np.corrcoef(rng.standard_normal((n, 40)))
    pred = obs * 0.5 + rng.standard_normal((n, n)) * 0.1
    pred = (pred + pred.T) / 2
    keys = rng.choice([-1.0, 1.0], n)
    a, b = np.triu_indices(n, 1)
    got = item_pair_metrics(pred, obs, keys)
    assert got["item_r"] == pytest.approx(np.corrcoef(pred[a, b], obs[a, b])[0, 1])
    assert got["item_r_abs"] == pytest.approx(np.corrcoef(abs(pred[a, b]), abs(obs[a, b]))[0, 1])
    assert got["item_r_keyed"] == pytest.approx(np.corrcoef(pred[a, b] * keys[a] * keys[b], obs[a, b])[0, 1])
    assert got["rmse"] == pytest.approx(np.sqrt(np.mean((pred[a, b] - obs[a, b]) ** 2)))
    strong = abs(obs[a, b]) > 0.2
    assert got["sign_agreement"] == pytest.approx(np.mean(np.sign(pred[a, b][strong]) == np.sign(obs[a, b][strong])))


def test_bootstrap_resamples_items_and_skips_self_pairs():
    obs = np.array([[1, 0.5, 0.1], [0.5, 1, 0.3], [0.1, 0.3, 1]])
    got = item_pair_metrics(obs, obs, idx=np.array([0, 0, 1]))  # only pair (0, 1) survives twice
    assert np.isnan(got["item_r"])  # < 3 pairs
    cis = bootstrap(lambda idx: {"m": float(np.mean(idx))}, 50, n_boot=200, seed=0)
    low, high = cis["m"]
    assert low < 24.5 < high and high - low < 15


def test_assignment_and_key_metrics():
    true = ["A", "A", "B", "B", None]
    pred = ["A", "B", "B", "B", "A"]
    got = assignment_metrics(true, pred)
    assert got["factor_accuracy"] == 0.75
    assert 0 <= got["nmi"] <= 1 and got["ari"] < 1
    assert assignment_metrics(true, pred, prefix="facet") == {"facet_accuracy": 0.75}
    assert key_metrics(np.array([1, -1, 1, np.nan]), np.array([1, 1, 1, 1]))["key_accuracy"] == pytest.approx(2 / 3)


def test_pearson_handles_nan_and_constant():
    assert np.isnan(pearson([1, 1, 1], [1, 2, 3]))
    assert pearson([1, 2, np.nan, 4], [2, 4, 5, 8]) == pytest.approx(1.0)


def test_normalise_text_drops_leading_i_and_punctuation():
    assert normalise_text("I Worry about things.") == "worry about things"
    assert normalise_text("I'm the life of the party!") == normalise_text("Am the life of the party")
    assert normalise_text("Ideas excite me.") == "ideas excite me"


def test_find_overlaps_same_text_and_cosine():
    scored = ["I worry about things.", "I love parties."]
    candidates = ["Worry about things.", "Enjoy large gatherings.", "Read books."]
    sv = np.array([[1.0, 0, 0], [0, 1.0, 0]])
    cv = np.array([[0.2, 0.1, 1.0], [0.05, 1.0, 0.1], [0, 0, 1.0]])
    report = find_overlaps(scored, candidates, sv, cv, threshold=0.9)
    assert report["candidate_index"].tolist() == [0, 1]
    assert report["reason"].tolist() == ["same text", "cosine"]
    assert report["scored_item"].tolist() == ["I worry about things.", "I love parties."]
    assert isinstance(report, pd.DataFrame)
