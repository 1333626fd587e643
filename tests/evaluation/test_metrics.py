from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from traitlens.evaluation import find_overlaps, normalise_text
from traitlens.evaluation.metrics import (
    assignment_figures,
    assignment_metrics,
    bootstrap,
    bootstrap_counts,
    composite_correlations,
    composite_figures,
    factor_figures,
    item_pair_metrics,
    item_pair_replicates,
    jackknife_ci,
    key_metrics,
    pearson,
    percentile_ci,
    scale_jackknife_replicates,
)
from traitlens.psychometrics import scale_alphas_from_items, scale_correlations_from_items


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


def _direct_replicate(pred, obs, keys, idx):
    """The figures of one replicate the slow way: the pairs of distinct drawn positions, listed."""
    a, b = np.triu_indices(len(idx), 1)
    keep = idx[a] != idx[b]
    i, j = idx[a[keep]], idx[b[keep]]
    p, o = pred[i, j], obs[i, j]
    ok = np.isfinite(p) & np.isfinite(o)
    strong = ok & (np.abs(o) > 0.2)
    return {"item_r": pearson(p, o), "item_r_abs": pearson(abs(p), abs(o)),
            "item_r_keyed": pearson(p * keys[i] * keys[j], o),
            "rmse": np.sqrt(np.mean((p[ok] - o[ok]) ** 2)) if ok.any() else np.nan,
            "sign_agreement": np.mean(np.sign(p[strong]) == np.sign(o[strong])) if strong.any() else np.nan}


def _fixture_matrices(n=14, seed=2):
    rng = np.random.default_rng(seed)
    obs = np.corrcoef(rng.standard_normal((n, 60)))
    pred = obs * 0.5 + rng.standard_normal((n, n)) * 0.2
    pred = (pred + pred.T) / 2
    pred[0, 3] = pred[3, 0] = np.nan  # an unknown predicted pair
    obs[5, 6] = obs[6, 5] = np.nan  # an unknown observed pair
    keys = rng.choice([-1.0, 1.0], n)
    keys[2] = np.nan  # an item with an unknown key: its pairs drop out of item_r_keyed
    return pred, obs, keys


def test_bootstrap_counts_are_the_draws_of_the_loop():
    rng = np.random.default_rng(7)
    draws = [rng.integers(0, 9, 9) for _ in range(30)]
    counts = bootstrap_counts(9, 30, seed=7)
    np.testing.assert_array_equal(counts, [np.bincount(d, minlength=9) for d in draws])
    assert bootstrap_counts(9, 0).shape == (0, 9)


def test_item_pair_replicates_match_the_listed_pairs():
    pred, obs, keys = _fixture_matrices()
    n, n_boot = len(pred), 60
    got = item_pair_replicates(pred, obs, bootstrap_counts(n, n_boot, seed=3), keys)
    rng = np.random.default_rng(3)
    for b in range(n_boot):
        want = _direct_replicate(pred, obs, keys, rng.integers(0, n, n))
        for name, value in want.items():
            assert got[name][b] == pytest.approx(value, abs=1e-12, nan_ok=True), (name, b)
    everything = item_pair_replicates(pred, obs, np.ones((1, n)), keys)  # each item once = the point estimate
    for name, value in item_pair_metrics(pred, obs, keys).items():
        assert everything[name][0] == pytest.approx(value, abs=1e-12)


def test_item_pair_replicates_skip_self_pairs():
    obs = np.array([[1, 0.5, 0.1], [0.5, 1, 0.3], [0.1, 0.3, 1]])
    pred = obs * 0.5
    got = item_pair_replicates(pred, obs, np.array([[2.0, 1.0, 0.0]]))  # only pair (0, 1) survives, twice
    assert np.isnan(got["item_r"][0])  # < 3 pairs
    assert got["rmse"][0] == pytest.approx(0.25)
    assert got["sign_agreement"][0] == 1.0
    assert "item_r_keyed" not in got


