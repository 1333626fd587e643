from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from traitlens.analysis.correlations import complete_keys, pair_table, scale_predictions
from traitlens.errors import InputError
from traitlens.psychometrics import omega_from_item_correlations


def _matrix(ids, values):
    return pd.DataFrame(values, index=ids, columns=ids)


def test_pair_table_is_the_upper_triangle():
    r = np.array([[1, .1, .2], [.1, 1, .3], [.2, .3, 1]])
    table = pair_table(r, ["a", "b", "c"])
    assert table.to_dict("list") == {"item_a": ["a", "a", "b"], "item_b": ["b", "c", "c"], "r": [.1, .2, .3]}


def test_complete_keys_infers_reversed_items_and_keeps_known_ones():
    ids = ["a", "b", "c", "d"]
    truth = np.array([1, 1, -1, -1])
    r = _matrix(ids, np.where(np.outer(truth, truth) > 0, 0.5, -0.5) + np.eye(4) * 0.5)
    keys, inferred = complete_keys(r, pd.Series([np.nan] * 4, index=ids))
    assert keys.tolist() in (truth.tolist(), (-truth).tolist()) and inferred.all()
    keys, inferred = complete_keys(r, pd.Series([-1, np.nan, np.nan, np.nan], index=ids))
    assert keys.tolist() == (-truth).tolist() and inferred.tolist() == [False, True, True, True]


def test_scale_predictions_formulas_and_notes():
    ids = ["a", "b", "c", "d", "e", "f"]
    r = np.full((6, 6), 0.3)
    r[:3, 3:] = r[3:, :3] = 0.1
    np.fill_diagonal(r, 1)
    item_r = _matrix(ids, r)
    members = pd.DataFrame({"item": ids + ["a"], "scale": ["S"] * 3 + ["T"] * 2 + ["U", "V"],
                            "key": [1, 1, 1, 1, 1, np.nan, 1]})
    scale_r, reliability, keys = scale_predictions(item_r, members)
    assert list(scale_r.index) == ["S", "T", "U", "V"]
    expected = 3 * 2 * 0.1 / np.sqrt((3 + 6 * 0.3) * (2 + 2 * 0.3))
    assert scale_r.loc["S", "T"] == pytest.approx(expected)
    rel = reliability.set_index("scale")
    assert rel.loc["S", "alpha"] == pytest.approx(3 * 0.3 / (1 + 2 * 0.3))
    assert rel.loc["S", "omega"] == pytest.approx(omega_from_item_correlations(item_r, pd.Series(1, index=ids[:3])))
    assert np.isnan(rel.loc["T", "omega"]) and "two items" in rel.loc["T", "note"]
    assert np.isnan(rel.loc["U", "alpha"]) and "one item" in rel.loc["U", "note"]
    assert keys.set_index(["item", "scale"]).loc[("f", "U"), "inferred"]


def test_omega_equals_alpha_for_equal_loadings():
    ids = list("abcd")
    r = _matrix(ids, np.full((4, 4), 0.36) + np.eye(4) * 0.64)
    alpha = 4 * 0.36 / (1 + 3 * 0.36)
    assert omega_from_item_correlations(r, pd.Series(1, index=ids)) == pytest.approx(alpha, abs=1e-4)


@pytest.mark.parametrize("k", [3, 8, 40])
def test_one_factor_loadings_equal_factor_analyzers_minres(k):
    import warnings

    from factor_analyzer import FactorAnalyzer

    from traitlens.psychometrics import one_factor_loadings

    rng = np.random.default_rng(k)
    lam = rng.uniform(0.3, 0.7, k)  # away from the Heywood bound, where the two handle the boundary differently
    noise = rng.normal(0, 0.05, (k, k))
    r = np.outer(lam, lam) + (noise + noise.T) / 2
    np.fill_diagonal(r, 1)
    model = FactorAnalyzer(n_factors=1, rotation=None, method="minres", is_corr_matrix=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(r)
    np.testing.assert_allclose(one_factor_loadings(r), np.abs(model.loadings_[:, 0]), atol=1e-4)


def test_shift_within_scales_adds_the_keyed_shift_to_scale_mates_only():
    from traitlens.analysis.correlations import shift_within_scales, within_signs

    r = np.array([[1.0, 0.1, 0.0, 0.2], [0.1, 1.0, -0.1, np.nan], [0.0, -0.1, 1.0, 0.95], [0.2, np.nan, 0.95, 1.0]])
    # scale S: items 0, 1 (+) and 2 (-); scale T: items 2 (+) and 3 (+); item 0 and 3 share nothing
    w = np.array([[1.0, 0.0], [1.0, 0.0], [-1.0, 1.0], [0.0, 1.0]])
    out = shift_within_scales(r, w, 0.1)
    np.testing.assert_allclose(np.diag(out), 1.0)
    assert out[0, 1] == pytest.approx(0.2) and out[0, 2] == pytest.approx(-0.1) and out[1, 2] == pytest.approx(-0.2)
    assert out[2, 3] == 1.0  # clipped
    assert out[0, 3] == 0.2 and np.isnan(out[1, 3])  # no shared scale; NaN stays NaN
    np.testing.assert_array_equal(out, out.T)
    # a pair keyed in opposite directions by two scales it shares is left alone
    mixed = within_signs(np.array([[1.0, 1.0], [1.0, -1.0]]))
    assert mixed.tolist() == [[0.0, 0.0], [0.0, 0.0]]
    with pytest.raises(InputError, match="weights"):
        shift_within_scales(r, w[:3], 0.1)


def test_scale_predictions_with_a_within_shift_raise_alpha_and_keep_the_keys():
    ids = ["a", "b", "c", "d"]
    r = np.full((4, 4), 0.1)
    r[3, :3] = r[:3, 3] = -0.1
    np.fill_diagonal(r, 1)
    members = pd.DataFrame({"item": ids, "scale": ["S"] * 4, "key": [1, 1, 1, np.nan]})
    _, plain, keys = scale_predictions(_matrix(ids, r), members)
    _, shifted, shifted_keys = scale_predictions(_matrix(ids, r), members, within_shift=0.2)
    assert keys["key"].tolist() == shifted_keys["key"].tolist() == [1, 1, 1, -1]
    assert plain.loc[0, "alpha"] == pytest.approx(4 * 0.1 / (1 + 3 * 0.1))
    assert shifted.loc[0, "alpha"] == pytest.approx(4 * 0.3 / (1 + 3 * 0.3))


def test_omega_of_a_singular_matrix_warns_nothing():
    import warnings

    ids = list("abc")
    # b and c correlate 1 (e.g. clipped after the within-scale shift): invertible, but a zero in the
    # inverse's diagonal, so no squared multiple correlation for a
    r = _matrix(ids, np.array([[1.0, 0.5, -0.5], [0.5, 1.0, 1.0], [-0.5, 1.0, 1.0]]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        omega = omega_from_item_correlations(r, pd.Series(1, index=ids))
    assert 0.0 <= omega <= 1.0
