"""The public Python API: one function per question, a DataFrame out.

Each function validates its arguments (texts, taxonomy, model, exemplars), calls one function of
:mod:`traitlens.engine` — which encodes everything in one batch and makes one pure analysis call —
and shapes the result into a tidy DataFrame whose ``attrs["provenance"]`` records how it was made.
No analysis happens here.

Vocabulary, the same in every function: ``texts`` are the strings to score (behaviour descriptions,
questionnaire items); ``taxonomy`` names the constructs; ``model`` the encoder; ``cache`` the
embedding cache. Every output names the scored text ``text`` — except the seed similarity table,
which keeps its published columns ``sentence, factor, keyword, similarity``.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from traitlens.analysis.correlations import (
    SCALE_PAIR_COLUMNS,
    pair_table,
    scale_predictions,
    shift_within_scales,
)
from traitlens.analysis.jinglejangle import (
    DEFAULT_CONTENT_PERCENTILE,
    DEFAULT_DIFFERENCE,
    DEFAULT_JINGLE_PERCENTILE,
    DEFAULT_LABEL_PERCENTILE,
)
from traitlens.analysis.profiles import assignment_frame, loading_table, orient_keys, profile_frame
from traitlens.analysis.profiles import infer_keys as infer_keys_from_vectors
from traitlens.analysis.similarity import similarity_frame
from traitlens.constructs.exemplars import ExemplarSpec, exemplar_source
from traitlens.constructs.inventory import Inventory, load_inventory
from traitlens.constructs.scales import ScaleCollection, load_scales, read_item_table
from traitlens.constructs.taxonomy import Taxonomy, load_taxonomy
from traitlens.encoders import CacheSpec, ModelSpec, load_encoder
from traitlens.engine import CORRELATION_METHODS, ProfileRun, bipolar, item_correlations, keyword_similarity
from traitlens.errors import InputError
from traitlens.fingerprint import content_fingerprint
from traitlens.io.texts import PreparedTexts, normalise_text, prepare_texts, warn_if_not_english
from traitlens.psychometrics import key_weights
from traitlens.training.head import has_head, load_head
from traitlens.training.scale_prior import load_scale_prior

DEFAULT_TAXONOMY = "bigfive-keywords"
DEFAULT_PROFILE_TAXONOMY = "bigfive"
#: Relevance margin below which :func:`assign` abstains ("no clear construct"); calibrated by
#: ``benchmarks/calibrate_abstain.py`` on BFI, SPI-135 and IPIP-NEO-300 (leave-one-inventory-out) as the
#: smallest margin above which 90% of factor assignments are correct (0.209; 28% of those items pass).
DEFAULT_MIN_MARGIN = 0.21
#: |contrast| on the assigned construct below which :func:`assign`'s key is not ``key_confident`` (the poles
#: nearly tie); calibrated the same way as the smallest |contrast| above which 90% of the keys of items
#: assigned to their own construct are right (0.126; 48% of those items pass, 69% right below). Checks not
#: used in the choice: IPIP-50 76% right above vs 71% below (a weak split there), the 60 behaviour
#: descriptions 100% (21 of 60) vs 77%.
DEFAULT_MIN_KEY_CONTRAST = 0.126

TaxonomySpec = str | Path | Taxonomy


def similarity(
    texts: Iterable[str],
    taxonomy: TaxonomySpec = DEFAULT_TAXONOMY,
    model: ModelSpec = None,
    *,
    cache: CacheSpec = True,
    backend: str | None = None,
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
    backend : {"torch", "onnx", "onnx-int8", "openvino-int8", "static"}, optional
        How the model runs (default torch; see :func:`traitlens.load_encoder`). The same keyword is on
        :func:`profile`, :func:`assign`, :func:`loadings`, :func:`infer_keys`, :func:`correlate` and
        :func:`predict_scales`.

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
    clean = prepare_texts(texts)
    tax = load_taxonomy(taxonomy)
    run = keyword_similarity(clean, tax, load_encoder(model, cache=cache, backend=backend))
    frame = similarity_frame(clean, run.similarity, run.keywords)
    frame.attrs["provenance"] = {**run.provenance, "analysis": "similarity"}
    return frame


def _profile_run(texts: Iterable[str], taxonomy: TaxonomySpec, level: str, model: ModelSpec,
                 exemplars: ExemplarSpec, data_dir: str | Path | None, cache: CacheSpec,
                 backend: str | None = None) -> ProfileRun:
    """Validate the inputs of the profile family and run the engine once."""
    clean = prepare_texts(texts)
    warn_if_not_english(clean)
    tax = load_taxonomy(taxonomy)
    pool = exemplar_source(exemplars, data_dir)
    return bipolar(clean, tax, level, load_encoder(model, cache=cache, backend=backend), pool)


def profile(
    texts: Iterable[str],
    taxonomy: TaxonomySpec = DEFAULT_PROFILE_TAXONOMY,
    level: str = "factor",
    model: ModelSpec = None,
    *,
    exemplars: ExemplarSpec = "builtin",
    data_dir: str | Path | None = None,
    cache: CacheSpec = True,
    backend: str | None = None,
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
        ``text, construct, score, contrast, relevance, high, low, confidence``, one row per text ×
        construct. ``score`` is the headline: its sign is the direction (> 0 high pole, < 0 low pole),
        its magnitude how strongly the text speaks to the construct, so the largest ``|score|`` of a
        text is its :func:`assign` construct. ``contrast = high - low`` and ``relevance = max(high,
        low)`` are its parts (cosines in exemplar-centred space); ``confidence`` is the text's
        relative construct weight (sums to 1 per text).

    Notes
    -----
    See :mod:`traitlens.analysis.profiles` for the formulas, the measurement behind the headline,
    and what else was tried.

    Examples
    --------
    >>> frame = profile(["I stay calm under pressure.", "I panic under pressure."])  # doctest: +SKIP
    >>> frame[frame.construct == "Neuroticism"]["score"].round(2).tolist()  # doctest: +SKIP
    [-0.23, 0.33]
    """
    run = _profile_run(texts, taxonomy, level, model, exemplars, data_dir, cache, backend)
    frame = profile_frame(run.profile)
    frame.attrs["provenance"] = {**run.provenance, "analysis": "profile"}
    return frame


