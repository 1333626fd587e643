"""``traitlens evaluate``: measure a method and model against real response data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import typer

from traitlens.cli.options import (
    CacheDirOpt,
    EncoderSettings,
    EvaluationFormatOpt,
    MethodOpt,
    ModelOpt,
    NBootOpt,
    NoCacheOpt,
    OutOpt,
    Output,
    PlotDirOpt,
    ResponseDataDirOpt,
    SeedOpt,
    SuiteOpt,
)
from traitlens.cli.shell import emit, load_model, reporting, resolve_format, stderr
from traitlens.errors import TraitlensError
from traitlens.io.tables import check_writable


def evaluate_cmd(
    suite: SuiteOpt,
    method: MethodOpt = "cosine",
    model: ModelOpt = None,
    data_dir: ResponseDataDirOpt = None,
    fmt: EvaluationFormatOpt = None,
    out: OutOpt = None,
    n_boot: NBootOpt = 1000,
    seed: SeedOpt = 0,
    plot_dir: PlotDirOpt = None,
    cache_dir: CacheDirOpt = None,
    no_cache: NoCacheOpt = False,
) -> None:
    """Measure a method and model against real response data (figures with bootstrap CIs)."""
    from traitlens.evaluation import available_methods, available_suites, run_suite

    suites = available_suites() if suite == "all" else [suite]
    if any(s not in available_suites() for s in suites):
        raise typer.BadParameter(f"unknown suite {suite!r}; choose from {', '.join(available_suites())} or all",
                                 param_hint="--suite")
    if method not in available_methods():  # a usage error, like an unknown suite (exit 2)
        raise typer.BadParameter(f"unknown method {method!r}; choose from {', '.join(available_methods())}",
                                 param_hint="--method")
    output = Output(fmt, out)
    with reporting():
        fmt_name = resolve_format(output)
        if out is not None:
            check_writable(out)
        if plot_dir is not None and (plot_dir.exists() and not plot_dir.is_dir() or not plot_dir.parent.is_dir()):
            raise TraitlensError(f"--plot-dir {plot_dir} is not a folder, and cannot be made one (its parent "
                                 "must be a folder)")
        encoder = load_model(model, EncoderSettings(cache_dir=cache_dir, no_cache=no_cache))
        results = []
        for name in suites:
            stderr(f"evaluating {method} on {name} ...")
            result = run_suite(name, method, encoder, data_dir=data_dir, n_boot=n_boot, seed=seed)
            results.append(result)
            if plot_dir is not None:
                plot_dir.mkdir(exist_ok=True)
                _save_plots(result, name, method, plot_dir)
        frame = pd.concat([r.metrics for r in results], ignore_index=True)
        frame.attrs["provenance"] = {**results[0].provenance, "suite": suite}
        emit(frame, fmt_name, out)


def _save_plots(result: Any, suite: str, method: str, folder: Path) -> None:
    """Observed-vs-predicted scatters and confusion heatmaps of one suite, as HTML and PNG."""
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
                stderr(f"warning: {exc}")
                continue
            stderr(f"wrote {path}")
