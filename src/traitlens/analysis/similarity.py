"""Similarity tables: texts × keywords cosine similarity, and per-construct aggregation."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from traitlens.errors import InputError

_STATS = ("mean", "max", "min", "median")
_ROWS_PER_BLOCK = 8192


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
    b = np.asarray(b, dtype=np.float64)
    nb = np.linalg.norm(b, axis=1, keepdims=True)
    unit_b = (b / np.where(nb == 0, 1, nb)).T
    out = np.empty((len(a), b.shape[0]), dtype=np.float64)
    for start in range(0, len(a), _ROWS_PER_BLOCK):  # float64 copies of a block of rows, not of all of a
        block = np.asarray(a[start : start + _ROWS_PER_BLOCK], dtype=np.float64)
        na = np.linalg.norm(block, axis=1, keepdims=True)
        out[start : start + _ROWS_PER_BLOCK] = (block / np.where(na == 0, 1, na)) @ unit_b
    return out


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
        A text that occurs several times gets its rows at each occurrence, in
        input order (see :func:`occurrences`).

    Returns
    -------
    DataFrame
        Provenance in ``attrs`` is carried over, with ``aggregation`` added.
    """
    stats = [stats] if isinstance(stats, str) else list(stats)
    bad = [s for s in stats if s not in _STATS]
    if bad or not stats:
        raise InputError(f"stats must be some of {', '.join(_STATS)}; got {stats!r}")
    if by not in {"factor", "facet"}:
        raise InputError(f"by must be 'factor' or 'facet'; got {by!r}")
    if by not in frame:
        raise InputError("the taxonomy has no facets: aggregate by factor, or use a taxonomy with facets "
                         "(e.g. bigfive-facets)")
    occurrence = occurrences(frame)
    data = frame.assign(_occurrence=occurrence).dropna(subset=[by])
    # One row per occurrence of a text: a duplicated text keeps a row in each of its places.
    key = data.groupby(["_occurrence", by], sort=False)
    long = key["similarity"].agg(stats).reset_index()
    long.insert(0, "sentence", frame["sentence"].to_numpy()[_first_rows(occurrence)][long["_occurrence"]])
    if wide:
        table = long.pivot(index="_occurrence", columns=by, values=stats)
        constructs = list(dict.fromkeys(data[by]))
        order = pd.unique(occurrence)
        table = table.reindex(index=order, columns=pd.MultiIndex.from_product([stats, constructs]))
        table.columns = [c if len(stats) == 1 else f"{c} ({s})" for s, c in table.columns]
        table.columns.name = None
        table.index = pd.Index(frame["sentence"].to_numpy()[_first_rows(occurrence)][order], name="sentence")
        long = table
    else:
        long = long.drop(columns="_occurrence")
    long.attrs = dict(frame.attrs)
    if "provenance" in long.attrs:
        long.attrs["provenance"] = {**long.attrs["provenance"], "aggregation": {"by": by, "stats": stats}}
    return long


def occurrences(frame: pd.DataFrame) -> np.ndarray:
    """Number every row of a similarity table by the occurrence of the text it belongs to (0, 1, 2, …).

    A :func:`similarity_frame` has the same ``m`` rows (keywords) for each occurrence of a text, in
    input order, so the rows of one text split into blocks of ``m`` (``m``: the fewest rows any text has,
    or fewer where the first text's keywords start over, checked to divide every text's count). A table
    without that shape (filtered unevenly) falls back to runs of consecutive rows of the same text.

    Parameters
    ----------
    frame : DataFrame
        With a ``sentence`` column.

    Returns
    -------
    (len(frame),) int array
        Occurrence numbers, increasing in the order the occurrences first appear.
    """
    sentence = frame["sentence"].reset_index(drop=True)
    if not len(sentence):
        return np.zeros(0, dtype=np.int64)
    sizes = sentence.value_counts()
    m = int(sizes.min())
    columns = [c for c in ("factor", "facet", "keyword") if c in frame]
    if columns:  # a text that only ever occurs twice in a row: its keywords start over where the next begins
        first = frame.loc[frame["sentence"].to_numpy() == sentence.iloc[0], columns].head(m).astype(str)
        row = first.agg("\x1f".join, axis=1).tolist()
        restart = next((k for k in range(1, len(row)) if row[k] == row[0]), None)
        if restart is not None and (sizes % restart == 0).all():
            m = restart
    if (sizes % m == 0).all():
        block = sentence.groupby(sentence, sort=False).cumcount().to_numpy() // m
        keys = pd.MultiIndex.from_arrays([sentence.to_numpy(), block])
        return pd.factorize(keys)[0].astype(np.int64)
    return (sentence != sentence.shift()).cumsum().to_numpy().astype(np.int64) - 1


def _first_rows(occurrence: np.ndarray) -> np.ndarray:
    """Row index of the first row of each occurrence number (indexable by occurrence)."""
    _, first = np.unique(occurrence, return_index=True)
    return first