def assign(
    texts: Iterable[str],
    taxonomy: TaxonomySpec = DEFAULT_PROFILE_TAXONOMY,
    level: str = "factor",
    model: ModelSpec = None,
    *,
    exemplars: ExemplarSpec = "builtin",
    data_dir: str | Path | None = None,
    min_margin: float = DEFAULT_MIN_MARGIN,
    cache: CacheSpec = True,
    backend: str | None = None,
    min_key_contrast: float = DEFAULT_MIN_KEY_CONTRAST,
) -> pd.DataFrame:
    """Assign each text (item) to its construct, with an inferred key and two abstain flags.

    Parameters are as in :func:`profile`, plus ``min_margin``: the relevance margin over the runner-up
    construct below which the assignment is flagged not ``confident`` ("no clear construct"), and
    ``min_key_contrast``: the |contrast| on that construct below which the key is flagged not
    ``key_confident`` (the poles nearly tie; see :data:`DEFAULT_MIN_KEY_CONTRAST`).

    Returns
    -------
    DataFrame
        ``text, construct, key, score, margin, confident, key_confident``: ``key`` is +1 if the text
        expresses the high pole of its construct, -1 for the low pole; ``score`` is its :func:`profile`
        score there.
    """
    for name, value, top in (("min_margin", min_margin, 1), ("min_key_contrast", min_key_contrast, 2)):
        if isinstance(value, bool) or not isinstance(value, int | float | np.number) or not 0 <= value <= top:
            raise InputError(f"{name} must be a number between 0 and {top}; got {value!r}")
    run = _profile_run(texts, taxonomy, level, model, exemplars, data_dir, cache, backend)
    frame = assignment_frame(run.profile, min_margin, min_key_contrast)
    frame.attrs["provenance"] = {**run.provenance, "analysis": "assign", "min_margin": min_margin,
                                 "min_key_contrast": min_key_contrast}
    return frame


def loadings(
    texts: Iterable[str],
    taxonomy: TaxonomySpec = DEFAULT_PROFILE_TAXONOMY,
    level: str = "factor",
    model: ModelSpec = None,
    *,
    exemplars: ExemplarSpec = "builtin",
    data_dir: str | Path | None = None,
    cache: CacheSpec = True,
    backend: str | None = None,
) -> pd.DataFrame:
    """Semantic loading table: one row per distinct text (index ``text``), one column per construct.

    Cells are the :func:`profile` ``score`` (signed; the largest ``|score|`` of a row is its
    :func:`assign` construct).
    """
    run = _profile_run(texts, taxonomy, level, model, exemplars, data_dir, cache, backend)
    table = loading_table(run.profile)
    table.attrs["provenance"] = {**run.provenance, "analysis": "loadings"}
    return table


def infer_keys(
    texts: Iterable[str],
    keys: Sequence[float] | None = None,
    construct: str | None = None,
    taxonomy: TaxonomySpec = DEFAULT_PROFILE_TAXONOMY,
    model: ModelSpec = None,
    *,
    exemplars: ExemplarSpec = "builtin",
    data_dir: str | Path | None = None,
    cache: CacheSpec = True,
    backend: str | None = None,
) -> pd.DataFrame:
    """Infer the keys of the items of one scale.

    Parameters
    ----------
    texts : iterable of str
        The scale's items.
    keys : sequence of float, optional
        Known keys (+1/-1, NaN for unknown); kept as given, they orient the rest.
    construct : str, optional
        The construct the scale measures (a factor or facet of ``taxonomy``). With it, each item's key
        is the sign of its contrast on that construct (its projection on the construct's high − low
        axis). Without it, the items' first principal component in the space of their contrasts on
        the taxonomy's factors (the direction in which the items of a scale with reversed items
        differ most), oriented by the known keys, else so that most items get +1.

    Returns
    -------
    DataFrame
        ``text, key, inferred (bool), score`` — ``score`` is the projection used, oriented like the keys.

    Notes
    -----
    Measured with all-MiniLM-L6-v2, exemplars without the scored inventory (leakage guard applied),
    keys relative to the factor as named, share of unknown keys inferred right on BFI / IPIP-50 /
    SPI-135 (``python benchmarks/infer_keys.py``): no ``construct``, first item's key known: .85 /
    .71 / .63 (the principal component of the raw embeddings: .50 / .64 / .40); ``construct`` and no
    known key: .88 / .76 / .71; both: .70 / .60 / .69 — one known key on an item whose contrast has the
    wrong sign flips the whole scale, so give ``construct`` alone when the scale is scored toward the
    construct's high pole.
    """
    key_list = None if keys is None else list(keys)
    if key_list is not None and not isinstance(texts, str | PreparedTexts):
        texts = list(texts)  # keys pair with the texts as given: a blank text would shift every later key
        blank = [i for i, t in enumerate(texts) if isinstance(t, str) and not t.strip()]
        if blank:
            raise InputError(f"text at position {blank[0]} is blank, so the keys cannot be matched to the texts; "
                             "drop the blank text and its key")
    clean = prepare_texts(texts)
    if key_list is not None and len(key_list) != len(clean):
        raise InputError(f"keys has {len(key_list)} entries but there are {len(clean)} texts")
    known = np.full(len(clean), np.nan) if key_list is None else np.asarray(key_list, dtype=float)
    bad = known[np.isfinite(known) & ~np.isin(known, [-1, 1])]
    if len(bad):
        raise InputError(f"keys must be +1, -1 or NaN; got {bad[0]!r}")
    tax = load_taxonomy(taxonomy)
    facets = {c.name for f in tax.factors for c in f.facets}
    level = "facet" if construct is not None and construct in facets else "factor"
    encoder = load_encoder(model, cache=cache, backend=backend)
    run = bipolar(clean, tax, level, encoder, exemplar_source(exemplars, data_dir))
    if construct is not None:
        result, score = orient_keys(run.profile.contrast[:, run.profile.column(construct)], known)
    else:
        contrast = np.nan_to_num(run.profile.contrast)
        unit = contrast / np.maximum(np.linalg.norm(contrast, axis=1, keepdims=True), 1e-12)
        result, score = infer_keys_from_vectors(unit, known)
    frame = pd.DataFrame({"text": clean, "key": result.astype(int), "inferred": ~np.isfinite(known),
                          "score": score})
    frame.attrs["provenance"] = {**run.provenance, "analysis": "infer_keys", "construct": construct}
    return frame


