"""Scale-level commands: ``jingle-jangle``, ``factors``, ``relabel``, ``short-form`` and ``map``.

``jingle-jangle`` reads a scales table (one row per item × scale: ``scale, label, text`` and
optionally ``key, inventory, definition, item``) or a built-in inventory, and writes one row per
scale pair: ``scale_a, scale_b, label_a, label_b, content_similarity, label_similarity, type``
(only flagged pairs unless ``--all``). ``factors`` writes ``item, factor, loading`` for every
item × factor of the semantic factor analysis of an inventory or items file. ``relabel`` writes
``scale, label, new_label, cluster, fit`` (one row per scale; the summary on stderr and in the
provenance); ``short-form`` the per-item table ``scale, item, key, centrality, rank, kept`` with two
companion tables, ``scales`` (predicted r of short and full form) and ``duplicates`` (near-duplicate
item pairs), written as :func:`~traitlens.cli.shell.emit_tables` writes ``correlate``'s; ``map``
saves a 2-D map of scales or items, or with ``--heatmap`` the scale × scale heatmap, as .html/.png/.svg.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from traitlens.cli import shell
from traitlens.cli.options import (
    AllPairsOpt,
    CenterOpt,
    ContentCenter,
    ContentMethod,
    ContentMethodOpt,
    ContentPercentileOpt,
    CorrelationMethodOpt,
    DefinitionsOpt,
    DifferenceOpt,
    DuplicateThresholdOpt,
    EncoderSettings,
    FactorMethodOpt,
    FigureOutOpt,
    InferKeysOpt,
    ItemsFileOpt,
    JingleJangleRule,
    JinglePercentileOpt,
    KeysOpt,
    LabelPercentileOpt,
    MapHeatmapOpt,
    MapLevel,
    MapLevelOpt,
    MapMethod,
    MapMethodOpt,
    ModelOpt,
    NClustersOpt,
    NFactorsOpt,
    Output,
    RelabelMethod,
    RelabelMethodOpt,
    RotationOpt,
    RuleOpt,
    ScaleHeatmapOpt,
    ScaleSeedOpt,
    ScalesFileOpt,
    ScalesInventoryOpt,
    ShortFormKOpt,
    SignedOpt,
    with_groups,
)

if TYPE_CHECKING:
    import pandas as pd


def _source(file: Path | None, inventory: str | None) -> str | Path:
    """Exactly one of ``--file`` and ``--inventory`` (a usage error otherwise)."""
    if (file is None) == (inventory is None):
        raise typer.BadParameter("give exactly one of --file and --inventory", param_hint="--file")
    shell.refuse_folder(file)
    return file if file is not None else str(inventory)


def _count(value: str, option: str, what: str) -> int | str:
    """A count option: a whole number of at least 1, or ``"auto"`` (a usage error otherwise)."""
    if value == "auto":
        return value
    try:
        count = int(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is neither a number nor 'auto'", param_hint=option) from None
    if count < 1:
        raise typer.BadParameter(f"{count} {what}: give at least 1", param_hint=option)
    return count


@with_groups
def jingle_jangle_cmd(
    *,
    file: ScalesFileOpt = None,
    inventory: ScalesInventoryOpt = None,
    all_pairs: AllPairsOpt = False,
    rule: RuleOpt = JingleJangleRule.percentile,
    signed: SignedOpt = False,
    center: CenterOpt = ContentCenter.reference,
    content: ContentMethodOpt = ContentMethod.auto,
    definitions: DefinitionsOpt = False,
    content_percentile: ContentPercentileOpt = 0.95,
    label_percentile: LabelPercentileOpt = 0.99,
    jingle_percentile: JinglePercentileOpt = 0.80,
    difference: DifferenceOpt = 0.20,
    model: ModelOpt = None,
    output: Output,
    plot: ScaleHeatmapOpt = None,
    settings: EncoderSettings,
) -> None:
    """Jingle and jangle pairs of scales: content vs label similarity (only flagged pairs unless --all)."""
    from traitlens.api import jingle_jangle
    from traitlens.plot import save_figure, scale_heatmap

    source = _source(file, inventory)
    with shell.reporting():
        fmt = shell.resolve_format(output)
        shell.check_outputs(fmt, output.out, plot, inputs=[file])
        encoder = shell.load_model(model, settings)
        pairs = jingle_jangle(source, encoder, rule=rule.value, all_pairs=True, signed=signed,
                              center=center.value, definitions=definitions, content_percentile=content_percentile,
                              label_percentile=label_percentile, jingle_percentile=jingle_percentile,
                              difference=difference, content=content.value)
        shown = pairs if all_pairs else pairs[pairs["type"] != "none"].reset_index(drop=True)
        shown.attrs = pairs.attrs
        shell.emit(shown, fmt, output.out)
        if plot is not None:
            save_figure(scale_heatmap(pairs), plot)
            shell.stderr(f"wrote {plot}")


@with_groups
def factors_cmd(
    *,
    file: ItemsFileOpt = None,
    inventory: ScalesInventoryOpt = None,
    n_factors: NFactorsOpt = "auto",
    method: FactorMethodOpt = "auto",
    rotation: RotationOpt = "oblimin",
    keys: KeysOpt = True,
    infer_keys: InferKeysOpt = None,
    model: ModelOpt = None,
    output: Output,
    settings: EncoderSettings,
) -> None:
    """Semantic factor analysis of item texts: item, factor, loading (parallel analysis picks the count)."""
    from traitlens.api import factors
    from traitlens.constructs.inventory import load_inventory
    from traitlens.constructs.scales import read_item_table

    source = _source(file, inventory)
    count = _count(n_factors, "--n-factors", "factors")
    with shell.reporting():
        fmt = shell.resolve_format(output)
        shell.check_outputs(fmt, output.out, None, inputs=[file])
        if file is not None:  # read (and check) the file before the model loads
            source = read_item_table(file)
            source = load_inventory(file) if source is None else source
        encoder = shell.load_model(model, settings)
        frame = factors(source, encoder, n_factors=count, method=method, rotation=rotation, use_keys=keys,
                         infer_keys="auto" if infer_keys is None else infer_keys)
        record = frame.attrs["provenance"]["factors"]
        note = f"{record['n_factors']} factors (parallel analysis: {record['parallel_analysis']['n_factors']})"
        if "theory" in record:
            note += f"; vs scales NMI {record['theory']['nmi']:.3f}, ARI {record['theory']['ari']:.3f}"
        shell.stderr(note)
        shell.emit(frame, fmt, output.out)


@with_groups
def relabel_cmd(
    *,
    file: ScalesFileOpt = None,
    inventory: ScalesInventoryOpt = None,
    method: RelabelMethodOpt = RelabelMethod.hierarchical,
    n_clusters: NClustersOpt = "auto",
    center: CenterOpt = ContentCenter.reference,
    seed: ScaleSeedOpt = 0,
    model: ModelOpt = None,
    output: Output,
    settings: EncoderSettings,
) -> None:
    """Relabel scales: cluster them by content and name each cluster by one existing label."""
    from traitlens.api import relabel

    source = _source(file, inventory)
    count = _count(n_clusters, "--n-clusters", "clusters")
    if method is RelabelMethod.community and count != "auto":
        raise typer.BadParameter("the community method finds its own cluster count: drop --n-clusters",
                                 param_hint="--n-clusters")
    with shell.reporting():
        fmt = shell.resolve_format(output)
        shell.check_outputs(fmt, output.out, None, inputs=[file])
        encoder = shell.load_model(model, settings)
        frame = relabel(source, encoder, method=method.value, n_clusters=count, center=center.value, seed=seed)
        shell.stderr(relabel_note(frame.attrs["provenance"]["relabel"]))
        shell.emit(frame, fmt, output.out)


def relabel_note(summary: dict[str, Any]) -> str:
    """One line on stderr: labels and fallacies before → after, and how the cluster count was chosen."""
    criterion = "as given" if summary["criterion"] == "given" else f"by {summary['criterion']}"
    value = next((f", {key} {summary[key]:.3f}" for key in ("silhouette", "modularity") if key in summary
                  and summary[key] == summary[key]), "")
    before, after = summary["fallacies_before"], summary["fallacies_after"]
    return (f"relabel: {summary['n_labels_before']} labels → {summary['n_labels_after']} "
            f"({summary['method']}: {summary['n_clusters']} clusters {criterion}{value}); "
            f"jangles {before['jangle']} → {after['jangle']}, jingles {before['jingle']} → {after['jingle']}")


SHORT_FORM_COMPANIONS = ("scales", "duplicates")
SHORT_FORM_TITLES = {"results": "items", "scales": "scales: predicted r(short, full)",
                     "duplicates": "near-duplicate item pairs"}


@with_groups
def short_form_cmd(
    *,
    file: ScalesFileOpt = None,
    inventory: ScalesInventoryOpt = None,
    k: ShortFormKOpt = 4,
    method: CorrelationMethodOpt = "auto",
    duplicate_threshold: DuplicateThresholdOpt = 0.90,
    model: ModelOpt = None,
    output: Output,
    settings: EncoderSettings,
) -> None:
    """Short forms: keep the k most central items per scale; near-duplicate items; r(short, full)."""
    import pandas as pd

    from traitlens.analysis.redundancy import DUPLICATE_COLUMNS
    from traitlens.api import short_form
    from traitlens.constructs.scales import load_scales

    source = _source(file, inventory)
    with shell.reporting():
        fmt = shell.resolve_format(output)
        shell.check_outputs(fmt, output.out, None, SHORT_FORM_COMPANIONS, inputs=[file])
        items = load_scales(source, min_scales=1) if file is not None else source
        encoder = shell.load_model(model, settings)
        table = short_form(items, encoder, k=k, method=method, duplicate_threshold=duplicate_threshold)
        record = table.attrs["provenance"]["short_form"]
        scales = pd.DataFrame(record["summary"], columns=["scale", "n_items", "n_kept", "r_short_full"])
        duplicates = pd.DataFrame(record["near_duplicates"], columns=DUPLICATE_COLUMNS)
        for companion in (scales, duplicates):
            companion.attrs = dict(table.attrs)
        shell.stderr(short_form_note(scales, duplicates, k, duplicate_threshold))
        shell.emit_tables(table, {"scales": scales, "duplicates": duplicates}, fmt, output.out, SHORT_FORM_TITLES)


def short_form_note(scales: pd.DataFrame, duplicates: pd.DataFrame, k: int, threshold: float) -> str:
    """One line on stderr: what the short form keeps, and how many near-duplicate pairs there are."""
    worst = scales.loc[scales["r_short_full"].idxmin()]
    return (f"short form: {int(scales['n_kept'].sum())} of {int(scales['n_items'].sum())} item × scale rows kept "
            f"(k = {k}, {len(scales)} scales); predicted r(short, full) median "
            f"{scales['r_short_full'].median():.3f}, lowest {worst['r_short_full']:.3f} ({worst['scale']}); "
            f"{len(duplicates)} near-duplicate item pairs (cosine ≥ {threshold:.2f} or the same text)")


@with_groups
def map_cmd(
    *,
    file: ScalesFileOpt = None,
    inventory: ScalesInventoryOpt = None,
    level: MapLevelOpt = MapLevel.scale,
    method: MapMethodOpt = MapMethod.pca,
    heatmap: MapHeatmapOpt = False,
    center: CenterOpt = ContentCenter.reference,
    seed: ScaleSeedOpt = 0,
    model: ModelOpt = None,
    out: FigureOutOpt,
    settings: EncoderSettings,
) -> None:
    """Map scales or items in 2-D (PCA, MDS or UMAP), or draw the scale × scale heatmap (--heatmap)."""
    from traitlens.api import jingle_jangle, scale_map
    from traitlens.errors import InputError
    from traitlens.io.tables import check_writable
    from traitlens.plot import FIGURE_SUFFIXES, save_figure, scale_heatmap
    from traitlens.plot import scale_map as map_figure
    from traitlens.provenance import get_provenance, provenance_line

    source = _source(file, inventory)
    if heatmap and level is MapLevel.item:
        raise typer.BadParameter("--heatmap draws scales × scales: drop --level item", param_hint="--heatmap")
    with shell.reporting():
        if out.suffix.lower() not in FIGURE_SUFFIXES:
            raise InputError(f"--out must end in {', '.join(FIGURE_SUFFIXES)}", path=out)
        shell.check_not_inputs([out], [file])
        check_writable(out)
        encoder = shell.load_model(model, settings)
        if heatmap:
            data = jingle_jangle(source, encoder, all_pairs=True, center=center.value)
            figure = scale_heatmap(data)
        else:
            data = scale_map(source, encoder, level=level.value, method=method.value, center=center.value, seed=seed)
            figure = map_figure(data)
        save_figure(figure, out)
        shell.stderr(f"wrote {out} · {provenance_line(get_provenance(data))}")
