r"""Redundant items and short forms, from predicted item correlations and embeddings (pure).

* **Near-duplicates**: item pairs whose embedding cosine is at least a threshold (semanticfa's
  redundancy check), or whose texts differ only in case, punctuation and spacing: the same content
  asked twice.
* **Short forms**: per scale, keep the ``k`` most central items — the largest mean keyed predicted
  correlation with the scale's other items (:math:`\bar r_{i,S\setminus i} = \frac{1}{|S|-1}
  \sum_{j \ne i} k_i k_j \hat r_{ij}`) — and report what the short form keeps: the predicted
  correlation of the short and the full composite, :math:`r(A, F) = k_A^\top \hat R k_F /
  \sqrt{k_A^\top \hat R k_A \; k_F^\top \hat R k_F}` (classical test theory; the same composite
  formula as :func:`traitlens.psychometrics.scale_correlations_from_items`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from traitlens.errors import InputError

DUPLICATE_COLUMNS = ["item_a", "item_b", "similarity", "same_text"]
SHORT_FORM_COLUMNS = ["scale", "item", "key", "centrality", "rank", "kept"]


def near_duplicates(similarity: np.ndarray, items: Sequence[str], threshold: float = 0.90,
                    same_text: Sequence[str] | None = None) -> pd.DataFrame:
    """Item pairs with similarity at or above ``threshold``, or the same text, most similar first.

    Parameters
    ----------
    similarity : (n, n) array
        Embedding cosine (or |predicted r|) of the items.
    items : sequence of str
        Item labels.
    threshold : float, default 0.90
    same_text : sequence of str, optional
        A key per item (its normalised text: case, punctuation and spacing ignored); two items with one
        key are duplicates whatever their similarity ("I am happy." and "I am happy!" are .89 apart
        under all-MiniLM-L6-v2).

    Returns
    -------
    DataFrame
        :data:`DUPLICATE_COLUMNS`; ``same_text`` says whether the pair has one key.

    Examples
    --------
    >>> near_duplicates(np.array([[1, .95, .2], [.95, 1, .1], [.2, .1, 1]]), ["a", "b", "c"])["item_b"].tolist()
    ['b']
    """
    if not -1 <= float(threshold) <= 1:
        raise InputError(f"threshold must be between -1 and 1; got {threshold}")
    s = np.asarray(similarity, dtype=np.float64)
    a, b = np.triu_indices(len(items), k=1)
    keys = np.asarray(list(same_text) if same_text is not None else range(len(items)), dtype=object)
    if len(keys) != len(items):
        raise InputError(f"same_text has {len(keys)} entries for {len(items)} items")
    same = keys[a] == keys[b]
    keep = (s[a, b] >= threshold) | same
    names = np.asarray(items, dtype=object)
    out = pd.DataFrame({"item_a": names[a[keep]], "item_b": names[b[keep]], "similarity": s[a, b][keep],
                        "same_text": same[keep].astype(bool)})
    return out.sort_values("similarity", ascending=False, ignore_index=True)


def composite_correlation(r: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    """Predicted correlation of two unit-weighted composites with weight vectors ``a`` and ``b``."""
    return float(a @ r @ b / np.sqrt((a @ r @ a) * (b @ r @ b)))


def short_form(r: np.ndarray, items: Sequence[str], memberships: pd.DataFrame, k: int = 4) -> tuple[pd.DataFrame,
                                                                                                     pd.DataFrame]:
    """Keep the ``k`` most central items of every scale.

    Parameters
    ----------
    r : (n, n) array
        Predicted item correlations, rows in ``items`` order.
    items : sequence of str
        Item ids.
    memberships : DataFrame
        ``item, scale, key`` (key ±1).
    k : int, default 4

    Returns
    -------
    items : DataFrame
        :data:`SHORT_FORM_COLUMNS`, one row per item × scale, by scale and rank.
    summary : DataFrame
        ``scale, n_items, n_kept, r_short_full`` (predicted correlation of short and full form).
    """
    if int(k) < 1:
        raise InputError(f"k must be at least 1; got {k}")
    where = {item: i for i, item in enumerate(items)}
    missing = sorted(set(memberships["item"]) - set(where))
    if missing:
        raise InputError(f"item {missing[0]!r} of the memberships is not among the items")
    r = np.asarray(r, dtype=np.float64)
    rows, summary = [], []
    for scale, group in memberships.groupby("scale", sort=False):
        index = group["item"].map(where).to_numpy()
        keys = group["key"].to_numpy(dtype=float)
        sub = r[np.ix_(index, index)] * np.outer(keys, keys)
        n = len(index)
        centrality = (sub.sum(axis=1) - np.diag(sub)) / max(n - 1, 1)
        order = np.argsort(-centrality, kind="stable")
        rank = np.empty(n, dtype=int)
        rank[order] = np.arange(1, n + 1)
        kept = rank <= k
        full = np.zeros(len(items))
        full[index] = keys
        short = np.zeros(len(items))
        short[index[kept]] = keys[kept]
        summary.append((scale, n, int(kept.sum()), composite_correlation(r, short, full)))
        rows += list(zip([scale] * n, group["item"], keys.astype(int), centrality, rank, kept, strict=True))
    table = pd.DataFrame(rows, columns=SHORT_FORM_COLUMNS).sort_values(["scale", "rank"], ignore_index=True,
                                                                        kind="stable")
    return table, pd.DataFrame(summary, columns=["scale", "n_items", "n_kept", "r_short_full"])