#: Default item-correlation predictor: ``"auto"`` = ``"tuned"`` where an adapter is shipped for the model
#: (all-MiniLM-L6-v2; :data:`TUNED_BY_DEFAULT`), else ``"head"`` where a head is shipped (the best measured,
#: leave-one-dataset-out: ``benchmarks/results/head_lodo.json``), else ``"profile"``.
DEFAULT_CORRELATION_METHOD = "auto"
#: What ``method=`` accepts in :func:`correlate` and :func:`predict_scales`.
CORRELATION_CHOICES = ("auto", *CORRELATION_METHODS)
#: Methods :func:`factors` accepts (``"auto"``: ``"membership"``, see :data:`traitlens.engine.FACTOR_METHODS`).
FACTOR_CHOICES = ("auto", "membership", *CORRELATION_METHODS)


def _labelled_texts(texts: Iterable[str], ids: Sequence[object] | None) -> tuple[list[str], list[str]]:
    """Clean texts and their unique labels (the ids, else the texts themselves)."""
    raw = texts if isinstance(texts, str | PreparedTexts) else list(texts)  # prepared: checked (and warned) once
    if ids is None:
        clean = prepare_texts(raw)
        labels = clean
    else:
        ids = list(ids)
        missing = [i for i, x in enumerate(ids) if x is None or (isinstance(x, float | np.floating) and np.isnan(x))]
        if missing:
            raise InputError(f"id at position {missing[0]} is missing ({ids[missing[0]]!r}); every item needs an id")
        ids = [str(i) for i in ids]
        if len(ids) != len(raw):
            raise InputError(f"ids has {len(ids)} entries but there are {len(raw)} texts")
        blank = [i for i, t in enumerate(raw) if not isinstance(t, str) or not t.strip()]
        if blank:
            raise InputError(f"text of item {ids[blank[0]]!r} (position {blank[0]}) is blank or not a string")
        clean = prepare_texts(raw)
        labels = ids
    warn_if_not_english(clean)
    seen: dict[str, int] = {}
    for position, label in enumerate(labels):
        if label in seen:
            what = "item id" if ids is not None else "text"
            raise InputError(f"{what} {label!r} occurs twice (positions {seen[label]} and {position}); "
                             "item labels must be unique" + ("" if ids is not None else ": give ids"))
        seen[label] = position
    return clean, labels


#: Whether ``auto`` picks ``tuned`` where an adapter is shipped for the model: only where it beat ``head``
#: leave-one-dataset-out (``benchmarks/results/adapter_sweep.json``). all-MiniLM-L6-v2's three-adapter
#: ensemble, Bainbridge left out (418 items): item r .352 vs .251, sign agreement .739 vs .686, scale r .678
#: vs .604; item r higher on four of five folds (adjectives: .449 vs .463), mean .440 vs .335. With its
#: distilled fourth member (``benchmarks/results/distill_adapter.json``): Bainbridge item r .395, mean .453.
TUNED_BY_DEFAULT = True


def auto_correlation_method(encoder: object) -> str:
    """What ``method="auto"`` means for ``encoder``.

    ``tuned`` for a model that already carries an adapter (``model=`` an adapter folder), or where an
    adapter is shipped for the model and :data:`TUNED_BY_DEFAULT`; else ``head`` where a head is shipped;
    else ``profile``.
    """
    from traitlens.encoders import SentenceTransformerEncoder
    from traitlens.encoders.adapted import adapter_record, shipped_adapter_for, unwrap

    if adapter_record(encoder) is not None:  # type: ignore[arg-type]
        return "tuned"
    if TUNED_BY_DEFAULT and isinstance(unwrap(encoder), SentenceTransformerEncoder) and \
            shipped_adapter_for(str(getattr(encoder, "fingerprint", ""))) is not None:  # type: ignore[arg-type]
        return "tuned"
    return "head" if has_head(encoder) else "profile"  # type: ignore[arg-type]


def correlate(
    texts: Iterable[str],
    model: ModelSpec = None,
    *,
    method: str = DEFAULT_CORRELATION_METHOD,
    ids: Sequence[object] | None = None,
    tidy: bool = False,
    exemplars: ExemplarSpec = "builtin",
    data_dir: str | Path | None = None,
    cache: CacheSpec = True,
    backend: str | None = None,
    head: str | Path | None = None,
) -> pd.DataFrame:
    """Predicted correlations between items, from their texts alone.

    Parameters
    ----------
    texts : iterable of str
        Item texts.
    model : str, path, Encoder or None
        Default: the bundled all-MiniLM-L6-v2.
    method : {"auto", "head", "profile", "cosine", "tuned"}
        ``auto`` (default): :func:`auto_correlation_method` — ``tuned`` for a model given as an adapter or
        with adapters shipped for it (all-MiniLM-L6-v2, all-mpnet-base-v2), else ``head`` if one is shipped
        for the model, else ``profile``. ``tuned``: the model with its low-rank adapter, fine-tuned on
        observed item correlations of the shared data, merged in (:mod:`traitlens.encoders.adapted`), then
        the head shipped for the adapted model (``profile`` over its embeddings where there is none; a model
        without an adapter raises ``InputError``); where several adapters are shipped for the model (an
        ensemble: four members for all-MiniLM-L6-v2, three for all-mpnet-base-v2), the mean of their
        predictions. ``head``: a small learned head over the items' profile features, trained on observed item
        correlations of the shared data (shipped for all-MiniLM-L6-v2 and all-mpnet-base-v2; another model
        raises ``InputError``; see :mod:`traitlens.training.head`; use the built-in exemplars it was trained
        with, without ``data_dir``). ``profile``: cosine of the items' bipolar contrast vectors over the 5 Big
        Five domains and 30 facets — signed, so an item and its reversal correlate negatively. ``cosine``: raw
        cosine of the embeddings (the off-the-shelf baseline). See :func:`traitlens.engine.item_correlations`.
    ids : sequence, optional
        Item ids (labels of rows and columns); default the texts, which must then be unique.
    tidy : bool
        ``False``: the square items × items frame (unit diagonal). ``True``: one row per unordered
        pair, columns ``item_a, item_b, r``.
    exemplars, data_dir, cache
        As in :func:`profile`.
    head : path, optional
        A head written by ``traitlens train-head`` (its folder, or its ``.json``) for ``method="head"``
        (``"auto"`` then means ``head``), instead of the shipped ones; it must belong to the model.

    Returns
    -------
    DataFrame
        ``attrs["provenance"]`` records the model, predictor and exemplars.

    Notes
    -----
    Measured against observed item correlations, each dataset left out of training
    (``benchmarks/results/head_lodo.json``, all-MiniLM-L6-v2 / all-mpnet-base-v2), item r on the
    Bainbridge pilot (418 items of many instruments): ``head`` .25 / .45, ``profile`` .22 / .38,
    ``cosine`` .12 / .19; ``tuned`` (MiniLM's four-adapter ensemble; adapters and heads trained without
    Bainbridge, ``benchmarks/results/distill_adapter.json``) .39 / mpnet's three-seed ensemble .61. On the
    acceptance holdout (``benchmarks/holdout.py``), ``tuned`` item r / sign agreement / scale r: MiniLM
    .379 / .739 / .652, mpnet .606 / .883 / .809 (SurveyBot3000 .570 / .822 / .826); scale r through
    :func:`predict_scales`, with its within-scale prior: .632 and .803.

    Examples
    --------
    >>> r = correlate(["I panic easily.", "I stay calm under pressure."])  # doctest: +SKIP
    >>> float(r.iloc[0, 1]) < 0  # doctest: +SKIP
    True
    """
    if method not in CORRELATION_CHOICES:
        raise InputError(f"unknown correlation method {method!r}; available: {', '.join(CORRELATION_CHOICES)}")
    if head is not None and method not in ("auto", "head"):
        raise InputError(f"head= is a head for method='head', not {method!r}")
    clean, labels = _labelled_texts(texts, ids)
    if len(clean) < 2:
        raise InputError(f"correlations need at least 2 texts; got {len(clean)} (blank texts are skipped)")
    encoder = load_encoder(model, cache=cache, backend=backend)
    if method == "auto":
        method = "head" if head is not None else auto_correlation_method(encoder)
    trained = load_head(encoder, head) if head is not None else None
    pool = exemplar_source(exemplars, data_dir) if method in ("profile", "head", "tuned") else None
    matrix, provenance = item_correlations(clean, encoder, method, pool=pool, head=trained)
    if tidy:
        frame = pair_table(matrix, labels)
    else:
        frame = pd.DataFrame(matrix, index=pd.Index(labels, name="item"), columns=labels)
    frame.attrs["provenance"] = {**provenance, "analysis": "correlate", "method": method}
    return frame


