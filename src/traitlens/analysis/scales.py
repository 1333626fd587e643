r"""Scale content and label embeddings and their similarities (pure: vectors in, arrays out).

A scale's *content embedding* is the mean of its items' embeddings (Wulff & Mata, 2025): with
``weights`` :math:`W` (scales × items; 1 for a member, or its key ±1 for key-signed content) and
item vectors :math:`x_j`, optionally centred on a reference mean :math:`\bar x`,

.. math:: c_s = \frac{\sum_j W_{sj} (x_j - \bar x)}{\lVert \sum_j W_{sj} (x_j - \bar x) \rVert}.

Centring removes the direction every sentence embedding shares (the anisotropy of transformer
embeddings; Mu & Viswanath, 2018, "all-but-the-top"), so that the cosine of two scale means
reflects what distinguishes their items rather than that both are personality statements. A
scale's *label embedding* is the embedding of its label (or label + definition).

References
----------
Wulff, D. U., & Mata, R. (2025). Semantic embeddings reveal and address taxonomic
incommensurability in psychological measurement. *Nature Human Behaviour, 9*, 944–954.
Mu, J., & Viswanath, P. (2018). All-but-the-top: simple and effective postprocessing for word
representations. *ICLR*.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from traitlens.analysis.similarity import cosine_matrix
from traitlens.errors import InputError


@dataclass(frozen=True)
class ScaleSimilarity:
    """Content and label similarities of every pair of scales.

    Attributes
    ----------
    scales, labels : tuple of str
        Scale ids and their labels, in matrix order.
    content : (S, S) array
        Cosine of the scales' content embeddings.
    label : (S, S) array
        Cosine of the scales' label embeddings (1 for identical labels).
    content_vectors, label_vectors : (S, d) arrays
        Unit content and label embeddings.
    """

    scales: tuple[str, ...]
    labels: tuple[str, ...]
    content: np.ndarray
    label: np.ndarray
    content_vectors: np.ndarray
    label_vectors: np.ndarray


def scale_content(item_vectors: np.ndarray, weights: np.ndarray, center: np.ndarray | None = None) -> np.ndarray:
    """Unit content embeddings of scales: the weighted mean of their (centred) item vectors.

    Parameters
    ----------
    item_vectors : (n, d) array
    weights : (S, n) array
        Membership weights (1, or the key for key-signed content; 0 for non-members).
    center : (d,) array, optional
        Subtracted from every item vector first.

    Returns
    -------
    (S, d) array
        Unit rows (a zero row stays zero).

    Examples
    --------
    >>> x = np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> scale_content(x, np.array([[1.0, 1.0], [1.0, 0.0]])).round(3).tolist()
    [[0.707, 0.707], [1.0, 0.0]]
    """
    x = np.asarray(item_vectors, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 2 or w.shape[1] != x.shape[0]:
        raise InputError(f"weights must be scales × {x.shape[0]} items; got shape {w.shape}")
    if center is not None:
        x = x - np.asarray(center, dtype=np.float64)
    sums = w @ x / np.maximum(np.abs(w).sum(axis=1, keepdims=True), 1)
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    return sums / np.where(norms == 0, 1, norms)


def scale_similarity(scales: list[str], labels: list[str], item_vectors: np.ndarray, weights: np.ndarray,
                     label_vectors: np.ndarray, center: np.ndarray | None = None) -> ScaleSimilarity:
    """Scale × scale content and label similarity.

    Parameters
    ----------
    scales, labels : list of str
        One per row of ``weights``.
    item_vectors : (n, d) array
    weights : (S, n) array
        See :func:`scale_content`.
    label_vectors : (S, d) array
        The embedding of each scale's label (or label + definition).
    center : (d,) array, optional
        Reference mean subtracted from item vectors (not from labels).

    Returns
    -------
    ScaleSimilarity
    """
    content = scale_content(item_vectors, weights, center)
    lv = np.asarray(label_vectors, dtype=np.float64)
    lv = lv / np.where(np.linalg.norm(lv, axis=1, keepdims=True) == 0, 1, np.linalg.norm(lv, axis=1, keepdims=True))
    label = cosine_matrix(lv, lv)
    same = np.equal.outer(np.asarray(labels, dtype=object), np.asarray(labels, dtype=object))
    label[same] = 1.0
    return ScaleSimilarity(tuple(scales), tuple(labels), cosine_matrix(content, content), label, content, lv)


MAP_METHODS = ("pca", "mds", "umap")


def map_coordinates(vectors: np.ndarray, method: str = "pca", *, seed: int = 0) -> np.ndarray:
    r"""2-D coordinates of unit vectors (items or scale contents) for a map.

    Parameters
    ----------
    vectors : (n, d) array
    method : {"pca", "mds", "umap"}
        ``pca``: the first two principal components (scikit-learn); ``mds``: metric MDS of the
        cosine distances :math:`1 - \cos` (scikit-learn); ``umap``: UMAP with the cosine metric
        (needs ``umap-learn``).
    seed : int

    Returns
    -------
    (n, 2) array
    """
    x = np.asarray(vectors, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] < 3:
        raise InputError(f"a map needs at least 3 vectors; got shape {x.shape}")
    if method == "pca":
        from sklearn.decomposition import PCA

        return PCA(n_components=2, random_state=seed).fit_transform(x)
    if method == "mds":
        from sklearn.manifold import MDS

        distances = np.clip(1 - cosine_matrix(x, x), 0, 2)
        np.fill_diagonal(distances, 0)
        return MDS(n_components=2, dissimilarity="precomputed", random_state=seed, n_init=1,
                   normalized_stress="auto").fit_transform(distances)
    if method == "umap":
        try:
            import umap
        except ImportError:
            raise InputError("method 'umap' needs umap-learn: pip install umap-learn") from None
        return umap.UMAP(n_components=2, metric="cosine", random_state=seed).fit_transform(x)
    raise InputError(f"unknown map method {method!r}; available: {', '.join(MAP_METHODS)}")
