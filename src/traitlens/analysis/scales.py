r"""Scale content and label embeddings and their similarities (pure: vectors in, arrays out).

Item vectors :math:`x_j` are first centred on a reference mean :math:`\bar x` (optional). Centring
removes the direction every sentence embedding shares (the anisotropy of transformer embeddings;
Mu & Viswanath, 2018, "all-but-the-top"), so that similarities reflect what distinguishes items
rather than that all are personality statements. With ``weights`` :math:`W` (scales × items; 1 for
a member, or its key ±1 for key-signed content), two content similarities of scales :math:`a, b`
(:data:`CONTENT_METHODS`):

``pairwise`` (default)
    The weighted mean cosine of their item pairs, with :math:`u_j = (x_j - \bar x) / \lVert x_j - \bar x \rVert`,

    .. math:: c_{ab} = \frac{\sum_i \sum_j W_{ai} W_{bj}\, u_i^\top u_j}{\sum_i |W_{ai}| \sum_j |W_{bj}|}
              = m_a^\top m_b, \qquad m_s = \frac{\sum_j W_{sj} u_j}{\sum_j |W_{sj}|}

    (diagonal set to 1). It equals the cosine of the mean vectors times their lengths
    :math:`\lVert m_a \rVert \lVert m_b \rVert`, which are large for coherent scales, and its expected
    value does not depend on the number of items, so scales of 2 and of 20 items compare fairly.
``mean`` (Wulff & Mata, 2025)
    The cosine of the weighted mean item vectors,

    .. math:: c_s = \frac{\sum_j W_{sj} (x_j - \bar x)}{\lVert \sum_j W_{sj} (x_j - \bar x) \rVert},
              \qquad c_{ab} = c_a^\top c_b.

On wulff_ipip_scales the pairwise mean ranks scale pairs that share half their items, with the shared
items removed, higher among pairs that share none (``benchmarks/results/jangle_content.md``).
A scale's *content embedding* (for maps and relabeling) is the unit direction of :math:`m_s`
(``pairwise``) or :math:`c_s` (``mean``). A scale's *label embedding* is the embedding of its label
(or label + definition).

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

#: Content similarities of scales (see the module documentation), default first.
CONTENT_METHODS = ("pairwise", "mean")


@dataclass(frozen=True)
class ScaleSimilarity:
    """Content and label similarities of every pair of scales.

    Attributes
    ----------
    scales, labels : tuple of str
        Scale ids and their labels, in matrix order.
    content : (S, S) array
        Content similarity of the scales (:func:`content_similarity`; diagonal 1).
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


