"""The options of the command line, defined once: choices, ``Annotated`` aliases and option groups.

A command names an alias as a parameter's type (``model: ModelOpt = None``), or takes a whole
group (``source: TextSource``) when several commands share the same run of options; see
:func:`with_groups`. Option names, defaults and help texts live here and nowhere else.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import inspect
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer


class OutputFormat(enum.StrEnum):
    """Output formats of table-producing commands."""

    table = "table"
    csv = "csv"
    json = "json"
    parquet = "parquet"


class ListFormat(enum.StrEnum):
    """Output formats of listing commands."""

    table = "table"
    csv = "csv"
    json = "json"


class ConstructLevel(enum.StrEnum):
    """Construct level of profiles and assignments."""

    factor = "factor"
    facet = "facet"


class ExemplarSource(enum.StrEnum):
    """Where pole evidence comes from."""

    builtin = "builtin"
    taxonomy = "taxonomy"


class SimilarityLevel(enum.StrEnum):
    """Columns of a similarity table: single keywords or aggregated constructs."""

    keyword = "keyword"
    factor = "factor"
    facet = "facet"


def _spelled_out(choices: type[enum.StrEnum]) -> str:
    """``"a, b or c"`` for the values of ``choices``."""
    values = [member.value for member in choices]
    return f"{', '.join(values[:-1])} or {values[-1]}"


# Input texts.
TextsArg = Annotated[list[str] | None, typer.Argument(help="Texts to analyse (or use --file / --example).")]
FileOpt = Annotated[Path | None, typer.Option("--file", "-f", help="Read texts from .txt (one per line), .csv, "
                                                                   ".tsv, .jsonl or .parquet.")]
ColumnOpt = Annotated[str | None, typer.Option("--column", "-c", help="Column / JSON key with the texts "
                                                                      "(default: 'text' or the only column).")]
ExampleOpt = Annotated[bool, typer.Option("--example", help="Use the five reference sentences.")]

# Constructs and model.
TaxonomyOpt = Annotated[str, typer.Option("--taxonomy", "-t", help="Built-in taxonomy name or a .yaml/.csv file.")]
ModelOpt = Annotated[str | None, typer.Option("--model", "-m", help="Hub id or local model folder "
                                                                    "(default: bundled all-MiniLM-L6-v2).")]
LevelOpt = Annotated[ConstructLevel, typer.Option("--level", help="Score factors or facets "
                                                                  "(facets need e.g. --taxonomy bigfive-facets).")]
ExemplarsOpt = Annotated[ExemplarSource, typer.Option("--exemplars", help="Pole evidence: taxonomy descriptors "
                                                                           "plus built-in inventory items, or "
                                                                           "descriptors only.")]
ExemplarDataDirOpt = Annotated[Path | None, typer.Option("--data-dir", help="Shared data folder: adds the Wulff & "
                                                                            "Mata IPIP scales as exemplars.")]
SimilarityLevelOpt = Annotated[SimilarityLevel, typer.Option("--by", help="One row per keyword, or per factor/facet "
                                                                          "(mean and max over its keywords).")]
MinMarginOpt = Annotated[float | None, typer.Option("--min-margin", min=0, max=1,
                                                    help="Abstain below this relevance margin "
                                                         "(default: the calibrated one).")]
MinKeyContrastOpt = Annotated[float | None, typer.Option("--min-key-contrast", min=0, max=2,
                                                         help="key_confident from this |contrast| on the "
                                                              "construct (default: the calibrated one).")]

# Output.
FormatOpt = Annotated[OutputFormat | None, typer.Option("--format", "-F", help="Output format (default: table on "
                                                                               "stdout, or from --out's suffix).")]
EvaluationFormatOpt = Annotated[OutputFormat | None, typer.Option(
    "--format", "-F", help=f"{_spelled_out(OutputFormat)} (default: table on stdout, or from --out's suffix; "
                           "parquet needs --out).")]
ListFormatOpt = Annotated[ListFormat, typer.Option("--format", "-F", help=f"{_spelled_out(ListFormat)}.")]
OutOpt = Annotated[Path | None, typer.Option("--out", "-o", help="Write to this file instead of stdout.")]
HeatmapPlotOpt = Annotated[Path | None, typer.Option("--plot", help="Also save a heatmap (.html, .png or .svg).")]
ProfilePlotOpt = Annotated[Path | None, typer.Option("--plot", help="Also save a profile chart "
                                                                    "(.html, .png or .svg).")]
LoadingPlotOpt = Annotated[Path | None, typer.Option("--plot", help="Also save the loading heatmap "
                                                                    "(.html, .png, .svg).")]
RadarOpt = Annotated[bool, typer.Option("--radar", help="Draw the profile chart as a radar.")]

# Embedding cache and model download.
CacheDirOpt = Annotated[Path | None, typer.Option("--cache-dir", help="Folder of the embedding cache "
                                                                      "(default: $TRAITLENS_CACHE_DIR or the user "
                                                                      "cache dir).")]
NoCacheOpt = Annotated[bool, typer.Option("--no-cache", help="Do not read or write the embedding cache.")]
OfflineOpt = Annotated[bool, typer.Option("--local-files-only", help="Never download a model.")]


class Backend(enum.StrEnum):
    """How the model runs (traitlens.encoders.backends)."""

    torch = "torch"
    onnx = "onnx"
    onnx_int8 = "onnx-int8"
    openvino_int8 = "openvino-int8"
    static = "static"


BackendOpt = Annotated[Backend, typer.Option("--backend", help="How the model runs: torch, onnx, onnx-int8, "
                                                               "openvino-int8 or static (a model2vec model "
                                                               "distilled from it); exported once into the "
                                                               "cache folder.")]

# Evaluation.
SuiteOpt = Annotated[str, typer.Option("--suite", "-s", help="Suite name (ipip50, bfi, spi, adjectives, "
                                                             "neo300-facets, bainbridge; scale-level: "
                                                             "ipip50-factors, bfi-factors, neo300-facet-r, "
                                                             "neo-pi-r-facet-r) or 'all'.")]
MethodOpt = Annotated[str, typer.Option("--method", help="Registered method (cosine, keywords, ...).")]
ResponseDataDirOpt = Annotated[Path | None, typer.Option("--data-dir", help="Folder with the response data "
                                                                            "(default: $TRAITLENS_DATA_DIR, then "
                                                                            "../shared/data).")]
NBootOpt = Annotated[int, typer.Option("--n-boot", min=0, help="Bootstrap replicates for the 95% CIs of item-pair "
                                                             "figures and accuracies (scale figures, NMI, ARI: "
                                                             "jackknife); 0 for no intervals.")]
SeedOpt = Annotated[int, typer.Option("--seed", help="Bootstrap seed.")]
PlotDirOpt = Annotated[Path | None, typer.Option("--plot-dir", help="Also write observed-vs-predicted scatters "
                                                                    "and confusion heatmaps (HTML + PNG) here.")]

# Cache commands.
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
FingerprintOpt = Annotated[str | None, typer.Option("--model-fingerprint", help="Only this model's vectors.")]


# Predicted correlations.
def correlation_method(value: str) -> str:
    """Check ``--method`` against :data:`traitlens.api.CORRELATION_CHOICES` as it is when the command runs.

    Raises
    ------
    typer.BadParameter
        An unknown method: a usage error (exit code 2) before any input is read or a model loaded.
    """
    from traitlens import api

    if value not in api.CORRELATION_CHOICES:
        raise typer.BadParameter(f"{value!r} is not a correlation method; choose from "
                                 f"{', '.join(api.CORRELATION_CHOICES)}")
    return value


def _correlation_methods(separator: str) -> str:
    from traitlens import api

    return separator.join(api.CORRELATION_CHOICES)


CorrelationMethodOpt = Annotated[str, typer.Option("--method", callback=correlation_method,
                                                   metavar=_correlation_methods("|"),
                                                   help="How item correlations are predicted (see "
                                                        "traitlens.correlate).")]
IdColumnOpt = Annotated[str | None, typer.Option("--id-column", help="Column with item ids, the labels of the output "
                                                                     "(default: the texts); .csv/.tsv --file only.")]
ScaleColumnOpt = Annotated[str | None, typer.Option("--scale-column", help="Column with each row's scale (one row "
                                                                           "per item × scale): also predict scale "
                                                                           "correlations, alpha and omega.")]
KeyColumnOpt = Annotated[str | None, typer.Option("--key-column", help="Column with each row's key in its scale: "
                                                                       "+1, -1, or empty to infer it "
                                                                       "(needs --scale-column).")]
HeadPathOpt = Annotated[Path | None, typer.Option("--head", help="A head written by `traitlens train-head` (its "
                                                                "folder or .json) for --method head (auto then "
                                                                "means head); it must belong to --model.")]
ScalePriorOpt = Annotated[bool, typer.Option("--scale-prior/--no-scale-prior",
                                           help="With --scale-column: add the within-scale prior fitted "
                                                "for the model (scale-mates correlate more than their texts "
                                                "predict; without it alphas come out too low). Item pairs are "
                                                "never changed.")]
CorrelationPlotOpt = Annotated[Path | None, typer.Option("--plot", help="Also save a clustered heatmap of the "
                                                                        "predicted r: items × items, or scales × "
                                                                        "scales with --scale-column (.html, .png "
                                                                        "or .svg).")]


@dataclasses.dataclass(frozen=True)
class TextSource:
    """Where the texts come from: arguments, ``--file``/``--column``, or ``--example``."""

    texts: TextsArg = None
    file: FileOpt = None
    column: ColumnOpt = None
    example: ExampleOpt = False


@dataclasses.dataclass(frozen=True)
class ProfileSettings:
    """What the profile family scores against: taxonomy, level, model and pole evidence."""

    taxonomy: TaxonomyOpt = "bigfive"
    level: LevelOpt = ConstructLevel.factor
    model: ModelOpt = None
    exemplars: ExemplarsOpt = ExemplarSource.builtin
    data_dir: ExemplarDataDirOpt = None

    def arguments(self, encoder: Any) -> dict[str, Any]:
        """Keyword arguments of :func:`traitlens.profile` and its siblings, with ``encoder`` as the model."""
        return {"taxonomy": self.taxonomy, "level": self.level.value, "model": encoder,
                "exemplars": self.exemplars.value, "data_dir": self.data_dir}


@dataclasses.dataclass(frozen=True)
class Output:
    """Where a table goes: ``--format`` and ``--out``."""

    fmt: FormatOpt = None
    out: OutOpt = None


@dataclasses.dataclass(frozen=True)
class EncoderSettings:
    """How the encoder is built: embedding cache and model download."""

    cache_dir: CacheDirOpt = None
    no_cache: NoCacheOpt = False
    local_files_only: OfflineOpt = False
    backend: BackendOpt = Backend.torch

    @property
    def cache(self) -> bool | Path:
        """The ``cache`` argument of :func:`traitlens.load_encoder`."""
        return False if self.no_cache else (self.cache_dir if self.cache_dir is not None else True)


class Engine(enum.StrEnum):
    """Where a big file is scored: in this process (streaming) or on Ray."""

    local = "local"
    ray = "ray"


ChunkSizeOpt = Annotated[int, typer.Option("--chunk-size", min=1, help="Texts per chunk when --file is streamed "
                                                                      "to --out PATH.parquet.")]
ResumeOpt = Annotated[bool, typer.Option("--resume", help="Continue an interrupted --file → --out PATH.parquet "
                                                          "run, skipping its finished chunks.")]
EngineOpt = Annotated[Engine, typer.Option("--engine", help="local (stream in this process) or ray (Ray Data; "
                                                            "pip install 'traitlens[ray]'); with --file and "
                                                            "--out PATH.parquet.")]
AddressOpt = Annotated[str | None, typer.Option("--address", help="Ray cluster for --engine ray: auto, "
                                                                  "ray://HOST:10001 or HOST:6379 (default: a "
                                                                  "local Ray instance).")]
WorkersOpt = Annotated[int, typer.Option("--workers", min=1, help="Ray actors for --engine ray (each loads the "
                                                                  "model once).")]


@dataclasses.dataclass(frozen=True)
class Scaling:
    """How a big ``--file`` → ``--out PATH.parquet`` job runs: chunks, resume, and the engine."""

    chunk_size: ChunkSizeOpt = 20_000
    resume: ResumeOpt = False
    engine: EngineOpt = Engine.local
    address: AddressOpt = None
    workers: WorkersOpt = 2


@dataclasses.dataclass(frozen=True)
class ItemColumns:
    """Which columns of a ``--file`` table hold item ids, scales and keys (besides ``--column``, the texts)."""

    id_column: IdColumnOpt = None
    scale_column: ScaleColumnOpt = None
    key_column: KeyColumnOpt = None

    def given(self) -> list[str]:
        """The options that were given, as written on the command line."""
        options = {"--id-column": self.id_column, "--scale-column": self.scale_column, "--key-column": self.key_column}
        return [option for option, value in options.items() if value is not None]


def with_groups(command: Callable[..., None]) -> Callable[..., None]:
    """Expand option groups in a command's signature, for Typer, and rebuild them for the call.

    Each parameter of ``command`` annotated with one of the group dataclasses above stands, at its
    place, for that group's fields as keyword options (so ``--help`` lists them in that order); the
    command receives the group instance.

    Parameters
    ----------
    command : callable
        A command function with keyword parameters.

    Returns
    -------
    callable
        A function with the expanded signature that Typer can register.
    """
    parameters: list[inspect.Parameter] = []
    groups: dict[str, tuple[type, list[str]]] = {}
    for param in inspect.signature(command, eval_str=True).parameters.values():
        group = param.annotation
        if not (isinstance(group, type) and dataclasses.is_dataclass(group)):
            parameters.append(param.replace(kind=inspect.Parameter.KEYWORD_ONLY))
            continue
        hints = typing.get_type_hints(group, include_extras=True)
        fields = dataclasses.fields(group)
        groups[param.name] = (group, [f.name for f in fields])
        parameters.extend(inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, default=f.default,
                                            annotation=hints[f.name]) for f in fields)

    @functools.wraps(command)
    def expanded(**options: Any) -> None:
        for name, (group, fields) in groups.items():
            options[name] = group(**{field: options.pop(field) for field in fields})
        command(**options)

    expanded.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    expanded.__annotations__ = {p.name: p.annotation for p in parameters}
    return expanded


# Serving (traitlens serve).
HostOpt = Annotated[str, typer.Option("--host", help="Address to bind; anything but loopback needs --token.")]
PortOpt = Annotated[int, typer.Option("--port", min=1, max=65535, help="Port to listen on.")]
TokenOpt = Annotated[str | None, typer.Option("--token", envvar="TRAITLENS_TOKEN", metavar="TOKEN",
                                              help="Require 'Authorization: Bearer TOKEN' on every /api/ request "
                                                   "(or set $TRAITLENS_TOKEN).")]
AllowModelOpt = Annotated[list[str] | None, typer.Option("--allow-model", metavar="ID",
                                                         help="A model id requests may name (repeatable; the first "
                                                              "is the default; default: the bundled model).")]


# Scale-level analysis (traitlens jingle-jangle, traitlens factors).
class JingleJangleRule(enum.StrEnum):
    """Rule that flags jingle and jangle pairs (see traitlens.analysis.jinglejangle)."""

    percentile = "percentile"
    difference = "difference"


class ContentCenter(enum.StrEnum):
    """What item vectors are centred on before scale means are taken."""

    reference = "reference"
    collection = "collection"
    none = "none"


ScalesFileOpt = Annotated[Path | None, typer.Option("--file", "-f", help="Scales table (.csv/.tsv: columns scale, "
                                                                        "label, text [, key, inventory, definition, "
                                                                        "item]; or .yaml).")]
ItemsFileOpt = Annotated[Path | None, typer.Option("--file", "-f", help="Items table (.csv/.tsv: column text [, "
                                                                       "item, scale, key]; the texts are the ids "
                                                                       "without item) or an inventory file.")]
ScalesInventoryOpt = Annotated[str | None, typer.Option("--inventory", help="Built-in inventory name or inventory "
                                                                           "file instead of --file.")]
AllPairsOpt = Annotated[bool, typer.Option("--all", help="Write every scale pair, not only the flagged ones.")]
RuleOpt = Annotated[JingleJangleRule, typer.Option("--rule", help="percentile (Wulff & Mata) or difference "
                                                                  "(|content - label| >= --difference).")]
SignedOpt = Annotated[bool, typer.Option("--signed", help="Key-signed scale content (items times keys).")]
CenterOpt = Annotated[ContentCenter, typer.Option("--center", help="Centre item vectors on the built-in "
                                                                   "inventories' mean (reference), the collection's "
                                                                   "mean, or none (with the difference rule, "
                                                                   "labels on the built-in inventories' labels).")]
class ContentMethod(enum.StrEnum):
    """Content similarity of two scales (see traitlens.analysis.scales.content_similarity)."""

    auto = "auto"
    pairwise = "pairwise"
    mean = "mean"


ContentMethodOpt = Annotated[ContentMethod, typer.Option("--content", help="Scale content similarity: mean cosine "
                                                                          "of item pairs (pairwise), cosine of "
                                                                          "mean item vectors (mean), or auto "
                                                                          "(pairwise for --rule percentile, mean "
                                                                          "for difference).")]
DefinitionsOpt = Annotated[bool, typer.Option("--definitions", help="Embed 'label: definition' as the label.")]
ContentPercentileOpt = Annotated[float, typer.Option("--content-percentile", min=0.01, max=0.999,
                                                     help="Percentile cut of content similarity (jangle).")]
LabelPercentileOpt = Annotated[float, typer.Option("--label-percentile", min=0.01, max=0.999,
                                                   help="Percentile cut of label similarity.")]
JinglePercentileOpt = Annotated[float, typer.Option("--jingle-percentile", min=0.01, max=0.999,
                                                    help="Content below this percentile makes similar labels a "
                                                         "jingle.")]
DifferenceOpt = Annotated[float, typer.Option("--difference", min=0.01, max=1.99,
                                              help="Gap |content - label| of the difference rule.")]
ScaleHeatmapOpt = Annotated[Path | None, typer.Option("--plot", help="Also save the scale × scale content "
                                                                     "heatmap ordered by cluster (.html/.png/.svg).")]
NFactorsOpt = Annotated[str, typer.Option("--n-factors", help="Number of factors, or 'auto' (parallel analysis).")]
KeysOpt = Annotated[bool, typer.Option("--keys/--no-keys", help="membership: sign items by their scale's keyed "
                                                           "direction and their own key where the items have "
                                                           "scales and keys (--no-keys: from the text alone).")]
InferKeysOpt = Annotated[bool | None, typer.Option("--infer-keys/--no-infer-keys",
                                                   help="membership without the inventory's keys: infer them from "
                                                        "the predicted correlations within each scale, or profile "
                                                        "domain (default: only when the items have scales; "
                                                        "--no-infer-keys: each item's own contrast sign).")]
RotationOpt = Annotated[str, typer.Option("--rotation", help="factor_analyzer rotation: oblimin, varimax, promax, "
                                                             "quartimax, geomin_obl or none.")]


def factor_method(value: str) -> str:
    """Check ``traitlens factors --method`` against :data:`traitlens.api.FACTOR_CHOICES` (usage error, exit 2)."""
    from traitlens import api

    if value not in api.FACTOR_CHOICES:
        raise typer.BadParameter(f"{value!r} is not a factor method; choose from {', '.join(api.FACTOR_CHOICES)}")
    return value


FactorMethodOpt = Annotated[str, typer.Option("--method", callback=factor_method,
                                              metavar="auto|membership|head|profile|cosine",
                                              help="Which predicted item correlations are factored (auto = "
                                                   "membership; see traitlens.factors).")]


# Relabeling, short forms and maps (traitlens relabel, short-form, map).
class RelabelMethod(enum.StrEnum):
    """How traitlens relabel clusters scales (see traitlens.analysis.jinglejangle.cluster_scales)."""

    hierarchical = "hierarchical"
    community = "community"


class MapLevel(enum.StrEnum):
    """What traitlens map draws: scales (content embeddings) or their items."""

    scale = "scale"
    item = "item"


class MapMethod(enum.StrEnum):
    """2-D projection of traitlens map (see traitlens.analysis.scales.map_coordinates)."""

    pca = "pca"
    mds = "mds"
    umap = "umap"


RelabelMethodOpt = Annotated[RelabelMethod, typer.Option("--method", help="hierarchical (average linkage; count by "
                                                                          "the best mean silhouette, 2 … half the "
                                                                          "scales) or community "
                                                                          "(Louvain; finds its own count).")]
NClustersOpt = Annotated[str, typer.Option("--n-clusters", help="Number of clusters (new labels), or 'auto' "
                                                                "(hierarchical only).")]
ScaleSeedOpt = Annotated[int, typer.Option("--seed", help="Random seed of the clustering or map layout.")]
ShortFormKOpt = Annotated[int, typer.Option("--k", min=1, help="Items kept per scale (each scale needs more "
                                                               "items than this).")]
DuplicateThresholdOpt = Annotated[float, typer.Option("--duplicate-threshold", min=0, max=1,
                                                      help="Embedding cosine at which two items are listed as "
                                                           "near-duplicates.")]
MapLevelOpt = Annotated[MapLevel, typer.Option("--level", help="Map scales (content embeddings, coloured by "
                                                               "label) or items (coloured by scale).")]
MapMethodOpt = Annotated[MapMethod, typer.Option("--method", help="pca, mds or umap (umap needs umap-learn).")]
MapHeatmapOpt = Annotated[bool, typer.Option("--heatmap", help="Draw the scale × scale content-similarity "
                                                               "heatmap ordered by cluster instead of the map.")]
FigureOutOpt = Annotated[Path, typer.Option("--out", "-o", show_default=False,
                                            help="The figure: .html (interactive, hover text), .png or .svg.")]


# Explanations (traitlens explain).
class ExplainMethod(enum.StrEnum):
    """Attribution method of traitlens explain (see traitlens.explain)."""

    occlusion = "occlusion"
    integrated_gradients = "integrated_gradients"
    pairs = "pairs"


class ExplainScore(enum.StrEnum):
    """Which score traitlens explain explains."""

    similarity = "similarity"
    profile = "profile"
    assignment = "assignment"
    correlation = "correlation"


class ExplainFormat(enum.StrEnum):
    """Output formats of traitlens explain."""

    table = "table"
    json = "json"


ExplainTextArg = Annotated[str, typer.Argument(help="The text to explain.", show_default=False)]
ExplainTargetOpt = Annotated[str | None, typer.Option("--target", help="The other text (similarity: a keyword, "
                                                                       "descriptor, item or sentence; correlation: "
                                                                       "the other item) or a construct (profile).")]
ExplainMethodOpt = Annotated[ExplainMethod, typer.Option("--method", help=f"{_spelled_out(ExplainMethod)}.")]
ExplainScoreOpt = Annotated[ExplainScore, typer.Option("--score", help="Explain the cosine with --target, the "
                                                                       "profile score on construct --target, the "
                                                                       "assigned construct's score, or the "
                                                                       "predicted correlation with item --target.")]
ExplainLayerOpt = Annotated[int | None, typer.Option("--layer", min=0, help="Pair method: encoder layer whose "
                                                                            "hidden states are interpolated (0 = "
                                                                            "embeddings; default the middle).")]
ExplainStepsOpt = Annotated[int | None, typer.Option("--steps", min=1, help="Integration nodes (default 32 for "
                                                                            "integrated_gradients, 16 for pairs).")]
ExplainFormatOpt = Annotated[ExplainFormat | None, typer.Option("--format", "-F", help="table or json on stdout "
                                                                                     "(default table; with --out "
                                                                                     "only when given).")]
ExplainOutOpt = Annotated[Path | None, typer.Option("--out", "-o", help="Save the explanation: .html (page with "
                                                                        "highlight, heatmap and graph), .png/.svg "
                                                                        "(heatmap or highlight) or .json.")]
ExplainPredictorOpt = Annotated[str, typer.Option("--predictor", help="--score correlation: the predictor "
                                                                      "explained (profile, head or cosine; head "
                                                                      "by occlusion only).")]
ExplainTaxonomyOpt = Annotated[str | None, typer.Option("--taxonomy", "-t", help="Taxonomy of derived scores "
                                                                                 "(default bigfive; correlation: "
                                                                                 "bigfive-facets).")]
