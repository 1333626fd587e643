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

# Evaluation.
SuiteOpt = Annotated[str, typer.Option("--suite", "-s", help="Suite name (ipip50, bfi, spi, adjectives, "
                                                             "neo300-facets, bainbridge) or 'all'.")]
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

    @property
    def cache(self) -> bool | Path:
        """The ``cache`` argument of :func:`traitlens.load_encoder`."""
        return False if self.no_cache else (self.cache_dir if self.cache_dir is not None else True)


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