@dataclass(frozen=True)
class ScalePredictions:
    """What :func:`predict_scales` returns: four tidy or square frames, each with provenance in ``attrs``.

    Attributes
    ----------
    item_correlations : DataFrame
        Items × items predicted correlations (index ``item``).
    scale_correlations : DataFrame
        Scales × scales (composite formula; index ``scale``).
    reliability : DataFrame
        ``scale, n_items, alpha, omega, note``.
    keys : DataFrame
        ``item, scale, key, inferred``: the keys used (given, or inferred where missing).
    """

    item_correlations: pd.DataFrame
    scale_correlations: pd.DataFrame
    reliability: pd.DataFrame
    keys: pd.DataFrame

    def scale_pairs(self) -> pd.DataFrame:
        """One row per unordered scale pair: ``scale_a, scale_b, r``."""
        table = pair_table(self.scale_correlations.to_numpy(), list(self.scale_correlations.columns),
                           SCALE_PAIR_COLUMNS)
        table.attrs = dict(self.scale_correlations.attrs)
        return table


def _one_text_per_item(frame: pd.DataFrame) -> None:
    """Refuse an item id with two different texts, naming the first two rows that give it."""
    texts = frame.groupby("item", sort=False)["text"].nunique()
    if (texts > 1).any():
        clash = str(texts.index[texts.to_numpy() > 1][0])
        rows = np.flatnonzero(frame["item"].to_numpy() == clash)[:2].tolist()
        raise InputError(f"item {clash!r} has different texts in different rows (rows {rows[0]} and {rows[1]})")


def _source_name(items: object) -> str:
    """What a provenance calls the items or scales an analysis read: a collection's or inventory's name, a path."""
    if isinstance(items, ScaleCollection | Inventory):
        return items.name
    return str(items) if isinstance(items, str | Path) else "frame"


def _load_collection(scales: object) -> ScaleCollection:
    """:func:`~traitlens.constructs.scales.load_scales`, with the language check of every analysis of texts."""
    collection = load_scales(scales)
    warn_if_not_english(collection.items["text"].tolist())
    return collection


def _memberships(items: pd.DataFrame | Inventory | str | Path) -> pd.DataFrame:
    """``item, text, scale, key`` rows from a frame, an :class:`Inventory` or an inventory name/path."""
    if isinstance(items, Inventory | str | Path):
        frame = load_inventory(items).frame
    elif isinstance(items, pd.DataFrame):
        frame = items.copy()
    else:
        raise InputError(f"items must be a DataFrame, an Inventory or an inventory name/path; got "
                         f"{type(items).__name__}")
    missing = {"text", "scale"} - set(frame.columns)
    if missing:
        raise InputError(f"items lacks columns {sorted(missing)} (needed: text, scale; optional: item, key)")
    frame["item"] = (frame["item"] if "item" in frame else frame["text"]).astype(str)
    frame["key"] = pd.to_numeric(frame["key"], errors="coerce") if "key" in frame else np.nan
    bad = frame[frame["key"].notna() & ~frame["key"].isin([1, -1])]
    if len(bad):
        raise InputError(f"key of item {bad['item'].iloc[0]!r} in scale {bad['scale'].iloc[0]!r} is "
                         f"{bad['key'].iloc[0]!r}; keys are +1, -1 or empty (infer)")
    blank = frame[frame["scale"].isna() | (frame["scale"].astype(str).str.strip() == "")]
    if len(blank):
        raise InputError(f"item {blank['item'].iloc[0]!r} has no scale")
    _one_text_per_item(frame)
    twice = frame.duplicated(["item", "scale"])
    if twice.any():
        raise InputError(f"item {frame['item'][twice].iloc[0]!r} is listed twice in scale "
                         f"{frame['scale'][twice].iloc[0]!r}")
    frame["scale"] = frame["scale"].astype(str)
    return frame[["item", "text", "scale", "key"]].reset_index(drop=True)


