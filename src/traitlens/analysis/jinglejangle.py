r"""Jingle and jangle fallacies among scales: compare what scales contain with what they are called (pure).

A *jangle* is a pair of scales with different labels but similar content; a *jingle* a pair with
the same (or similar) labels but different content (Kelley, 1927; Thorndike, 1904). Given the
content similarity :math:`c_{ab}` and the label similarity :math:`l_{ab}` of every unordered pair
(:class:`~traitlens.analysis.scales.ScaleSimilarity`), two rules flag pairs:

``percentile`` (Wulff & Mata, 2025)
    Cut each similarity at a percentile of its own distribution over all pairs:
    jangle if :math:`c_{ab} \ge P_{p_c}(c)` and :math:`l_{ab} < P_{p_l}(l)` (content among the most
    similar pairs, labels not); jingle if :math:`l_{ab} \ge P_{p_l}(l)` (identical labels always
    count) and :math:`c_{ab} < P_{p_j}(c)`. Defaults :math:`p_c = .95`, :math:`p_l = .99`,
    :math:`p_j = .80`.
``difference`` (semanticfa)
    jangle if :math:`c_{ab} - l_{ab} \ge \delta`, jingle if :math:`l_{ab} - c_{ab} \ge \delta`;
    default :math:`\delta = 0.20`. A fixed :math:`\delta` assumes content and label similarity on
    one scale: use the cosine of mean vectors (``content="mean"``), not the pairwise mean
    (:mod:`traitlens.analysis.scales`), whose values are smaller, and centre the labels as the items
    are (``center_labels`` of the engine's ``scale_similarity``, which the public ``jingle_jangle``
    sets with this rule: raw label cosines of unrelated construct names are about .25, so against
    centred content most pairs would be jingles); the percentile rule uses ranks and takes either.

A pair with identical labels is never a jangle.

References
----------
Wulff, D. U., & Mata, R. (2025). Semantic embeddings reveal and address taxonomic
incommensurability in psychological measurement. *Nature Human Behaviour, 9*, 944–954.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from traitlens.analysis.scales import ScaleSimilarity
from traitlens.errors import InputError

#: Output columns of :func:`classify_pairs`, in order.
JINGLE_JANGLE_COLUMNS = ["scale_a", "scale_b", "label_a", "label_b", "content_similarity", "label_similarity", "type"]
RULES = ("percentile", "difference")
DEFAULT_CONTENT_PERCENTILE = 0.95
DEFAULT_LABEL_PERCENTILE = 0.99
DEFAULT_JINGLE_PERCENTILE = 0.80
DEFAULT_DIFFERENCE = 0.20


def _fraction(name: str, value: float) -> float:
    value = float(value)
    if not 0 < value < 1:
        raise InputError(f"{name} must be a fraction between 0 and 1 (e.g. 0.95 for the 95th percentile); got {value}")
    return value


def thresholds(content: np.ndarray, label: np.ndarray, rule: str, *,
               content_percentile: float = DEFAULT_CONTENT_PERCENTILE,
               label_percentile: float = DEFAULT_LABEL_PERCENTILE,
               jingle_percentile: float = DEFAULT_JINGLE_PERCENTILE,
               difference: float = DEFAULT_DIFFERENCE) -> dict[str, Any]:
    """The cut-offs a rule uses on these pair similarities (recorded in the provenance).

    Parameters
    ----------
    content, label : (m,) arrays
        Content and label similarity of every unordered pair.
    rule : {"percentile", "difference"}

    Returns
    -------
    dict
        ``rule`` and its parameters; for ``percentile`` also the similarity values of the cuts.
    """
    if rule == "percentile":
        pc, pl, pj = (_fraction("content_percentile", content_percentile),
                      _fraction("label_percentile", label_percentile),
                      _fraction("jingle_percentile", jingle_percentile))
        return {"rule": rule, "content_percentile": pc, "label_percentile": pl, "jingle_percentile": pj,
                "content_cut": float(np.quantile(content, pc)), "label_cut": float(np.quantile(label, pl)),
                "jingle_content_cut": float(np.quantile(content, pj))}
    if rule == "difference":
        if not 0 < float(difference) < 2:
            raise InputError(f"difference must be between 0 and 2; got {difference}")
        return {"rule": rule, "difference": float(difference)}
    raise InputError(f"unknown rule {rule!r}; available: {', '.join(RULES)}")


def pair_types(content: np.ndarray, label: np.ndarray, same_label: np.ndarray, cuts: dict[str, Any]) -> np.ndarray:
    """``"jingle"``, ``"jangle"`` or ``"none"`` for every pair, by the rule and cut-offs in ``cuts``."""
    if cuts["rule"] == "percentile":
        jangle = (content >= cuts["content_cut"]) & (label < cuts["label_cut"]) & ~same_label
        jingle = ((label >= cuts["label_cut"]) | same_label) & (content < cuts["jingle_content_cut"])
    else:
        jangle = (content - label >= cuts["difference"]) & ~same_label
        jingle = label - content >= cuts["difference"]
    return np.where(jangle, "jangle", np.where(jingle, "jingle", "none"))


def classify_pairs(sim: ScaleSimilarity, rule: str = "percentile", **parameters: float) -> tuple[pd.DataFrame,
                                                                                                   dict[str, Any]]:
    """Every unordered scale pair with its content and label similarity and its fallacy type.

    Parameters
    ----------
    sim : ScaleSimilarity
    rule : {"percentile", "difference"}
    **parameters
        ``content_percentile``, ``label_percentile``, ``jingle_percentile`` (percentile rule) or
        ``difference`` (difference rule); see the module documentation.

    Returns
    -------
    pairs : DataFrame
        :data:`JINGLE_JANGLE_COLUMNS`, pairs in matrix order (``scale_a`` before ``scale_b``).
    cuts : dict
        The rule and cut-offs used (see :func:`thresholds`).

    Examples
    --------
    >>> from traitlens.analysis.scales import scale_similarity
    >>> x = np.eye(3)
    >>> s = scale_similarity(["a", "b", "c"], ["A", "B", "A"], x, np.eye(3), x)
    >>> classify_pairs(s, "difference")[0]["type"].tolist()
    ['none', 'jingle', 'none']
    """
    a, b = np.triu_indices(len(sim.scales), k=1)
    content, label = sim.content[a, b], sim.label[a, b]
    labels = np.asarray(sim.labels, dtype=object)
    same = labels[a] == labels[b]
    cuts = thresholds(content, label, rule, **parameters)
    scales = np.asarray(sim.scales, dtype=object)
    frame = pd.DataFrame({"scale_a": scales[a], "scale_b": scales[b], "label_a": labels[a], "label_b": labels[b],
                          "content_similarity": content, "label_similarity": label,
                          "type": pair_types(content, label, same, cuts)})
    return frame, cuts


def sensitivity_grid(sim: ScaleSimilarity, content_percentiles: Sequence[float] = (0.80, 0.90, 0.95, 0.98, 0.99),
                     label_percentiles: Sequence[float] = (0.80, 0.90, 0.95, 0.99),
                     jingle_percentile: float = DEFAULT_JINGLE_PERCENTILE) -> pd.DataFrame:
    """How many pairs the percentile rule flags at each combination of cut-offs.

    Returns
    -------
    DataFrame
        ``content_percentile, label_percentile, n_jangle, n_jingle, jangle_share, jingle_share`` (the
        shares are fractions of all pairs).
    """
    a, b = np.triu_indices(len(sim.scales), k=1)
    content, label = sim.content[a, b], sim.label[a, b]
    labels = np.asarray(sim.labels, dtype=object)
    same = labels[a] == labels[b]
    rows = []
    for pc in content_percentiles:
        for pl in label_percentiles:
            cuts = thresholds(content, label, "percentile", content_percentile=pc, label_percentile=pl,
                              jingle_percentile=jingle_percentile)
            kinds = pair_types(content, label, same, cuts)
            n_jangle, n_jingle = int((kinds == "jangle").sum()), int((kinds == "jingle").sum())
            rows.append((pc, pl, n_jangle, n_jingle, n_jangle / len(kinds), n_jingle / len(kinds)))
    return pd.DataFrame(rows, columns=["content_percentile", "label_percentile", "n_jangle", "n_jingle",
                                       "jangle_share", "jingle_share"])


# Relabeling: one label per content cluster.
CLUSTER_METHODS = ("hierarchical", "community")


def cluster_scales(content: np.ndarray, method: str = "hierarchical", n_clusters: int | str = "auto", *,
                   max_clusters: int | None = None, seed: int = 0) -> tuple[np.ndarray, dict[str, Any]]:
    """Cluster scales by content similarity.

    Parameters
    ----------
    content : (S, S) array
        Content similarity (cosine) of the scales.
    method : {"hierarchical", "community"}
        ``hierarchical``: average-linkage agglomerative clustering of the cosine distances
        (scikit-learn); ``n_clusters="auto"`` takes the count with the largest mean silhouette
        (Rousseeuw, 1987) between 2 and ``max_clusters`` (default S // 2). ``community``: Louvain
        communities (networkx; Blondel et al., 2008) of the graph linking every scale to the pairs
        above the 95th percentile of content similarity (weights = similarity); the count is what
        modularity finds (``n_clusters`` must be ``"auto"``).
    seed : int

    Returns
    -------
    clusters : (S,) int array
    info : dict
        ``method``, ``n_clusters``, ``criterion`` and its value.
    """
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.metrics import silhouette_score

    s = np.asarray(content, dtype=np.float64)
    n = s.shape[0]
    distance = np.clip(1 - s, 0, 2)
    np.fill_diagonal(distance, 0)
    if method == "hierarchical":
        def fit(k: int) -> np.ndarray:
            return AgglomerativeClustering(n_clusters=k, metric="precomputed", linkage="average").fit_predict(distance)

        if n_clusters == "auto":
            top = max_clusters or max(2, n // 2)
            scores = {k: float(silhouette_score(distance, labels, metric="precomputed"))
                      for k in range(2, min(top, n - 1) + 1) if len(set(labels := fit(k))) > 1}
            if not scores:
                raise InputError(f"too few scales ({n}) to choose a cluster count")
            k = max(scores, key=scores.__getitem__)
            return fit(k), {"method": method, "n_clusters": k, "criterion": "max mean silhouette",
                            "silhouette": scores[k]}
        if not isinstance(n_clusters, int) or not 1 <= n_clusters <= n:
            raise InputError(f"n_clusters must be between 1 and {n} or 'auto'; got {n_clusters!r}")
        labels = fit(n_clusters)
        sil = float(silhouette_score(distance, labels, metric="precomputed")) if 1 < n_clusters < n else float("nan")
        return labels, {"method": method, "n_clusters": n_clusters, "criterion": "given", "silhouette": sil}
    if method == "community":
        import networkx as nx

        if n_clusters != "auto":
            raise InputError("the community method finds its own cluster count: use n_clusters='auto'")
        a, b = np.triu_indices(n, k=1)
        cut = float(np.quantile(s[a, b], 0.95))
        graph = nx.Graph()
        graph.add_nodes_from(range(n))
        keep = s[a, b] >= cut
        graph.add_weighted_edges_from(zip(a[keep].tolist(), b[keep].tolist(), s[a, b][keep].tolist(), strict=True))
        communities = nx.community.louvain_communities(graph, weight="weight", seed=seed)
        labels = np.empty(n, dtype=int)
        for c, members in enumerate(sorted(communities, key=lambda m: (-len(m), min(m)))):
            labels[list(members)] = c
        return labels, {"method": method, "n_clusters": len(communities), "criterion": "Louvain modularity",
                        "modularity": float(nx.community.modularity(graph, communities, weight="weight")),
                        "edge_cut": cut}
    raise InputError(f"unknown cluster method {method!r}; available: {', '.join(CLUSTER_METHODS)}")


def assign_cluster_labels(scale_label: np.ndarray, clusters: np.ndarray) -> np.ndarray:
    r"""One distinct label per cluster: maximum-weight bipartite assignment of clusters to labels.

    The weight of cluster :math:`k` and label :math:`l` is :math:`\sum_{s \in k} \cos(c_s, e_l)`,
    the summed similarity of the cluster's scales to the label (Hungarian algorithm, scipy).

    Parameters
    ----------
    scale_label : (S, L) array
        Similarity of every scale's content to every candidate label.
    clusters : (S,) int array
        Cluster of each scale (0 … K-1), K ≤ L.

    Returns
    -------
    (K,) int array
        Index of the label given to each cluster.

    Examples
    --------
    >>> assign_cluster_labels(np.array([[.9, .8], [.8, .1], [.2, .7]]), np.array([0, 0, 1])).tolist()
    [0, 1]
    """
    from scipy.optimize import linear_sum_assignment

    clusters = np.asarray(clusters)
    k = int(clusters.max()) + 1
    if k > scale_label.shape[1]:
        raise InputError(f"{k} clusters but only {scale_label.shape[1]} labels to give them")
    weight = np.vstack([scale_label[clusters == c].sum(axis=0) for c in range(k)])
    rows, cols = linear_sum_assignment(weight, maximize=True)
    out = np.empty(k, dtype=int)
    out[rows] = cols
    return out


def relabel(sim: ScaleSimilarity, method: str = "hierarchical", n_clusters: int | str = "auto", *,
            seed: int = 0, **rule: float) -> tuple[pd.DataFrame, dict[str, Any]]:
    """A relabeled taxonomy: cluster scales by content, give each cluster one of the existing labels.

    Candidate labels are the collection's own; a scale's fit to a label is the cosine of its content
    embedding with the label embedding, both centred on their means. Clusters come from
    :func:`cluster_scales`, labels from :func:`assign_cluster_labels`. The fallacies left are counted
    by the percentile rule with the cut-offs of the original labels (``**rule`` as in
    :func:`classify_pairs`).

    Returns
    -------
    frame : DataFrame
        ``scale, label, new_label, cluster, fit`` (``fit``: cosine of the scale with its new label),
        one row per scale, by cluster.
    summary : dict
        Clustering (method, count, criterion; ``max_clusters``, the largest count ``auto`` tries: half
        the scales, at most the number of labels), labels before/after, fallacies before/after, and
        ``scales_with_negative_fit`` (scales whose new label is further from their content than the
        average label: the clusters are too coarse for the labels there are).
    """
    labels = np.asarray(sim.labels, dtype=object)
    unique, first = np.unique(labels, return_index=True)
    label_vectors = sim.label_vectors[first]
    centred = label_vectors - label_vectors.mean(axis=0)
    centred /= np.where(np.linalg.norm(centred, axis=1, keepdims=True) == 0, 1,
                        np.linalg.norm(centred, axis=1, keepdims=True))
    scale_label = sim.content_vectors @ centred.T
    # at most half the scales (a relabeling merges), and never more clusters than labels to name them
    top = max(2, min(len(sim.scales) // 2, len(unique)))
    clusters, info = cluster_scales(sim.content, method, n_clusters, max_clusters=top, seed=seed)
    chosen = assign_cluster_labels(scale_label, clusters)
    new = unique[chosen[clusters]]
    before, cuts = classify_pairs(sim, "percentile", **rule)
    where = {label: i for i, label in enumerate(unique)}
    new_vectors = label_vectors[[where[label] for label in new]]
    relabeled = ScaleSimilarity(sim.scales, tuple(new), sim.content, new_vectors @ new_vectors.T,
                                sim.content_vectors, new_vectors)
    np.fill_diagonal(relabeled.label, 1.0)
    relabeled.label[np.equal.outer(new, new)] = 1.0
    a, b = np.triu_indices(len(new), k=1)
    after = pair_types(relabeled.content[a, b], relabeled.label[a, b], new[a] == new[b], cuts)
    frame = pd.DataFrame({"scale": sim.scales, "label": labels, "new_label": new, "cluster": clusters,
                          "fit": scale_label[np.arange(len(new)), chosen[clusters]]})
    frame = frame.sort_values(["cluster", "fit"], ascending=[True, False], ignore_index=True)
    summary = {**info, "n_labels_before": len(unique), "n_labels_after": int(len(set(new))),
               "max_clusters": top if n_clusters == "auto" and method == "hierarchical" else None,
               "scales_with_negative_fit": int((frame["fit"] < 0).sum()),
               "fallacies_before": {t: int((before["type"] == t).sum()) for t in ("jangle", "jingle")},
               "fallacies_after": {t: int((after == t).sum()) for t in ("jangle", "jingle")}, "thresholds": cuts}
    return frame, summary
