"""Similarity tables: texts × keywords cosine similarity, and per-construct aggregation."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from traitlens.errors import InputError

_STATS = ("mean", "max", "min", "median")


def cosine_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    r"""Cosine similarity of every row of ``a`` with every row of ``b``.

    Parameters
    ----------
    a : (n, d) array
    b : (m, d) array

    Returns
    -------
    (n, m) float64 array

    Notes
    -----
    :math:`\cos(a_i, b_j) = a_i \cdot b_j / (\lVert a_i\rVert \lVert b_j\rVert)`; computed in float64
    so that the result matches sentence-transformers' ``util.cos_sim`` to ~1e-7. Zero rows give 0.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    na = np.linalg.norm(a, axis=1, keepdims=True)
    nb = np.linalg.norm(b, axis=1, keepdims=True)
    return (a / np.where(na == 0, 1, na)) @ (b / np.where(nb == 0, 1, nb)).T


def similarity_frame(texts: Sequence[str], similarities: np.ndarray, keywords: pd.DataFrame) -> pd.DataFrame:
    """Tidy texts × keywords table of cosine similarities.

    Parameters
    ----------
    texts : sequence of str
        The texts, one per row of ``similarities`` (duplicates allowed: each
        occurrence gets its own rows).
    similarities : (n, m) array
        Cosine of each text with each keyword (:func:`cosine_matrix`).
    keywords : DataFrame
        One row per keyword (column of ``similarities``) with columns ``factor``,
        ``keyword`` and optionally ``facet`` (as returned by :meth:`Taxonomy.keyword_table`).

    Returns
    -------
    DataFrame
        ``sentence, factor, [facet,] keyword, similarity``: one row per text ×
        keyword, texts in input order, keywords in taxonomy order. ``facet`` is
        present only when some keyword belongs to a facet.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> kw = pd.DataFrame({"factor": ["F"], "keyword": ["k"]})
    >>> sims = cosine_matrix(np.array([[1.0, 0]]), np.array([[1.0, 1]]))
    >>> similarity_frame(["t"], sims, kw)["similarity"].round(4).tolist()
    [0.7071]
    """
    sims = np.asarray(similarities, dtype=np.float64)
    n, m = sims.shape
    if len(texts) != n:
        raise InputError(f"{len(texts)} texts but {n} rows of similarities")
    if len(keywords) != m:
        raise InputError(f"{len(keywords)} keywords but {m} columns of similarities")
    out = {
        "sentence": np.repeat(np.asarray(texts, dtype=object), m),
        "factor": np.tile(keywords["factor"].to_numpy(), n),
    }
    if "facet" in keywords and keywords["facet"].notna().any():
        out["facet"] = np.tile(keywords["facet"].to_numpy(), n)
    out["keyword"] = np.tile(keywords["keyword"].to_numpy(), n)
    out["similarity"] = sims.reshape(-1)
    return pd.DataFrame(out)


def aggregate_similarity(
    frame: pd.DataFrame,
    by: str = "factor",
    stats: str | Sequence[str] = ("mean", "max"),
    wide: bool = False,
) -> pd.DataFrame:
    """Aggregate a :func:`similarity_frame` per text and construct.

    Parameters
    ----------
    frame : DataFrame
        Output of :func:`similarity_frame` / :func:`traitlens.similarity`.
    by : {"factor", "facet"}
        Construct level to aggregate keywords to.
    stats : str or sequence of {"mean", "max", "min", "median"}
        Statistics of the keyword similarities within each construct.
    wide : bool
        ``False`` (default): long frame ``sentence, <by>, <stat>...``, one row per
        text × construct. ``True``: one row per text (index ``sentence``), one
        column per construct (``"<construct> (<stat>)"`` when several stats).

    Returns
    -------
    DataFrame
        Provenance in ``attrs`` is carried over, with ``aggregation`` added.
    """
    stats = [stats] if isinstance(stats, str) else list(stats)
    bad = [s for s in stats if s not in _STATS]
    if bad or not stats:
        raise InputError(f"stats must be some of {', '.join(_STATS)}; got {stats!r}")
    if by not in {"factor", "facet"} or by not in frame:
        raise InputError(f"by must be 'factor' or 'facet' (a column of the frame); got {by!r}")
    data = frame.dropna(subset=[by])
    # A duplicated text has identical rows in every occurrence; it aggregates to one row per distinct text.
    key = data.groupby(["sentence", by], sort=False)["similarity"]
    long = key.agg(stats).reset_index()
    keep = list(dict.fromkeys(frame["sentence"]))
    long["sentence"] = pd.Categorical(long["sentence"], categories=keep, ordered=True)
    long = long.sort_values("sentence", kind="stable").reset_index(drop=True)
    long["sentence"] = long["sentence"].astype(object)
    if wide:
        table = long.pivot(index="sentence", columns=by, values=stats)
        constructs = list(dict.fromkeys(data[by]))
        table = table.reindex(index=keep, columns=pd.MultiIndex.from_product([stats, constructs]))
        table.columns = [c if len(stats) == 1 else f"{c} ({s})" for s, c in table.columns]
        table.columns.name = None
        long = table
    long.attrs = dict(frame.attrs)
    if "provenance" in long.attrs:
        long.attrs["provenance"] = {**long.attrs["provenance"], "aggregation": {"by": by, "stats": stats}}
    return long