def predict_scales(
    items: pd.DataFrame | Inventory | str | Path,
    model: ModelSpec = None,
    *,
    method: str = DEFAULT_CORRELATION_METHOD,
    exemplars: ExemplarSpec = "builtin",
    data_dir: str | Path | None = None,
    cache: CacheSpec = True,
    backend: str | None = None,
    scale_prior: bool = True,
    head: str | Path | None = None,
) -> ScalePredictions:
    r"""Predicted scale correlations and reliabilities (alpha, omega) of scales, from item texts alone.

    Parameters
    ----------
    items : DataFrame, Inventory, or an inventory name or file
        One row per item × scale with columns ``text, scale`` and optionally ``item`` (id; default
        the text) and ``key`` (+1 / -1; empty = infer from the predicted correlations). An item may
        sit in several scales.
    model, method, exemplars, data_dir, cache, head
        As in :func:`correlate`.
    scale_prior : bool
        Apply the within-scale prior fitted for the model and method, if there is one
        (:mod:`traitlens.training.scale_prior`; shipped for all-MiniLM-L6-v2 and all-mpnet-base-v2):
        a constant added to the keyed predicted correlations of items that share a scale before the
        scale figures are computed, because items are chosen for a scale for correlating. Without it,
        predicted alphas are .2-.45 too low. The item correlations are never changed. The shift used
        is in the provenance (``within_scale_shift``).

    Returns
    -------
    ScalePredictions

    Notes
    -----
    Item correlations are predicted by :func:`correlate`; scales are unit-weighted composites of
    keyed items: :math:`r(S,T) = k_S^\top R k_T / \sqrt{k_S^\top R k_S \, k_T^\top R k_T}`;
    alpha is the standardized alpha of the mean keyed inter-item correlation, omega McDonald's
    omega total of a one-factor minres solution (see :mod:`traitlens.analysis.correlations`).
    Missing keys are the signs of the first eigenvector of the scale's predicted correlations,
    oriented by its known keys. With the prior, the scale figures come from the item correlations
    with the within-scale shift added (:func:`~traitlens.analysis.correlations.shift_within_scales`);
    measured effect in ``benchmarks/results/scale_prior.json``.
    """
    frame = _memberships(items)
    unique = frame.drop_duplicates("item")
    encoder = load_encoder(model, cache=cache, backend=backend)
    item_r = correlate(unique["text"].tolist(), encoder, method=method, ids=unique["item"].tolist(),
                       exemplars=exemplars, data_dir=data_dir, cache=cache, head=head)
    used = item_r.attrs["provenance"]["method"]
    prior = load_scale_prior(encoder.fingerprint, used) if scale_prior else None
    scale_r, reliability, keys = scale_predictions(item_r, frame, prior.shift if prior else 0.0)
    scale_r.index.name = "scale"
    provenance = {**item_r.attrs["provenance"], "analysis": "predict_scales",
                  **(prior.provenance() if prior else
                     {"within_scale_shift": 0.0,
                      "within_scale_prior": "off" if not scale_prior else f"none fitted for {used} on {encoder.name}"})}
    for table in (item_r, scale_r, reliability, keys):
        table.attrs["provenance"] = provenance
    return ScalePredictions(item_r, scale_r, reliability, keys)


def jingle_jangle(
    scales: object,
    model: ModelSpec = None,
    *,
    rule: str = "percentile",
    all_pairs: bool = False,
    signed: bool = False,
    center: str = "reference",
    definitions: bool = False,
    content_percentile: float = DEFAULT_CONTENT_PERCENTILE,
    label_percentile: float = DEFAULT_LABEL_PERCENTILE,
    jingle_percentile: float = DEFAULT_JINGLE_PERCENTILE,
    difference: float = DEFAULT_DIFFERENCE,
    cache: CacheSpec = True,
    content: str = "auto",
) -> pd.DataFrame:
    """Jingle and jangle fallacies: scale pairs whose content and labels disagree.

    Parameters
    ----------
    scales : ScaleCollection, DataFrame, .csv/.tsv/.yaml file or inventory name
        One row per item × scale: ``scale, label, text`` and optionally ``key``, ``inventory``,
        ``definition``, ``item`` (see :mod:`traitlens.constructs.scales`).
    model, cache
        As in :func:`similarity`.
    rule : {"percentile", "difference"}
        See :mod:`traitlens.analysis.jinglejangle`.
    all_pairs : bool
        ``False``: only flagged pairs; ``True``: every pair (``type`` ``none`` for the rest).
    signed : bool
        Key-signed content (item vectors times their keys) instead of keying-free content.
    center : {"reference", "collection", "none"}
        Item vectors are centred on the mean embedding of the built-in inventories' items (default),
        of the collection's items, or not at all (Wulff & Mata's raw means). With the difference rule
        label vectors are centred too, on the mean of the built-in inventories' scale labels (unless
        ``none``), so that both similarities are on one scale (see
        :func:`traitlens.engine.scale_similarity`).
    definitions : bool
        Embed ``"label: definition"`` instead of the label alone.
    content_percentile, label_percentile, jingle_percentile, difference
        Cut-offs of the rules.
    content : {"auto", "pairwise", "mean"}
        Content similarity of two scales: the mean cosine of their item pairs (``pairwise``) or the
        cosine of their mean item vectors (``mean``, Wulff & Mata's measure); see
        :mod:`traitlens.analysis.scales`. ``auto`` (default): ``pairwise`` for the percentile rule
        (it ranks scale pairs that share content higher: ``benchmarks/results/jangle_content.md``),
        ``mean`` for the difference rule, whose fixed δ compares content with label cosines and so
        needs content on the cosine scale (pairwise means are smaller). Recorded in the provenance
        (``content.method``).

    Returns
    -------
    DataFrame
        ``scale_a, scale_b, label_a, label_b, content_similarity, label_similarity, type``, most
        similar content first; ``attrs["provenance"]`` records the content method, the rule and its
        cut-offs.

    Examples
    --------
    >>> jingle_jangle("ipip-neo-300", all_pairs=True).head()  # doctest: +SKIP
    """
    from traitlens.analysis.jinglejangle import classify_pairs
    from traitlens.engine import scale_similarity

    if rule not in ("percentile", "difference"):
        raise InputError(f"unknown rule {rule!r}; available: percentile, difference")
    if content == "auto":
        content = "mean" if rule == "difference" else "pairwise"
    parameters = ({"difference": difference} if rule == "difference" else
                  {"content_percentile": content_percentile, "label_percentile": label_percentile,
                   "jingle_percentile": jingle_percentile})
    other = ({"content_percentile": (content_percentile, DEFAULT_CONTENT_PERCENTILE),
              "label_percentile": (label_percentile, DEFAULT_LABEL_PERCENTILE),
              "jingle_percentile": (jingle_percentile, DEFAULT_JINGLE_PERCENTILE)} if rule == "difference" else
             {"difference": (difference, DEFAULT_DIFFERENCE)})
    unused = [name for name, (value, default) in other.items() if value != default]
    if unused:
        warnings.warn(f"the {rule} rule does not use {', '.join(unused)} (set for the other rule); it is ignored",
                      stacklevel=2)
    collection = _load_collection(scales)
    n_pairs = len(collection.scales) * (len(collection.scales) - 1) // 2
    top = max(content_percentile, label_percentile)
    if rule == "percentile" and n_pairs * (1 - top) < 1:
        warnings.warn(f"{n_pairs} scale pairs: the {100 * top:.0f}th percentile cut-off is set by the most similar "
                      "pair or two, so the percentile rule flags some pair in any collection this small; read its "
                      "flags as the most extreme pairs here, or use the difference rule (absolute levels)",
                      stacklevel=2)
    encoder = load_encoder(model, cache=cache)
    sim, provenance = scale_similarity(collection, encoder, signed=signed, center=center, definitions=definitions,
                                       content=content, center_labels=rule == "difference")
    pairs, cuts = classify_pairs(sim, rule, **parameters)
    counts = pairs["type"].value_counts()
    if not all_pairs:
        pairs = pairs[pairs["type"] != "none"]
    pairs = pairs.sort_values("content_similarity", ascending=False, ignore_index=True)
    pairs.attrs["provenance"] = {**provenance, "analysis": "jingle_jangle", "thresholds": cuts,
                                 "counts": {k: int(counts.get(k, 0)) for k in ("jangle", "jingle", "none")}}
    return pairs


