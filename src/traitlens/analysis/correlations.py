r"""From predicted item correlations to tables: item pairs, scale correlations and reliabilities (pure).

Given an items × items matrix of predicted correlations (:func:`traitlens.engine.item_correlations`)
and scale memberships with keys, scale-level predictions follow from classical test theory alone:
the correlation of two unit-weighted composites (:func:`traitlens.psychometrics.scale_correlations_from_items`),
standardized Cronbach's alpha from the mean keyed inter-item correlation, and McDonald's omega from a
one-factor model of the keyed matrix. This is how SurveyBot3000 (Hommel & Arslan, 2025) turns item
predictions into scale predictions.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from traitlens.analysis.profiles import orient_keys
from traitlens.errors import InputError
from traitlens.psychometrics import (
    alpha_from_item_correlations,
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


def scale_predictions(item_r: pd.DataFrame, memberships: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame,
                                                                                  pd.DataFrame]:
    """Predicted scale correlations and reliabilities from predicted item correlations.

    Parameters
    ----------
    item_r : DataFrame
        Items × items predicted correlations, labelled by item id.
    memberships : DataFrame
        ``item, scale, key`` (one row per item × scale; key +1, -1 or NaN = infer).

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
