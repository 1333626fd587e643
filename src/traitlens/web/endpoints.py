"""The registry of API endpoints: one small adapter per analysis, request → one API call → the CLI's envelope.

Each :class:`Endpoint` names its URL (``POST /api/<name>``), its request model, and an adapter
``(request, encoder) → envelope`` that calls one :mod:`traitlens` function with the request's
parameters and shapes the result exactly as ``traitlens <name> --format json`` does
(:func:`traitlens.io.tables.to_json_envelope` of the same frame, with its provenance). Adding an
analysis to the server is adding one adapter to :func:`endpoints`; analyses that another part of the
package provides only when it is installed (or written) are found by :func:`optional_endpoints`,
so the app works with or without them.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
from pydantic import BaseModel

from traitlens import api
from traitlens.encoders import Encoder
from traitlens.io.tables import to_json_envelope
from traitlens.provenance import get_provenance, make_provenance
from traitlens.web.models import exclusive
from traitlens.web.schemas import (
    AssignRequest,
    CorrelateRequest,
    Envelope,
    Explained,
    ExplainRequest,
    FactorsRequest,
    InferKeysRequest,
    JingleJangleRequest,
    PredictScalesRequest,
    ProfileRequest,
    ScalesEnvelope,
    SimilarityRequest,
)

#: ``(request, encoder) → JSON envelope``.
Adapter = Callable[[Any, Encoder], dict[str, Any]]


@dataclass(frozen=True)
class Endpoint:
    """One analysis of the JSON API.

    Attributes
    ----------
    name : str
        URL part (``POST /api/<name>``), the CLI command's name where there is one.
    request : type of BaseModel
        The body: the Python function's parameters.
    adapter : callable
        ``(request, encoder) → envelope``.
    summary : str
        One line for the OpenAPI docs.
    response : type of BaseModel
        The response model (the envelope).
    """

    name: str
    request: type[BaseModel]
    adapter: Adapter
    summary: str
    response: type[BaseModel] = Envelope


def envelope(frame: pd.DataFrame) -> dict[str, Any]:
    """The CLI's JSON envelope of a result frame: ``{"provenance": ..., "results": [rows]}``."""
    return to_json_envelope(frame, get_provenance(frame))


def _similarity(req: SimilarityRequest, encoder: Encoder) -> dict[str, Any]:
    from traitlens.analysis.similarity import aggregate_similarity

    frame = api.similarity(req.texts, taxonomy=req.taxonomy, model=encoder)
    return envelope(frame if req.by == "keyword" else aggregate_similarity(frame, by=req.by))


def _profile_arguments(req: ProfileRequest, encoder: Encoder) -> dict[str, Any]:
    return {"taxonomy": req.taxonomy, "level": req.level, "model": encoder, "exemplars": req.exemplars}


def _profile(req: ProfileRequest, encoder: Encoder) -> dict[str, Any]:
    return envelope(api.profile(req.texts, **_profile_arguments(req, encoder)))


def _assign(req: AssignRequest, encoder: Encoder) -> dict[str, Any]:
    return envelope(api.assign(req.texts, **_profile_arguments(req, encoder), min_margin=req.min_margin,
                               min_key_contrast=req.min_key_contrast))


def _loadings(req: ProfileRequest, encoder: Encoder) -> dict[str, Any]:
    return envelope(api.loadings(req.texts, **_profile_arguments(req, encoder)))


def _infer_keys(req: InferKeysRequest, encoder: Encoder) -> dict[str, Any]:
    keys = None if req.keys is None else [float("nan") if k is None else float(k) for k in req.keys]
    return envelope(api.infer_keys(req.texts, keys, req.construct_name, req.taxonomy, encoder, exemplars=req.exemplars))


def _correlate(req: CorrelateRequest, encoder: Encoder) -> dict[str, Any]:
    return envelope(api.correlate(req.texts, encoder, method=req.method, ids=req.ids, tidy=req.tidy,
                                  exemplars=req.exemplars))


def _predict_scales(req: PredictScalesRequest, encoder: Encoder) -> dict[str, Any]:
    from traitlens.analysis.correlations import pair_table

    items = req.items if isinstance(req.items, str) else pd.DataFrame(
        [{"item": i.item if i.item is not None else i.text, "text": i.text, "scale": i.scale,
          "key": float("nan") if i.key is None else float(i.key)} for i in req.items])
    result = api.predict_scales(items, encoder, method=req.method, exemplars=req.exemplars,
                                scale_prior=req.scale_prior)
    item_r = result.item_correlations
    pairs = pair_table(item_r.to_numpy(), [str(label) for label in item_r.columns])  # as `traitlens correlate`
    body = to_json_envelope(pairs, get_provenance(item_r))
    for name, frame in (("scales", result.scale_pairs()), ("reliability", result.reliability), ("keys", result.keys)):
        body[name] = to_json_envelope(frame, {})["results"]
    return body


def endpoints() -> list[Endpoint]:
    """The analyses of the package, in the order of the docs."""
    return [
        Endpoint("similarity", SimilarityRequest, _similarity,
                 "Cosine similarity of texts with the keywords of a taxonomy (traitlens.similarity)."),
        Endpoint("profile", ProfileRequest, _profile, "Signed trait profile of each text (traitlens.profile)."),
        Endpoint("assign", AssignRequest, _assign,
                 "Assign each text to a construct with a key and a confidence flag (traitlens.assign)."),
        Endpoint("loadings", ProfileRequest, _loadings,
                 "Semantic loading table: one row per text, one column per construct (traitlens.loadings)."),
        Endpoint("infer-keys", InferKeysRequest, _infer_keys, "Keys of the items of one scale (traitlens.infer_keys)."),
        Endpoint("correlate", CorrelateRequest, _correlate,
                 "Predicted correlations between items from their texts (traitlens.correlate)."),
        Endpoint("predict-scales", PredictScalesRequest, _predict_scales,
                 "Predicted scale correlations, alpha and omega from item texts (traitlens.predict_scales).",
                 ScalesEnvelope),
        *optional_endpoints(),
    ]


