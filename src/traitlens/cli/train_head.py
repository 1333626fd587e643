"""``traitlens train-head``: rebuild a learned correlation head from the shared response data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from traitlens.cli.options import CacheDirOpt, EncoderSettings, ModelOpt, NoCacheOpt
from traitlens.cli.shell import load_model, reporting, stderr
from traitlens.errors import InputError

TrainDataOpt = Annotated[Path, typer.Option("--data", help="Shared data folder with the response datasets "
                                                           "(e.g. ../shared/data).")]
HeadOutOpt = Annotated[Path, typer.Option("--out", "-o", help="Folder to write the head into "
                                                              "(<model>.npz, <model>.json, <model>.md).")]
DatasetsOpt = Annotated[list[str] | None, typer.Option("--datasets", help="Datasets to train on (repeat the "
                                                                          "option; default: big5, bfi, spi, "
                                                                          "adjectives, bainbridge).")]
TrainSeedOpt = Annotated[int, typer.Option("--seed", help="Seed of the item split and the initialisation.")]
FiguresOpt = Annotated[Path | None, typer.Option("--figures", help="JSON list of leave-one-dataset-out rows to "
                                                                   "put into the model card.")]


def train_head_cmd(
    data: TrainDataOpt,
    out: HeadOutOpt,
    model: ModelOpt = None,
    datasets: DatasetsOpt = None,
    seed: TrainSeedOpt = 0,
    figures: FiguresOpt = None,
    cache_dir: CacheDirOpt = None,
    no_cache: NoCacheOpt = False,
) -> None:
    """Train the correlation head of a model (``correlate --method head``) on observed item correlations.

    The acceptance holdout's item texts (``holdout/mapping2.csv`` beside the data folder), if present, are
    excluded with every rewording the leakage guard finds.
    """
    from traitlens.constructs.exemplars import exemplar_source
    from traitlens.training.fit import HeadConfig, fit_head, head_name, model_card
    from traitlens.training.pairs import DATASETS, holdout_texts, shared_item_pairs

    with reporting():
        if not data.is_dir():
            raise InputError(f"--data {data} is not a folder")
        chosen = tuple(datasets or DATASETS)
        encoder = load_model(model, EncoderSettings(cache_dir=cache_dir, no_cache=no_cache))
        try:
            exclude = holdout_texts(data)
            exclusion = f"the {len(exclude)} item texts of the acceptance holdout (mapping2.csv)"
        except InputError:
            exclude, exclusion = None, "none (no holdout item file beside the data folder)"
        stderr(f"exclusion: {exclusion}")
        pairs = shared_item_pairs(data, chosen, exclude_texts=exclude)
        stderr(f"{len(pairs):,} pairs of {pairs.attrs['n_items']} items from {', '.join(chosen)}; dropped "
               f"{pairs.attrs['excluded_items']} items and {pairs.attrs['excluded_pairs']} pairs")
        pool = exemplar_source("builtin")
        head = fit_head(pairs, encoder, pool, config=HeadConfig(seed=seed), meta={"exclusion": exclusion})
        rows = json.loads(figures.read_text()) if figures is not None else None
        name = head_name(encoder)
        npz, js = head.save(out, name)
        (out / f"{name}.md").write_text(model_card(head, rows), encoding="utf-8")
        stderr(f"wrote {npz}, {js} and {out / (name + '.md')} ({head.meta['steps']} steps)")
