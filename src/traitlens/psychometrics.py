r"""Classical test theory on person-level responses and on item correlation matrices.

Pure functions over DataFrames and arrays (no file I/O): pairwise-complete item
correlations, reverse keying, keyed scale scores, Cronbach's alpha, corrected
item-rest correlations, and the correlations of unit-weighted composite scales
computed from an item correlation matrix. The last one works for an observed
matrix and for a *predicted* one (cosine similarities of item embeddings), so it
is how item-level predictions become scale-level predictions.

Conventions
-----------
``responses``
    DataFrame, persons × items, numeric, ``NaN`` = missing; columns are item ids.
``keys``
    Series, item id → +1 (keyed in the direction of the scale) or -1 (reverse keyed).
``scales``
    dict, scale name → ``keys`` Series of that scale's items.
``low``, ``high``
    The bounds of the response scale (e.g. 1 and 5); reversing maps ``x`` to ``low + high - x``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd

from traitlens.errors import InputError

__all__ = [
    "alpha_from_item_correlations",
    "corrected_item_total",
    "cronbach_alpha",
    "item_correlations",
    "omega_from_item_correlations",
    "pairwise_n",
    "reverse_key",
    "scale_correlations_from_items",
    "scale_scores",
    "standardized_alpha",
]


# ----------------------------------------------------------------------------- input checks (the edge)


def _float_frame(frame: object, argument: str = "responses") -> pd.DataFrame:
    """Check that ``frame`` is a DataFrame of numbers with unique columns; return it as float64."""
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"{argument} must be a pandas DataFrame (persons × items), got {type(frame).__name__}")
    if not frame.columns.is_unique:
        dupes = sorted({str(c) for c in frame.columns[frame.columns.duplicated()]})
        raise InputError(f"{argument} has duplicate columns: {', '.join(dupes)}")
    for column in frame.columns:
        if not (pd.api.types.is_numeric_dtype(frame[column]) or frame[column].isna().all()):
            raise InputError(f"{argument} column {column!r} is not numeric (dtype {frame[column].dtype})")
    return frame.astype(np.float64)


def _check_keys(keys: object, columns: pd.Index, argument: str = "keys") -> pd.Series:
    """Check a keys Series (item → ±1) against the item ids in ``columns``; return it as int."""
    if not isinstance(keys, pd.Series):
        raise InputError(f"{argument} must be a pandas Series (item id → +1 / -1), got {type(keys).__name__}")
    if not keys.index.is_unique:
        dupes = sorted({str(i) for i in keys.index[keys.index.duplicated()]})
        raise InputError(f"{argument} names an item twice: {', '.join(dupes)}")
    bad = keys[~keys.isin([1, -1])]
    if len(bad):
        raise InputError(f"{argument} must be +1 or -1; item {bad.index[0]!r} has {bad.iloc[0]!r}")
    missing = [item for item in keys.index if item not in columns]
    if missing:
        shown = ", ".join(map(repr, missing[:5])) + (" …" if len(missing) > 5 else "")
        raise InputError(f"{argument} names {len(missing)} item(s) that are not columns of the data: {shown}")
    return keys.astype(int)


def _check_bounds(low: float, high: float) -> None:
    if not (np.isfinite(low) and np.isfinite(high) and low < high):
        raise InputError(f"the response scale needs low < high, got low={low!r}, high={high!r}")


# ----------------------------------------------------------------------------- item correlations


def _pairwise_moments(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairwise-complete counts, covariance numerators and variance numerators of the columns of ``x``.

    Returns ``n`` (pairwise counts), ``c`` with ``c[i, j] = n Σxy - Σx Σy`` and ``v`` with
    ``v[i, j] = n Σx_i² - (Σx_i)²``, all sums over the rows where both column ``i`` and
    column ``j`` are observed. Columns are centred first (correlations are shift invariant),
    which keeps the sums small and the subtraction accurate.
    """
    mask = ~np.isnan(x)
    m = mask.astype(np.float64)
    counts = m.sum(axis=0)
    totals = np.where(mask, x, 0.0).sum(axis=0)
    centre = np.divide(totals, counts, out=np.zeros_like(totals), where=counts > 0)
    xc = np.where(mask, x - centre, 0.0)
    n = m.T @ m
    sx = xc.T @ m  # sx[i, j]: Σ x_i over rows where i and j are both observed
    sxx = (xc * xc).T @ m
    sxy = xc.T @ xc
    c = n * sxy - sx * sx.T
    v = n * sxx - sx * sx
    # A column that is constant over a pair's joint rows has v == 0 up to rounding: make it exactly 0.
    v[v <= 1e-12 * n * sxx] = 0.0
    return n, c, v


