"""The public Python API: one function per question, a DataFrame out.

These functions are the thin layer between the user and the pure analysis
code: they validate inputs, resolve the taxonomy and the encoder (with its
cache), embed every distinct text in one batch, call the analysis function and
attach provenance to the result (``frame.attrs["provenance"]``).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from traitlens.analysis.profiles import (
    assignment_frame,
    bipolar_scores,
    pole_prototypes,
    profile_frame,
    signed_scores,
)
from traitlens.analysis.profiles import infer_keys as analysis_infer_keys
from traitlens.analysis.similarity import similarity_frame
from traitlens.constructs.bigfive import canonical_factor
from traitlens.constructs.exemplars import exemplar_pool
from traitlens.constructs.taxonomy import Taxonomy, load_taxonomy
from traitlens.encoders import CacheSpec, Encoder, ModelSpec, load_encoder
from traitlens.errors import InputError
from traitlens.io.texts import prepare_texts
from traitlens.provenance import make_provenance

DEFAULT_TAXONOMY = "bigfive-keywords"


def similarity(
    texts: Iterable[str],
    taxonomy: str | Path | Taxonomy = DEFAULT_TAXONOMY,
    model: ModelSpec = None,
    *,
    cache: CacheSpec = True,
) -> pd.DataFrame:
    """Cosine similarity of every text with every keyword of a taxonomy.

    Texts and keywords are embedded together in one batch (each distinct text
    once; cached vectors are reused), then compared by cosine similarity.

    Parameters
    ----------
    texts : iterable of str
        Behaviour descriptions, items, any short texts. Blank texts are skipped
        with a warning; duplicates are reported once per occurrence.
    taxonomy : str, Path or Taxonomy
        Built-in name (default ``"bigfive-keywords"``) or a YAML/CSV file.
    model : str, path, Encoder or None
        Hub id, local folder, an :class:`~traitlens.encoders.Encoder`, or None
        for the bundled all-MiniLM-L6-v2.
    cache : bool, path or EmbeddingCache
        Embedding cache to use (default: the user cache); ``False`` for none.

    Returns
    -------
    DataFrame
        ``sentence, factor, [facet,] keyword, similarity``, one row per text ×
        keyword; ``attrs["provenance"]`` records versions, model and taxonomy.

    Notes
    -----
    ``similarity = cos(e(text), e(keyword))`` with ``e`` the model's pooled,
    L2-normalised sentence embedding — the measure used for construct
    similarity since Arnulf et al. (2014) and in Wulff & Mata (2025).

    Examples
    --------
    >>> from traitlens import similarity
    >>> frame = similarity(["I like to work hard."])  # doctest: +SKIP
    >>> frame.shape  # doctest: +SKIP
    (15, 4)
    """
    items = prepare_texts(texts)
    tax = load_taxonomy(taxonomy)
    keywords = tax.keyword_table()
    encoder = load_encoder(model, cache=cache)
    kw_texts = keywords["keyword"].tolist()
    vectors = encoder.encode(items + kw_texts)
    frame = similarity_frame(items, vectors[: len(items)], keywords, vectors[len(items):])
    frame.attrs["provenance"] = make_provenance(
        encoder, analysis="similarity", taxonomy={"name": tax.name, "fingerprint": tax.fingerprint}
    )
    return frame


DEFAULT_PROFILE_TAXONOMY = "bigfive"
#: Relevance margin below which :func:`assign` abstains ("no clear construct"); calibrated by
#: ``benchmarks/calibrate_abstain.py`` on BFI, SPI-135 and IPIP-NEO-300 (leave-one-inventory-out) as the
#: smallest margin above which 90% of factor assignments are correct (0.209; 28% of those items pass).
DEFAULT_MIN_MARGIN = 0.21


class UnipolarWarning(UserWarning):
    """Some constructs have no pole descriptors or exemplars; their score is unipolar (similarity only)."""


class LanguageWarning(UserWarning):
    """Some texts do not look like English; the bundled models and exemplars are English."""


_ENGLISH = frozenset(  # function words that are rare outside English
    "i me my am are was the to of and at with for about like often rarely never always usually get have has "
    "feel things people others myself when what it that this very can will would don't not you your".split()
)


def _warn_language(texts: list[str]) -> None:
    odd = []
    for text in texts:
        letters = [c for c in text if c.isalpha()]
        words = [w.strip(".,!?;:'\"").casefold() for w in text.split()]
        non_ascii = sum(not c.isascii() for c in letters) / max(len(letters), 1)
        if non_ascii > 0.3 or (len(words) >= 4 and not _ENGLISH.intersection(words)):
            odd.append(text)
    if odd:
        shown = "; ".join(repr(t[:40]) for t in odd[:3])
        warnings.warn(f"{len(odd)} text(s) may not be English ({shown}); the models and exemplars are English, "
                      "so their scores are less reliable", LanguageWarning, stacklevel=3)


@dataclass(frozen=True)
class _Bipolar:
    names: list[str]
    high: np.ndarray
    low: np.ndarray
    provenance: dict[str, object]


def _construct_exemplars(tax: Taxonomy, level: str, pool: pd.DataFrame | None) -> pd.DataFrame:
    """Exemplars as ``construct, text, key`` for the constructs of ``tax`` at ``level``."""
    rows = []
    for factor in tax.factors:
        constructs = [factor] if level == "factor" else list(factor.facets)
        for construct in constructs:
            evidence = [construct, *factor.facets] if level == "factor" else [construct]
            for source in evidence:
                rows += [(construct.name, t, 1) for t in source.high]
                rows += [(construct.name, t, -1) for t in source.low]
    frame = pd.DataFrame(rows, columns=["construct", "text", "key"])
    if pool is None or pool.empty:
        return frame
    if level == "factor":
        lookup = {canonical_factor(f.name) or canonical_factor(f.label): f.name for f in tax.factors}
        mapped = pool.assign(construct=pool["factor"].map(lookup))
    else:
        names = {c.name for f in tax.factors for c in f.facets}
        mapped = pool.assign(construct=pool["facet"].where(pool["facet"].isin(names)))
    mapped = mapped.dropna(subset=["construct"])[["construct", "text", "key"]]
    return pd.concat([frame, mapped], ignore_index=True).drop_duplicates().reset_index(drop=True)


def bipolar_evidence(
    texts: list[str],
    taxonomy: str | Path | Taxonomy,
    level: str,
    encoder: Encoder,
    pool: pd.DataFrame | None,
) -> _Bipolar:
    """Encode texts and exemplars once and score every text on every construct (high and low poles).

    Constructs with neither pole descriptors nor exemplars fall back to their keywords, definition and
    label as unipolar evidence, with a :class:`UnipolarWarning`.
    """
    tax = load_taxonomy(taxonomy)
    if level not in {"factor", "facet"}:
        raise InputError(f"level must be 'factor' or 'facet'; got {level!r}")
    constructs = tax.factors if level == "factor" else [c for f in tax.factors for c in f.facets]
    if not constructs:
        raise InputError(f"taxonomy {tax.name!r} has no {level}s")
    names = [c.name for c in constructs]
    exemplars = _construct_exemplars(tax, level, pool)
    have = set(exemplars["construct"])
    unipolar = [c for c in constructs if c.name not in have]
    if unipolar:
        warnings.warn(f"{len(unipolar)} construct(s) of {tax.name!r} have no pole descriptors or exemplars "
                      f"({', '.join(c.name for c in unipolar[:5])}); their score is unipolar (similarity to "
                      "their keywords, definition and label), not a direction", UnipolarWarning, stacklevel=3)
        extra = [(c.name, t, 1) for c in unipolar for t in [*c.keywords, c.definition or "", c.display] if t]
        exemplars = pd.concat([exemplars, pd.DataFrame(extra, columns=["construct", "text", "key"])],
                              ignore_index=True)
    ex_texts = exemplars["text"].tolist()
    vectors = encoder.encode(texts + ex_texts)
    text_vecs, ex_vecs = vectors[: len(texts)], vectors[len(texts):]
    center = ex_vecs.mean(axis=0)
    high, low = pole_prototypes(ex_vecs, exemplars["construct"], exemplars["key"], names, center)
    high_sim, low_sim = bipolar_scores(text_vecs, high, low, center)
    counts = exemplars.groupby("construct").size()
    provenance = make_provenance(
        encoder, taxonomy={"name": tax.name, "fingerprint": tax.fingerprint}, level=level,
        exemplars={"n": len(exemplars), "min_per_construct": int(counts.min()),
                   "sources": sorted(set(pool["source"])) if pool is not None and len(pool) else ["taxonomy"]},
        unipolar=[c.name for c in unipolar],
    )
    return _Bipolar(names, high_sim, low_sim, provenance)


def _pool(exemplars: str | pd.DataFrame, data_dir: str | Path | None) -> pd.DataFrame | None:
    if isinstance(exemplars, pd.DataFrame):
        missing = {"text", "factor", "facet", "key"} - set(exemplars.columns)
        if missing:
            raise InputError(f"exemplars frame lacks columns {sorted(missing)}")
        return exemplars.assign(source=exemplars.get("source", "user"))
    if exemplars == "taxonomy":
        return None
    if exemplars == "builtin":
        return exemplar_pool(data_dir=data_dir)
    raise InputError(f"exemplars must be 'builtin', 'taxonomy' or a DataFrame; got {exemplars!r}")


def _score_texts(texts: Iterable[str], taxonomy: str | Path | Taxonomy, level: str, model: ModelSpec,
                 exemplars: str | pd.DataFrame, data_dir: str | Path | None,
                 cache: CacheSpec) -> tuple[list[str], _Bipolar]:
    """Validate the texts, warn about language, and compute their bipolar evidence."""
    items = prepare_texts(texts)
    _warn_language(items)
    encoder = load_encoder(model, cache=cache)
    return items, bipolar_evidence(items, taxonomy, level, encoder, _pool(exemplars, data_dir))


def profile(
    texts: Iterable[str],
    taxonomy: str | Path | Taxonomy = DEFAULT_PROFILE_TAXONOMY,
    level: str = "factor",
    model: ModelSpec = None,
    *,
    exemplars: str | pd.DataFrame = "builtin",
    data_dir: str | Path | None = None,
    cache: CacheSpec = True,
) -> pd.DataFrame:
    """Signed (bipolar) trait profile of each text.

    Parameters
    ----------
    texts : iterable of str
        Behaviour descriptions or items.
    taxonomy : str, Path or Taxonomy
        Default ``"bigfive"``; ``"bigfive-facets"`` with ``level="facet"`` for the 30 facets.
    level : {"factor", "facet"}
    model : str, path, Encoder or None
        Default: the bundled all-MiniLM-L6-v2.
    exemplars : {"builtin", "taxonomy"} or DataFrame
        Evidence for the poles: ``"builtin"`` = the taxonomy's pole descriptors plus the items of the
        built-in inventories with their keys; ``"taxonomy"`` = descriptors only; or your own frame
        with columns ``text, factor, facet, key``.
    data_dir : path, optional
        Shared data folder; adds the Wulff & Mata IPIP scale items as exemplars.
    cache : bool, path or EmbeddingCache

    Returns
    -------
    DataFrame
        ``text, construct, score, low, high, confidence``: ``score`` > 0 toward the high pole, < 0
        toward the low pole (``high - low``, cosines in exemplar-centred space, comparable across
        constructs); ``confidence`` is the text's relative construct weight (sums to 1 per text).

    Notes
    -----
    See :mod:`traitlens.analysis.profiles` for the formula and what else was tried.

    Examples
    --------
    >>> frame = profile(["I stay calm under pressure.", "I panic under pressure."])  # doctest: +SKIP
    >>> frame[frame.construct == "Neuroticism"]["score"].round(2).tolist()  # doctest: +SKIP
    [-0.2, 0.25]
    """
    items, evidence = _score_texts(texts, taxonomy, level, model, exemplars, data_dir, cache)
    frame = profile_frame(items, evidence.names, evidence.high, evidence.low)
    frame.attrs["provenance"] = {**evidence.provenance, "analysis": "profile"}
    return frame


def assign(
    items: Iterable[str],
    taxonomy: str | Path | Taxonomy = DEFAULT_PROFILE_TAXONOMY,
    level: str = "factor",
    model: ModelSpec = None,
    *,
    exemplars: str | pd.DataFrame = "builtin",
    data_dir: str | Path | None = None,
    min_margin: float = DEFAULT_MIN_MARGIN,
    cache: CacheSpec = True,
) -> pd.DataFrame:
    """Assign each item to its construct, with an inferred key and an abstain flag.

    Parameters are as in :func:`profile`, plus ``min_margin``: the relevance margin over the runner-up
    construct below which the assignment is flagged not ``confident`` ("no clear construct").

    Returns
    -------
    DataFrame
        ``item, construct, key, score, margin, confident``: ``key`` is +1 if the item expresses the high
        pole of its construct, -1 for the low pole.
    """
    texts, evidence = _score_texts(items, taxonomy, level, model, exemplars, data_dir, cache)
    frame = assignment_frame(texts, evidence.names, evidence.high, evidence.low, min_margin)
    frame.attrs["provenance"] = {**evidence.provenance, "analysis": "assign", "min_margin": min_margin}
    return frame


def loadings(
    items: Iterable[str],
    taxonomy: str | Path | Taxonomy = DEFAULT_PROFILE_TAXONOMY,
    level: str = "factor",
    model: ModelSpec = None,
    *,
    exemplars: str | pd.DataFrame = "builtin",
    data_dir: str | Path | None = None,
    cache: CacheSpec = True,
) -> pd.DataFrame:
    """Semantic loading table: one row per item, one column per construct, cells = signed score.

    The wide view of :func:`profile` (its ``score`` column), index ``item``.
    """
    frame = profile(items, taxonomy, level, model, exemplars=exemplars, data_dir=data_dir, cache=cache)
    order = list(dict.fromkeys(frame["construct"]))
    table = frame.drop_duplicates(["text", "construct"]).pivot(index="text", columns="construct", values="score")
    table = table.reindex(index=list(dict.fromkeys(frame["text"])), columns=order)
    table.index.name = "item"
    table.columns.name = None
    table.attrs["provenance"] = {**frame.attrs["provenance"], "analysis": "loadings"}
    return table


def infer_keys(
    items: Iterable[str],
    keys: Sequence[float] | None = None,
    construct: str | None = None,
    taxonomy: str | Path | Taxonomy = DEFAULT_PROFILE_TAXONOMY,
    model: ModelSpec = None,
    *,
    exemplars: str | pd.DataFrame = "builtin",
    data_dir: str | Path | None = None,
    cache: CacheSpec = True,
) -> pd.DataFrame:
    """Infer the keys of the items of one scale.

    Parameters
    ----------
    items : iterable of str
        The scale's items.
    keys : sequence of float, optional
        Known keys (+1/-1, NaN for unknown); kept as given, they orient the rest.
    construct : str, optional
        The construct the scale measures (a factor or facet of ``taxonomy``). With it, each item's key
        is the sign of its bipolar score on that construct; without it, the sign of its projection on
        the items' first principal axis (oriented by the known keys, else so that most items are +1).

    Returns
    -------
    DataFrame
        ``item, key, inferred (bool), score`` — ``score`` is the bipolar score (with ``construct``)
        or the projection used.
    """
    texts = prepare_texts(items)
    if keys is not None and len(list(keys)) != len(texts):
        raise InputError(f"keys has {len(list(keys))} entries but there are {len(texts)} items")
    known = np.full(len(texts), np.nan) if keys is None else np.asarray(list(keys), dtype=float)
    bad = known[np.isfinite(known) & ~np.isin(known, [-1, 1])]
    if len(bad):
        raise InputError(f"keys must be +1, -1 or NaN; got {bad[0]!r}")
    encoder = load_encoder(model, cache=cache)
    if construct is not None:
        tax = load_taxonomy(taxonomy)
        facets = {c.name for f in tax.factors for c in f.facets}
        level = "facet" if construct in facets else "factor"
        evidence = bipolar_evidence(texts, tax, level, encoder, _pool(exemplars, data_dir))
        if construct not in evidence.names:
            raise InputError(f"construct {construct!r} is not a factor or facet of {tax.name!r}")
        score = signed_scores(evidence.high, evidence.low)[:, evidence.names.index(construct)]
        inferred = np.where(score >= 0, 1.0, -1.0)
        have = np.isfinite(known)
        if have.any() and np.sum(inferred[have] == known[have]) < np.sum(-inferred[have] == known[have]):
            inferred = -inferred  # the known keys say the scale is scored the other way round
        result = np.where(have, known, inferred)
        provenance = evidence.provenance
    else:
        result, score = analysis_infer_keys(encoder.encode(texts), None if keys is None else known)
        provenance = make_provenance(encoder)
    frame = pd.DataFrame({"item": texts, "key": result.astype(int), "inferred": ~np.isfinite(known),
                          "score": score})
    frame.attrs["provenance"] = {**provenance, "analysis": "infer_keys", "construct": construct}
    return frame
