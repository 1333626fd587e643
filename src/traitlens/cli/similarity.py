"""``traitlens similarity``: cosine similarity of texts with the keywords of a taxonomy."""

from __future__ import annotations

from traitlens.cli.options import (
    EncoderSettings,
    HeatmapPlotOpt,
    ModelOpt,
    Output,
    SimilarityLevel,
    SimilarityLevelOpt,
    TaxonomyOpt,
    TextSource,
    with_groups,
)
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
) -> None:
    """Cosine similarity of texts with the keywords of a taxonomy (75 rows for --example)."""
    from traitlens.analysis.similarity import aggregate_similarity
    from traitlens.api import similarity
    from traitlens.plot import heatmap

    def analyse(texts: list[str], encoder: Encoder) -> Result:
        frame = similarity(texts, taxonomy=taxonomy, model=encoder)
        result = frame if by is SimilarityLevel.keyword else aggregate_similarity(frame, by=by.value)
        return result, lambda: heatmap(frame, by=by.value)

    run_text_command(source, output, plot, model, settings, analyse)
