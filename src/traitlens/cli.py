"""The ``traitlens`` command line: parse, call the Python API, write. Nothing else.

Data goes to stdout, progress and messages to stderr. Exit codes: 0 success,
1 bad input or an unavailable resource (the message names the problem and the
place), 2 usage error.
"""

from __future__ import annotations

import enum
import json
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer

from traitlens import __version__
from traitlens.errors import TraitlensError
from traitlens.io.tables import check_writable, format_from_suffix

app = typer.Typer(
    name="traitlens",
    help="What a piece of text says about personality: sentence-embedding similarity to Big Five traits.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
cache_app = typer.Typer(help="Inspect or empty the embedding cache.", no_args_is_help=True)
app.add_typer(cache_app, name="cache")


class OutputFormat(enum.StrEnum):
    """Output formats of table-producing commands."""

    table = "table"
    csv = "csv"
    json = "json"
    parquet = "parquet"


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


def _stderr(message: str) -> None:
    typer.echo(message, err=True)


def _show_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                  file: Any = None, line: str | None = None) -> None:
    _stderr(f"warning: {message}")


def _fail(exc: TraitlensError) -> typer.Exit:
    _stderr(f"error: {exc}")
    return typer.Exit(code=1)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"traitlens {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """Traitlens command line."""


CacheDirOption = Annotated[Path | None, typer.Option("--cache-dir", help="Folder of the embedding cache "
                                                      "(default: $TRAITLENS_CACHE_DIR or the user cache dir).")]


def _cache_spec(cache_dir: Path | None, no_cache: bool) -> bool | Path:
    return False if no_cache else (cache_dir if cache_dir is not None else True)


def _resolve_format(fmt: OutputFormat | None, out: Path | None) -> str:

    if fmt is not None and fmt is not OutputFormat.table:
        return fmt.value
    if out is not None:
        return format_from_suffix(out)
    return "table"


def _print_table(frame: pd.DataFrame) -> None:
    from rich.console import Console
    from rich.table import Table

    data = frame.reset_index() if frame.index.name is not None else frame
    table = Table(show_lines=False)
    for col in data.columns:
        table.add_column(str(col), justify="right" if pd.api.types.is_numeric_dtype(data[col]) else "left")
    for row in data.itertuples(index=False):
        table.add_row(*[f"{v:.4f}" if isinstance(v, float) else str(v) for v in row])
    Console(file=sys.stdout, width=200 if not sys.stdout.isatty() else None).print(table)


def emit(frame: pd.DataFrame, fmt: str, out: Path | None) -> None:
    """Write ``frame`` to ``out`` (atomically, with provenance) or to stdout."""
    from traitlens.io.tables import render, write_table
    from traitlens.provenance import get_provenance, provenance_line

    provenance = get_provenance(frame)
    if out is not None:
        path = write_table(frame, out, fmt, provenance)
        _stderr(f"wrote {path} ({len(frame)} rows) · {provenance_line(provenance)}")
        return
    if fmt == "table":
        _print_table(frame)
        _stderr(provenance_line(provenance))
    elif fmt == "parquet":
        raise TraitlensError("parquet output is binary: give a file with --out")
    else:
        sys.stdout.write(render(frame, fmt, provenance).decode("utf-8"))
        _stderr(provenance_line(provenance))


TextsArg = Annotated[list[str] | None, typer.Argument(help="Texts to analyse (or use --file / --example).")]
FileOpt = Annotated[Path | None, typer.Option("--file", "-f", help="Read texts from .txt (one per line), .csv, "
                                                                   ".tsv, .jsonl or .parquet.")]
ColumnOpt = Annotated[str | None, typer.Option("--column", "-c", help="Column / JSON key with the texts "
                                                                      "(default: 'text' or the only column).")]
ExampleOpt = Annotated[bool, typer.Option("--example", help="Use the five reference sentences.")]
ModelOpt = Annotated[str | None, typer.Option("--model", "-m", help="Hub id or local model folder "
                                                                    "(default: bundled all-MiniLM-L6-v2).")]
FormatOpt = Annotated[OutputFormat | None, typer.Option("--format", "-F", help="Output format (default: table on "
                                                                               "stdout, or from --out's suffix).")]
OutOpt = Annotated[Path | None, typer.Option("--out", "-o", help="Write to this file instead of stdout.")]
NoCacheOpt = Annotated[bool, typer.Option("--no-cache", help="Do not read or write the embedding cache.")]
OfflineOpt = Annotated[bool, typer.Option("--local-files-only", help="Never download a model.")]
LevelOpt = Annotated[ConstructLevel, typer.Option("--level", help="Score factors or facets "
                                                                  "(facets need e.g. --taxonomy bigfive-facets).")]
ExemplarsOpt = Annotated[ExemplarSource, typer.Option("--exemplars", help="Pole evidence: taxonomy descriptors "
                                                                           "plus built-in inventory items, or "
                                                                           "descriptors only.")]
DataDirOpt = Annotated[Path | None, typer.Option("--data-dir", help="Shared data folder: adds the Wulff & Mata "
                                                                    "IPIP scales as exemplars.")]


def _run_text_command(
    texts: list[str] | None, file: Path | None, column: str | None, example: bool, out: Path | None,
    plot: Path | None, fmt: OutputFormat | None, model: str | None, cache_dir: Path | None, no_cache: bool,
    local_files_only: bool, analyse: Callable[[list[str], Any], tuple[pd.DataFrame, Any]],
) -> None:
    """Shared shell of the text commands: read texts, check outputs early, analyse, write, plot."""
    from traitlens.encoders import load_encoder
    from traitlens.examples import EXAMPLE_SENTENCES
    from traitlens.io.texts import read_texts
    from traitlens.plot import FIGURE_SUFFIXES, save_figure

    if sum([bool(texts), file is not None, example]) != 1:
        raise typer.BadParameter("give texts as arguments, or --file PATH, or --example (exactly one of them)")
    if plot is not None and plot.suffix.lower() not in FIGURE_SUFFIXES:
        raise typer.BadParameter(f"--plot must end in {', '.join(FIGURE_SUFFIXES)}", param_hint="--plot")
    if column is not None and file is None:
        raise typer.BadParameter("--column needs --file", param_hint="--column")
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        try:
            output = _resolve_format(fmt, out)
            for target in (out, plot):
                if target is not None:
                    check_writable(target)
            items = list(EXAMPLE_SENTENCES) if example else (read_texts(file, column) if file else list(texts or []))
            encoder = load_encoder(model, cache=_cache_spec(cache_dir, no_cache),
                                   local_files_only=local_files_only or None)
            result, figure = analyse(items, encoder)
            emit(result, output, out)
            if plot is not None:
                save_figure(figure(), plot)
                _stderr(f"wrote {plot}")
        except TraitlensError as exc:
            raise _fail(exc) from None


@app.command("similarity")
def similarity_cmd(
    texts: TextsArg = None,
    file: FileOpt = None,
    column: ColumnOpt = None,
    example: ExampleOpt = False,
    taxonomy: Annotated[str, typer.Option("--taxonomy", "-t", help="Built-in taxonomy name or a .yaml/.csv file.")
                        ] = "bigfive-keywords",
    model: ModelOpt = None,
    by: Annotated[SimilarityLevel, typer.Option("--by", help="One row per keyword, or per factor/facet "
                                                             "(mean and max over its keywords).")
                  ] = SimilarityLevel.keyword,
    fmt: FormatOpt = None,
    out: OutOpt = None,
    plot: Annotated[Path | None, typer.Option("--plot", help="Also save a heatmap (.html, .png or .svg).")] = None,
    cache_dir: CacheDirOption = None,
    no_cache: NoCacheOpt = False,
    local_files_only: OfflineOpt = False,
) -> None:
    """Cosine similarity of texts with the keywords of a taxonomy (75 rows for --example)."""
    from traitlens.analysis.similarity import aggregate_similarity
    from traitlens.api import similarity
    from traitlens.plot import heatmap

    def analyse(items: list[str], encoder: Any) -> tuple[pd.DataFrame, Any]:
        frame = similarity(items, taxonomy=taxonomy, model=encoder)
        result = frame if by is SimilarityLevel.keyword else aggregate_similarity(frame, by=by.value)
        return result, lambda: heatmap(frame, by=by.value)

    _run_text_command(texts, file, column, example, out, plot, fmt, model, cache_dir, no_cache, local_files_only,
                      analyse)


@app.command("profile")
def profile_cmd(
    texts: TextsArg = None,
    file: FileOpt = None,
    column: ColumnOpt = None,
    example: ExampleOpt = False,
    taxonomy: Annotated[str, typer.Option("--taxonomy", "-t", help="Built-in taxonomy name or a .yaml/.csv file.")
                        ] = "bigfive",
    level: LevelOpt = ConstructLevel.factor,
    model: ModelOpt = None,
    exemplars: ExemplarsOpt = ExemplarSource.builtin,
    data_dir: DataDirOpt = None,
    fmt: FormatOpt = None,
    out: OutOpt = None,
    plot: Annotated[Path | None, typer.Option("--plot", help="Also save a profile chart (.html, .png or .svg).")
                    ] = None,
    radar: Annotated[bool, typer.Option("--radar", help="Draw the profile chart as a radar.")] = False,
    cache_dir: CacheDirOption = None,
    no_cache: NoCacheOpt = False,
    local_files_only: OfflineOpt = False,
) -> None:
    """Signed trait profile of each text: score > 0 toward the high pole, < 0 toward the low pole."""
    from traitlens.api import profile
    from traitlens.plot import profile_chart

    def analyse(items: list[str], encoder: Any) -> tuple[pd.DataFrame, Any]:
        frame = profile(items, taxonomy, level.value, encoder, exemplars=exemplars.value, data_dir=data_dir)
        return frame, lambda: profile_chart(frame, kind="radar" if radar else "bar")

    _run_text_command(texts, file, column, example, out, plot, fmt, model, cache_dir, no_cache, local_files_only,
                      analyse)


@app.command("assign")
def assign_cmd(
    texts: TextsArg = None,
    file: FileOpt = None,
    column: ColumnOpt = None,
    example: ExampleOpt = False,
    taxonomy: Annotated[str, typer.Option("--taxonomy", "-t", help="Built-in taxonomy name or a .yaml/.csv file.")
                        ] = "bigfive",
    level: LevelOpt = ConstructLevel.factor,
    model: ModelOpt = None,
    exemplars: ExemplarsOpt = ExemplarSource.builtin,
    data_dir: DataDirOpt = None,
    min_margin: Annotated[float | None, typer.Option("--min-margin", help="Abstain below this relevance margin "
                                                                          "(default: the calibrated one).")
                          ] = None,
    fmt: FormatOpt = None,
    out: OutOpt = None,
    plot: Annotated[Path | None, typer.Option("--plot", help="Also save the loading heatmap (.html, .png, .svg).")
                    ] = None,
    cache_dir: CacheDirOption = None,
    no_cache: NoCacheOpt = False,
    local_files_only: OfflineOpt = False,
) -> None:
    """Assign each item to a construct with an inferred key (+1 high pole, -1 low pole) and a confidence flag."""
    from traitlens.api import DEFAULT_MIN_MARGIN, assign, loadings
    from traitlens.plot import loading_heatmap

    def analyse(items: list[str], encoder: Any) -> tuple[pd.DataFrame, Any]:
        margin = DEFAULT_MIN_MARGIN if min_margin is None else min_margin
        frame = assign(items, taxonomy, level.value, encoder, exemplars=exemplars.value, data_dir=data_dir,
                       min_margin=margin)
        return frame, lambda: loading_heatmap(loadings(items, taxonomy, level.value, encoder,
                                                       exemplars=exemplars.value, data_dir=data_dir))

    _run_text_command(texts, file, column, example, out, plot, fmt, model, cache_dir, no_cache, local_files_only,
                      analyse)


@app.command("evaluate")
def evaluate_cmd(
    suite: Annotated[str, typer.Option("--suite", "-s", help="Suite name (ipip50, bfi, spi, adjectives, "
                                                            "neo300-facets, bainbridge) or 'all'.")],
    method: Annotated[str, typer.Option("--method", help="Registered method (cosine, keywords, ...).")] = "cosine",
    model: Annotated[str | None, typer.Option("--model", "-m", help="Hub id or local model folder "
                                                                    "(default: bundled all-MiniLM-L6-v2).")] = None,
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help="Folder with the response data (default: "
                                                                     "../shared/data, then $TRAITLENS_DATA_DIR).")
                        ] = None,
    fmt: Annotated[OutputFormat | None, typer.Option("--format", "-F", help="table, json or csv (default: table "
                                                                             "on stdout, or from --out's suffix).")
                   ] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write to this file instead of stdout.")] = None,
    n_boot: Annotated[int, typer.Option("--n-boot", min=0, help="Bootstrap replicates for the 95% CIs.")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Bootstrap seed.")] = 0,
    plot_dir: Annotated[Path | None, typer.Option("--plot-dir", help="Also write observed-vs-predicted scatters "
                                                                     "and confusion heatmaps (HTML + PNG) here.")
                        ] = None,
    cache_dir: CacheDirOption = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Do not read or write the embedding cache.")] = False,
) -> None:
    """Measure a method and model against real response data (figures with bootstrap CIs)."""
    from traitlens.encoders import load_encoder
    from traitlens.evaluation import available_suites, run_suite

    suites = available_suites() if suite == "all" else [suite]
    if any(s not in available_suites() for s in suites):
        raise typer.BadParameter(f"unknown suite {suite!r}; choose from {', '.join(available_suites())} or all",
                                 param_hint="--suite")
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        try:
            output = _resolve_format(fmt, out)
            if out is not None:
                check_writable(out)
            if plot_dir is not None and not plot_dir.is_dir():
                raise TraitlensError(f"--plot-dir {plot_dir} is not an existing folder")
            encoder = load_encoder(model, cache=_cache_spec(cache_dir, no_cache))
            results = []
            for name in suites:
                _stderr(f"evaluating {method} on {name} ...")
                result = run_suite(name, method, encoder, data_dir=data_dir, n_boot=n_boot, seed=seed)
                results.append(result)
                if plot_dir is not None:
                    _evaluation_plots(result, name, method, plot_dir)
            frame = pd.concat([r.metrics for r in results], ignore_index=True)
            frame.attrs["provenance"] = {**results[0].provenance, "suite": suite}
            emit(frame, output, out)
        except TraitlensError as exc:
            raise _fail(exc) from None


def _evaluation_plots(result: Any, suite: str, method: str, folder: Path) -> None:
    from traitlens.plot import confusion_heatmap, predicted_vs_observed, save_figure

    figures = []
    if result.pairs is not None:
        figures.append(("items", predicted_vs_observed(result.pairs, result.provenance,
                                                       title=f"{suite}: item correlations ({method})")))
    if result.scale_pairs is not None:
        figures.append(("scales", predicted_vs_observed(result.scale_pairs, result.provenance,
                                                        title=f"{suite}: scale correlations ({method})")))
    if result.assignments is not None:
        for level in result.assignments["level"].unique():
            figures.append((f"{level}-confusion", confusion_heatmap(result.assignments, level, result.provenance)))
    for kind, figure in figures:
        for suffix in (".html", ".png"):
            path = folder / f"{suite}_{method}_{kind}{suffix}"
            try:
                save_figure(figure, path)
            except TraitlensError as exc:
                _stderr(f"warning: {exc}")
                continue
            _stderr(f"wrote {path}")


@app.command("taxonomies")
def taxonomies_cmd() -> None:
    """List the built-in taxonomies."""
    from traitlens.constructs.taxonomy import builtin_taxonomies, load_taxonomy

    for name in builtin_taxonomies():
        tax = load_taxonomy(name)
        typer.echo(f"{name}\t{len(tax.factors)} factors\t{tax.description or ''}")


class ListFormat(enum.StrEnum):
    """Output formats of listing commands."""

    table = "table"
    csv = "csv"
    json = "json"


@app.command("inventories")
def inventories_cmd(
    fmt: Annotated[ListFormat, typer.Option("--format", "-F", help="table, csv or json.")] = ListFormat.table,
) -> None:
    """List the built-in inventories: items, scales per level, description."""
    from traitlens.constructs.inventory import LEVELS, builtin_inventories, load_inventory

    rows = []
    for name in builtin_inventories():
        inventory = load_inventory(name)
        per_level = inventory.scales()["level"].value_counts()
        rows.append({"name": name, "n_items": len(inventory.items),
                     **{f"n_{level}s": int(per_level.get(level, 0)) for level in LEVELS},
                     "description": inventory.description or ""})
    frame = pd.DataFrame(rows)
    if fmt is ListFormat.json:
        typer.echo(json.dumps(frame.to_dict("records"), indent=1, ensure_ascii=False))
    elif fmt is ListFormat.csv:
        sys.stdout.write(frame.to_csv(index=False))
    else:
        _print_table(frame)


@cache_app.command("info")
def cache_info_cmd(
    cache_dir: CacheDirOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """Show where the embedding cache is, its size, and how many vectors it holds per model."""
    from traitlens.cache import EmbeddingCache

    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        info = EmbeddingCache(cache_dir).info()
    if as_json:
        typer.echo(json.dumps({"path": str(info.path), "size_bytes": info.size_bytes,
                               "schema_version": info.schema_version, "vectors": info.n_vectors,
                               "models": info.models}, indent=1))
        return
    typer.echo(f"path: {info.path}")
    typer.echo(f"size: {info.size_bytes / 1e6:.2f} MB")
    typer.echo(f"vectors: {info.n_vectors}")
    for m in info.models:
        typer.echo(f"  {m['model']} ({m['fingerprint']}, {m['dim']}-d): {m['vectors']} vectors")


@cache_app.command("clear")
def cache_clear_cmd(
    cache_dir: CacheDirOption = None,
    fingerprint: Annotated[str | None, typer.Option("--model-fingerprint", help="Only this model's vectors.")
                           ] = None,
) -> None:
    """Delete cached vectors (all, or one model's)."""
    from traitlens.cache import EmbeddingCache

    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        n = EmbeddingCache(cache_dir).clear(fingerprint)
    _stderr(f"deleted {n} cached vectors")


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
