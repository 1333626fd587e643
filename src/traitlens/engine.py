"""The engine: how every question is answered, once, for the API, the CLI, the evaluation harness and the web.

Each function here takes resolved inputs (clean texts, a :class:`~traitlens.constructs.taxonomy.Taxonomy`,
an :class:`~traitlens.encoders.Encoder`, an exemplar pool), encodes everything it needs in **one**
``encode`` batch (so the cache and the model see each text once), makes **one** pure call into
:mod:`traitlens.analysis`, and returns the pure result with its provenance record. Validation of user
input, defaults and DataFrame shaping for people live in the API layer above; the harness calls these
functions directly, so what it measures is what users get.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from traitlens.analysis.profiles import BipolarProfile, bipolar_profile, contrast_correlations
from traitlens.analysis.similarity import cosine_matrix
from traitlens.constructs.exemplars import construct_exemplars, constructs_at
from traitlens.constructs.taxonomy import Taxonomy, load_taxonomy
from traitlens.encoders.base import Encoder
from traitlens.errors import InputError
from traitlens.fingerprint import content_fingerprint
from traitlens.provenance import make_provenance
from traitlens.training.head import CorrelationHead, has_head, head_features, load_head

if TYPE_CHECKING:
    from traitlens.encoders.adapted import AdapterSpec


@dataclass(frozen=True)
class KeywordSimilarity:
    """Texts × keywords cosine similarities and the keyword table they refer to."""

    similarity: np.ndarray
    keywords: pd.DataFrame
    provenance: dict[str, Any]


@dataclass(frozen=True)
class ProfileRun:
    """A :class:`~traitlens.analysis.profiles.BipolarProfile` with its provenance."""

    profile: BipolarProfile
    provenance: dict[str, Any]


def taxonomy_record(taxonomy: Taxonomy) -> dict[str, str]:
    """The provenance entry of a taxonomy: ``name`` and ``fingerprint``."""
    return {"name": taxonomy.name, "fingerprint": taxonomy.fingerprint}


def keyword_similarity(texts: list[str], taxonomy: Taxonomy, encoder: Encoder) -> KeywordSimilarity:
    """Cosine of every text with every keyword of ``taxonomy`` (texts and keywords in one batch)."""
    keywords = taxonomy.keyword_table()
    vectors = encoder.encode(texts + keywords["keyword"].tolist())
    sims = cosine_matrix(vectors[: len(texts)], vectors[len(texts):])
    return KeywordSimilarity(sims, keywords, make_provenance(encoder, taxonomy=taxonomy_record(taxonomy)))


def label_similarity(texts: list[str], taxonomy: Taxonomy, level: str, encoder: Encoder) -> pd.DataFrame:
    """Cosine of every text with the label of every construct at ``level`` (columns: construct names)."""
    constructs = constructs_at(taxonomy, level)
    vectors = encoder.encode(texts + [c.display for c in constructs])
    sims = cosine_matrix(vectors[: len(texts)], vectors[len(texts):])
    return pd.DataFrame(sims, columns=[c.name for c in constructs])


def bipolar(texts: list[str], taxonomy: Taxonomy, level: str, encoder: Encoder,
            pool: pd.DataFrame | None) -> ProfileRun:
    """Score texts on the high and low poles of the constructs of ``taxonomy`` at ``level``.

    Parameters
    ----------
    texts : list of str
        Clean texts (see :func:`traitlens.io.texts.prepare_texts`).
    taxonomy : Taxonomy
    level : {"factor", "facet"}
    encoder : Encoder
    pool : DataFrame or None
        Exemplars beyond the taxonomy's pole descriptors
        (:func:`traitlens.constructs.exemplars.exemplar_source`).

    Returns
    -------
    ProfileRun
        The profile (see :mod:`traitlens.analysis.profiles`) and its provenance (model, taxonomy,
        level, exemplar counts and sources, unipolar constructs).
    """
    exemplars = construct_exemplars(taxonomy, level, pool)
    names = [c.name for c in constructs_at(taxonomy, level)]
    vectors = encoder.encode(texts + exemplars["text"].tolist())
    result = bipolar_profile(texts, vectors[: len(texts)], vectors[len(texts):], exemplars["construct"],
                             exemplars["key"], names)
    counts = exemplars.groupby("construct").size()
    provenance = make_provenance(
        encoder, taxonomy=taxonomy_record(taxonomy), level=level,
        exemplars={"n": len(exemplars), "min_per_construct": int(counts.min()),
                   "sources": sorted(set(pool["source"])) if pool is not None and len(pool) else ["taxonomy"]},
        unipolar=exemplars.attrs["unipolar"],
    )
    return ProfileRun(result, provenance)


#: The taxonomy whose domains and facets span the contrast space of the ``profile`` predictor.
CORRELATION_TAXONOMY = "bigfive-facets"


def profile_correlations(texts: list[str], encoder: Encoder, pool: pd.DataFrame | None,
                         taxonomy: Taxonomy) -> list[ProfileRun]:
    """The bipolar profiles behind the ``profile`` correlation predictor: factor and (if any) facet level."""
    levels = ["factor", "facet"] if taxonomy.has_facets else ["factor"]
    return [bipolar(texts, taxonomy, level, encoder, pool) for level in levels]


def item_correlations(texts: list[str], encoder: Encoder, method: str, *, pool: pd.DataFrame | None = None,
                      taxonomy: Taxonomy | None = None,
                      head: CorrelationHead | Sequence[CorrelationHead | None] | None = None,
                      adapter: AdapterSpec = None) -> tuple[np.ndarray, dict[str, Any]]:
    """Predicted signed correlations between items (n × n, unit diagonal) and their provenance.

    Parameters
    ----------
    texts : list of str
        Clean item texts.
    encoder : Encoder
    method : {"tuned", "head", "profile", "cosine"}
        ``tuned``: the model with a low-rank adapter fine-tuned on observed item correlations merged
        in (:mod:`traitlens.encoders.adapted`; those shipped for the base model, or ``adapter``),
        then the head shipped for the adapted model (or ``head``) if there is one, else
        :data:`TUNED_VIA`, over its embeddings; with several adapters (the shipped ensemble, or a
        sequence given as ``adapter``) the mean of their predictions; ``head``: a learned head over the items'
        ``profile`` features (contrast, high and low over the same 35 constructs), trained on
        observed item correlations of other questionnaires (:mod:`traitlens.training.head`);
        ``profile``: cosine of the items' contrast vectors over
        the 5 domains and 30 facets of ``bigfive-facets`` (signed: items at opposite poles correlate
        negatively); ``cosine``: raw cosine of the item embeddings (Hommel & Arslan's off-the-shelf
        baseline; never negative in practice, blind to keying).
    pool : DataFrame, optional
        Exemplars for ``profile`` and ``head`` (:func:`~traitlens.constructs.exemplars.exemplar_source`).
    taxonomy : Taxonomy, optional
        Contrast space of ``profile`` and ``head`` (default :data:`CORRELATION_TAXONOMY`).
    head : CorrelationHead or sequence, optional
        For ``head``: default the head shipped for ``encoder``
        (:func:`~traitlens.training.head.load_head`, which refuses a model it has no head for). For
        ``tuned``: the head of each adapted model (one per adapter, None: its shipped head).
    adapter : str, path or sequence of them, optional
        For ``tuned``: an adapter (shipped name, ``.npz`` or folder), or several (an ensemble), instead
        of the shipped ones.

    Returns
    -------
    matrix : (n, n) array
    provenance : dict
    """
    if method == "cosine":
        vectors = encoder.encode(texts)
        matrix = cosine_matrix(vectors, vectors)
        return matrix, make_provenance(encoder, predictor="cosine")
    if method == "profile":
        tax = taxonomy or load_taxonomy(CORRELATION_TAXONOMY)
        runs = profile_correlations(texts, encoder, pool, tax)
        matrix = contrast_correlations(*(run.profile for run in runs))
        return matrix, {**runs[0].provenance, "level": [r.provenance["level"] for r in runs], "predictor": "profile"}
    if method == "head":
        head = head or load_head(encoder)
        head.check(encoder)
        tax = taxonomy or load_taxonomy(CORRELATION_TAXONOMY)
        runs = profile_correlations(texts, encoder, pool, tax)
        vectors = encoder.encode(texts) if head.uses_embeddings else None
        matrix = head.predict(head_features([run.profile for run in runs], vectors, head.blocks, head.center))
        record = {"model": head.model_name, "fingerprint": head.model_fingerprint,
                  "training": head.meta.get("training", {}).get("datasets"), "steps": head.meta.get("steps")}
        return matrix, {**runs[0].provenance, "level": [r.provenance["level"] for r in runs], "predictor": "head",
                        "head": record}
    if method == "tuned":
        from traitlens.encoders.adapted import adapter_record, tuned_encoders, unwrap

        members = tuned_encoders(encoder, adapter)
        heads = list(head) if isinstance(head, Sequence) else [head] * len(members)
        if len(heads) != len(members):
            raise InputError(f"{len(heads)} heads for {len(members)} adapters: give one head per adapter")
        matrices, records, provenances = [], [], []
        for tuned, member_head in zip(members, heads, strict=True):
            via = "head" if member_head is not None or has_head(tuned) else TUNED_VIA
            matrix, provenance = item_correlations(texts, tuned, via, pool=pool, taxonomy=taxonomy, head=member_head)
            matrices.append(matrix)
            provenances.append(provenance)
            records.append({**(adapter_record(tuned) or {}), "via": via})
        provenance = {**provenances[0], "predictor": "tuned", "via": records[0]["via"], "ensemble": len(records)}
        if len(records) == 1:
            return matrices[0], {**provenance, "adapter": records[0]}
        models = [p["model"] for p in provenances]
        base = unwrap(members[0]).base.name  # type: ignore[attr-defined]  # members are AdaptedEncoders
        model = {"id": base + "+" + ",".join(str(r.get("name")) for r in records),
                 "fingerprint": content_fingerprint([m["fingerprint"] for m in models], 16),
                 "dim": models[0]["dim"], "ensemble": models}
        return np.mean(matrices, axis=0), {**provenance, "model": model, "adapter": records}
    raise InputError(f"unknown correlation method {method!r}; available: {', '.join(CORRELATION_METHODS)}")


#: What ``tuned`` computes over the adapted model's embeddings (chosen leave-one-dataset-out:
#: ``benchmarks/results/finetune_adapter.json``).
TUNED_VIA = "profile"
#: Item-correlation predictors :func:`item_correlations` knows, best first (leave-one-dataset-out:
#: ``benchmarks/results/head_search.json``).
CORRELATION_METHODS = ("head", "profile", "cosine", "tuned")


#: How item vectors are centred before scale content embeddings are averaged (see :func:`scale_similarity`).
CENTERS = ("reference", "collection", "none")


def scale_similarity(collection: Any, encoder: Encoder, *, signed: bool = False, center: str = "reference",
                     definitions: bool = False, content: str = "pairwise",
                     center_labels: bool = False) -> tuple[Any, dict[str, Any]]:
    """Content and label similarity of the scales of a :class:`~traitlens.constructs.scales.ScaleCollection`.

    Items, labels (``"label: definition"`` with ``definitions``) and the centring references are
    encoded in one batch; then :func:`traitlens.analysis.scales.scale_similarity`. ``center``:
    ``reference`` subtracts the mean embedding of the built-in inventories' items from item vectors,
    ``collection`` the mean of the collection's own items, ``none`` nothing. ``signed`` multiplies
    item vectors by their keys before averaging. ``content``: ``pairwise`` (mean cosine of the scales'
    item pairs, the default) or ``mean`` (cosine of the mean item vectors;
    :data:`traitlens.analysis.scales.CONTENT_METHODS`).

    ``center_labels`` (unless ``center="none"``) centres label vectors too, on the mean of the
    built-in inventories' scale labels (:func:`~traitlens.constructs.scales.reference_labels`; a
    collection's own labels, one per scale, are too few to centre on). That puts label similarity on
    the scale of centred content, which a rule comparing their levels needs — with all-MiniLM-L6-v2 on
    the 450 scales of ``wulff_ipip_scales``: cosine of mean item vectors 10th/50th/90th percentiles
    -.13/.02/.24, centred labels -.13/.00/.15, raw labels .12/.25/.39 (the difference rule of
    :mod:`traitlens.analysis.jinglejangle`; the public ``jingle_jangle`` switches it on with
    that rule). Rules on ranks (percentile) keep the raw label cosines.
    """
    from traitlens.analysis.scales import CONTENT_METHODS
    from traitlens.analysis.scales import scale_similarity as similarity
    from traitlens.constructs.scales import reference_labels, reference_texts

    if center not in CENTERS:
        raise InputError(f"unknown center {center!r}; available: {', '.join(CENTERS)}")
    if content not in CONTENT_METHODS:
        raise InputError(f"unknown content method {content!r}; available: {', '.join(CONTENT_METHODS)}")
    items = collection.items["text"].tolist()
    scales = collection.scales
    labels = collection.labels[scales]
    texts = labels.tolist()
    if definitions:
        defs = collection.definitions[scales]
        texts = [f"{label}: {d}" if d else label for label, d in zip(labels, defs, strict=True)]
    unique = list(dict.fromkeys(texts))
    reference = reference_texts() if center == "reference" else []
    reference_label_texts = reference_labels() if center_labels and center != "none" else []
    vectors = encoder.encode(items + unique + reference + reference_label_texts)
    n_items, n_labels, n_reference = len(items), len(unique), len(reference)
    item_vectors = vectors[:n_items]
    label_vectors = vectors[n_items: n_items + n_labels]
    start = n_items + n_labels
    centre = {"reference": vectors[start: start + n_reference].mean(axis=0) if reference else None,
              "collection": item_vectors.mean(axis=0), "none": None}[center]
    label_centre = vectors[start + n_reference:].mean(axis=0) if reference_label_texts else None
    where = {t: i for i, t in enumerate(unique)}
    result = similarity(scales, labels.tolist(), item_vectors, collection.weights(signed),
                        label_vectors[[where[t] for t in texts]], centre, content, label_center=label_centre)
    provenance = make_provenance(encoder, scales=collection.record(), content={
        "method": content, "signed": signed, "center": center, "n_reference": n_reference,
        "definitions": definitions, "labels_centred_on": len(reference_label_texts)})
    return result, provenance


#: Predicted correlations :func:`semantic_factors` can factor, best first (IPIP-50 and BFI against
#: their response data: ``benchmarks/results/scales.md``); ``membership`` is
#: :func:`traitlens.analysis.structure.membership_correlations`, the others :func:`item_correlations`.
FACTOR_METHODS = ("membership", "head", "profile", "cosine")


def semantic_factors(texts: list[str], encoder: Encoder, method: str, *, n_factors: int | str = "auto",
                     rotation: str = "oblimin", pool: pd.DataFrame | None = None, n_iter: int = 100,
                     seed: int = 0, head: CorrelationHead | None = None, scales: list[Any] | None = None,
                     keys: Any = None, sign_correlations: np.ndarray | None = None) -> tuple[Any, dict[str, Any]]:
    """Semantic factor analysis of item texts: predicted correlations, parallel analysis, EFA.

    ``scales`` and ``keys`` (one per text; keys +1/-1/NaN), for ``membership`` only: key-aware signs
    (:func:`traitlens.analysis.structure.keyed_signs`) instead of the contrasts' own. Without ``keys``,
    ``sign_correlations`` (predicted signed item correlations, n × n) infers them
    (:func:`traitlens.analysis.structure.keys_from_correlations`) within ``scales`` or, without scales, within the
    domain each item's profile assigns it to; then the signs are key-aware as above.

    ``method="membership"`` (the default of :func:`traitlens.factors`): the congruence of the items'
    signed construct memberships over the 5 domains and 30 facets of :data:`CORRELATION_TAXONOMY`
    (:func:`traitlens.analysis.structure.membership_correlations`); otherwise
    :func:`item_correlations` by ``method`` (``head`` with ``head`` if given). Then parallel analysis
    against random unit vectors of the dimension of the space the correlations are cosines of (the 35
    constructs for ``membership`` and ``profile``, the encoder's dimension for ``cosine`` and ``head``)
    and EFA (:func:`traitlens.analysis.structure.semantic_factors`).
    """
    from traitlens.analysis.assignment import rank_constructs
    from traitlens.analysis.structure import keys_from_correlations, membership_correlations
    from traitlens.analysis.structure import semantic_factors as factor

    if method not in FACTOR_METHODS:
        raise InputError(f"unknown factor method {method!r}; available: {', '.join(FACTOR_METHODS)}")
    if method == "membership":
        runs = profile_correlations(texts, encoder, pool, load_taxonomy(CORRELATION_TAXONOMY))
        signs = "contrast" if keys is None else "keys"
        if keys is None and sign_correlations is not None:
            if scales is None:  # each item's domain, by the one assignment rule
                domains = runs[0].profile
                scales = list(np.asarray(domains.constructs, dtype=object)[rank_constructs(domains.relevance)[0]])
            keys = keys_from_correlations(sign_correlations, scales)
            signs = "inferred keys"
        matrix = membership_correlations(*(run.profile for run in runs), scales=scales if keys is not None else None,
                                         keys=keys)
        provenance = {**runs[0].provenance, "level": [r.provenance["level"] for r in runs],
                      "predictor": "membership", "signs": signs}
    else:
        matrix, provenance = item_correlations(texts, encoder, method, pool=pool, head=head)
    if method in ("membership", "profile"):
        tax = load_taxonomy(CORRELATION_TAXONOMY)
        dim = sum(len(constructs_at(tax, level)) for level in (["factor", "facet"] if tax.has_facets else ["factor"]))
    else:
        dim = encoder.dim
    solution = factor(matrix, dim, n_factors, rotation=rotation, n_iter=n_iter, seed=seed)
    return solution, provenance


def item_map(collection: Any, encoder: Encoder, method: str, *, seed: int = 0) -> tuple[np.ndarray, dict[str, Any]]:
    """2-D map coordinates of every item × scale row of a :class:`~traitlens.constructs.scales.ScaleCollection`.

    The unique item texts are encoded in one batch; then
    :func:`traitlens.analysis.scales.map_coordinates` of the rows' item vectors (an item in several
    scales is one point per scale, at the same place).

    Returns
    -------
    coordinates : (rows, 2) array
        In the order of ``collection.frame``.
    provenance : dict
    """
    from traitlens.analysis.scales import map_coordinates

    items = collection.items
    vectors = encoder.encode(items["text"].tolist())
    where = {item: i for i, item in enumerate(items["item"])}
    rows = collection.frame["item"].map(where).to_numpy()
    xy = map_coordinates(vectors[rows], method, seed=seed)
    return xy, make_provenance(encoder, scales=collection.record())