def _jingle_jangle_endpoint(jingle_jangle: Callable[..., pd.DataFrame]) -> Endpoint:
    def adapter(req: JingleJangleRequest, encoder: Encoder) -> dict[str, Any]:
        scales = req.scales if isinstance(req.scales, str) else pd.DataFrame(
            [row.model_dump(exclude_none=True) for row in req.scales])
        if not isinstance(scales, str) and "key" in scales:
            scales["key"] = pd.to_numeric(scales["key"], errors="coerce")
        pairs = jingle_jangle(scales, encoder, rule=req.rule, all_pairs=True, signed=req.signed, center=req.center,
                              definitions=req.definitions, content_percentile=req.content_percentile,
                              label_percentile=req.label_percentile, jingle_percentile=req.jingle_percentile,
                              difference=req.difference)
        shown = pairs if req.all_pairs else pairs[pairs["type"] != "none"].reset_index(drop=True)  # as the CLI
        shown.attrs = pairs.attrs
        return envelope(shown)

    return Endpoint("jingle-jangle", JingleJangleRequest, adapter,
                    "Jingle and jangle pairs of scales: content vs label similarity (traitlens.jingle_jangle).")


def _factors_endpoint(factors: Callable[..., pd.DataFrame]) -> Endpoint:
    def adapter(req: FactorsRequest, encoder: Encoder) -> dict[str, Any]:
        if isinstance(req.items, str):
            items: Any = req.items
        else:
            rows = [row.model_dump() for row in req.items]
            items = pd.DataFrame({"text": [r["text"] for r in rows],
                                  "item": [r["item"] if r["item"] is not None else r["text"] for r in rows]})
            if all(r["scale"] for r in rows):
                items["scale"] = [r["scale"] for r in rows]
                if any(r["key"] is not None for r in rows):
                    items["key"] = [r["key"] for r in rows]
        return envelope(factors(items, encoder, n_factors=req.n_factors, method=req.method, rotation=req.rotation,
                                exemplars=req.exemplars, n_iter=req.n_iter, seed=req.seed, use_keys=req.use_keys,
                                infer_keys=req.infer_keys))

    return Endpoint("factors", FactorsRequest, adapter,
                    "Semantic factor analysis of item texts: item, factor, loading (traitlens.factors).")


def _explain_endpoint(explain: Callable[..., Any]) -> Endpoint:
    def adapter(req: ExplainRequest, encoder: Encoder) -> dict[str, Any]:
        from traitlens.explain.explainer import WEB_MAX_PAIR_COST

        with exclusive(encoder):  # gradients use the model directly, not through its serialized encode
            explanation = explain(req.text, req.target, req.method, score=req.score, taxonomy=req.taxonomy,
                                  level=req.level, layer=req.layer, steps=req.steps, model=encoder,
                                  exemplars=req.exemplars, max_pair_cost=WEB_MAX_PAIR_COST)
        return json.loads(json.dumps(explanation.to_dict(), default=str))  # as `traitlens explain --format json`

    return Endpoint("explain", ExplainRequest, adapter,
                    "Which words make a score: occlusion, integrated gradients or token pairs (traitlens.explain).",
                    Explained)


#: Analyses that other parts of the package add: ``(module, function, factory)``; each factory builds the
#: endpoint from the function where the module provides it, so the app works with or without them.
OPTIONAL: list[tuple[str, str, Callable[[Callable[..., Any]], Endpoint]]] = [
    ("traitlens.api", "jingle_jangle", _jingle_jangle_endpoint),
    ("traitlens.api", "factors", _factors_endpoint),
    ("traitlens.explain", "explain", _explain_endpoint),
]


def optional_endpoints() -> list[Endpoint]:
    """Endpoints of :data:`OPTIONAL` whose function exists in this installation."""
    found = []
    for module, function, factory in OPTIONAL:
        try:
            target = getattr(importlib.import_module(module), function)
        except (ImportError, AttributeError):
            continue
        found.append(factory(target))
    return found


def taxonomies() -> dict[str, Any]:
    """``GET /api/taxonomies``: ``name, n_factors, n_facets, description`` of each built-in taxonomy."""
    from traitlens.constructs.taxonomy import builtin_taxonomies, load_taxonomy

    rows = []
    for name in builtin_taxonomies():
        tax = load_taxonomy(name)
        rows.append({"name": name, "n_factors": len(tax.factors), "n_facets": sum(len(f.facets) for f in tax.factors),
                     "description": tax.description or ""})
    return to_json_envelope(pd.DataFrame(rows), make_provenance(analysis="taxonomies"))


def inventories() -> dict[str, Any]:
    """``GET /api/inventories``: the rows of ``traitlens inventories --format json``, in the envelope."""
    from traitlens.constructs.inventory import inventory_catalog

    return to_json_envelope(inventory_catalog(), make_provenance(analysis="inventories"))


__all__ = ["OPTIONAL", "Endpoint", "endpoints", "envelope", "inventories", "optional_endpoints", "taxonomies"]
