"""``traitlens finetune``: fine-tune a sentence-transformer on observed item correlations.

The options of this command are its own (no other command shares them), so they are defined here;
``--local-files-only`` is the shared one of :mod:`traitlens.cli.options`.
"""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated, Any

import typer

from traitlens.cli.options import OfflineOpt
from traitlens.cli.shell import reporting, stderr
from traitlens.errors import InputError


class Loss(enum.StrEnum):
    """Training losses."""

    cosine = "cosine"
    cosent = "cosent"


PairsOpt = Annotated[Path | None, typer.Option("--pairs", help="CSV/TSV of item pairs with columns text_a, text_b, r "
                                                              "(observed correlations).")]
ResponsesOpt = Annotated[Path | None, typer.Option("--responses", help="CSV/TSV of person-level responses (a column "
                                                                      "per item id); needs --items.")]
ItemsOpt = Annotated[Path | None, typer.Option("--items", help="CSV/TSV with columns item (id, as in the responses' "
                                                              "header) and text.")]
BaseOpt = Annotated[str | None, typer.Option("--base", help="Model to start from: hub id or local folder "
                                                           "(default: bundled all-MiniLM-L6-v2).")]
ModelOutOpt = Annotated[Path, typer.Option("--out", "-o", help="Folder to write the fine-tuned model to "
                                                              "(use it as --model DIR).")]
EpochsOpt = Annotated[float, typer.Option("--epochs", min=0, help="Passes over the training pairs "
                                                                 "(unless --max-steps).")]
BatchSizeOpt = Annotated[int, typer.Option("--batch-size", min=2, help="Pairs per step.")]
LrOpt = Annotated[float, typer.Option("--lr", min=0, help="Peak learning rate (linear warm-up and decay).")]
MaxStepsOpt = Annotated[int | None, typer.Option("--max-steps", min=1, help="Stop after this many steps.")]
MaxMinutesOpt = Annotated[float | None, typer.Option("--max-minutes", min=0, help="Time budget: stop after this many "
                                                                                "minutes of training (the best "
                                                                                "checkpoint is kept).")]
EvalFractionOpt = Annotated[float, typer.Option("--eval-fraction", min=0, max=0.9,
                                                help="Share of the ITEMS held out for evaluation and early "
                                                     "stopping (0: none).")]
EvalStepsOpt = Annotated[int | None, typer.Option("--eval-steps", min=1, help="Steps between evaluations and "
                                                                             "checkpoints (default: a tenth of "
                                                                             "the steps).")]
PatienceOpt = Annotated[int, typer.Option("--patience", min=1, help="Stop after this many evaluations without a "
                                                                   "better held-out item r.")]
TrainSeedOpt = Annotated[int, typer.Option("--seed", help="Seed of the item split and of the training order.")]
NegationsOpt = Annotated[bool, typer.Option("--negations/--no-negations",
                                            help="Add (item, negated item) pairs of the training items with a "
                                                 "negative target, to teach polarity.")]
NegationROpt = Annotated[float, typer.Option("--negation-r", min=-1, max=1, help="Target r of a negation pair.")]
LossOpt = Annotated[Loss, typer.Option("--loss", help="cosine (regress the cosine on r: cosines become predicted "
                                                      "correlations) or cosent (rank the pairs of a batch by r; "
                                                      "cosines keep only the order).")]
ExclusionOpt = Annotated[bool | None, typer.Option(
    "--holdout-exclusion/--no-holdout-exclusion",
    help="Drop items that are acceptance-holdout items or rewordings of them (default: on when the shared data "
         "folder is found).")]
ExclusionDataDirOpt = Annotated[Path | None, typer.Option("--data-dir", help="Shared data folder, for "
                                                                             "--holdout-exclusion (default: "
                                                                             "$TRAITLENS_DATA_DIR, then "
                                                                             "../shared/data).")]
DataLicenceOpt = Annotated[str | None, typer.Option("--data-licence", help="Licence of the training data, for the "
                                                                          "model card.")]
OverwriteOpt = Annotated[bool, typer.Option("--overwrite", help="Replace an earlier fine-tune in --out.")]
ResumeOpt = Annotated[bool, typer.Option("--resume", help="Continue an interrupted run from its last checkpoint.")]
ThreadsOpt = Annotated[int | None, typer.Option("--threads", min=1, help="Torch CPU threads (default: torch's "
                                                                      "choice; 1 can be several times faster on a "
                                                                      "busy machine).")]
LoraRankOpt = Annotated[int | None, typer.Option("--lora-rank", min=1, max=256,
                                                 help="Train a low-rank (LoRA) adapter of this rank instead of all "
                                                      "weights (needs peft): OUT then holds adapter.npz (a few "
                                                      "hundred KB), merged into the base model at load time; "
                                                      "use it as --model OUT.")]
LoraAlphaOpt = Annotated[float | None, typer.Option("--lora-alpha", min=0, help="LoRA alpha (the update is scaled "
                                                                               "by alpha / rank; default 2 · "
                                                                               "rank).")]
KeepCheckpointsOpt = Annotated[bool, typer.Option("--keep-checkpoints", help="Keep OUT/.cache/checkpoints after "
                                                                             "the run.")]


