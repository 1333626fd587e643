from __future__ import annotations

import numpy as np
import pytest

from traitlens.analysis.profiles import (
    assignment_frame,
    bipolar_profile,
    contrast_correlations,
    infer_keys,
    loading_table,
    orient_keys,
    pole_prototypes,
    profile_frame,
)
from traitlens.errors import InputError


def _profile(texts: np.ndarray):
    ex = np.array([[1.0, 0, 0], [0.9, 0.1, 0], [-1.0, 0, 0], [0, 1.0, 0]])
    return bipolar_profile([f"t{i}" for i in range(len(texts))], texts, ex, ["A", "A", "A", "B"], [1, 1, -1, 1],
                           ["A", "B"])


def test_prototypes_are_unit_means_per_pole_and_nan_without_exemplars():
    ex = np.array([[1.0, 0, 0], [0, 1.0, 0], [-1.0, 0, 0]])
    high, low = pole_prototypes(ex, ["A", "A", "A"], [1, 1, -1], ["A", "B"], center=np.zeros(3))
    assert high[0] == pytest.approx([2 ** -0.5, 2 ** -0.5, 0])
    assert low[0] == pytest.approx([-1, 0, 0])
    assert np.isnan(high[1]).all() and np.isnan(low[1]).all()


def test_bipolar_profile_direction_unipolar_and_headline():
    result = _profile(np.array([[1.0, 0, 0], [-1.0, 0.2, 0], [0, 1.0, 0]]))
    contrast, score, rel = result.contrast, result.score, result.relevance
    assert contrast[0, 0] > 0 > contrast[1, 0]  # toward the high / the low pole of A
    assert np.isnan(result.low[:, 1]).all() and contrast[2, 1] == pytest.approx(result.high[2, 1])  # unipolar B
    assert np.array_equal(np.sign(score[rel > 0]), np.sign(contrast[rel > 0]))  # the headline keeps the direction
    assert np.abs(score).argmax(axis=1).tolist() == np.nanargmax(rel, axis=1).tolist()  # ... and ranks like assign
    assert (score[rel <= 0] == 0).all()
    # high/low are cosines in centred space: recompute one independently
    ex = np.array([[1.0, 0, 0], [0.9, 0.1, 0], [-1.0, 0, 0], [0, 1.0, 0]])
    c = ex.mean(axis=0)
    t = np.array([1.0, 0, 0]) - c
    proto = (ex[:2] - c) / np.linalg.norm(ex[:2] - c, axis=1, keepdims=True)
    proto = proto.mean(axis=0)
    assert result.high[0, 0] == pytest.approx(t @ proto / np.linalg.norm(t) / np.linalg.norm(proto))


def test_profile_frame_columns_and_confidence():
    frame = profile_frame(_profile(np.array([[1.0, 0, 0], [-1.0, 0.2, 0]])))
    assert list(frame.columns) == ["text", "construct", "score", "contrast", "relevance", "high", "low",
                                   "confidence"]
    assert frame.groupby("text")["confidence"].sum().tolist() == pytest.approx([1.0, 1.0])
    assert len(frame) == 4 and frame["text"].tolist() == ["t0", "t0", "t1", "t1"]


def test_assignment_frame_margin_key_and_abstain():
    result = _profile(np.array([[1.0, 0, 0], [-1.0, 0.05, 0], [0.3, 0.3, 0]]))
    a = assignment_frame(result, min_margin=0.05)
    assert list(a.columns) == ["text", "construct", "key", "score", "margin", "confident", "key_confident"]
    assert a["construct"].tolist()[:2] == ["A", "A"] and a["key"].tolist()[:2] == [1, -1]
    rel = np.sort(result.relevance, axis=1)
    assert a["margin"].to_numpy() == pytest.approx(rel[:, -1] - rel[:, -2])
    assert a["confident"].tolist() == (a["margin"] >= 0.05).tolist()
    assert not assignment_frame(result, min_margin=5)["confident"].any()


def test_loading_table_is_the_wide_score_with_duplicates_once():
    result = bipolar_profile(["x", "x", "y"], np.eye(3)[[0, 0, 1]], np.eye(3), ["A", "B", "B"], [1, 1, -1],
                             ["A", "B"])
    table = loading_table(result)
    assert table.index.tolist() == ["x", "y"] and table.index.name == "text" and list(table.columns) == ["A", "B"]
    assert table.to_numpy() == pytest.approx(result.score[[0, 2]])


def test_contrast_correlations_are_signed():
    result = _profile(np.array([[1.0, 0.1, 0], [-1.0, -0.1, 0], [1.0, 0.1, 0.01]]))
    r = contrast_correlations(result)
    assert r[0, 1] < -0.9 and r[0, 2] > 0.9 and np.diag(r) == pytest.approx(1)
    with pytest.raises(InputError):
        contrast_correlations()


def test_axis_projection_equals_contrast():
    result = _profile(np.array([[0.3, 0.8, 0.5], [-0.7, 0.1, 0.2]]))
    from traitlens.analysis.profiles import centre

    t = centre(np.array([[0.3, 0.8, 0.5], [-0.7, 0.1, 0.2]]), result.center)
    assert t @ result.axis("A") == pytest.approx(result.contrast[:, 0])
    with pytest.raises(InputError, match="not one of"):
        result.axis("C")


def test_orient_keys_rule():
    keys, proj = orient_keys(np.array([0.5, -0.2, 0.1]))
    assert keys.tolist() == [1, -1, 1] and proj.tolist() == [0.5, -0.2, 0.1]
    keys, proj = orient_keys(np.array([0.5, -0.2, 0.1]), known=np.array([-1, np.nan, np.nan]))
    assert keys.tolist() == [-1, 1, -1] and proj[0] == -0.5  # the known key flips the axis
    keys, _ = orient_keys(np.array([-0.5, -0.2, 0.1]), majority=True)
    assert keys.tolist() == [1, 1, -1]


def test_infer_keys_pca_and_known_keys():
    rng = np.random.default_rng(0)
    axis = rng.standard_normal(8)
    truth = np.array([1, 1, -1, 1, -1, 1])
    x = truth[:, None] * axis + 0.1 * rng.standard_normal((6, 8))
    keys, proj = infer_keys(x)
    assert abs(np.mean(keys == truth) - 0.5) == 0.5  # right up to one global sign
    assert keys.sum() >= 0  # orientation: most items +1
    assert (np.sign(proj) == keys).all()
    oriented, _ = infer_keys(x, known=[-1, np.nan, np.nan, np.nan, np.nan, np.nan])
    assert oriented[0] == -1 and (oriented[1:] == -truth[1:]).all()
    given, _ = infer_keys(x, axis=-axis)
    assert (given == -truth).all()


def test_key_confident_marks_keys_whose_poles_nearly_tie():
    from traitlens.analysis.profiles import BipolarProfile, assignment_frame

    high = np.array([[0.50, 0.10], [0.30, 0.12], [0.05, 0.40]])
    low = np.array([[0.10, 0.05], [0.28, 0.02], [0.02, 0.55]])
    result = BipolarProfile(("a", "b", "c"), ("X", "Y"), high, low, np.zeros(3), np.eye(2, 3), np.eye(2, 3))
    frame = assignment_frame(result, 0.0, min_key_contrast=0.1)
    assert frame["construct"].tolist() == ["X", "X", "Y"] and frame["key"].tolist() == [1, 1, -1]
    assert frame["key_confident"].tolist() == [True, False, True]  # contrasts .40, .02, -.15
