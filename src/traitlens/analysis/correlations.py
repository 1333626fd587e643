r"""From predicted item correlations to tables: item pairs, scale correlations and reliabilities (pure).

Given an items × items matrix of predicted correlations (:func:`traitlens.engine.item_correlations`)
and scale memberships with keys, scale-level predictions follow from classical test theory alone:
the correlation of two unit-weighted composites (:func:`traitlens.psychometrics.scale_correlations_from_items`),
standardized Cronbach's alpha from the mean keyed inter-item correlation, and McDonald's omega from a
one-factor model of the keyed matrix. This is how SurveyBot3000 (Hommel & Arslan, 2025) turns item
predictions into scale predictions.

Predictions from text alone do not know that items were put in one scale because they correlate:
the predicted keyed correlations of scale-mates average about .1 where the observed average
about .35, which pulls every predicted alpha down by .2-.45. :func:`shift_within_scales` adds a
fitted constant to the keyed correlations of items that share a scale (the *within-scale prior*,
:mod:`traitlens.training.scale_prior`) before the scale figures are computed.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from traitlens.analysis.profiles import orient_keys
from traitlens.errors import InputError
from traitlens.psychometrics import (
    alpha_from_item_correlations,
    key_weights,
    omega_from_item_correlations,
    scale_correlations_from_items,
)

PAIR_COLUMNS = ["item_a", "item_b", "r"]
SCALE_PAIR_COLUMNS = ["scale_a", "scale_b", "r"]
RELIABILITY_COLUMNS = ["scale", "n_items", "alpha", "omega", "note"]


def pair_table(matrix: np.ndarray, labels: Sequence[str], columns: Sequence[str] = PAIR_COLUMNS) -> pd.DataFrame:
    """One row per unordered pair ``(a, b)``, ``a`` before ``b`` in ``labels``, with the matrix cell.

    Examples
    --------
    >>> pair_table(np.array([[1, .3], [.3, 1]]), ["x", "y"]).to_dict("records")
    [{'item_a': 'x', 'item_b': 'y', 'r': 0.3}]
    """
    a, b = np.triu_indices(len(labels), k=1)
    names = np.asarray(labels, dtype=object)
    return pd.DataFrame({columns[0]: names[a], columns[1]: names[b], columns[2]: np.asarray(matrix)[a, b]})


def complete_keys(item_r: pd.DataFrame, members: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Keys of one scale's items, the unknown ones (NaN) inferred from the predicted correlations.

    The inferred keys are the signs of the items' entries in the first eigenvector of the scale's
    correlation submatrix (the direction in which its items covary), oriented by the known keys
    with :func:`~traitlens.analysis.profiles.orient_keys`, else so that most items get +1.

    Parameters
    ----------
    item_r : DataFrame
        Items × items predicted correlations, labelled by item id.
    members : Series
        Item id → key (+1, -1 or NaN) of the scale.

    Returns
    -------
    keys : Series of int
    inferred : (k,) bool array
    """
    known = members.to_numpy(dtype=float)
    unknown = ~np.isfinite(known)
    if not unknown.any():
        return members.astype(int), unknown
    ids = list(members.index)
    sub = np.nan_to_num(item_r.loc[ids, ids].to_numpy(dtype=float))
    vector = np.linalg.eigh((sub + sub.T) / 2)[1][:, -1] if len(ids) > 1 else np.ones(1)
    keys, _ = orient_keys(vector, known, majority=True)
    return pd.Series(keys.astype(int), index=members.index, name=members.name), unknown


def shift_within_scales(item_r: np.ndarray, weights: np.ndarray, shift: float) -> np.ndarray:
    r"""Item correlations with ``shift`` added to the keyed correlation of every pair that shares a scale.

    Parameters
    ----------
    item_r : (n, n) array
        Item correlations (NaN cells stay NaN; the diagonal is kept).
    weights : (n, s) array
        Keys of the items in the scales (+1, -1; 0 where an item is not in a scale).
    shift : float
        Added to :math:`k_i k_j r_{ij}` for items :math:`i \ne j` of one scale, so
        :math:`r'_{ij} = r_{ij} + \text{shift} \cdot k_i k_j`; a pair whose shared scales key it
        in opposite directions is left as it is. Results are clipped to [-1, 1].

    Returns
    -------
    (n, n) array

    Examples
    --------
    >>> r = np.array([[1.0, 0.1, 0.0], [0.1, 1.0, -0.1], [0.0, -0.1, 1.0]])
    >>> w = np.array([[1.0], [1.0], [-1.0]])
    >>> shift_within_scales(r, w, 0.2).round(2).tolist()
    [[1.0, 0.3, -0.2], [0.3, 1.0, -0.3], [-0.2, -0.3, 1.0]]
    """
    r = np.asarray(item_r, dtype=np.float64)
    if r.ndim != 2 or r.shape[0] != r.shape[1]:
        raise InputError(f"item_r must be n × n; got {r.shape}")
    sign = within_signs(weights, len(r))
    return np.clip(r + shift * sign, -1.0, 1.0)


