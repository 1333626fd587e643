"""Classical test theory of traitlens.psychometrics, on the real data and constructed examples."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from traitlens import psychometrics as pm
from traitlens.errors import InputError


def test_item_rest_equals_direct_correlation_on_complete_data(load):
    data = load("bfi")
    complete = data.responses.dropna()
    keys = data.scales["Conscientiousness"]
    x = pm.reverse_key(complete[list(keys.index)], keys, data.low, data.high)
    ours = pm.corrected_item_total(x, list(keys.index))
    for item in keys.index:
        rest = x.drop(columns=item).sum(axis=1)
        assert ours[item] == pytest.approx(np.corrcoef(x[item], rest)[0, 1], abs=1e-12)


def test_standardized_alpha_from_item_correlations(load):
    data = load("bfi")
    complete = data.responses.dropna()
    z = (complete - complete.mean()) / complete.std()
    r = pm.item_correlations(complete)
    for keys in data.scales.values():
        # the alpha of standardized items is the standardized alpha
        zk = z[list(keys.index)] * keys
        assert pm.alpha_from_item_correlations(r, keys) == pytest.approx(
            pm.cronbach_alpha(zk, nan_policy="listwise"), abs=1e-12)
    assert pm.standardized_alpha(0.3, 10) == pytest.approx(3 / 3.7)
    assert pm.standardized_alpha(1.0, 4) == 1.0


# ----------------------------------------------------------------------------- scale correlations from items

# Raw person-level scale scores vs the composite formula on observed item r: they differ because the
# formula assumes standardized (equal-variance) items and because of missing data. Largest |diff|:
# big5 .025, bfi .022, spi .043, adjectives .060 (9-point items with unequal variances), bainbridge .059.


def test_scale_correlations_from_items_constructed_example():
    r = pd.DataFrame(
        [[1.0, 0.5, 0.2, -0.3], [0.5, 1.0, 0.1, -0.1], [0.2, 0.1, 1.0, -0.4], [-0.3, -0.1, -0.4, 1.0]],
        index=list("abcd"), columns=list("abcd"),
    )
    scales = {"S": pd.Series({"a": 1, "b": 1}), "T": pd.Series({"c": 1, "d": -1})}
    out = pm.scale_correlations_from_items(r, scales)
    # by hand: cov(S,T) = .2 + .3 + .1 + .1 = .7; var S = 2 + 2(.5) = 3; var T = 2 + 2(.4) = 2.8
    assert out.loc["S", "T"] == pytest.approx(0.7 / np.sqrt(3 * 2.8), abs=1e-12)
    assert out.loc["T", "S"] == out.loc["S", "T"]
    # the same from an ndarray, labelled or by position; a diagonal that is not 1 is ignored
    arr = r.to_numpy().copy()
    np.fill_diagonal(arr, 0.37)
    assert pm.scale_correlations_from_items(arr, scales, items=list("abcd")).loc["S", "T"] == out.loc["S", "T"]
    by_position = {"S": pd.Series({0: 1, 1: 1}), "T": pd.Series({2: 1, 3: -1})}
    assert pm.scale_correlations_from_items(arr, by_position).loc["S", "T"] == pytest.approx(out.loc["S", "T"])


def test_scale_correlations_from_items_known_covariance():
    rng = np.random.default_rng(0)
    loadings = rng.uniform(0.3, 0.8, size=(8, 2))
    sigma = loadings @ loadings.T + np.diag(rng.uniform(0.3, 0.6, 8))
    sds = np.sqrt(np.diag(sigma))
    corr = sigma / np.outer(sds, sds)
    scales = {"S": pd.Series({0: 1, 1: -1, 2: 1, 3: 1}), "T": pd.Series({3: 1, 4: 1, 5: -1, 6: 1, 7: 1})}
    w = np.zeros((8, 2))
    for j, keys in enumerate(scales.values()):
        w[keys.index, j] = keys
    # population: composites of standardized items, computed from the covariance matrix
    d = np.diag(1 / sds)
    cov = w.T @ d @ sigma @ d @ w
    expected = cov[0, 1] / np.sqrt(cov[0, 0] * cov[1, 1])
    assert pm.scale_correlations_from_items(corr, scales).loc["S", "T"] == pytest.approx(expected, abs=1e-12)


def test_scale_correlations_from_items_nan_handling():
    r = np.array([[1, 0.4, np.nan], [0.4, 1, 0.2], [np.nan, 0.2, 1]])
    items = ["a", "b", "c"]
    out = pm.scale_correlations_from_items(
        r, {"ab": pd.Series({"a": 1, "b": 1}), "bc": pd.Series({"b": 1, "c": 1}), "a": pd.Series({"a": 1})},
        items=items)
    assert np.isnan(out.loc["ab", "bc"])  # needs r(a, c), which is missing
    assert out.loc["bc", "bc"] == 1.0
    assert out.loc["a", "ab"] == pytest.approx(1.4 / np.sqrt(2.8))
    with pytest.raises(InputError, match="not columns"):
        pm.scale_correlations_from_items(r, {"x": pd.Series({"z": 1})}, items=items)




def test_item_correlations_and_pairwise_n_with_missing_values():
    rng = np.random.default_rng(1)
    x = pd.DataFrame(rng.normal(size=(300, 6)) + 3, columns=[f"i{j}" for j in range(6)])
    x[x > 4.2] = np.nan
    x["const"] = 2.0
    ours = pm.item_correlations(x)
    expected = x.corr()
    np.testing.assert_allclose(ours.to_numpy()[:6, :6], expected.to_numpy()[:6, :6], atol=1e-12)
    assert ours["const"].isna().all()  # no variance: NaN, also on the diagonal
    n = pm.pairwise_n(x)
    assert n.loc["i0", "i1"] == int((x["i0"].notna() & x["i1"].notna()).sum())
    assert n.loc["i2", "i2"] == int(x["i2"].notna().sum())


def test_reverse_key_and_scale_scores_missing_handling():
    frame = pd.DataFrame({"a": [5, 1, np.nan, np.nan], "b": [1, np.nan, 2, np.nan], "c": [3, 3, 3, 3]})
    reversed_b = pm.reverse_key(frame, pd.Series({"b": -1}), 1, 5)["b"]
    assert reversed_b.iloc[[0, 2]].tolist() == [5.0, 4.0] and reversed_b.iloc[[1, 3]].isna().all()
    scales = {"s": pd.Series({"a": 1, "b": -1}), "t": pd.Series({"a": -1, "c": 1})}
    scores = pm.scale_scores(frame, scales, 1, 5)
    # prorated: the mean of the keyed items each person answered
    assert scores["s"].tolist()[:3] == [5.0, 1.0, 4.0] and np.isnan(scores["s"].iloc[3])
    assert scores["t"].tolist() == [2.0, 4.0, 3.0, 3.0]
    strict = pm.scale_scores(frame, scales, 1, 5, min_items=2)
    assert strict["s"].tolist()[0] == 5.0 and strict["s"].iloc[1:].isna().all()
    with pytest.raises(InputError, match="min_items"):
        pm.scale_scores(frame, scales, 1, 5, min_items=0)
    with pytest.raises(InputError, match=r"\+1 or -1"):
        pm.reverse_key(frame, pd.Series({"a": 2}), 1, 5)
    with pytest.raises(InputError, match="not columns"):
        pm.reverse_key(frame, pd.Series({"zz": 1}), 1, 5)


def test_cronbach_alpha_bad_input():
    with pytest.raises(InputError, match="at least two items"):
        pm.cronbach_alpha(pd.DataFrame({"a": [1.0, 2.0]}))
    with pytest.raises(InputError, match="nan_policy"):
        pm.cronbach_alpha(pd.DataFrame({"a": [1.0, 2.0], "b": [2.0, 1.0]}), nan_policy="mean")
    with pytest.raises(InputError, match="not numeric"):
        pm.item_correlations(pd.DataFrame({"a": ["x", "y"]}))


def test_scale_alphas_from_items_equal_the_per_scale_function():
    from traitlens.psychometrics import alpha_from_item_correlations, scale_alphas_from_items

    rng = np.random.default_rng(5)
    r = np.corrcoef(rng.standard_normal((6, 40)))
    items = list("abcdef")
    frame = pd.DataFrame(r, index=items, columns=items)
    scales = {"s": pd.Series({"a": 1, "b": -1, "c": 1}), "t": pd.Series({"c": 1, "d": 1, "e": -1, "f": 1})}
    got = scale_alphas_from_items(frame, scales)
    for name, keys in scales.items():
        assert got[name] == pytest.approx(alpha_from_item_correlations(frame, keys), abs=1e-12)