def test_percentile_bootstrap_of_a_mean():
    cis = bootstrap(lambda idx: {"m": float(np.mean(idx))}, 50, n_boot=200, seed=0)
    low, high = cis["m"]
    assert low < 24.5 < high and high - low < 15
    assert np.isnan(percentile_ci(np.array([np.nan, np.nan]))).all()


def test_jackknife_ci_of_a_mean_is_the_normal_interval():
    x = np.random.default_rng(0).standard_normal(40)
    loo = (x.sum() - x) / (len(x) - 1)
    low, high = jackknife_ci(x.mean(), loo)
    se = x.std(ddof=1) / np.sqrt(len(x))  # the jackknife SE of a mean is the textbook one
    assert (low, high) == pytest.approx((x.mean() - 1.959964 * se, x.mean() + 1.959964 * se))
    low, high = jackknife_ci(0.95, np.array([0.9, 0.97, 0.99, 0.93]), fisher=True)
    assert low < 0.95 < high < 1
    assert np.isnan(jackknife_ci(np.nan, loo)).all() and np.isnan(jackknife_ci(0.5, np.array([0.4]))).all()
    assert jackknife_ci(0.98, np.array([0.5, 0.99, 1.0]), bounds=(0.0, 1.0))[1] == 1.0


def test_scale_jackknife_matches_the_composite_formulas_without_each_item():
    pred, obs, _ = _fixture_matrices(n=15, seed=4)
    obs = np.nan_to_num(obs, nan=0.1)  # the NaN predicted pair (0, 3) blanks scale A unless item 0 or 3 is left out
    items = [f"i{k}" for k in range(15)]
    scales = {"A": pd.Series({"i0": 1, "i1": -1, "i2": 1, "i3": 1}), "B": pd.Series({"i4": 1, "i5": 1, "i6": -1}),
              "C": pd.Series({"i7": 1, "i8": 1, "i9": 1, "i10": -1}), "D": pd.Series({"i11": -1, "i12": 1, "i2": 1})}
    weights = np.zeros((15, 4))
    for j, keys in enumerate(scales.values()):
        weights[[items.index(i) for i in keys.index], j] = keys.to_numpy()
    got = scale_jackknife_replicates(pred, obs, weights, chunk=4)
    in_scales = [k for k in range(15) if weights[k].any()]  # i13, i14 are in no scale: no replicate
    assert len(got["scale_r"]) == len(in_scales) == 13
    a, b = np.triu_indices(4, 1)
    for row, k in enumerate(in_scales):
        left = {name: keys.drop(items[k], errors="ignore") for name, keys in scales.items()}
        sides = [scale_correlations_from_items(m, left, items=items).to_numpy()[a, b] for m in (pred, obs)]
        alphas = [scale_alphas_from_items(m, left, items=items).to_numpy() for m in (pred, obs)]
        assert got["scale_r"][row] == pytest.approx(pearson(*sides), abs=1e-12, nan_ok=True)
        assert got["alpha_r"][row] == pytest.approx(pearson(*alphas), abs=1e-12, nan_ok=True)


