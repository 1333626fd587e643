"""Validity metrics: predicted vs observed item and scale relations, assignment accuracy, bootstrap CIs.

Pure functions over arrays. Every figure gets a percentile bootstrap 95% CI that
resamples *items* (not pairs): a replicate draws items with replacement and
recomputes the figure on the pairs of distinct drawn items, so the dependence
between pairs that share an item is respected.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

SIGN_THRESHOLD = 0.2


@dataclass(frozen=True)
class Figure:
    """One metric value with its bootstrap CI and the number of units it rests on."""

    metric: str
    value: float
    ci_low: float
    ci_high: float
    n: int


def pearson(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson r of two vectors (NaN pairs dropped; NaN if fewer than 3 pairs or no variance)."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    if len(x) < 3 or x.std() == 0 or y.std() == 0:
        return float("nan")
    return float(np.corrcoef(x, y)[0, 1])


def _pairs(idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index arrays (a, b) over the upper triangle of the drawn items, skipping pairs of one item drawn twice."""
    a, b = np.triu_indices(len(idx), k=1)
    keep = idx[a] != idx[b]
    return idx[a[keep]], idx[b[keep]]


def item_pair_metrics(pred: np.ndarray, obs: np.ndarray, keys: np.ndarray | None = None,
                      idx: np.ndarray | None = None) -> dict[str, float]:
    """Item-level figures for the items ``idx`` (default all) of square matrices.

    Parameters
    ----------
    pred, obs : (n, n) arrays
        Predicted and observed item correlations (NaN = unknown pair).
    keys : (n,) array of ±1, optional
        Known keys; enables ``item_r_keyed``.
    idx : array of int, optional
        Items to use (a bootstrap draw); pairs of one item with itself are skipped.

    Returns
    -------
    dict
        ``item_r`` (r of predicted with observed item correlations), ``item_r_abs``
        (on absolute values), ``item_r_keyed`` (prediction times k_i k_j vs
        observed), ``sign_agreement`` (share of pairs with |observed| > .2 whose
        predicted sign matches) and ``rmse``.
    """
    idx = np.arange(len(pred)) if idx is None else idx
    a, b = _pairs(idx)
    p, o = pred[a, b], obs[a, b]
    ok = np.isfinite(p) & np.isfinite(o)
    out = {
        "item_r": pearson(p, o),
        "item_r_abs": pearson(np.abs(p), np.abs(o)),
        "rmse": float(np.sqrt(np.mean((p[ok] - o[ok]) ** 2))) if ok.any() else float("nan"),
    }
    strong = ok & (np.abs(o) > SIGN_THRESHOLD)
    out["sign_agreement"] = float(np.mean(np.sign(p[strong]) == np.sign(o[strong]))) if strong.any() else float("nan")
    if keys is not None:
        out["item_r_keyed"] = pearson(p * keys[a] * keys[b], o)
    return out


def bootstrap(stat: Callable[[np.ndarray], dict[str, float]], n_units: int, n_boot: int = 1000,
              seed: int = 0) -> dict[str, tuple[float, float]]:
    """Percentile 95% CIs of every figure ``stat(idx)`` returns, resampling ``n_units`` units with replacement.

    Notes
    -----
    Efron & Tibshirani (1993), percentile interval; replicates where a figure is
    NaN are dropped for that figure. NMI and ARI change under resampling with
    replacement in ways that are not centred on the estimate (a drawn duplicate is a
    free agreement, fewer distinct items shift the chance level); their intervals
    can miss the point estimate and are best read as a spread, not a coverage
    guarantee. The basic and BCa intervals were tried and behave no better.
    """
    rng = np.random.default_rng(seed)
    draws: dict[str, list[float]] = {}
    for _ in range(n_boot):
        idx = rng.integers(0, n_units, n_units)
        for name, value in stat(idx).items():
            draws.setdefault(name, []).append(value)
    cis = {}
    for name, values in draws.items():
        arr = np.asarray(values, dtype=float)
        arr = arr[np.isfinite(arr)]
        cis[name] = (float(np.percentile(arr, 2.5)), float(np.percentile(arr, 97.5))) if len(arr) else (
            float("nan"), float("nan"))
    return cis


def assignment_metrics(true: Sequence[object], pred: Sequence[object], idx: np.ndarray | None = None,
                       prefix: str = "factor") -> dict[str, float]:
    """Accuracy (``<prefix>_accuracy``) and, for factors, NMI/ARI of predicted vs theoretical labels.

    Items whose true label is missing are ignored.
    """
    true_arr = np.asarray(true, dtype=object)
    pred_arr = np.asarray(pred, dtype=object)
    idx = np.arange(len(true_arr)) if idx is None else idx
    t, p = true_arr[idx], pred_arr[idx]
    known = np.array([x is not None and x == x for x in t], dtype=bool)
    t, p = t[known], p[known]
    if not len(t):
        return {}
    out = {f"{prefix}_accuracy": float(np.mean(t == p))}
    if prefix == "factor":
        out["nmi"] = float(normalized_mutual_info_score(t.astype(str), p.astype(str)))
        out["ari"] = float(adjusted_rand_score(t.astype(str), p.astype(str)))
    return out


def key_metrics(true_keys: np.ndarray, pred_keys: np.ndarray, idx: np.ndarray | None = None) -> dict[str, float]:
    """``key_accuracy``: share of items whose predicted key (on their own construct) equals the known key."""
    idx = np.arange(len(true_keys)) if idx is None else idx
    t, p = np.asarray(true_keys, dtype=float)[idx], np.asarray(pred_keys, dtype=float)[idx]
    ok = np.isfinite(t) & np.isfinite(p)
    return {"key_accuracy": float(np.mean(t[ok] == p[ok]))} if ok.any() else {}
