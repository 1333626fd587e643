"""Scale content and label embeddings (pure)."""

from __future__ import annotations

import numpy as np
import pytest

from traitlens.analysis.scales import (
    content_similarity,
    map_coordinates,
    pairwise_means,
    scale_content,
    scale_similarity,
)
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


def pairwise_by_loops(x: np.ndarray, w: np.ndarray, center: np.ndarray | None) -> np.ndarray:
    """The pairwise content similarity spelled out: weighted mean cosine over item pairs, diagonal 1."""
    xc = x if center is None else x - center
    n_scales = len(w)
    out = np.eye(n_scales)
    for a in range(n_scales):
        for b in range(n_scales):
            if a == b:
                continue
            total = 0.0
            for i in np.flatnonzero(w[a]):
                for j in np.flatnonzero(w[b]):
                    cos = xc[i] @ xc[j] / np.linalg.norm(xc[i]) / np.linalg.norm(xc[j])
                    total += w[a, i] * w[b, j] * cos
            out[a, b] = total / np.abs(w[a]).sum() / np.abs(w[b]).sum()
    return out


@pytest.mark.parametrize("signed", [False, True])
@pytest.mark.parametrize("centred", [False, True])
def test_pairwise_content_is_the_mean_item_pair_cosine(signed, centred):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((9, 6))
    w = (rng.uniform(size=(5, 9)) < 0.45).astype(float)
    w[np.arange(5), rng.integers(0, 9, 5)] = 1  # no empty scale
    if signed:
        w *= rng.choice([-1.0, 1.0], size=w.shape)
    center = x[:4].mean(axis=0) if centred else None
    content, vectors = content_similarity(x, w, center, "pairwise")
    np.testing.assert_allclose(content, pairwise_by_loops(x, w, center), atol=1e-12)
    means = pairwise_means(x, w, center)
    np.testing.assert_allclose(vectors, means / np.linalg.norm(means, axis=1, keepdims=True))
    # = cosine of the means times their lengths off the diagonal
    norms = np.linalg.norm(means, axis=1)
    cosine = vectors @ vectors.T * np.outer(norms, norms)
    off = ~np.eye(5, dtype=bool)
    np.testing.assert_allclose(content[off], cosine[off], atol=1e-12)


def test_mean_content_is_the_cosine_of_the_mean_vectors():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((7, 5))
    w = np.array([[1, 1, 1, 0, 0, 0, 0], [0, 0, 1, 1, 0, 0, 0], [0, 0, 0, 0, 1, 1, 1.0]])
    center = x.mean(axis=0)
    content, vectors = content_similarity(x, w, center, "mean")
    means = np.vstack([(x[w[s] > 0] - center).mean(axis=0) for s in range(3)])
    means /= np.linalg.norm(means, axis=1, keepdims=True)
    np.testing.assert_allclose(content, means @ means.T, atol=1e-12)
    np.testing.assert_allclose(vectors, means)


def test_pairwise_content_does_not_favour_larger_scales():
    """Two scales drawing items from one topic: the mean-vector cosine grows with scale size, the pairwise mean not."""
    rng = np.random.default_rng(7)
    topic = rng.standard_normal(64)
    x = topic + 1.5 * rng.standard_normal((200, 64))
    small = np.zeros((2, 200))
    small[0, :2], small[1, 2:4] = 1, 1
    large = np.zeros((2, 200))
    large[0, 4:54], large[1, 54:104] = 1, 1
    pair = {method: [content_similarity(x, w, method=method)[0][0, 1] for w in (small, large)]
            for method in ("pairwise", "mean")}
    assert pair["mean"][1] > pair["mean"][0] + 0.3
    assert abs(pair["pairwise"][1] - pair["pairwise"][0]) < 0.15


def test_content_similarity_unknown_method():
    with pytest.raises(InputError, match="unknown content method"):
        content_similarity(np.eye(3), np.eye(3), method="max")


def test_identical_labels_have_similarity_one_and_content_is_pairwise_by_default():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 8))
    labels = rng.standard_normal((3, 8))
    w = np.array([[1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 0, 1.0]])
    sim = scale_similarity(["a", "b", "c"], ["X", "X", "Y"], x, w, labels)
    assert sim.label[0, 1] == 1.0
    np.testing.assert_allclose(sim.content, pairwise_by_loops(x, w, None), atol=1e-12)
    old = scale_similarity(["a", "b", "c"], ["X", "X", "Y"], x, w, labels, method="mean")
    c = old.content_vectors
    np.testing.assert_allclose(old.content, c @ c.T, atol=1e-12)
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


@pytest.mark.parametrize("n", [3, 5, 40])
def test_umap_maps_small_collections_quietly(n):
    """Three scales had crashed UMAP's spectral start; smaller maps warned about neighbours and n_jobs."""
    pytest.importorskip("umap")
    import warnings

    from traitlens.analysis.scales import map_coordinates

    vectors = np.random.default_rng(0).standard_normal((n, 16))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        coords = map_coordinates(vectors, "umap")
    assert coords.shape == (n, 2) and np.isfinite(coords).all()