def factors(
    items: pd.DataFrame | Inventory | str | Path,
    model: ModelSpec = None,
    *,
    n_factors: int | str = "auto",
    method: str = "auto",
    rotation: str = "oblimin",
    exemplars: ExemplarSpec = "builtin",
    data_dir: str | Path | None = None,
    n_iter: int = 100,
    seed: int = 0,
    cache: CacheSpec = True,
    use_keys: bool = True,
    infer_keys: bool | str = "auto",
) -> pd.DataFrame:
    """Semantic factor analysis: factors of the predicted item correlations, before anyone answers.

    Parameters
    ----------
    items : DataFrame, Inventory, or an inventory name or file
        Item texts (``text``; optional ``item`` ids and ``scale``, used to measure agreement with
        theory, and ``key``). An item in several scales is analysed once. A CSV/TSV file without the
        inventory columns ``scale`` and ``key`` is read as such an item table.
    n_factors : int or "auto"
        ``"auto"``: parallel analysis against random unit vectors of the dimension of the space the
        correlations are cosines of (35 constructs for ``membership`` and ``profile``, the model's
        dimension for ``cosine`` and ``head``).
    method : {"auto", "membership", "head", "profile", "cosine"}
        The predicted correlations that are factored. ``"auto"`` = ``"membership"``, the best measured
        (``benchmarks/results/scales.md``): the congruence of the items' signed construct memberships
        from their bipolar profiles (:func:`traitlens.analysis.structure.membership_correlations`);
        ``head``, ``profile`` and ``cosine`` are the predictors of :func:`correlate`.
    rotation : str
        A ``factor_analyzer`` rotation (default oblimin; ``"none"`` for unrotated).
    n_iter, seed
        Random-vector null replicates and seed.
    model, exemplars, data_dir, cache
        As in :func:`correlate`.
    use_keys : bool, default True
        For ``membership``, when the items have scales and keys (+1/-1): key-aware signs — each item's
        pole on every construct from its scale's keyed direction and its own key
        (:func:`traitlens.analysis.structure.keyed_signs`) instead of its own contrast's sign (IPIP-50,
        all-MiniLM-L6-v2: mean Tucker φ .848 against .479; ``benchmarks/results/scales.md``). Items
        without a key keep their contrast's sign. ``False``: response- and key-free signs.
    infer_keys : bool or "auto", default "auto"
        For ``membership`` when the inventory's keys are not used (none given, or ``use_keys=False``):
        infer the keys from the text — the signs of the items on the leading axis of the correlations the
        model's default predictor (:func:`correlate`'s ``auto``) predicts within each scale, or within the
        domain each item's profile assigns it to when the items have no scales
        (:func:`traitlens.analysis.structure.keys_from_correlations`) — then sign as with keys. ``"auto"``:
        only when the items have scales (within scales the inferred keys beat the contrasts' own signs on 5
        of 6 model × inventory checks, mean Tucker φ .676 vs .622; within profile domains on 3 of 6, .643 vs
        .622: ``benchmarks/results/scales.md``); ``True``: also within profile domains; ``False``: the
        contrasts' signs.

    Returns
    -------
    DataFrame
        ``item, factor, loading`` for every item × factor (factors ``F1``…, by explained variance).
        ``attrs["provenance"]["factors"]`` has the parallel analysis (eigenvalues, null, count) and,
        with scales, the NMI and ARI of items' highest-loading factors against their scales.

    Notes
    -----
    See :mod:`traitlens.analysis.structure` (Horn's parallel analysis; minres EFA from
    ``factor_analyzer``; NMI/ARI against theory).
    """
    from traitlens.analysis.structure import agreement, assign_items, loading_frame
    from traitlens.engine import FACTOR_METHODS, semantic_factors

    if method not in FACTOR_CHOICES:
        raise InputError(f"unknown factor method {method!r}; available: {', '.join(FACTOR_CHOICES)}")
    source = _source_name(items)
    if isinstance(items, str | Path) and (table := read_item_table(items)) is not None:
        items = table
    if isinstance(items, pd.DataFrame) and "scale" not in items.columns:
        frame = items.copy()
        if "text" not in frame.columns:
            raise InputError("items lacks column 'text'")
        frame["scale"] = ""
        frame["item"] = (frame["item"] if "item" in frame else frame["text"]).astype(str)
        _one_text_per_item(frame)
    else:
        frame = _memberships(items)
    unique = frame.drop_duplicates("item")
    if len(unique) < 3:
        raise InputError(f"factor analysis needs at least 3 items; got {len(unique)}")
    clean, labels = _labelled_texts(unique["text"].tolist(), unique["item"].tolist())
    encoder = load_encoder(model, cache=cache)
    if method == "auto":
        method = FACTOR_METHODS[0]
    pool = exemplar_source(exemplars, data_dir) if method != "cosine" else None
    if infer_keys not in (True, False, "auto"):
        raise InputError(f"infer_keys must be True, False or 'auto'; got {infer_keys!r}")
    scales = unique["scale"].astype(str)
    scaled = bool((scales != "").all())
    keys = pd.to_numeric(unique["key"], errors="coerce").to_numpy(float) if "key" in unique else None
    keyed = use_keys and method == "membership" and scaled and keys is not None and bool(np.isfinite(keys).any())
    signs: dict[str, Any] = {"scales": scales.tolist(), "keys": keys} if keyed else {}
    key_source = None
    if method == "membership" and not keyed and (infer_keys is True or (infer_keys == "auto" and scaled)):
        key_source = auto_correlation_method(encoder)
        signs = {"scales": scales.tolist() if scaled else None,
                 "sign_correlations": item_correlations(clean, encoder, key_source, pool=pool)[0]}
    solution, provenance = semantic_factors(clean, encoder, method, n_factors=n_factors, rotation=rotation,
                                            pool=pool, n_iter=n_iter, seed=seed, **signs)
    if key_source is not None:
        provenance["keys_inferred_by"] = key_source
        provenance["keys_inferred_within"] = "scales" if scaled else "profile domains"
    record = {"n_factors": solution.n_factors, "requested": n_factors, "rotation": rotation,
              "parallel_analysis": {"n_factors": solution.parallel.n_factors,
                                    "null": "random unit vectors of the predictor's feature dimension",
                                    "dim": solution.parallel.dim, "n_iter": n_iter, "percentile": 95, "seed": seed,
                                    "eigenvalues": solution.parallel.eigenvalues[:10].round(4).tolist(),
                                    "null_eigenvalues": solution.parallel.null[:10].round(4).tolist()}}
    if scaled and scales.nunique() > 1:
        record["theory"] = agreement(assign_items(solution.loadings), scales.tolist())
    heywood = np.abs(np.asarray(solution.loadings, dtype=float)) > 1
    record["loadings_above_1"] = int(heywood.sum())
    if heywood.any():
        first = labels[int(np.argwhere(heywood)[0][0])]
        warnings.warn(f"{int(heywood.sum())} loading(s) are above 1 in absolute value (a Heywood case, e.g. item "
                      f"{first!r}): the solution is improper — fewer factors (n_factors), or dropping near-duplicate "
                      "items, usually removes it", stacklevel=2)
    out = loading_frame(solution.loadings, labels)
    analysed = unique[["item", "text", "scale"]].assign(key=unique["key"] if "key" in unique else np.nan)
    out.attrs["provenance"] = {**provenance, "analysis": "factors", "method": method, "factors": record,
                               "items": {"name": source, "n_items": len(unique),
                                         "fingerprint": content_fingerprint(analysed.to_csv(index=False))}}
    return out