def _centred(item_vectors: np.ndarray, weights: np.ndarray,
             center: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Item vectors minus ``center`` and the checked scales × items weights, both as float64."""
    x = np.asarray(item_vectors, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 2 or w.shape[1] != x.shape[0]:
        raise InputError(f"weights must be scales × {x.shape[0]} items; got shape {w.shape}")
    if center is not None:
        x = x - np.asarray(center, dtype=np.float64)
    return x, w


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
    x, w = _centred(item_vectors, weights, center)
    sums = w @ x / np.maximum(np.abs(w).sum(axis=1, keepdims=True), 1)
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    return sums / np.where(norms == 0, 1, norms)


def pairwise_means(item_vectors: np.ndarray, weights: np.ndarray, center: np.ndarray | None = None) -> np.ndarray:
    r"""Weighted means :math:`m_s` of the scales' unit (centred) item vectors; :math:`m_a^\top m_b` is ``pairwise``.

    Parameters
    ----------
    item_vectors : (n, d) array
    weights : (S, n) array
        Membership weights (1, or the key for key-signed content; 0 for non-members).
    center : (d,) array, optional
        Subtracted from every item vector before it is scaled to unit length (an item equal to the
        centre stays zero).

    Returns
    -------
    (S, d) array
        :math:`m_s = \sum_j W_{sj} u_j / \sum_j |W_{sj}|` (not unit: its length is the root of the
        scale's mean item-pair cosine, self-pairs included).

    Examples
    --------
    >>> x = np.array([[1.0, 0.0], [0.0, 2.0]])
    >>> pairwise_means(x, np.array([[1.0, 1.0], [1.0, 0.0]])).tolist()
    [[0.5, 0.5], [1.0, 0.0]]
    """
    x, w = _centred(item_vectors, weights, center)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    u = x / np.where(norms == 0, 1, norms)
    return w @ u / np.maximum(np.abs(w).sum(axis=1, keepdims=True), 1e-300)


def content_similarity(item_vectors: np.ndarray, weights: np.ndarray, center: np.ndarray | None = None,
                       method: str = "pairwise") -> tuple[np.ndarray, np.ndarray]:
    r"""Scale × scale content similarity by ``method`` (see the module documentation).

    Parameters
    ----------
    item_vectors : (n, d) array
    weights : (S, n) array
        Membership weights (1, or the key for key-signed content; 0 for non-members).
    center : (d,) array, optional
        Subtracted from every item vector first.
    method : {"pairwise", "mean"}
        ``pairwise``: mean cosine of the scales' item pairs, :math:`m_a^\top m_b`
        (:func:`pairwise_means`); ``mean``: cosine of the mean item vectors (:func:`scale_content`).

    Returns
    -------
    content : (S, S) array
        Diagonal 1.
    vectors : (S, d) array
        Unit content embeddings: the direction of :math:`m_s` or :math:`c_s`.

    Examples
    --------
    >>> x = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    >>> w = np.array([[1.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    >>> content_similarity(x, w, method="pairwise")[0].round(3).tolist()  # (0.707 + 0.707) / 2
    [[1.0, 0.707], [0.707, 1.0]]
    >>> content_similarity(x, w, method="mean")[0].round(3).tolist()
    [[1.0, 1.0], [1.0, 1.0]]
    """
    if method == "pairwise":
        means = pairwise_means(item_vectors, weights, center)
        content = means @ means.T
        norms = np.linalg.norm(means, axis=1, keepdims=True)
        vectors = means / np.where(norms == 0, 1, norms)
    elif method == "mean":
        vectors = scale_content(item_vectors, weights, center)
        content = cosine_matrix(vectors, vectors)
    else:
        raise InputError(f"unknown content method {method!r}; available: {', '.join(CONTENT_METHODS)}")
    np.fill_diagonal(content, 1.0)
    return content, vectors


def scale_similarity(scales: list[str], labels: list[str], item_vectors: np.ndarray, weights: np.ndarray,
                     label_vectors: np.ndarray, center: np.ndarray | None = None,
                     method: str = "pairwise", *, label_center: np.ndarray | None = None) -> ScaleSimilarity:
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
        Reference mean subtracted from item vectors.
    method : {"pairwise", "mean"}
        Content similarity (:func:`content_similarity`).
    label_center : (d,) array, optional
        Reference mean subtracted from label vectors (a mean of other labels), which puts label
        similarity on the scale of centred content similarity.

    Returns
    -------
    ScaleSimilarity
    """
    content, vectors = content_similarity(item_vectors, weights, center, method)
    lv = np.asarray(label_vectors, dtype=np.float64)
    if label_center is not None:
        lv = lv - np.asarray(label_center, dtype=np.float64)
    lv = lv / np.where(np.linalg.norm(lv, axis=1, keepdims=True) == 0, 1, np.linalg.norm(lv, axis=1, keepdims=True))
    label = cosine_matrix(lv, lv)
    same = np.equal.outer(np.asarray(labels, dtype=object), np.asarray(labels, dtype=object))
    label[same] = 1.0
    return ScaleSimilarity(tuple(scales), tuple(labels), content, label, vectors, lv)


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
        # n_jobs=1 as random_state implies (umap warns otherwise); on a small map fewer neighbours than points,
        # and a random start (the spectral one needs more points than dimensions + 1: 3 scales had crashed)
        return umap.UMAP(n_components=2, metric="cosine", random_state=seed, n_jobs=1,
                         n_neighbors=max(2, min(15, len(x) - 1)),
                         init="spectral" if len(x) > 10 else "random").fit_transform(x)
    raise InputError(f"unknown map method {method!r}; available: {', '.join(MAP_METHODS)}")
