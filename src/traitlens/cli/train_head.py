"""``traitlens train-head``: rebuild a learned correlation head from the shared response data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from traitlens.cli.options import CacheDirOpt, EncoderSettings, ModelOpt, NoCacheOpt
from traitlens.cli.shell import load_model, reporting, stderr
from traitlens.errors import InputError
from traitlens.io.sources import read_utf8
from traitlens.io.tables import atomic_write, check_folder_creatable

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

    with reporting():  # everything that can be checked is checked before the model loads
        if not data.is_dir():
            raise InputError(f"--data {data} is not a folder")
        chosen = tuple(datasets or DATASETS)
        unknown = [d for d in chosen if d not in DATASETS]
        if unknown:
            raise InputError(f"unknown --datasets {', '.join(unknown)}; available: {', '.join(DATASETS)}")
        rows = _figures(figures) if figures is not None else None
        _check_out_folder(out)
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
        name = head_name(encoder)
        card = model_card(head, rows)
        out.mkdir(parents=True, exist_ok=True)
        with atomic_write(out / f"{name}.md") as fh:
            fh.write(card.encode("utf-8"))
        npz, js = head.save(out, name)  # its .json last: a head is found by its .json, so only when whole
        stderr(f"wrote {npz}, {js} and {out / (name + '.md')} ({head.meta['steps']} steps)")


def _figures(path: Path) -> list[dict[str, Any]]:
    """The leave-one-dataset-out rows of ``--figures``: a JSON list of objects."""
    try:
        rows = json.loads(read_utf8(path))
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc.msg}", path=path, line=exc.lineno, column=exc.colno) from None
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise InputError("--figures must be a JSON list of objects (one per held-out dataset and method), "
                         f"not {type(rows).__name__}", path=path)
    return rows


def _check_out_folder(out: Path) -> None:
    """``--out`` is a folder, or can become one: not a file, and its nearest existing parent is a writable folder."""
    if out.exists() and not out.is_dir():
        raise InputError("--out must be a folder (it holds <model>.npz, .json and .md); this is a file", path=out)
    check_folder_creatable(out)
