"""Request and response bodies of the JSON API (pydantic): the parameters of the Python functions, bounded.

A request body carries the same parameters as the :mod:`traitlens` function it calls, with the same
names and defaults (``{"texts": [...], "taxonomy": "bigfive-keywords"}`` for ``POST /api/similarity``).
What a server must not let a request choose is left out or narrowed: taxonomies and inventories are
built-in names (a path would make the server read its own files), ``model`` is an allow-listed id
(checked by :class:`~traitlens.web.models.ModelPool`), ``data_dir`` and ``cache`` belong to the server.

Limits (a violation is a 422 whose message names the field and the limit): at most
:data:`MAX_TEXTS` texts of at most :data:`MAX_TEXT_CHARS` characters each; the whole body at most
:data:`MAX_BODY_BYTES` bytes (413, checked before parsing by the app).

Responses are the CLI's JSON envelope ``{"provenance": {...}, "results": [rows]}``
(:func:`traitlens.io.tables.to_json_envelope`), row for row what ``traitlens CMD --format json`` writes.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from traitlens.api import CORRELATION_CHOICES, DEFAULT_MIN_KEY_CONTRAST, DEFAULT_MIN_MARGIN, FACTOR_CHOICES
from traitlens.constructs.inventory import builtin_inventories
from traitlens.constructs.taxonomy import builtin_taxonomies

#: Most texts (or items) in one request.
MAX_TEXTS = 1000
#: Most characters in one text.
MAX_TEXT_CHARS = 2000
#: Largest request body in bytes (JSON or an upload).
MAX_BODY_BYTES = 4 * 1024 * 1024

TaxonomyName = Literal[tuple(builtin_taxonomies())]  # type: ignore[valid-type]
InventoryName = Literal[tuple(builtin_inventories())]  # type: ignore[valid-type]
CorrelationMethod = Literal[CORRELATION_CHOICES]  # type: ignore[valid-type]
FactorMethod = Literal[FACTOR_CHOICES]  # type: ignore[valid-type]
Level = Literal["factor", "facet"]
Exemplars = Literal["builtin", "taxonomy"]
Text = Annotated[str, StringConstraints(max_length=MAX_TEXT_CHARS)]
Texts = Annotated[list[Text], Field(min_length=1, max_length=MAX_TEXTS,
                                    description=f"Texts to score: 1 to {MAX_TEXTS}, each at most {MAX_TEXT_CHARS} "
                                                "characters. Blank ones are skipped, as in the Python API.")]
ModelId = Annotated[str | None, Field(max_length=200, description="An allowed model id (GET /health lists them); "
                                                                  "null for the server's default.")]


class Request(BaseModel):
    """Common configuration: unknown fields are an error (a typo must not silently fall back to a default)."""

    model_config = ConfigDict(extra="forbid")


class SimilarityRequest(Request):
    """Body of ``POST /api/similarity`` (:func:`traitlens.similarity`; ``by`` is the CLI's ``--by``)."""

    texts: Texts
    taxonomy: TaxonomyName = "bigfive-keywords"  # type: ignore[valid-type]
    model: ModelId = None
    by: Literal["keyword", "factor", "facet"] = Field(
        "keyword", description="keyword: one row per text × keyword; factor/facet: mean and max per construct.")

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"texts": ["I like to work hard.", "I enjoy parties."], "taxonomy": "bigfive-keywords"}]})


class ProfileRequest(Request):
    """Body of ``POST /api/profile`` and ``POST /api/loadings`` (:func:`traitlens.profile`)."""

    texts: Texts
    taxonomy: TaxonomyName = "bigfive"  # type: ignore[valid-type]
    level: Level = "factor"
    model: ModelId = None
    exemplars: Exemplars = "builtin"

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"texts": ["I stay calm under pressure.", "I panic under pressure."]}]})


class AssignRequest(ProfileRequest):
    """Body of ``POST /api/assign`` (:func:`traitlens.assign`)."""

    min_margin: float = Field(DEFAULT_MIN_MARGIN, ge=0, le=1,
                              description="Relevance margin below which an assignment is not confident.")
    min_key_contrast: float = Field(DEFAULT_MIN_KEY_CONTRAST, ge=0, le=2,
                                    description="|contrast| below which a key is not key_confident.")