def within_signs(weights: np.ndarray, n_items: int | None = None) -> np.ndarray:
    """Key products :math:`k_i k_j` of the item pairs that share a scale (0 elsewhere and on the diagonal).

    A pair whose shared scales key it in opposite directions gets 0.

    Examples
    --------
    >>> within_signs(np.array([[1.0, 0.0], [-1.0, 1.0], [0.0, 1.0]])).tolist()
    [[0.0, -1.0, 0.0], [-1.0, 0.0, 1.0], [0.0, 1.0, 0.0]]
    """
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 2 or (n_items is not None and w.shape[0] != n_items):
        raise InputError(f"weights must be items × scales for {n_items} items; got {w.shape}")
    member = (w != 0).astype(np.float64)
    shared = member @ member.T
    sign = np.where(shared > 0, (np.sign(w) @ np.sign(w).T) / np.maximum(shared, 1), 0.0)
    sign = np.where(np.abs(sign) == 1.0, sign, 0.0)
    np.fill_diagonal(sign, 0.0)
    return sign


def scale_predictions(item_r: pd.DataFrame, memberships: pd.DataFrame, within_shift: float = 0.0,
                      ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Predicted scale correlations and reliabilities from predicted item correlations.

    Parameters
    ----------
    item_r : DataFrame
        Items × items predicted correlations, labelled by item id.
    memberships : DataFrame
        ``item, scale, key`` (one row per item × scale; key +1, -1 or NaN = infer).
    within_shift : float
        The within-scale prior: added to the keyed predicted correlation of every pair of items
        that share a scale (:func:`shift_within_scales`), once the keys are known, before the scale
        correlations, alpha and omega are computed. 0 (default): the item predictions as they are.

    Returns
    -------
    scale_r : DataFrame
        Scales × scales (composite formula), in order of first appearance.
    reliability : DataFrame
        :data:`RELIABILITY_COLUMNS`: standardized alpha (≥ 2 items), omega (≥ 3 items) and a note
        saying why a figure is missing or what to watch.
    keys : DataFrame
        ``item, scale, key, inferred``: the keys used.
    """
    scales: dict[str, pd.Series] = {}
    key_rows = []
    for scale, rows in memberships.groupby("scale", sort=False):
        members = pd.Series(rows["key"].to_numpy(dtype=float), index=rows["item"].to_numpy(), name=scale)
        keys, inferred = complete_keys(item_r, members)
        scales[str(scale)] = keys
        key_rows += [(item, scale, int(k), bool(i)) for item, k, i in zip(keys.index, keys, inferred, strict=True)]
    if not scales:
        raise InputError("no scales: give each item a scale")
    if within_shift:
        ids = list(item_r.index)
        item_r = pd.DataFrame(shift_within_scales(item_r.to_numpy(dtype=float), key_weights(scales, ids),
                                                  within_shift), index=item_r.index, columns=item_r.columns)
    reliability = []
    for name, keys in scales.items():
        k = len(keys)
        notes = []
        alpha = omega = float("nan")
        if k < 2:
            notes.append("one item: alpha and omega are undefined")
        else:
            alpha = alpha_from_item_correlations(item_r, keys)
            if k < 3:
                notes.append("two items: omega needs at least three")
            else:
                omega = omega_from_item_correlations(item_r, keys)
        if (keys < 0).all() and k > 1:
            notes.append("every item is reverse-keyed: the scale scores the opposite pole of its items")
        reliability.append((name, k, alpha, omega, "; ".join(notes)))
    scale_r = scale_correlations_from_items(item_r, scales)
    return (scale_r, pd.DataFrame(reliability, columns=RELIABILITY_COLUMNS),
            pd.DataFrame(key_rows, columns=["item", "scale", "key", "inferred"]))