def test_assignment_figures_intervals():
    rng = np.random.default_rng(5)
    true = rng.choice(list("ABCDE"), 60).astype(object)
    pred = np.where(rng.random(60) < 0.6, true, rng.choice(list("ABCDE"), 60)).astype(object)
    true[3] = None
    true_keys = rng.choice([-1.0, 1.0], 60)
    pred_keys = np.where(rng.random(60) < 0.8, true_keys, -true_keys)
    pred_keys[:5] = np.nan
    rows = {r[0]: r[1:] for r in assignment_figures(true, pred, true_keys=true_keys, pred_keys=pred_keys,
                                                    n_boot=300, seed=1)}
    assert set(rows) == {"factor_accuracy", "nmi", "ari", "key_accuracy"}
    known = np.array([t is not None for t in true])

    def stat(idx):
        t, p = true[idx], pred[idx]
        k = known[idx]
        usable = np.isfinite(pred_keys[idx])
        return {"factor_accuracy": np.mean(t[k] == p[k]),
                "key_accuracy": np.mean(true_keys[idx][usable] == pred_keys[idx][usable])}

    for name, ci in bootstrap(stat, 60, n_boot=300, seed=1).items():  # accuracies: the same draws, the same CI
        assert rows[name][1:] == pytest.approx(ci)
    t, p = true[known].astype(str), pred[known].astype(str)
    for name, score in (("nmi", normalized_mutual_info_score), ("ari", adjusted_rand_score)):
        loo = [score(np.delete(t, i), np.delete(p, i)) for i in range(len(t))]
        assert rows[name][1:] == pytest.approx(jackknife_ci(rows[name][0], np.array(loo), bounds=(-1, 1)))
    for value, low, high in rows.values():
        assert low <= value <= high
    facets = assignment_figures(true, pred, prefix="facet", n_boot=0)
    assert [r[0] for r in facets] == ["facet_accuracy"] and np.isnan(facets[0][2])


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


def test_composite_figures_match_direct_formulas_on_random_data():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((12, 40))
    item_r = np.corrcoef(x)
    weights = np.zeros((12, 4))
    for j in range(4):
        weights[3 * j:3 * j + 3, j] = rng.choice([1.0, -1.0], 3)
    observed = np.corrcoef(rng.standard_normal((4, 30)))
    pred = composite_correlations(item_r, weights)
    direct = scale_correlations_from_items(pd.DataFrame(item_r), {
        j: pd.Series(weights[weights[:, j] != 0, j], index=np.flatnonzero(weights[:, j])) for j in range(4)})
    np.testing.assert_allclose(pred, direct.to_numpy())
    rows = {m: (v, lo, hi) for m, v, lo, hi in composite_figures(item_r, weights, observed)}
    a, b = np.triu_indices(4, 1)
    assert rows["scale_r"][0] == pytest.approx(np.corrcoef(pred[a, b], observed[a, b])[0, 1])
    assert rows["scale_mae"][0] == pytest.approx(np.abs(pred[a, b] - observed[a, b]).mean())
    reps = []
    for i in range(12):
        w = weights.copy()
        w[i] = 0
        p = composite_correlations(item_r, w)
        reps.append(np.abs(p[a, b] - observed[a, b]).mean())
    assert rows["scale_mae"][1:] == pytest.approx(jackknife_ci(rows["scale_mae"][0], np.array(reps), bounds=(0, 2)))
    assert all(lo <= v <= hi for v, lo, hi in rows.values())
    assert np.isnan(composite_figures(item_r, weights, observed, intervals=False)[0][2])


def test_factor_figures_match_direct_formulas_on_random_data():
    rng = np.random.default_rng(5)
    truth = np.repeat(np.eye(3), 4, axis=0)
    loadings = truth + 0.3 * rng.standard_normal((12, 3))
    human = truth[:, [2, 0, 1]] * -1 + 0.2 * rng.standard_normal((12, 3))
    theory = np.repeat(list("ABC"), 4)
    rows = {m: (v, lo, hi) for m, v, lo, hi in factor_figures(loadings, human, theory)}
    assigned = np.argmax(np.abs(loadings), axis=1)
    assert rows["nmi"][0] == pytest.approx(normalized_mutual_info_score(theory, assigned))
    assert rows["ari"][0] == pytest.approx(adjusted_rand_score(theory, assigned))
    phi = (loadings.T @ human) / np.sqrt(np.outer((loadings**2).sum(0), (human**2).sum(0)))
    best = max(np.abs(phi[[0, 1, 2], list(p)]).mean() for p in itertools.permutations(range(3)))
    assert rows["tucker_phi"][0] == pytest.approx(best)
    assert all(lo <= v <= hi for v, lo, hi in rows.values())
    assert [m for m, *_ in factor_figures(loadings, None, theory, intervals=False)] == ["nmi", "ari"]
