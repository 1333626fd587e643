"""``traitlens profile`` and ``traitlens assign``: signed trait profiles, and item → construct assignment."""

from __future__ import annotations

from traitlens.cli.options import (
    EncoderSettings,
    LoadingPlotOpt,
    MinKeyContrastOpt,
    MinMarginOpt,
    Output,
    ProfilePlotOpt,
    ProfileSettings,
    RadarOpt,
    Scaling,
    TextSource,
    with_groups,
)
from traitlens.cli.scaling import run_file_job, wants_file_job
from traitlens.cli.shell import Result, run_text_command
from traitlens.encoders import Encoder


@with_groups
def profile_cmd(
    *,
    source: TextSource,
    scoring: ProfileSettings,
    output: Output,
    plot: ProfilePlotOpt = None,
    radar: RadarOpt = False,
    settings: EncoderSettings,
    scaling: Scaling,
) -> None:
    """Signed trait profile of each text: score > 0 toward the high pole, < 0 toward the low pole.

    --file BIG --out OUT.parquet streams the file in chunks (bounded memory, --resume), or runs it on Ray
    (--engine ray).
    """
    from traitlens.api import profile
    from traitlens.plot import profile_chart

    def analyse(texts: list[str], encoder: Encoder) -> Result:
        frame = profile(texts, **scoring.arguments(encoder))
        return frame, lambda: profile_chart(frame, kind="radar" if radar else "bar")

    if wants_file_job(source, output, scaling):
        options = {k: v for k, v in scoring.arguments(None).items() if k != "model"}
        run_file_job(source, output, plot, scoring.model, settings, scaling, "profile", options,
                     lambda texts, encoder: profile(texts, **scoring.arguments(encoder)))
        return
    run_text_command(source, output, plot, scoring.model, settings, analyse)


@with_groups
def assign_cmd(
    *,
    source: TextSource,
    scoring: ProfileSettings,
    min_margin: MinMarginOpt = None,
    min_key_contrast: MinKeyContrastOpt = None,
    output: Output,
    plot: LoadingPlotOpt = None,
    settings: EncoderSettings,
) -> None:
    """Assign each item to a construct with an inferred key (+1 high pole, -1 low pole) and a confidence flag."""
    from traitlens.api import DEFAULT_MIN_KEY_CONTRAST, DEFAULT_MIN_MARGIN, assign, loadings
    from traitlens.plot import loading_heatmap

    def analyse(texts: list[str], encoder: Encoder) -> Result:
        margin = DEFAULT_MIN_MARGIN if min_margin is None else min_margin
        key_contrast = DEFAULT_MIN_KEY_CONTRAST if min_key_contrast is None else min_key_contrast
        frame = assign(texts, **scoring.arguments(encoder), min_margin=margin, min_key_contrast=key_contrast)
        return frame, lambda: loading_heatmap(loadings(texts, **scoring.arguments(encoder)))

    run_text_command(source, output, plot, scoring.model, settings, analyse)
