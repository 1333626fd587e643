r"""Validity metrics: predicted vs observed item and scale relations, assignment accuracy, and their 95% CIs.

Pure functions over arrays.

Intervals
---------
*Item-level figures and accuracies* get a percentile bootstrap 95% CI (Efron & Tibshirani, 1993,
ch. 13) that resamples *items*, not pairs: a replicate draws items with replacement and recomputes
the figure on the pairs of distinct drawn positions, so the dependence between pairs that share an
item is respected. With :math:`c` the number of times each item was drawn, pair :math:`(i, j)`,
:math:`i \ne j`, enters a replicate :math:`c_i c_j` times, so every figure is a ratio of quadratic
forms :math:`c^\top M c` of a few precomputed pair matrices :math:`M`; all replicates come from
matrix products, with no loop over pairs (:func:`item_pair_replicates`).

*NMI, ARI and the scale figures* get a delete-one jackknife interval instead
(:func:`jackknife_ci`). Resampling with replacement biases them, so their percentile intervals
can miss the estimate (BFI cosine: ARI −.004 with a bootstrap interval [.014, .281]): a drawn
duplicate is a free agreement for ARI's pair counts and lowers the number of distinct items, which
shifts the plug-in entropies of NMI and both chance levels; and a replicate's scales keep only
their distinct drawn items (about 63 % of them), which lowers alphas and attenuates scale
correlations. Leaving one item out duplicates nothing and changes each scale by one item. The
jackknife variance is consistent for smooth functions of means (Shao & Tu, 1995, ch. 2) and for
U-statistics such as pair counts (Arvesen, 1969), and is conservative in expectation (Efron &
Stein, 1981). The interval is the normal one centred on the reported estimate, on the Fisher-z
scale for correlations, so it always contains the estimate.

References
----------
Arvesen, J. N. (1969). Jackknifing U-statistics. *Annals of Mathematical Statistics*, 40(6),
2076–2100. doi:10.1214/aoms/1177697287
Efron, B., & Stein, C. (1981). The jackknife estimate of variance. *Annals of Statistics*, 9(3),
586–596. doi:10.1214/aos/1176345462
Efron, B., & Tibshirani, R. J. (1993). *An introduction to the bootstrap*. Chapman & Hall.
Shao, J., & Tu, D. (1995). *The jackknife and bootstrap*. Springer. doi:10.1007/978-1-4612-0795-5
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from statistics import NormalDist

import numpy as np
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

SIGN_THRESHOLD = 0.2
Z_975 = NormalDist().inv_cdf(0.975)
_FLAT = 1e-13  # a weighted variance below this share of the raw second moment is rounding noise: no variance
_NAN_CI = (float("nan"), float("nan"))


def pearson(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson r of two vectors (NaN pairs dropped; NaN if fewer than 3 pairs or no variance)."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    if len(x) < 3 or x.std() == 0 or y.std() == 0:
        return float("nan")
    return float(np.corrcoef(x, y)[0, 1])


def item_pair_metrics(pred: np.ndarray, obs: np.ndarray, keys: np.ndarray | None = None) -> dict[str, float]:
    """Item-level figures over all pairs of distinct items of square matrices.

    Parameters
    ----------
    pred, obs : (n, n) arrays
        Predicted and observed item correlations (NaN = unknown pair); the upper triangle is used.
    keys : (n,) array of ±1, optional
        Known keys (NaN = unknown); enables ``item_r_keyed``.

    Returns
    -------
    dict
        ``item_r`` (r of predicted with observed item correlations), ``item_r_abs``
        (on absolute values), ``item_r_keyed`` (prediction times k_i k_j vs
        observed), ``sign_agreement`` (share of pairs with |observed| > .2 whose
        predicted sign matches) and ``rmse``.
    """
    a, b = np.triu_indices(len(pred), k=1)
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


def bootstrap_counts(n_units: int, n_boot: int, seed: int = 0) -> np.ndarray:
    """How often each unit is drawn in each bootstrap replicate: an ``(n_boot, n_units)`` float array.

    Replicate ``b`` is the ``b``-th ``rng.integers(0, n_units, n_units)`` of
    ``np.random.default_rng(seed)``, the draws :func:`bootstrap` makes.
    """
    rng = np.random.default_rng(seed)
    draws = [rng.integers(0, n_units, n_units) for _ in range(n_boot)]
    if not draws:
        return np.zeros((0, n_units))
    flat = (np.stack(draws) + n_units * np.arange(n_boot)[:, None]).ravel()
    return np.bincount(flat, minlength=n_boot * n_units).reshape(n_boot, n_units).astype(np.float64)


def percentile_ci(replicates: np.ndarray) -> tuple[float, float]:
    """Percentile 95% interval of the finite replicate values (NaN, NaN if there are none)."""
    arr = np.asarray(replicates, dtype=float)
    arr = arr[np.isfinite(arr)]
    if not len(arr):
        return _NAN_CI
    return float(np.percentile(arr, 2.5)), float(np.percentile(arr, 97.5))


def bootstrap(stat: Callable[[np.ndarray], dict[str, float]], n_units: int, n_boot: int = 1000,
              seed: int = 0) -> dict[str, tuple[float, float]]:
    """Percentile 95% CIs of every figure ``stat(idx)`` returns, resampling ``n_units`` units with replacement.

    The generic (one call per replicate) form, for statistics of the units themselves such as a
    mean; replicates where a figure is NaN or absent are dropped for that figure. Figures that
    duplicated units bias (pair agreement, entropies, scale composites) need :func:`jackknife_ci`.
    """
    rng = np.random.default_rng(seed)
    draws: dict[str, list[float]] = {}
    for _ in range(n_boot):
        for name, value in stat(rng.integers(0, n_units, n_units)).items():
            draws.setdefault(name, []).append(value)
    return {name: percentile_ci(np.asarray(values, dtype=float)) for name, values in draws.items()}


def jackknife_ci(value: float, replicates: np.ndarray, *, fisher: bool = False,
                 bounds: tuple[float, float] = (-np.inf, np.inf)) -> tuple[float, float]:
    r"""Normal 95% interval around ``value`` with the delete-one jackknife standard error.

    Parameters
    ----------
    value : float
        The reported estimate on all units.
    replicates : array
        The estimate with each unit left out in turn (NaN replicates are dropped).
    fisher : bool
        Build the interval on the Fisher-z scale (for correlations); it then stays inside (−1, 1).
    bounds : (float, float)
        Range of the figure; the interval is clipped to it.

    Returns
    -------
    (float, float)
        ``value ± 1.96 SE`` with :math:`SE^2 = \frac{g-1}{g}\sum_i (\theta_{(i)} - \bar\theta_{(\cdot)})^2`
        over the :math:`g` finite replicates; NaN if ``value`` is not finite or ``g < 2``.

    Notes
    -----
    Only the spread of the replicates enters, so an estimate whose leave-one-out versions are
    computed slightly differently (scale figures: item-derived observed scale correlations for the
    replicates, person-level ones for the estimate) keeps its own value as the centre. Quenouille
    (1956), Tukey (1958); Efron & Tibshirani (1993), ch. 11; Shao & Tu (1995), ch. 2.
    """
    reps = np.asarray(replicates, dtype=float)
    reps = reps[np.isfinite(reps)]
    if not np.isfinite(value) or len(reps) < 2:
        return _NAN_CI
    centre = value
    if fisher:
        edge = 1 - 1e-12
        centre = float(np.arctanh(np.clip(value, -edge, edge)))
        reps = np.arctanh(np.clip(reps, -edge, edge))
    g = len(reps)
    se = float(np.sqrt((g - 1) / g * np.sum((reps - reps.mean()) ** 2)))
    low, high = centre - Z_975 * se, centre + Z_975 * se
    if fisher:
        low, high = float(np.tanh(low)), float(np.tanh(high))
    low, high = float(np.clip(low, *bounds)), float(np.clip(high, *bounds))
    return min(low, value), max(high, value)  # the z round trip may move a zero-width interval by an ulp


# ----------------------------------------------------------------------------- item-level bootstrap


def _pair_sums(values: np.ndarray, a: np.ndarray, b: np.ndarray, counts: np.ndarray) -> np.ndarray:
    r""":math:`\sum_{i<j} c_i c_j v_{ij}` for every row :math:`c` of ``counts``; ``values`` on the pairs ``(a, b)``."""
    n = counts.shape[1]
    m = np.zeros((n, n))
    m[a, b] = values
    m[b, a] = values
    return 0.5 * np.einsum("bi,bi->b", counts @ m, counts)


def _pearson_terms(x: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
    """Pair vectors whose weighted sums give Pearson r: count, x, y, x², y², xy (NaN pairs zeroed).

    x and y are centred on their mean over all usable pairs first, which keeps the one-pass
    moment formulas accurate.
    """
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.any():
        x, y = x - x[ok].mean(), y - y[ok].mean()
    x, y = np.where(ok, x, 0.0), np.where(ok, y, 0.0)
    return [ok.astype(np.float64), x, y, x * x, y * y, x * y]


def _pearson_from_sums(n: np.ndarray, sx: np.ndarray, sy: np.ndarray, sxx: np.ndarray, syy: np.ndarray,
                       sxy: np.ndarray) -> np.ndarray:
    """Pearson r from (weighted) moment sums, like :func:`pearson`: NaN below 3 pairs or without variance."""
    with np.errstate(divide="ignore", invalid="ignore"):
        mx, my = sx / n, sy / n
        vx, vy = sxx / n - mx * mx, syy / n - my * my
        r = (sxy / n - mx * my) / np.sqrt(vx * vy)
        flat = ~(vx > _FLAT * sxx / n) | ~(vy > _FLAT * syy / n)
    r[(n < 3) | flat] = np.nan
    return np.clip(r, -1.0, 1.0)


def item_pair_replicates(pred: np.ndarray, obs: np.ndarray, counts: np.ndarray,
                         keys: np.ndarray | None = None) -> dict[str, np.ndarray]:
    r"""The figures of :func:`item_pair_metrics` in every bootstrap replicate, by matrix algebra.

    Parameters
    ----------
    pred, obs : (n, n) arrays
        Predicted and observed item correlations (NaN = unknown pair); the upper triangle is used.
    counts : (n_boot, n) array
        How often each item is drawn in each replicate (:func:`bootstrap_counts`).
    keys : (n,) array of ±1, optional
        Known keys; enables ``item_r_keyed``.

    Returns
    -------
    dict of str to (n_boot,) array
        The same names as :func:`item_pair_metrics`; NaN where a replicate leaves a figure undefined.

    Notes
    -----
    A replicate uses the pairs of distinct drawn positions, so pair :math:`(i, j)`, :math:`i \ne j`,
    has weight :math:`c_i c_j` and a pair of one item drawn twice is skipped. Each weighted sum
    :math:`\sum_{i<j} c_i c_j v_{ij} = \tfrac12 c^\top V c` for the symmetric zero-diagonal matrix
    :math:`V` of the pair values, so Pearson r (from weighted moments), RMSE and the sign agreement
    are ratios of such quadratic forms. Equal to :func:`item_pair_metrics` on the expanded pair list
    up to floating-point error.
    """
    counts = np.atleast_2d(np.asarray(counts, dtype=np.float64))
    a, b = np.triu_indices(len(pred), k=1)
    p, o = np.asarray(pred, dtype=float)[a, b], np.asarray(obs, dtype=float)[a, b]
    ok = np.isfinite(p) & np.isfinite(o)
    strong = ok & (np.abs(np.where(ok, o, 0.0)) > SIGN_THRESHOLD)
    groups = {"item_r": _pearson_terms(p, o), "item_r_abs": _pearson_terms(np.abs(p), np.abs(o))}
    if keys is not None:
        keys = np.asarray(keys, dtype=float)
        groups["item_r_keyed"] = _pearson_terms(p * keys[a] * keys[b], o)
    out = {name: _pearson_from_sums(*(_pair_sums(v, a, b, counts) for v in terms)) for name, terms in groups.items()}
    n_ok = _pair_sums(ok.astype(np.float64), a, b, counts)
    squared = _pair_sums(np.where(ok, p - o, 0.0) ** 2, a, b, counts)
    n_strong = _pair_sums(strong.astype(np.float64), a, b, counts)
    agree = _pair_sums((strong & (np.sign(p) == np.sign(o))).astype(np.float64), a, b, counts)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["rmse"] = np.sqrt(squared / n_ok)
        out["sign_agreement"] = agree / n_strong
    return out


# ----------------------------------------------------------------------------- scale-level jackknife


def _rowwise_pearson(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Pearson r of every row of ``x`` with the same row of ``y`` (NaN cells dropped), like :func:`pearson`."""
    ok = np.isfinite(x) & np.isfinite(y)
    n = ok.sum(axis=1).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        mx = np.where(ok, x, 0.0).sum(axis=1) / n
        my = np.where(ok, y, 0.0).sum(axis=1) / n
        dx = np.where(ok, x - mx[:, None], 0.0)
        dy = np.where(ok, y - my[:, None], 0.0)
        vx, vy = (dx * dx).sum(axis=1) / n, (dy * dy).sum(axis=1) / n
        r = (dx * dy).sum(axis=1) / n / np.sqrt(vx * vy)
        flat = ~(vx > _FLAT * (vx + mx * mx)) | ~(vy > _FLAT * (vy + my * my))
    r[(n < 3) | flat] = np.nan
    return np.clip(r, -1.0, 1.0)