class InferKeysRequest(Request):
    """Body of ``POST /api/infer-keys`` (:func:`traitlens.infer_keys`)."""

    texts: Texts
    keys: list[Literal[1, -1] | None] | None = Field(
        None, max_length=MAX_TEXTS, description="Known keys (+1, -1, null = unknown), one per text.")
    construct_name: Annotated[str, StringConstraints(max_length=200)] | None = Field(
        None, alias="construct", description="The construct the scale measures (a factor or facet).")
    taxonomy: TaxonomyName = "bigfive"  # type: ignore[valid-type]
    model: ModelId = None
    exemplars: Exemplars = "builtin"

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class CorrelateRequest(Request):
    """Body of ``POST /api/correlate`` (:func:`traitlens.correlate`; ``tidy: true`` = the CLI's item pairs)."""

    texts: Annotated[list[Text], Field(min_length=2, max_length=MAX_TEXTS)]
    model: ModelId = None
    method: CorrelationMethod = "auto"  # type: ignore[valid-type]
    ids: list[Annotated[str, StringConstraints(max_length=200)]] | None = Field(None, max_length=MAX_TEXTS)
    tidy: bool = False
    exemplars: Exemplars = "builtin"


class ScaleItem(BaseModel):
    """One item × scale membership."""

    model_config = ConfigDict(extra="forbid")

    text: Text
    scale: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    item: Annotated[str, StringConstraints(max_length=200)] | None = None
    key: Literal[1, -1] | None = None


class PredictScalesRequest(Request):
    """Body of ``POST /api/predict-scales`` (:func:`traitlens.predict_scales`): ``items`` rows, or an inventory."""

    items: Annotated[list[ScaleItem], Field(min_length=2, max_length=MAX_TEXTS)] | InventoryName = Field(  # type: ignore[valid-type]
        description=f"Up to {MAX_TEXTS} item × scale rows, or the name of a built-in inventory.")
    model: ModelId = None
    method: CorrelationMethod = "auto"  # type: ignore[valid-type]
    exemplars: Exemplars = "builtin"
    scale_prior: bool = Field(True, description="Add the within-scale prior fitted for the model to the keyed "
                                                "correlations of scale-mates before the scale figures.")


#: What the analysis warned about (blank, cut, non-English or duplicate texts, missing keys, ...), as the CLI
#: prints them; absent when there was nothing.
Warnings = Annotated[list[str] | None, Field(description="What the analysis warned about (blank, cut, non-English "
                                                         "or duplicate texts, missing keys, ...); absent if nothing.")]


class Envelope(BaseModel):
    """The CLI's JSON envelope: how the result was made, and its rows."""

    provenance: dict[str, Any] = Field(description="Versions, time, model (id, fingerprint, dim), taxonomy, analysis.")
    results: list[dict[str, Any]] = Field(description="The rows of the result table (NaN as null).")
    warnings: Warnings = None


class ScalesEnvelope(Envelope):
    """``predict-scales``: item pairs in ``results``, and the companion tables of ``traitlens correlate``."""

    scales: list[dict[str, Any]] = Field(description="scale_a, scale_b, r")
    reliability: list[dict[str, Any]] = Field(description="scale, n_items, alpha, omega, note")
    keys: list[dict[str, Any]] = Field(description="item, scale, key, inferred")


class Health(BaseModel):
    """``GET /health``."""

    status: Literal["ok"]
    version: str
    models: list[str] = Field(description="The allowed model ids; the first is the default.")
    loaded: list[str] = Field(description="The models loaded so far.")
    endpoints: list[str]
    token_required: bool


class Upload(BaseModel):
    """What ``POST /api/upload`` read from a file: the texts of one column."""

    texts: list[str]
    column: str
    columns: list[str]
    warnings: Warnings = None


