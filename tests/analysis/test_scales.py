"""Scale content and label embeddings (pure)."""

from __future__ import annotations

import numpy as np
import pytest

from traitlens.analysis.scales import map_coordinates, scale_content, scale_similarity
from traitlens.errors import InputError


def test_scale_content_is_the_normalised_weighted_mean():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 4))
    w = np.array([[1, 1, 0, 0, 0, 0], [0, 0, 1, -1, 1, 0]], dtype=float)
    center = x.mean(axis=0)
    got = scale_content(x, w, center)
    expected = np.array([((x[0] - center) + (x[1] - center)) / 2,
                         ((x[2] - center) - (x[3] - center) + (x[4] - center)) / 3])
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    np.testing.assert_allclose(got, expected)


def test_scale_content_checks_shapes():
    with pytest.raises(InputError, match="weights"):
        scale_content(np.ones((3, 2)), np.ones((2, 4)))


def test_identical_labels_have_similarity_one_and_content_is_cosine():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 8))
    labels = rng.standard_normal((3, 8))
    sim = scale_similarity(["a", "b", "c"], ["X", "X", "Y"], x, np.array([[1, 1, 0, 0], [0, 1, 1, 0],
                                                                          [0, 0, 0, 1.0]]), labels)
    assert sim.label[0, 1] == 1.0
    c = sim.content_vectors
    np.testing.assert_allclose(sim.content, c @ c.T, atol=1e-12)
    assert abs(sim.label[0, 2] - labels[0] @ labels[2] / np.linalg.norm(labels[0]) / np.linalg.norm(labels[2])) < 1e-12


@pytest.mark.parametrize("method", ["pca", "mds"])
def test_map_coordinates_separate_two_clusters(method):
    rng = np.random.default_rng(2)
    x = np.vstack([rng.normal(0, 0.05, (5, 10)) + np.eye(10)[0], rng.normal(0, 0.05, (5, 10)) + np.eye(10)[1]])
    xy = map_coordinates(x, method)
    assert xy.shape == (10, 2)
    within = np.linalg.norm(xy[:5] - xy[:5].mean(0), axis=1).max()
    between = np.linalg.norm(xy[:5].mean(0) - xy[5:].mean(0))
    assert between > 3 * within


def test_map_coordinates_unknown_method():
    with pytest.raises(InputError, match="unknown map method"):
        map_coordinates(np.eye(4), "tsne")