def relabel(
    scales: object,
    model: ModelSpec = None,
    *,
    method: str = "hierarchical",
    n_clusters: int | str = "auto",
    center: str = "reference",
    seed: int = 0,
    cache: CacheSpec = True,
) -> pd.DataFrame:
    """A relabeled taxonomy: scales clustered by content, each cluster named by one existing label.

    Parameters
    ----------
    scales : ScaleCollection, DataFrame, file or inventory name
        As in :func:`jingle_jangle`.
    method : {"hierarchical", "community"}
        Average-linkage clustering with the count of the best mean silhouette between 2 and half the
        scales, at most the number of distinct labels (or ``n_clusters``), or Louvain communities; see
        :func:`traitlens.analysis.jinglejangle.cluster_scales`. Scales whose new label fits worse than
        the average label (``fit`` < 0) get a warning.
    n_clusters : int or "auto"
    center, model, cache
        As in :func:`jingle_jangle`.
    seed : int

    Returns
    -------
    DataFrame
        ``scale, label, new_label, cluster, fit`` (one row per scale); ``attrs["provenance"]["relabel"]``
        has the cluster count and criterion, the labels before/after and the jingle/jangle pairs
        before/after (percentile rule, the original cut-offs).
    """
    from traitlens.analysis.jinglejangle import CLUSTER_METHODS
    from traitlens.analysis.jinglejangle import relabel as relabel_scales
    from traitlens.engine import scale_similarity

    if method not in CLUSTER_METHODS:
        raise InputError(f"unknown cluster method {method!r}; available: {', '.join(CLUSTER_METHODS)}")
    if n_clusters != "auto" and (isinstance(n_clusters, bool) or not isinstance(n_clusters, int | np.integer)):
        raise InputError(f"n_clusters must be a whole number or 'auto'; got {n_clusters!r}")
    if method == "community" and n_clusters != "auto":
        raise InputError("the community method finds its own cluster count: use n_clusters='auto'")
    collection = _load_collection(scales)
    most = min(len(collection.scales), int(collection.frame["label"].nunique()))
    if n_clusters != "auto" and not 1 <= int(n_clusters) <= most:
        raise InputError(f"n_clusters must be between 1 and {most} (each cluster gets one of the "
                         f"{collection.frame['label'].nunique()} labels of {len(collection.scales)} scales); "
                         f"got {n_clusters}")
    encoder = load_encoder(model, cache=cache)
    sim, provenance = scale_similarity(collection, encoder, center=center)
    frame, summary = relabel_scales(sim, method, n_clusters if n_clusters == "auto" else int(n_clusters), seed=seed)
    if summary["scales_with_negative_fit"]:
        poor = frame[frame["fit"] < 0]
        warnings.warn(f"{len(poor)} of {len(frame)} scales got a new label further from their content than the "
                      f"average label (fit < 0: {', '.join(map(str, poor['scale'][:3]))}"
                      f"{' …' if len(poor) > 3 else ''}); more clusters (n_clusters) may name them better",
                      stacklevel=2)
    frame.attrs["provenance"] = {**provenance, "analysis": "relabel", "relabel": summary}
    return frame