def _exclusion_texts(flag: bool | None, data_dir: Path | None) -> tuple[list[str] | None, str]:
    """The texts to exclude and a note: on by default when the shared data folder (and its item list) is found."""
    from traitlens.datasets.paths import resolve_data_dir
    from traitlens.errors import TraitlensError

    if flag is False:
        return None, "acceptance-holdout exclusion is off (--no-holdout-exclusion)"
    try:
        folder = resolve_data_dir(data_dir)
    except InputError:
        if flag:
            raise
        return None, "no shared data folder found: no acceptance-holdout exclusion"
    try:
        from traitlens.training.pairs import holdout_texts

        texts = holdout_texts(folder)
    except (ImportError, TraitlensError) as exc:
        if flag:
            raise InputError(f"--holdout-exclusion: the acceptance-holdout item texts cannot be read ({exc})") from None
        return None, f"no acceptance-holdout item list beside {folder}: no exclusion"
    return texts, f"excluding the {len(texts)} acceptance-holdout item texts and their rewordings"


def finetune_cmd(
    out: ModelOutOpt,
    pairs: PairsOpt = None,
    responses: ResponsesOpt = None,
    items: ItemsOpt = None,
    base: BaseOpt = None,
    epochs: EpochsOpt = 1.0,
    batch_size: BatchSizeOpt = 32,
    lr: LrOpt = 2e-5,
    max_steps: MaxStepsOpt = None,
    max_minutes: MaxMinutesOpt = None,
    eval_fraction: EvalFractionOpt = 0.1,
    eval_steps: EvalStepsOpt = None,
    patience: PatienceOpt = 3,
    seed: TrainSeedOpt = 0,
    negations: NegationsOpt = True,
    negation_r: NegationROpt = -0.6,
    loss: LossOpt = Loss.cosine,
    holdout_exclusion: ExclusionOpt = None,
    data_dir: ExclusionDataDirOpt = None,
    data_licence: DataLicenceOpt = None,
    local_files_only: OfflineOpt = False,
    overwrite: OverwriteOpt = False,
    resume: ResumeOpt = False,
    keep_checkpoints: KeepCheckpointsOpt = False,
    threads: ThreadsOpt = None,
    lora_rank: LoraRankOpt = None,
    lora_alpha: LoraAlphaOpt = None,
) -> None:
    """Fine-tune a sentence-transformer on observed item correlations; the folder works as --model DIR."""
    if (pairs is None) == (responses is None):
        raise typer.BadParameter("give --pairs FILE, or --responses FILE with --items FILE (exactly one source)")
    if responses is not None and items is None:
        raise typer.BadParameter("--responses needs --items (item ids and texts)", param_hint="--items")
    if items is not None and responses is None:
        raise typer.BadParameter("--items goes with --responses", param_hint="--items")
    if overwrite and resume:
        raise typer.BadParameter("--overwrite and --resume exclude each other")
    if epochs <= 0:
        raise typer.BadParameter("must be > 0", param_hint="--epochs")
    if lr <= 0:
        raise typer.BadParameter("must be > 0", param_hint="--lr")
    if max_minutes is not None and max_minutes <= 0:
        raise typer.BadParameter("must be > 0", param_hint="--max-minutes")
    if lora_alpha is not None and lora_rank is None:
        raise typer.BadParameter("--lora-alpha goes with --lora-rank", param_hint="--lora-alpha")
    if lora_alpha is not None and lora_alpha <= 0:
        raise typer.BadParameter("must be > 0", param_hint="--lora-alpha")
    if lora_rank is not None and resume:
        raise typer.BadParameter("--resume is not available for a LoRA run; start again with --overwrite",
                                 param_hint="--resume")
    with reporting():
        from traitlens.finetuning import FinetuneSettings, check_training_extra, pairs_from_responses, read_pairs

        check_training_extra()
        if lora_rank is not None:
            from traitlens.finetuning.adapter import check_peft

            check_peft()
        settings = FinetuneSettings(epochs=epochs, batch_size=batch_size, lr=lr, max_steps=max_steps,
                                    max_minutes=max_minutes, eval_fraction=eval_fraction, eval_steps=eval_steps,
                                    patience=patience, seed=seed, negations=negations, negation_r=negation_r,
                                    loss=loss.value, keep_checkpoints=keep_checkpoints, lora_rank=lora_rank,
                                    lora_alpha=lora_alpha)
        settings.check()
        if pairs is not None:
            table = read_pairs(pairs)
            data: dict[str, Any] = {"source": f"pairs file {pairs.name}", "fingerprint": _digest(pairs)}
        else:
            assert responses is not None and items is not None
            table = pairs_from_responses(responses, items)
            data = {"source": f"responses {responses.name} ({table.attrs['n_persons']} persons, "
                              f"{table.attrs['n_items']} items; pairwise-complete Pearson r) with item texts "
                              f"{items.name}", "fingerprint": f"{_digest(responses)} + {_digest(items)}"}
        if data_licence:
            data["licence"] = data_licence
        stderr(f"read {len(table)} item pairs")
        exclude, note = _exclusion_texts(holdout_exclusion, data_dir)
        stderr(note)
        if threads is not None:
            import torch

            torch.set_num_threads(threads)
        _run(table, out, base, settings, exclude, data, local_files_only, overwrite, resume)


def _digest(path: Path) -> str:
    """SHA-256 of a file's bytes (16 hex digits), for the model card."""
    from traitlens.fingerprint import files_fingerprint

    path = path.resolve()
    return files_fingerprint(path.parent, [path])


def _run(table: Any, out: Path, base: str | None, settings: Any, exclude: list[str] | None, data: dict[str, Any],
         local_files_only: bool, overwrite: bool, resume: bool) -> None:
    from traitlens.finetuning import finetune

    result = finetune(table, out, base=base, settings=settings, exclude_texts=exclude,
                      exclusion_label="acceptance-holdout items", data=data,
                      local_files_only=local_files_only or None, overwrite=overwrite, resume=resume)
    stderr(f"model card: {result.path / 'README.md'}; use it with --model {result.path}")
