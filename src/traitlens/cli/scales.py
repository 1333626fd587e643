"""Scale-level commands: ``traitlens jingle-jangle`` and ``traitlens factors``.

``jingle-jangle`` reads a scales table (one row per item × scale: ``scale, label, text`` and
optionally ``key, inventory, definition, item``) or a built-in inventory, and writes one row per
scale pair: ``scale_a, scale_b, label_a, label_b, content_similarity, label_similarity, type``
(only flagged pairs unless ``--all``). ``factors`` writes ``item, factor, loading`` for every
item × factor of the semantic factor analysis of an inventory or items file.
"""

from __future__ import annotations

from pathlib import Path

import typer

from traitlens.cli import shell
from traitlens.cli.options import (
    AllPairsOpt,
    CenterOpt,
    ContentCenter,
    ContentPercentileOpt,
    DefinitionsOpt,
    DifferenceOpt,
    EncoderSettings,
    FactorMethodOpt,
    JingleJangleRule,
    JinglePercentileOpt,
    LabelPercentileOpt,
    ModelOpt,
    NFactorsOpt,
    Output,
    RotationOpt,
    RuleOpt,
    ScaleHeatmapOpt,
    ScalesFileOpt,
    ScalesInventoryOpt,
    SignedOpt,
    with_groups,
)


def _source(file: Path | None, inventory: str | None) -> str | Path:
    """Exactly one of ``--file`` and ``--inventory`` (a usage error otherwise)."""
    if (file is None) == (inventory is None):
        raise typer.BadParameter("give exactly one of --file and --inventory", param_hint="--file")
    return file if file is not None else str(inventory)


@with_groups
def jingle_jangle_cmd(
    *,
    file: ScalesFileOpt = None,
    inventory: ScalesInventoryOpt = None,
    all_pairs: AllPairsOpt = False,
    rule: RuleOpt = JingleJangleRule.percentile,
    signed: SignedOpt = False,
    center: CenterOpt = ContentCenter.reference,
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
        shell.check_outputs(fmt, output.out, plot)
        encoder = shell.load_model(model, settings)
        pairs = jingle_jangle(source, encoder, rule=rule.value, all_pairs=True, signed=signed,
                              center=center.value, definitions=definitions, content_percentile=content_percentile,
                              label_percentile=label_percentile, jingle_percentile=jingle_percentile,
                              difference=difference)
        shown = pairs if all_pairs else pairs[pairs["type"] != "none"].reset_index(drop=True)
        shown.attrs = pairs.attrs
        shell.emit(shown, fmt, output.out)
        if plot is not None:
            save_figure(scale_heatmap(pairs), plot)
            shell.stderr(f"wrote {plot}")


@with_groups
def factors_cmd(
    *,
    file: ScalesFileOpt = None,
    inventory: ScalesInventoryOpt = None,
    n_factors: NFactorsOpt = "auto",
    method: FactorMethodOpt = "auto",
    rotation: RotationOpt = "oblimin",
    model: ModelOpt = None,
    output: Output,
    settings: EncoderSettings,
) -> None:
    """Semantic factor analysis of item texts: item, factor, loading (parallel analysis picks the count)."""
    from traitlens.api import factors

    source = _source(file, inventory)
    count: int | str = n_factors
    if n_factors != "auto":
        try:
            count = int(n_factors)
        except ValueError:
            raise typer.BadParameter(f"{n_factors!r} is neither a number nor 'auto'",
                                     param_hint="--n-factors") from None
        if count < 1:
            raise typer.BadParameter(f"{count} factors: give at least 1", param_hint="--n-factors")
    with shell.reporting():
        fmt = shell.resolve_format(output)
        shell.check_outputs(fmt, output.out, None)
        encoder = shell.load_model(model, settings)
        frame = factors(source, encoder, n_factors=count, method=method, rotation=rotation)
        record = frame.attrs["provenance"]["factors"]
        note = f"{record['n_factors']} factors (parallel analysis: {record['parallel_analysis']['n_factors']})"
        if "theory" in record:
            note += f"; vs scales NMI {record['theory']['nmi']:.3f}, ARI {record['theory']['ari']:.3f}"
        shell.stderr(note)
        shell.emit(frame, fmt, output.out)