def short_form(
    items: pd.DataFrame | Inventory | str | Path,
    model: ModelSpec = None,
    *,
    k: int = 4,
    method: str = DEFAULT_CORRELATION_METHOD,
    duplicate_threshold: float = 0.90,
    exemplars: ExemplarSpec = "builtin",
    data_dir: str | Path | None = None,
    cache: CacheSpec = True,
) -> pd.DataFrame:
    """A short form: the ``k`` most central items of every scale, and near-duplicate items.

    Parameters
    ----------
    items : DataFrame, Inventory, ScaleCollection, or an inventory name or file
        As in :func:`predict_scales` (missing keys are inferred); a
        :class:`~traitlens.constructs.scales.ScaleCollection` (``load_scales``) for a scales table.
    k : int
        Items kept per scale; every scale needs at least 2 and more than ``k`` items.
    method : {"auto", "head", "profile", "cosine"}
        Item-correlation predictor (:func:`correlate`).
    duplicate_threshold : float
        Embedding cosine (``engine.item_correlations(..., "cosine")``, raw, uncentred) at which two
        items count as near-duplicates.
    model, exemplars, data_dir, cache
        As in :func:`correlate`.

    Returns
    -------
    DataFrame
        ``scale, item, key, centrality, rank, kept`` (see :func:`traitlens.analysis.redundancy.short_form`;
        centrality and the short-full correlation include the within-scale prior of :func:`predict_scales`,
        which leaves the ranks as they are); ``attrs["provenance"]["short_form"]`` has, per scale, the
        predicted correlation of the short
        with the full form, and the near-duplicate pairs.
    """
    from traitlens.analysis.redundancy import near_duplicates
    from traitlens.analysis.redundancy import short_form as shorten

    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise InputError(f"k must be a whole number of at least 1; got {k!r}")
    if not 0 <= float(duplicate_threshold) <= 1:
        raise InputError(f"duplicate_threshold must be between 0 and 1; got {duplicate_threshold}")
    source = _source_name(items)
    memberships = _memberships(items.frame if isinstance(items, ScaleCollection) else items)
    sizes = memberships.groupby("scale", sort=False)["item"].size()
    if (sizes < 2).any():
        raise InputError(f"scale {sizes.index[sizes < 2][0]!r} has a single item: nothing to shorten "
                         "(every scale of a short form needs at least 2 items)")
    whole = sizes[sizes <= k]
    if len(whole):
        more = f" and {len(whole) - 1} more scale(s)" if len(whole) > 1 else ""
        raise InputError(f"k={k} would keep every item of scale {whole.index[0]!r} ({whole.iloc[0]} items){more}; "
                         f"k must be smaller than every scale: at most {int(sizes.min()) - 1} here")
    encoder = load_encoder(model, cache=cache)
    predictions = predict_scales(memberships, encoder, method=method, exemplars=exemplars, data_dir=data_dir,
                                 cache=cache)
    item_r = predictions.item_correlations
    ids = [str(i) for i in item_r.columns]
    keyed = {scale: pd.Series(rows["key"].to_numpy(dtype=float), index=rows["item"].astype(str))
             for scale, rows in predictions.keys.groupby("scale", sort=False)}
    r = shift_within_scales(item_r.to_numpy(dtype=float), key_weights(keyed, ids),
                            float(item_r.attrs["provenance"]["within_scale_shift"]))  # as predict_scales' α
    table, summary = shorten(r, ids, predictions.keys, int(k))
    unique = memberships.drop_duplicates("item")
    similarity, _ = item_correlations(prepare_texts(unique["text"].tolist()), encoder, "cosine")
    duplicates = near_duplicates(similarity, unique["item"].tolist(), duplicate_threshold,
                                 same_text=[normalise_text(t) for t in unique["text"]])
    table.attrs["provenance"] = {**item_r.attrs["provenance"], "analysis": "short_form", "items": source,
                                 "short_form": {"k": int(k), "summary": summary.to_dict("records"),
                                                "duplicate_threshold": duplicate_threshold,
                                                "near_duplicates": duplicates.to_dict("records")}}
    return table


def scale_map(
    scales: object,
    model: ModelSpec = None,
    *,
    level: str = "scale",
    method: str = "pca",
    center: str = "reference",
    seed: int = 0,
    cache: CacheSpec = True,
) -> pd.DataFrame:
    """2-D map coordinates of scales (content embeddings) or of their items, for :func:`traitlens.plot.scale_map`.

    Parameters
    ----------
    scales : ScaleCollection, DataFrame, file or inventory name
        As in :func:`jingle_jangle`.
    level : {"scale", "item"}
        Map the scales' content embeddings (coloured by label; centred as ``center`` says) or every
        item × scale row's item embedding (coloured by scale; ``center`` does not apply).
    method : {"pca", "mds", "umap"}
        See :func:`traitlens.analysis.scales.map_coordinates` (``umap`` needs umap-learn).
    center, model, cache
        As in :func:`jingle_jangle`.
    seed : int

    Returns
    -------
    DataFrame
        ``name, x, y, group, text`` (text: the label or the item text, shown on hover).
    """
    from traitlens.analysis.scales import MAP_METHODS, map_coordinates
    from traitlens.engine import item_map, scale_similarity

    if level not in ("scale", "item"):
        raise InputError(f"level must be 'scale' or 'item'; got {level!r}")
    if method not in MAP_METHODS:
        raise InputError(f"unknown map method {method!r}; available: {', '.join(MAP_METHODS)}")
    collection = _load_collection(scales)
    encoder = load_encoder(model, cache=cache)
    if level == "scale":
        sim, provenance = scale_similarity(collection, encoder, center=center)
        xy = map_coordinates(sim.content_vectors, method, seed=seed)
        frame = pd.DataFrame({"name": list(sim.scales), "x": xy[:, 0], "y": xy[:, 1], "group": list(sim.labels),
                              "text": list(sim.labels)})
    else:
        xy, provenance = item_map(collection, encoder, method, seed=seed)
        rows = collection.frame
        frame = pd.DataFrame({"name": rows["item"].to_numpy(), "x": xy[:, 0], "y": xy[:, 1],
                              "group": rows["scale"].to_numpy(), "text": rows["text"].to_numpy()})
    record = {"method": method, "level": level, "seed": seed, **({"center": center} if level == "scale" else {})}
    frame.attrs["provenance"] = {**provenance, "analysis": "scale_map", "map": record}
    return frame