def _leave_one_out_scales(item_r: np.ndarray, weights: np.ndarray,
                          drop: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r"""Composite correlations and standardised alphas of the scales with each item of ``drop`` left out.

    Parameters
    ----------
    item_r : (n, n) array
        Item correlations; the diagonal is taken to be 1, NaN cells propagate to the cells that need them.
    weights : (n, s) array
        Keys (±1, 0 where an item is not in a scale), every scale with ≥ 3 items.
    drop : (q,) array of int
        The items to leave out, one per replicate.

    Returns
    -------
    r : (q, s, s) array
        :func:`~traitlens.psychometrics.scale_correlations_from_items` of the scales without item ``drop[k]``.
    alpha : (q, s) array
        :func:`~traitlens.psychometrics.scale_alphas_from_items` of the same.

    Notes
    -----
    With :math:`A = rW` and :math:`C = W^\top r W`, removing item :math:`i` (row :math:`w_i` of
    :math:`W`, :math:`r_{ii} = 1`) leaves :math:`C - w_i a_i^\top - a_i w_i^\top + w_i w_i^\top`.
    """
    nan = np.isnan(item_r)
    np.fill_diagonal(nan, False)
    r = np.where(nan, 0.0, item_r)
    np.fill_diagonal(r, 1.0)
    a = r @ weights
    cov = weights.T @ a
    cov = (cov + cov.T) / 2
    w, ai = weights[drop], a[drop]
    out = cov[None] - w[:, :, None] * ai[:, None, :] - ai[:, :, None] * w[:, None, :] + w[:, :, None] * w[:, None, :]
    if nan.any():
        absw = np.abs(weights)
        hits = nan.astype(np.float64) @ absw
        count = absw.T @ hits
        wi, hi = absw[drop], hits[drop]
        left = count[None] - wi[:, :, None] * hi[:, None, :] - hi[:, :, None] * wi[:, None, :]
        out[left > 0.5] = np.nan
    var = np.diagonal(out, axis1=1, axis2=2).copy()
    sizes = np.abs(weights).sum(axis=0)[None] - np.abs(weights[drop])
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = sizes / (sizes - 1) * (1 - sizes / var)
        var[~(var > 0)] = np.nan
        corr = out / np.sqrt(var[:, :, None] * var[:, None, :])
    return np.clip(corr, -1.0, 1.0), alpha


def scale_jackknife_replicates(pred: np.ndarray, obs: np.ndarray, weights: np.ndarray,
                               chunk: int = 64) -> dict[str, np.ndarray]:
    """``scale_r``, ``alpha_r``, ``alpha_mae`` with each scale item left out in turn, both sides from item correlations.

    Parameters
    ----------
    pred, obs : (n, n) arrays
        Predicted and observed item correlations.
    weights : (n, s) array
        Keys (±1, 0 where an item is not in a scale) of scales with ≥ 3 items.
    chunk : int
        Items left out per batch (memory: about ``8 * chunk * s²`` bytes per array).

    Returns
    -------
    dict of str to array
        One replicate per item that belongs to a scale: ``scale_r`` (r of predicted with observed
        composite scale correlations over the scale pairs), ``alpha_r`` (r of predicted with
        observed standardised alphas) and ``alpha_mae`` (their mean absolute difference), each by the formulas of
        :func:`~traitlens.psychometrics.scale_correlations_from_items` and
        :func:`~traitlens.psychometrics.scale_alphas_from_items`.
    """
    weights = np.asarray(weights, dtype=np.float64)
    items = np.flatnonzero(np.abs(weights).sum(axis=1) > 0)
    a, b = np.triu_indices(weights.shape[1], k=1)
    scale_r, alpha_r, alpha_mae = [], [], []
    for start in range(0, len(items), chunk):
        drop = items[start:start + chunk]
        pred_r, pred_alpha = _leave_one_out_scales(np.asarray(pred, dtype=float), weights, drop)
        obs_r, obs_alpha = _leave_one_out_scales(np.asarray(obs, dtype=float), weights, drop)
        scale_r.append(_rowwise_pearson(pred_r[:, a, b], obs_r[:, a, b]))
        alpha_r.append(_rowwise_pearson(pred_alpha, obs_alpha))
        alpha_mae.append(np.nanmean(np.abs(pred_alpha - obs_alpha), axis=1))
    if not scale_r:
        return {"scale_r": np.zeros(0), "alpha_r": np.zeros(0), "alpha_mae": np.zeros(0)}
    return {"scale_r": np.concatenate(scale_r), "alpha_r": np.concatenate(alpha_r),
            "alpha_mae": np.concatenate(alpha_mae)}


# ----------------------------------------------------------------------------- assignment


def _known(labels: Sequence[object]) -> np.ndarray:
    return np.array([x is not None and x == x for x in labels], dtype=bool)


def assignment_metrics(true: Sequence[object], pred: Sequence[object], prefix: str = "factor") -> dict[str, float]:
    """Accuracy (``<prefix>_accuracy``) and, for factors, NMI/ARI of predicted vs theoretical labels.

    Items whose true label is missing are ignored.
    """
    t, p = np.asarray(true, dtype=object), np.asarray(pred, dtype=object)
    known = _known(t)
    t, p = t[known], p[known]
    if not len(t):
        return {}
    out = {f"{prefix}_accuracy": float(np.mean(t == p))}
    if prefix == "factor":
        out["nmi"] = float(normalized_mutual_info_score(t.astype(str), p.astype(str)))
        out["ari"] = float(adjusted_rand_score(t.astype(str), p.astype(str)))
    return out


def key_metrics(true_keys: np.ndarray, pred_keys: np.ndarray) -> dict[str, float]:
    """``key_accuracy``: share of items whose predicted key (on their own construct) equals the known key."""
    t, p = np.asarray(true_keys, dtype=float), np.asarray(pred_keys, dtype=float)
    ok = np.isfinite(t) & np.isfinite(p)
    return {"key_accuracy": float(np.mean(t[ok] == p[ok]))} if ok.any() else {}


def _agreement_jackknife(t: np.ndarray, p: np.ndarray) -> dict[str, np.ndarray]:
    """NMI and ARI with each item left out in turn.

    Both depend on the labels only through the contingency table, so leaving out any item of a
    (true, predicted) cell gives the same value: one computation per occupied cell, repeated by
    its count.
    """
    t, p = t.astype(str), p.astype(str)
    _, first, size = np.unique(np.stack([t, p]), axis=1, return_index=True, return_counts=True)
    nmi, ari = [], []
    for i in first:
        keep = np.arange(len(t)) != i
        nmi.append(normalized_mutual_info_score(t[keep], p[keep]))
        ari.append(adjusted_rand_score(t[keep], p[keep]))
    return {"nmi": np.repeat(nmi, size), "ari": np.repeat(ari, size)}


def assignment_figures(true: Sequence[object], pred: Sequence[object], *, true_keys: np.ndarray | None = None,
                       pred_keys: np.ndarray | None = None, prefix: str = "factor", n_boot: int = 1000,
                       seed: int = 0) -> list[tuple[str, float, float, float]]:
    """Assignment figures with their 95% CIs: ``(metric, value, ci_low, ci_high)`` rows.

    Parameters
    ----------
    true, pred : sequences
        Theoretical and predicted construct of every item (missing true labels are ignored).
    true_keys, pred_keys : arrays of ±1, optional
        Known and predicted keys; enable ``key_accuracy``.
    prefix : str
        ``"factor"`` (accuracy, NMI, ARI) or ``"facet"`` (accuracy only).
    n_boot : int
        Bootstrap replicates; 0 gives no intervals.
    seed : int
        Seed of the bootstrap.

    Returns
    -------
    list of tuple
        :func:`assignment_metrics` then :func:`key_metrics` figures. Accuracies get the percentile
        bootstrap interval (items resampled, the draws of :func:`bootstrap`); NMI and ARI the
        delete-one jackknife interval (:func:`jackknife_ci`; see the module notes for why).
    """
    t, p = np.asarray(true, dtype=object), np.asarray(pred, dtype=object)
    point = assignment_metrics(t, p, prefix=prefix)
    if true_keys is not None and pred_keys is not None:
        point.update(key_metrics(true_keys, pred_keys))
    cis: dict[str, tuple[float, float]] = {}
    if n_boot > 0 and point:
        counts = bootstrap_counts(len(t), n_boot, seed)
        known = _known(t)
        with np.errstate(divide="ignore", invalid="ignore"):
            cis[f"{prefix}_accuracy"] = percentile_ci(counts @ (known & (t == p)) / (counts @ known))
            if "key_accuracy" in point:
                tk, pk = np.asarray(true_keys, dtype=float), np.asarray(pred_keys, dtype=float)
                usable = np.isfinite(tk) & np.isfinite(pk)
                cis["key_accuracy"] = percentile_ci(counts @ (usable & (tk == pk)) / (counts @ usable))
        if "nmi" in point:
            reps = _agreement_jackknife(t[known], p[known])
            cis["nmi"] = jackknife_ci(point["nmi"], reps["nmi"], bounds=(0.0, 1.0))
            cis["ari"] = jackknife_ci(point["ari"], reps["ari"], bounds=(-1.0, 1.0))
    return [(name, value, *cis.get(name, _NAN_CI)) for name, value in point.items()]


# ----------------------------------------------------------------------------- scale-level suites


def factor_figures(loadings: np.ndarray, human: np.ndarray | None, theory: Sequence[object], *,
                   intervals: bool = True) -> list[tuple[str, float, float, float]]:
    r"""Factor-structure figures of a predicted loading matrix: ``(metric, value, ci_low, ci_high)`` rows.

    Parameters
    ----------
    loadings : (n, k) array
        Loadings of the EFA of the predicted item correlations.
    human : (n, k') array or None
        Loadings of the same EFA of the observed item correlations (real responses).
    theory : sequence of length n
        Each item's theoretical scale.
    intervals : bool
        Delete-one-item jackknife 95% intervals (:func:`jackknife_ci`); the EFAs are not refitted.

    Returns
    -------
    list of tuple
        ``nmi`` and ``ari`` of the items' highest-loading factors against ``theory``; with ``human``,
        ``tucker_phi``: the mean over factors of Tucker's congruence
        :math:`\phi_{kl} = \sum_i a_{ik} b_{il} / \sqrt{\sum_i a_{ik}^2 \sum_i b_{il}^2}` after optimal
        one-to-one matching on :math:`|\phi|` (:func:`traitlens.analysis.structure.match_factors`).
    """
    from traitlens.analysis.structure import agreement, assign_items, match_factors

    loadings = np.asarray(loadings, dtype=float)
    t = np.asarray(list(theory), dtype=object).astype(str)
    p = assign_items(loadings).astype(str)
    point = agreement(p, t)
    if human is not None:
        human = np.asarray(human, dtype=float)
        point["tucker_phi"] = float(match_factors(loadings, human)["phi"].mean())
    cis: dict[str, tuple[float, float]] = {}
    if intervals:
        reps = _agreement_jackknife(t, p)
        cis["nmi"] = jackknife_ci(point["nmi"], reps["nmi"], bounds=(0.0, 1.0))
        cis["ari"] = jackknife_ci(point["ari"], reps["ari"], bounds=(-1.0, 1.0))
        if human is not None:
            n = len(loadings)
            phi = [match_factors(np.delete(loadings, i, 0), np.delete(human, i, 0))["phi"].mean() for i in range(n)]
            cis["tucker_phi"] = jackknife_ci(point["tucker_phi"], np.asarray(phi), bounds=(0.0, 1.0))
    return [(name, float(value), *cis.get(name, _NAN_CI)) for name, value in point.items()]


def composite_correlations(item_r: np.ndarray, weights: np.ndarray) -> np.ndarray:
    r"""Scale correlations of key-weighted composites from item correlations (unit diagonal).

    :math:`C = W^\top R W`, :math:`r(S, T) = C_{ST} / \sqrt{C_{SS} C_{TT}}` (as
    :func:`traitlens.psychometrics.scale_correlations_from_items`, in array form; a scale whose
    composite variance is not positive gives NaN).
    """
    r = np.array(item_r, dtype=float)
    np.fill_diagonal(r, 1.0)
    c = weights.T @ r @ weights
    d = np.diag(c)
    with np.errstate(invalid="ignore", divide="ignore"):
        d = np.where(d > 0, np.sqrt(np.where(d > 0, d, 1.0)), np.nan)
        return c / np.outer(d, d)


def composite_figures(item_r: np.ndarray, weights: np.ndarray, observed: np.ndarray, *,
                      intervals: bool = True) -> list[tuple[str, float, float, float]]:
    r"""Predicted vs observed scale correlations: ``scale_r`` (Pearson) and ``scale_mae`` over scale pairs.

    Parameters
    ----------
    item_r : (n, n) array
        Predicted item correlations.
    weights : (n, s) array
        Items × scales keys (±1, 0 where an item is not in a scale).
    observed : (s, s) array
        Observed scale correlations.
    intervals : bool
        Delete-one-item jackknife 95% intervals (:func:`jackknife_ci`; Fisher-z for ``scale_r``):
        each replicate zeroes one item's row of ``weights``.

    Returns
    -------
    list of tuple
        ``(metric, value, ci_low, ci_high)``.
    """
    observed = np.asarray(observed, dtype=float)
    a, b = np.triu_indices(observed.shape[0], k=1)

    def figures(w: np.ndarray) -> tuple[float, float]:
        pred = composite_correlations(item_r, w)[a, b]
        ok = np.isfinite(pred) & np.isfinite(observed[a, b])
        return pearson(pred[ok], observed[a, b][ok]), float(np.abs(pred[ok] - observed[a, b][ok]).mean())

    r, mae = figures(weights)
    cis: dict[str, tuple[float, float]] = {}
    if intervals:
        reps = np.array([figures(np.where(np.arange(len(weights))[:, None] == i, 0.0, weights))
                         for i in range(len(weights))])
        cis = {"scale_r": jackknife_ci(r, reps[:, 0], fisher=True), "scale_mae": jackknife_ci(mae, reps[:, 1],
                                                                                              bounds=(0.0, 2.0))}
    return [(m, v, *cis.get(m, _NAN_CI)) for m, v in (("scale_r", r), ("scale_mae", mae))]