# Analyses that other parts of the package add (their endpoints exist only where the function does; see
# traitlens.web.endpoints.OPTIONAL). The models live here so the schema is one module.
class ScaleRow(BaseModel):
    """One item × scale row of a scales table (:mod:`traitlens.constructs.scales`)."""

    model_config = ConfigDict(extra="forbid")

    scale: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    label: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    text: Text
    key: Literal[1, -1] | None = None
    inventory: Annotated[str, StringConstraints(max_length=200)] | None = None
    definition: Annotated[str, StringConstraints(max_length=MAX_TEXT_CHARS)] | None = None
    item: Annotated[str, StringConstraints(max_length=200)] | None = None


Percentile = Annotated[float, Field(gt=0, lt=1)]


class JingleJangleRequest(Request):
    """Body of ``POST /api/jingle-jangle`` (:func:`traitlens.jingle_jangle`)."""

    scales: Annotated[list[ScaleRow], Field(min_length=2, max_length=MAX_TEXTS)] | InventoryName = Field(  # type: ignore[valid-type]
        description=f"Up to {MAX_TEXTS} item × scale rows (scale, label, text, …), or a built-in inventory.")
    model: ModelId = None
    rule: Literal["percentile", "difference"] = "percentile"
    all_pairs: bool = False
    signed: bool = False
    center: Literal["reference", "collection", "none"] = "reference"
    definitions: bool = False
    content_percentile: Percentile = 0.95
    label_percentile: Percentile = 0.99
    jingle_percentile: Percentile = 0.80
    difference: Annotated[float, Field(ge=0, le=2)] = 0.20


class FactorItem(BaseModel):
    """One item of a factor analysis (an item in several scales is analysed once)."""

    model_config = ConfigDict(extra="forbid")

    text: Text
    item: Annotated[str, StringConstraints(max_length=200)] | None = None
    scale: Annotated[str, StringConstraints(max_length=200)] | None = None
    key: Literal[1, -1] | None = Field(default=None, description="+1 or -1 within its scale (used with scales)")


class FactorsRequest(Request):
    """Body of ``POST /api/factors`` (:func:`traitlens.factors`)."""

    items: Annotated[list[FactorItem], Field(min_length=3, max_length=MAX_TEXTS)] | InventoryName = Field(  # type: ignore[valid-type]
        description=f"3 to {MAX_TEXTS} items (text, item, scale), or a built-in inventory.")
    model: ModelId = None
    n_factors: Annotated[int, Field(ge=1, le=50)] | Literal["auto"] = "auto"
    method: FactorMethod = "auto"  # type: ignore[valid-type]
    rotation: Literal["oblimin", "varimax", "promax", "quartimax", "geomin_obl", "none"] = "oblimin"
    exemplars: Exemplars = "builtin"
    n_iter: Annotated[int, Field(ge=1, le=200)] = 100
    seed: Annotated[int, Field(ge=0, le=2**31 - 1)] = 0
    use_keys: bool = Field(default=True, description="membership: sign items by their keys where they have "
                                                     "scales and keys")
    infer_keys: bool | Literal["auto"] = Field(default="auto", description="membership without keys: infer them "
                                                                           "from the predicted correlations ('auto': "
                                                                           "only when the items have scales)")


class ExplainRequest(Request):
    """Body of ``POST /api/explain`` (:func:`traitlens.explain.explain`)."""

    text: Annotated[str, StringConstraints(min_length=1, max_length=MAX_TEXT_CHARS)]
    target: Annotated[str, StringConstraints(max_length=MAX_TEXT_CHARS)] | None = None
    method: Literal["occlusion", "integrated_gradients", "pairs"] = "occlusion"
    score: Literal["similarity", "profile", "assignment", "correlation"] = "similarity"
    taxonomy: TaxonomyName | None = None  # type: ignore[valid-type]
    level: Level = "factor"
    layer: Annotated[int, Field(ge=0, le=64)] | None = None
    steps: Annotated[int, Field(ge=1, le=128)] | None = None
    model: ModelId = None
    exemplars: Exemplars = "builtin"


class Explained(BaseModel):
    """``POST /api/explain``: the layout of ``traitlens explain --format json`` (``Explanation.to_dict``)."""

    provenance: dict[str, Any]
    score: float
    residual: float
    tokens: list[dict[str, Any]] = Field(description="token, attribution (the text's words in reading order)")
    pairs: list[dict[str, Any]] | None = Field(None, description="token_a, token_b, attribution (method pairs)")
    warnings: Warnings = None