def item_correlations(responses: pd.DataFrame) -> pd.DataFrame:
    r"""Pairwise-complete Pearson correlations of the items (columns) of ``responses``.

    Parameters
    ----------
    responses : DataFrame
        Persons × items, numeric; ``NaN`` marks a missing response.

    Returns
    -------
    DataFrame
        Items × items, symmetric, with the items as index and columns. The diagonal is 1 for
        every item with non-zero variance; an item without variance, or a pair with fewer than
        two joint responses or no variance within the joint responses, gives ``NaN``.

    Notes
    -----
    For each pair the sums run over the persons who answered both items (``use =
    "pairwise.complete.obs"`` in R, ``DataFrame.corr()`` in pandas):

    .. math:: r_{ij} = \frac{n_{ij}\sum x_i x_j - \sum x_i \sum x_j}
              {\sqrt{n_{ij}\sum x_i^2 - (\sum x_i)^2}\,\sqrt{n_{ij}\sum x_j^2 - (\sum x_j)^2}}

    computed for all pairs at once with matrix products (columns centred first for accuracy).

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"a": [1, 2, 3, None], "b": [2, 4, 7, 1]})
    >>> round(float(item_correlations(frame).loc["a", "b"]), 4)
    0.9934
    """
    frame = _float_frame(responses)
    n, c, v = _pairwise_moments(frame.to_numpy())
    with np.errstate(divide="ignore", invalid="ignore"):
        r = c / np.sqrt(v * v.T)
    r[(n < 2) | ~np.isfinite(r) | (v <= 0) | (v.T <= 0)] = np.nan
    r = np.clip(r, -1.0, 1.0)
    diag = np.diag(v) > 0
    r[np.diag_indices_from(r)] = np.where(diag, 1.0, np.nan)
    return pd.DataFrame(r, index=frame.columns, columns=frame.columns)


def pairwise_n(responses: pd.DataFrame) -> pd.DataFrame:
    """Number of persons who answered both items, for every pair of items.

    Parameters
    ----------
    responses : DataFrame
        Persons × items; ``NaN`` marks a missing response.

    Returns
    -------
    DataFrame
        Items × items of int64; the diagonal holds each item's number of responses.

    Examples
    --------
    >>> import pandas as pd
    >>> pairwise_n(pd.DataFrame({"a": [1, 2, None], "b": [1, None, 3]})).to_numpy().tolist()
    [[2, 1], [1, 2]]
    """
    frame = _float_frame(responses)
    m = frame.notna().to_numpy(dtype=np.int64)
    return pd.DataFrame(m.T @ m, index=frame.columns, columns=frame.columns)


