"""``traitlens similarity``: cosine similarity of texts with the keywords of a taxonomy."""

from __future__ import annotations

import typer

from traitlens.cli.options import (
    EncoderSettings,
    HeatmapPlotOpt,
    ModelOpt,
    Output,
    Scaling,
    SimilarityLevel,
    SimilarityLevelOpt,
    TaxonomyOpt,
    TextSource,
    with_groups,
)
from traitlens.cli.scaling import run_file_job, wants_file_job
from traitlens.cli.shell import Result, run_text_command
from traitlens.encoders import Encoder


@with_groups
def similarity_cmd(
    *,
    source: TextSource,
    taxonomy: TaxonomyOpt = "bigfive-keywords",
    model: ModelOpt = None,
    by: SimilarityLevelOpt = SimilarityLevel.keyword,
    output: Output,
    plot: HeatmapPlotOpt = None,
    settings: EncoderSettings,
    scaling: Scaling,
) -> None:
    """Cosine similarity of texts with the keywords of a taxonomy (75 rows for --example).

    --file BIG --out OUT.parquet streams the file in chunks (bounded memory, --resume), or runs it on Ray
    (--engine ray).
    """
    from traitlens.analysis.similarity import aggregate_similarity
    from traitlens.api import similarity
    from traitlens.plot import heatmap

    def analyse(texts: list[str], encoder: Encoder) -> Result:
        frame = similarity(texts, taxonomy=taxonomy, model=encoder)
        result = frame if by is SimilarityLevel.keyword else aggregate_similarity(frame, by=by.value)
        return result, lambda: heatmap(frame, by=by.value)

    if wants_file_job(source, output, scaling):
        if by is not SimilarityLevel.keyword:
            raise typer.BadParameter("--by factor/facet is not available when streaming --file to --out "
                                     "PATH.parquet: stream the keyword table, then aggregate it", param_hint="--by")
        run_file_job(source, output, plot, model, settings, scaling, "similarity", {"taxonomy": taxonomy},
                     lambda texts, encoder: analyse(texts, encoder)[0])
        return
    run_text_command(source, output, plot, model, settings, analyse)