def _pairwise_cov(x: np.ndarray) -> np.ndarray:
    """Pairwise-complete covariance matrix (ddof = 1) of the columns of ``x``; NaN where n < 2."""
    n, c, _ = _pairwise_moments(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        cov = c / (n * (n - 1))
    cov[n < 2] = np.nan
    return cov


# ----------------------------------------------------------------------------- keying and scale scores


def reverse_key(responses: pd.DataFrame, keys: pd.Series, low: float, high: float) -> pd.DataFrame:
    """Reverse the reverse-keyed items: ``x → low + high - x`` for every item with key -1.

    Parameters
    ----------
    responses : DataFrame
        Persons × items.
    keys : Series
        Item id → +1 or -1. Every item must be a column of ``responses``; columns that ``keys``
        does not name are returned unchanged.
    low, high : float
        Bounds of the response scale (e.g. 1 and 5).

    Returns
    -------
    DataFrame
        A float copy of ``responses`` with the reverse-keyed columns reversed; ``NaN`` stays ``NaN``.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"a": [1, 5], "b": [2, 4]})
    >>> reverse_key(frame, pd.Series({"b": -1}), 1, 5)["b"].tolist()
    [4.0, 2.0]
    """
    frame = _float_frame(responses)
    keys = _check_keys(keys, frame.columns)
    _check_bounds(low, high)
    return _reverse(frame, keys, low, high)


def _reverse(frame: pd.DataFrame, keys: pd.Series, low: float, high: float) -> pd.DataFrame:
    """:func:`reverse_key` on checked input."""
    out = frame.copy()
    reversed_items = list(keys.index[keys == -1])
    if reversed_items:
        out[reversed_items] = (low + high) - out[reversed_items]
    return out


def _check_scales(scales: object, columns: pd.Index) -> dict[str, pd.Series]:
    if not isinstance(scales, Mapping) or not scales:
        raise InputError("scales must be a non-empty dict: scale name → Series (item id → +1 / -1)")
    checked: dict[str, pd.Series] = {}
    for name, keys in scales.items():
        checked[name] = _check_keys(keys, columns, argument=f"scales[{name!r}]")
        if checked[name].empty:
            raise InputError(f"scales[{name!r}] has no items")
    return checked


def scale_scores(
    responses: pd.DataFrame,
    scales: Mapping[str, pd.Series],
    low: float,
    high: float,
    min_items: int = 1,
) -> pd.DataFrame:
    """Keyed scale scores: each person's mean over the scale's answered items, after reverse keying.

    Parameters
    ----------
    responses : DataFrame
        Persons × items; ``NaN`` marks a missing response.
    scales : dict of str to Series
        Scale name → keys (item id → +1 / -1).
    low, high : float
        Bounds of the response scale.
    min_items : int, default 1
        A person who answered fewer of a scale's items gets ``NaN`` for that scale.

    Returns
    -------
    DataFrame
        Persons (the index of ``responses``) × scales (in the order of ``scales``), on the response
        scale (a mean, not a sum).

    Notes
    -----
    Missing responses are skipped: the score is the mean of the keyed items a person answered
    (the "prorated" score; k times it is the sum score after replacing each missing item with the
    person's own mean on the scale's answered items). This is R ``psych::scoreItems(impute = "none")``
    and ``rowMeans(na.rm = TRUE)``.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"a": [5, 1], "b": [1, None]})
    >>> scale_scores(frame, {"s": pd.Series({"a": 1, "b": -1})}, 1, 5)["s"].tolist()
    [5.0, 1.0]
    """
    frame = _float_frame(responses)
    checked = _check_scales(scales, frame.columns)
    _check_bounds(low, high)
    if not isinstance(min_items, int | np.integer) or min_items < 1:
        raise InputError(f"min_items must be a positive integer, got {min_items!r}")
    out = {}
    for name, keys in checked.items():
        keyed = _reverse(frame[list(keys.index)], keys, low, high).to_numpy()
        answered = (~np.isnan(keyed)).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            score = np.nansum(keyed, axis=1) / answered
        score[answered < min_items] = np.nan
        out[name] = score
    return pd.DataFrame(out, index=frame.index)


# ----------------------------------------------------------------------------- reliability


def cronbach_alpha(
    responses: pd.DataFrame,
    nan_policy: Literal["pairwise", "listwise"] = "pairwise",
) -> float:
    r"""Cronbach's (raw) alpha of a set of already keyed items.

    Parameters
    ----------
    responses : DataFrame
        Persons × items of ONE scale, reverse-keyed items already reversed
        (see :func:`reverse_key`); at least two items.
    nan_policy : {"pairwise", "listwise"}, default "pairwise"
        ``"pairwise"`` estimates each item covariance from the persons who answered both items
        (as R ``psych::alpha`` and pingouin ``cronbach_alpha`` do); ``"listwise"`` keeps only the
        persons who answered every item, which gives exactly the textbook formula.

    Returns
    -------
    float
        Alpha; ``NaN`` when the covariance matrix cannot be estimated (too few responses).

    Notes
    -----
    With :math:`C` the k × k item covariance matrix,

    .. math:: \alpha = \frac{k}{k-1}\left(1 - \frac{\operatorname{tr} C}{\mathbf 1^\top C\,\mathbf 1}\right),

    which for complete data is the standard formula
    :math:`\alpha = \frac{k}{k-1}\bigl(1 - \sum_i \sigma^2_i / \sigma^2_{\text{total}}\bigr)`,
    :math:`\sigma^2_{\text{total}}` being the variance of the sum score. The pairwise estimate uses
    every available response and equals the listwise one when nothing is missing.

    References
    ----------
    Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
    *Psychometrika*, 16(3), 297–334. doi:10.1007/BF02310555

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"a": [1, 2, 3, 4, 5], "b": [2, 2, 3, 5, 4], "c": [1, 3, 3, 4, 5]})
    >>> round(cronbach_alpha(frame), 4)
    0.9451
    """
    frame = _float_frame(responses)
    if frame.shape[1] < 2:
        raise InputError(f"alpha needs at least two items, got {frame.shape[1]}")
    if nan_policy == "listwise":
        frame = frame.dropna()
        x = frame.to_numpy()
        cov = np.cov(x, rowvar=False) if len(x) >= 2 else np.full((x.shape[1],) * 2, np.nan)
    elif nan_policy == "pairwise":
        cov = _pairwise_cov(frame.to_numpy())
    else:
        raise InputError(f"nan_policy must be 'pairwise' or 'listwise', got {nan_policy!r}")
    return _alpha_from_cov(cov)


def _alpha_from_cov(cov: np.ndarray) -> float:
    k = cov.shape[0]
    total = cov.sum()
    if not np.isfinite(total) or total <= 0:
        return float("nan")
    return float(k / (k - 1) * (1.0 - np.trace(cov) / total))


def standardized_alpha(mean_r: float, k: int) -> float:
    r"""Standardized alpha (Spearman–Brown) from the mean inter-item correlation.

    Parameters
    ----------
    mean_r : float
        Mean of the k(k-1)/2 correlations between the keyed items.
    k : int
        Number of items (at least 1).

    Returns
    -------
    float

    Notes
    -----
    .. math:: \alpha_{\text{std}} = \frac{k\,\bar r}{1 + (k-1)\,\bar r}

    the reliability of the sum of k standardized items whose correlations all equal
    :math:`\bar r` (Spearman–Brown prophecy formula applied to one item).

    References
    ----------
    Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
    *Psychometrika*, 16(3), 297–334.

    Examples
    --------
    >>> round(standardized_alpha(0.3, 10), 4)
    0.8108
    """
    if k < 1:
        raise InputError(f"k must be at least 1, got {k!r}")
    return float(k * mean_r / (1 + (k - 1) * mean_r))


def corrected_item_total(responses_keyed: pd.DataFrame, scale_items: Sequence[str]) -> pd.Series:
    r"""Corrected item-total (item-rest) correlation of each item of one scale.

    Parameters
    ----------
    responses_keyed : DataFrame
        Persons × items with reverse-keyed items already reversed (see :func:`reverse_key`).
    scale_items : sequence of str
        The scale's items (at least two), columns of ``responses_keyed``.

    Returns
    -------
    Series
        Item id → correlation of the item with the sum of the scale's *other* items
        (``psych::alpha``'s ``r.drop``), named ``"r_item_rest"``.

    Notes
    -----
    From the pairwise-complete item covariance matrix :math:`C` of the scale:

    .. math:: r_{i,\text{rest}} = \frac{\sum_{j \ne i} C_{ij}}
              {\sqrt{C_{ii}\,\sum_{j \ne i}\sum_{l \ne i} C_{jl}}}

    With complete data this is exactly the Pearson correlation of the item with the rest score.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"a": [1, 2, 3, 4], "b": [1, 3, 2, 4], "c": [2, 1, 4, 3]})
    >>> corrected_item_total(frame, ["a", "b", "c"]).round(3).tolist()
    [0.99, 0.447, 0.316]
    """
    items = list(scale_items)
    frame = _float_frame(responses_keyed, "responses_keyed")
    missing = [item for item in items if item not in frame.columns]
    if missing:
        raise InputError(f"scale_items names items that are not columns of responses_keyed: {missing[:5]}")
    if len(items) < 2:
        raise InputError(f"an item-rest correlation needs at least two items, got {len(items)}")
    cov = _pairwise_cov(frame[items].to_numpy())
    out = np.empty(len(items))
    for i in range(len(items)):
        rest = np.arange(len(items)) != i
        var_rest = cov[np.ix_(rest, rest)].sum()
        with np.errstate(divide="ignore", invalid="ignore"):
            out[i] = cov[i, rest].sum() / np.sqrt(cov[i, i] * var_rest)
    return pd.Series(out, index=pd.Index(items), name="r_item_rest")


# ----------------------------------------------------------------------------- from item correlations to scales


def _correlation_frame(item_r: object, items: Sequence[str] | None) -> pd.DataFrame:
    """An item correlation matrix as a labelled square DataFrame with unit diagonal."""
    if isinstance(item_r, pd.DataFrame):
        if items is not None:
            raise InputError("items is only for an ndarray item_r; a DataFrame carries its own labels")
        frame = item_r
        if list(frame.index) != list(frame.columns):
            if set(frame.index) != set(frame.columns):
                raise InputError("item_r must have the same items as index and columns")
            frame = frame.loc[frame.columns]
    else:
        array = np.asarray(item_r, dtype=np.float64)
        if array.ndim != 2 or array.shape[0] != array.shape[1]:
            raise InputError(f"item_r must be a square matrix, got shape {array.shape}")
        labels = list(range(array.shape[0])) if items is None else list(items)
        if len(labels) != array.shape[0]:
            raise InputError(f"items has {len(labels)} labels but item_r has {array.shape[0]} rows")
        frame = pd.DataFrame(array, index=labels, columns=labels)
    if not frame.columns.is_unique:
        raise InputError("item_r has duplicate item labels")
    values = frame.to_numpy(dtype=np.float64, copy=True)
    np.fill_diagonal(values, 1.0)
    return pd.DataFrame(values, index=frame.columns, columns=frame.columns)


def key_weights(scales: Mapping[str, pd.Series], items: Sequence[object]) -> np.ndarray:
    """Items × scales matrix of keys (±1; 0 where an item is not in a scale), rows in ``items`` order.

    Examples
    --------
    >>> key_weights({"s": pd.Series({"b": -1, "a": 1})}, ["a", "b", "c"]).tolist()
    [[1.0], [-1.0], [0.0]]
    """
    columns = items if isinstance(items, pd.Index) else pd.Index(items)
    checked = _check_scales(scales, columns)
    w = np.zeros((len(columns), len(checked)))
    for j, keys in enumerate(checked.values()):
        w[columns.get_indexer(keys.index), j] = keys.to_numpy(dtype=np.float64)
    return w


def scale_correlations_from_items(
    item_r: pd.DataFrame | np.ndarray,
    scales: Mapping[str, pd.Series],
    *,
    items: Sequence[str] | None = None,
) -> pd.DataFrame:
    r"""Correlations of unit-weighted composite scales, from an item correlation matrix alone.

    Parameters
    ----------
    item_r : DataFrame or (k, k) array
        Item correlations, observed or predicted (e.g. cosine similarities of item embeddings).
        The diagonal is taken to be 1 whatever it holds.
    scales : dict of str to Series
        Scale name → keys (item id → +1 / -1). Scales may share items.
    items : sequence of str, optional
        Item ids labelling the rows/columns of an ndarray ``item_r``; without it the keys'
        index must hold integer positions.

    Returns
    -------
    DataFrame
        Scales × scales, in the order of ``scales``. A scale whose composite variance is not
        positive (possible for a predicted matrix that is not positive semi-definite) gives ``NaN``.

    Notes
    -----
    With keys :math:`k_i` and the unit-diagonal matrix :math:`r`,

    .. math:: r(S, T) = \frac{\sum_{i \in S}\sum_{j \in T} k_i k_j r_{ij}}
              {\sqrt{\sum_{i, i' \in S} k_i k_{i'} r_{ii'} \;\sum_{j, j' \in T} k_j k_{j'} r_{jj'}}}

    computed as :math:`W^\top r W` with :math:`W` the items × scales key matrix. This is the
    correlation of the sums of *standardized* items: for raw sum scores it is exact only when
    the items have equal variances, and close when the variances are similar (Likert items).
    The ``NaN`` cells of ``item_r`` that a scale pair needs propagate to that cell.

    References
    ----------
    Nunnally, J. C., & Bernstein, I. H. (1994). *Psychometric theory* (3rd ed.), ch. 5
    (linear combinations). McGraw-Hill.
    Hommel, B. E., & Arslan, R. C. (2025). Language models accurately infer correlations
    between psychological items and scales from text alone. *Advances in Methods and Practices
    in Psychological Science*. doi:10.1177/25152459251377093

    Examples
    --------
    >>> import pandas as pd
    >>> r = pd.DataFrame([[1, .5, .3], [.5, 1, .3], [.3, .3, 1]], index=list("abc"), columns=list("abc"))
    >>> out = scale_correlations_from_items(r, {"s": pd.Series({"a": 1, "b": 1}), "t": pd.Series({"c": 1})})
    >>> round(float(out.loc["s", "t"]), 4)
    0.3464
    """
    cov = _composite_covariance(item_r, scales, items)
    var = np.diag(cov).copy()
    var[~(var > 0)] = np.nan
    with np.errstate(invalid="ignore"):
        out = cov / np.sqrt(np.outer(var, var))
    names = list(scales)
    return pd.DataFrame(np.clip(out, -1.0, 1.0), index=pd.Index(names), columns=pd.Index(names))


def _composite_covariance(item_r: object, scales: Mapping[str, pd.Series], items: Sequence[str] | None) -> np.ndarray:
    r""":math:`W^\top r W` for the keyed items × scales matrix W; NaN where a needed cell of r is NaN."""
    frame = _correlation_frame(item_r, items)
    w = key_weights(scales, frame.columns)
    used = w.any(axis=1)
    r = frame.to_numpy()[np.ix_(used, used)]
    wu = w[used]
    # NaN-aware W'rW: a NaN in a needed cell must give NaN, a NaN in an unused cell must not matter.
    cov = wu.T @ np.nan_to_num(r, nan=0.0) @ wu
    nan_hit = (np.abs(wu).T @ np.isnan(r).astype(np.float64) @ np.abs(wu)) > 0
    cov = (cov + cov.T) / 2  # exact symmetry despite rounding
    cov[nan_hit] = np.nan
    return cov


def scale_alphas_from_items(
    item_r: pd.DataFrame | np.ndarray,
    scales: Mapping[str, pd.Series],
    *,
    items: Sequence[str] | None = None,
) -> pd.Series:
    r"""Standardized alpha of every scale at once from an item correlation matrix.

    Parameters
    ----------
    item_r : DataFrame or (k, k) array
        Item correlations, observed or predicted; see :func:`scale_correlations_from_items`.
    scales : dict of str to Series
        Scale name → keys (item id → +1 / -1), at least two items each.
    items : sequence of str, optional
        Labels for an ndarray ``item_r``.

    Returns
    -------
    Series
        Scale → alpha, equal to :func:`alpha_from_item_correlations` of each scale.

    Notes
    -----
    With :math:`v_S = \sum_{i,i' \in S} k_i k_{i'} r_{ii'}` (the variance of the sum of standardized
    keyed items), :math:`\alpha_S = \frac{k}{k-1}\left(1 - \frac{k}{v_S}\right)`, which is the
    standardized alpha :math:`k\bar r / (1 + (k-1)\bar r)`; all scales come from one :math:`W^\top r W`.
    """
    sizes = np.array([len(keys) for keys in scales.values()], dtype=np.float64)
    if (sizes < 2).any():
        raise InputError("alpha needs at least two items in every scale")
    var = np.diag(_composite_covariance(item_r, scales, items))
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = sizes / (sizes - 1) * (1 - sizes / var)
    return pd.Series(alpha, index=pd.Index(list(scales)), name="alpha")


def alpha_from_item_correlations(
    item_r: pd.DataFrame | np.ndarray,
    keys: pd.Series,
    *,
    items: Sequence[str] | None = None,
) -> float:
    r"""Standardized alpha of one scale from an item correlation matrix (observed or predicted).

    Parameters
    ----------
    item_r : DataFrame or (k, k) array
        Item correlations; see :func:`scale_correlations_from_items`.
    keys : Series
        The scale's items (item id → +1 / -1), at least two.
    items : sequence of str, optional
        Labels for an ndarray ``item_r``.

    Returns
    -------
    float
        :func:`standardized_alpha` of the mean keyed inter-item correlation
        :math:`\bar r = \operatorname{mean}_{i<j} k_i k_j r_{ij}`; ``NaN`` if a needed cell is ``NaN``.

    References
    ----------
    Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
    *Psychometrika*, 16(3), 297–334.

    Examples
    --------
    >>> import pandas as pd
    >>> r = pd.DataFrame([[1, -.4], [-.4, 1]], index=["a", "b"], columns=["a", "b"])
    >>> round(alpha_from_item_correlations(r, pd.Series({"a": 1, "b": -1})), 4)
    0.5714
    """
    frame = _correlation_frame(item_r, items)
    keys = _check_keys(keys, frame.columns)
    k = len(keys)
    if k < 2:
        raise InputError(f"alpha needs at least two items, got {k}")
    sub = frame.loc[keys.index, keys.index].to_numpy()
    signs = keys.to_numpy(dtype=np.float64)
    keyed = sub * np.outer(signs, signs)
    mean_r = keyed[np.triu_indices(k, 1)].mean()
    return standardized_alpha(float(mean_r), k)


def omega_from_item_correlations(
    item_r: pd.DataFrame | np.ndarray,
    keys: pd.Series,
    *,
    items: Sequence[str] | None = None,
) -> float:
    r"""McDonald's omega (total) of one scale from an item correlation matrix (observed or predicted).

    Parameters
    ----------
    item_r : DataFrame or (k, k) array
        Item correlations; see :func:`scale_correlations_from_items`.
    keys : Series
        The scale's items (item id → +1 / -1), at least three (a one-factor model of two items is
        not identified).
    items : sequence of str, optional
        Labels for an ndarray ``item_r``.

    Returns
    -------
    float
        ``NaN`` if a needed cell is ``NaN``.

    Notes
    -----
    A one-factor model is fitted to the keyed correlation matrix by iterated principal axis
    factoring (:func:`one_factor_loadings`), whose fixed point is the unweighted least squares
    (minimum residual) solution; with loadings :math:`\lambda_i` of standardized items,

    .. math:: \omega = \frac{(\sum_i \lambda_i)^2}{(\sum_i \lambda_i)^2 + \sum_i (1 - \lambda_i^2)}.

    Loadings are oriented so that their sum is positive (the keys already point the items one way).

    References
    ----------
    McDonald, R. P. (1999). *Test theory: A unified treatment*. Erlbaum.
    Revelle, W., & Zinbarg, R. E. (2009). Coefficients alpha, beta, omega, and the glb.
    *Psychometrika*, 74(1), 145–154.

    Examples
    --------
    >>> import pandas as pd
    >>> r = pd.DataFrame([[1, .5, .5], [.5, 1, .5], [.5, .5, 1]], index=list("abc"), columns=list("abc"))
    >>> round(omega_from_item_correlations(r, pd.Series({"a": 1, "b": 1, "c": 1})), 4)
    0.75
    """
    frame = _correlation_frame(item_r, items)
    keys = _check_keys(keys, frame.columns)
    k = len(keys)
    if k < 3:
        raise InputError(f"omega needs at least three items (a one-factor model of {k} is not identified)")
    signs = keys.to_numpy(dtype=np.float64)
    keyed = frame.loc[keys.index, keys.index].to_numpy() * np.outer(signs, signs)
    np.fill_diagonal(keyed, 1.0)
    if not np.isfinite(keyed).all():
        return float("nan")
    loadings = one_factor_loadings(keyed)
    common = loadings.sum() ** 2
    return float(common / (common + np.sum(1 - loadings**2)))


def one_factor_loadings(r: np.ndarray, *, tol: float = 1e-9, max_iter: int = 1000) -> np.ndarray:
    r"""Loadings of a one-factor model of a correlation matrix by iterated principal axis factoring.

    Parameters
    ----------
    r : (k, k) array
        A finite correlation matrix (unit diagonal).
    tol : float
        Stop when no communality changes by more than this.
    max_iter : int
        Iteration cap.

    Returns
    -------
    (k,) array
        Loadings in [-1, 1], oriented so that their sum is positive.

    Notes
    -----
    Start from the squared multiple correlations (or 0.5 where the matrix is singular), put the
    communalities :math:`h_i^2` on the diagonal, take the leading eigenpair
    :math:`\lambda = \sqrt{\mu_1} v_1`, set :math:`h^2 = \lambda^2` (capped at 1, the Heywood
    bound) and repeat. The fixed point minimises the off-diagonal squared residuals — the
    unweighted least squares / minres solution (Harman, 1976), which ``factor_analyzer``'s minres
    finds by numerical optimisation in seconds per scale where this takes milliseconds (a test
    compares them).

    References
    ----------
    Harman, H. H. (1976). *Modern factor analysis* (3rd ed.). University of Chicago Press.
    """
    r = np.asarray(r, dtype=np.float64)
    try:
        with np.errstate(divide="ignore", invalid="ignore"):  # a singular matrix: the 0.5 start below
            smc = 1 - 1 / np.diag(np.linalg.inv(r))
        communality = np.clip(smc, 0.0, 1.0) if np.isfinite(smc).all() else np.full(len(r), 0.5)
    except np.linalg.LinAlgError:
        communality = np.full(len(r), 0.5)
    reduced = r.copy()
    loadings = np.sqrt(communality)
    for _ in range(max_iter):
        np.fill_diagonal(reduced, communality)
        values, vectors = np.linalg.eigh(reduced)
        loadings = vectors[:, -1] * np.sqrt(max(values[-1], 0.0))
        updated = np.minimum(loadings**2, 1.0)
        done = np.max(np.abs(updated - communality)) < tol
        communality = updated
        if done:
            break
    loadings = np.clip(loadings, -1.0, 1.0)
    return loadings if loadings.sum() >= 0 else -loadings
