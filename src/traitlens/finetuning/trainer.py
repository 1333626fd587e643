"""Fine-tune a sentence-transformer on item pairs: signed targets, an item split, early stopping, a model card.

The loss sees pairs of item texts with their observed correlation ``r`` as target:
CosineSimilarityLoss (default) regresses the cosine on r, so a fine-tuned model's cosines are
predicted correlations, negative ones included; CoSENT ranks the pairs of a batch by cosine in the
order of their r and leaves the cosines uncalibrated (in the shared-data benchmark they all ended
near .95, so their signs said nothing). Both use the signed r, so an item and its reversal learn to
point apart. Optional
:mod:`negation pairs <traitlens.finetuning.negations>` teach polarity beyond the reversed items the
data happen to contain.

A share of the ITEMS is held out (:func:`traitlens.finetuning.data.split_items`); every
evaluation measures the *held-out item r* — Pearson's r between the cosine of each held-out pair's
embeddings and its observed r, over the pairs with at least one held-out item — and training stops
when it has not improved for ``patience`` evaluations; the best checkpoint is the model written.

The output folder is a sentence-transformers model folder (``--model DIR`` everywhere) with a model
card (``README.md``), the run record (``training.json``) and the item split (``split.csv``).
Checkpoints live in ``DIR/.cache/checkpoints`` (ignored by traitlens's model fingerprint), are kept
when a run is interrupted (continue with ``resume=True``) and removed after a finished run unless
``keep_checkpoints``.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import math
import shutil
import time
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from traitlens.encoders import Encoder, resolve_model
from traitlens.encoders.sentence_transformer import fingerprint_folder
from traitlens.errors import InputError, TraitlensError
from traitlens.evaluation.leakage import exclude_overlaps, normalise_text
from traitlens.finetuning.data import MIN_ITEMS, ItemSplit, check_pairs, exclude_items, split_items
from traitlens.finetuning.negations import NEGATION_R, negation_pairs
from traitlens.io.tables import check_folder_creatable, json_ready

__all__ = ["LOSSES", "TRAIN_EXTRA", "FinetuneResult", "FinetuneSettings", "check_training_extra", "finetune"]

LOG = logging.getLogger("traitlens")

#: The optional dependencies the trainer needs, and the extra that installs them.
TRAIN_EXTRA = "train"
_TRAIN_MODULES = ("datasets", "accelerate")
#: Losses by name.
LOSSES = ("cosine", "cosent")
#: The figure each evaluation during training reports and early stopping follows (the trainer prefixes ``eval_``).
PRIMARY = "item_r"
#: Held-out pairs fewer than this give a warning: the figures are then noisy.
FEW_HELDOUT_PAIRS = 30
#: Evaluations during training use the pairs of two held-out items when there are at least this many (encoding
#: only the held-out items is cheap); otherwise every pair with a held-out item.
MIN_MONITOR_PAIRS = 50
CHECKPOINTS = Path(".cache") / "checkpoints"
RUN_FILE = Path(".cache") / "run.json"
RECORD_FILE = "training.json"
SPLIT_FILE = "split.csv"


def check_training_extra() -> None:
    """Raise a :class:`TraitlensError` naming the extra when the trainer's dependencies are missing."""
    missing = [m for m in _TRAIN_MODULES if importlib.util.find_spec(m) is None]
    if missing:
        raise TraitlensError(
            f"fine-tuning needs the optional dependencies {' and '.join(missing)}, which are not installed: "
            f"pip install 'traitlens[{TRAIN_EXTRA}]' (or pip install {' '.join(_TRAIN_MODULES)})")


@dataclass(frozen=True)
class FinetuneSettings:
    """Hyper-parameters of a fine-tune.

    Attributes
    ----------
    epochs : float
        Passes over the training pairs (ignored when ``max_steps`` is given).
    batch_size : int
        Pairs per step.
    lr : float
        Peak learning rate (AdamW; linear warm-up over ``warmup`` of the steps, then linear decay).
    max_steps : int, optional
        Stop after this many steps.
    max_minutes : float, optional
        Stop (evaluate, keep the best checkpoint) once training has run this long: a time budget on a slow CPU.
    eval_fraction : float
        Share of the items held out, in [0, 1); 0: no evaluation, no early stopping.
    eval_steps : int, optional
        Steps between evaluations (and checkpoints); default a tenth of the steps.
    patience : int
        Evaluations without improvement of the held-out item r before training stops.
    seed : int
        Seed of the item split, the data order and the initialisation of new weights.
    negations : bool
        Add (item, negated item) pairs of the training items with target ``negation_r``.
    negation_r : float
        Target correlation of a negation pair.
    loss : {"cosine", "cosent"}
        CosineSimilarityLoss (MSE of the cosine against r; default: cosines come out on the scale of r,
        signs included) or CoSENTLoss (ranks the pairs of a batch; cosines keep only the order of r).
    warmup : float
        Share of the steps for the learning-rate warm-up.
    keep_checkpoints : bool
        Keep ``DIR/.cache/checkpoints`` after a finished run.
    lora_rank : int, optional
        Train a low-rank (LoRA) adapter of this rank instead of all weights (needs ``peft``); the output
        folder then holds ``adapter.npz`` (:mod:`traitlens.encoders.adapted`: merged into the base at load
        time, no ``peft`` needed) instead of a full model.
    lora_alpha : float, optional
        LoRA alpha (scaling ``alpha / rank``); default ``2 · rank``.
    lora_dtype : {"float16", "float32"}
        Storage type of the exported factors.
    """

    epochs: float = 1.0
    batch_size: int = 32
    lr: float = 2e-5
    max_steps: int | None = None
    max_minutes: float | None = None
    eval_fraction: float = 0.1
    eval_steps: int | None = None
    patience: int = 3
    seed: int = 0
    negations: bool = True
    negation_r: float = NEGATION_R
    loss: str = "cosine"
    warmup: float = 0.1
    keep_checkpoints: bool = False
    lora_rank: int | None = None
    lora_alpha: float | None = None
    lora_dtype: str = "float16"

    @property
    def alpha(self) -> float:
        """The LoRA alpha in use (``2 · rank`` unless given)."""
        return float(self.lora_alpha if self.lora_alpha is not None else 2 * (self.lora_rank or 0))

    def check(self) -> None:
        """Raise :class:`InputError` for a value out of range."""
        checks = [
            (self.epochs > 0 and math.isfinite(self.epochs), f"epochs must be > 0, got {self.epochs}"),
            (self.batch_size >= 2, f"the batch size must be at least 2, got {self.batch_size}"),
            (0 < self.lr < 1, f"the learning rate must be in (0, 1), got {self.lr}"),
            (self.max_steps is None or self.max_steps >= 1, f"max steps must be at least 1, got {self.max_steps}"),
            (self.max_minutes is None or self.max_minutes > 0, f"max minutes must be > 0, got {self.max_minutes}"),
            (0 <= self.eval_fraction < 1, f"the eval fraction must be in [0, 1), got {self.eval_fraction}"),
            (self.eval_steps is None or self.eval_steps >= 1, f"eval steps must be at least 1, got {self.eval_steps}"),
            (self.patience >= 1, f"patience must be at least 1, got {self.patience}"),
            (-1 <= self.negation_r <= 1, f"the negation r must be in [-1, 1], got {self.negation_r}"),
            (self.loss in LOSSES, f"unknown loss {self.loss!r}; available: {', '.join(LOSSES)}"),
            (0 <= self.warmup < 1, f"the warm-up share must be in [0, 1), got {self.warmup}"),
            (self.lora_rank is None or 1 <= self.lora_rank <= 256,
             f"the LoRA rank must be in [1, 256], got {self.lora_rank}"),
            (self.lora_alpha is None or (self.lora_alpha > 0 and math.isfinite(self.lora_alpha)),
             f"the LoRA alpha must be > 0, got {self.lora_alpha}"),
            (self.lora_dtype in {"float16", "float32"}, f"the adapter dtype must be float16 or float32, got "
                                                        f"{self.lora_dtype!r}"),
        ]
        for ok, message in checks:
            if not ok:
                raise InputError(message)


@dataclass(frozen=True)
class FinetuneResult:
    """What :func:`finetune` made: the model folder and the run record (as in ``training.json``)."""

    path: Path
    record: dict[str, Any] = field(default_factory=dict)

    @property
    def heldout(self) -> dict[str, Any]:
        """Held-out figures before and after training."""
        return self.record.get("heldout", {})


# ----------------------------------------------------------------------------- output folder


def _is_finetune_folder(path: Path) -> bool:
    return (path / RECORD_FILE).is_file() or (path / RUN_FILE).is_file()


def _check_out(out: Path, *, overwrite: bool, resume: bool) -> None:
    """Check the output folder before any work, changing nothing (:func:`_prepare_out` makes it)."""
    if out.exists() and not out.is_dir():
        raise InputError("the output exists and is not a folder", path=out)
    if out.is_dir() and any(out.iterdir()):
        if resume:
            if not (out / CHECKPOINTS).is_dir():
                raise InputError("nothing to resume: the folder has no checkpoints (.cache/checkpoints)", path=out)
            return
        if not overwrite:
            raise InputError("the output folder exists and is not empty; pass --overwrite to replace an earlier "
                             "fine-tune, or --resume to continue an interrupted one", path=out)
        if not _is_finetune_folder(out):
            raise InputError("the output folder is not an earlier traitlens fine-tune (no training.json); refusing "
                             "to overwrite it: choose another --out", path=out)
    elif resume:
        raise InputError("nothing to resume: the output folder does not exist or is empty", path=out)
    check_folder_creatable(out)


def _prepare_out(out: Path, *, overwrite: bool, resume: bool) -> None:
    """Make the output folder once the data is checked and split (emptied for ``overwrite``)."""
    if out.is_dir() and any(out.iterdir()) and not resume and overwrite:
        shutil.rmtree(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise InputError(f"cannot write to the output folder ({exc.strerror})", path=out) from None


def _base_licence(path: Path) -> str | None:
    """The ``license:`` of a model folder's README front matter, if any."""
    readme = path / "README.md"
    if not readme.is_file():
        return None
    lines = readme.read_text(encoding="utf-8", errors="replace").splitlines()
    if not lines or lines[0].strip() != "---":
        return None
    for line in lines[1:]:
        if line.strip() == "---":
            break
        if line.lower().startswith("license:"):
            return line.split(":", 1)[1].strip() or None
    return None


# ----------------------------------------------------------------------------- held-out figures


def _pearson(x: np.ndarray, y: np.ndarray) -> float:
    if len(x) < 3 or np.std(x) == 0 or np.std(y) == 0:
        return float("nan")
    return float(np.corrcoef(x, y)[0, 1])


def heldout_figures(encode: Any, pairs: pd.DataFrame) -> dict[str, float]:
    """Held-out item r: Pearson r of pair cosines with observed r, over all held-out pairs and both-held-out pairs.

    Parameters
    ----------
    encode : callable
        ``texts -> array`` of L2-normalised embeddings.
    pairs : DataFrame
        ``text_a, text_b, r, both_heldout``.

    Returns
    -------
    dict
        ``heldout_item_r``, ``heldout_pairs``, ``heldout_both_item_r``, ``heldout_both_pairs``,
        ``heldout_mean_cosine``.
    """
    if pairs.empty:
        return {"heldout_item_r": float("nan"), "heldout_pairs": 0, "heldout_both_item_r": float("nan"),
                "heldout_both_pairs": 0, "heldout_mean_cosine": float("nan")}
    texts = list(dict.fromkeys([*pairs["text_a"], *pairs["text_b"]]))
    index = {t: i for i, t in enumerate(texts)}
    vectors = np.asarray(encode(texts), dtype=np.float64)
    a = vectors[[index[t] for t in pairs["text_a"]]]
    b = vectors[[index[t] for t in pairs["text_b"]]]
    cos = np.einsum("ij,ij->i", a, b)
    r = pairs["r"].to_numpy(dtype=float)
    both = pairs["both_heldout"].to_numpy(dtype=bool)
    return {"heldout_item_r": _pearson(cos, r), "heldout_pairs": len(pairs),
            "heldout_both_item_r": _pearson(cos[both], r[both]), "heldout_both_pairs": int(both.sum()),
            "heldout_mean_cosine": float(cos.mean())}


def _model_encoder(model: Any) -> Any:
    def encode(texts: list[str]) -> np.ndarray:
        return model.encode(texts, batch_size=64, convert_to_numpy=True, normalize_embeddings=True,
                            show_progress_bar=False)

    return encode


def _evaluator(pairs: pd.DataFrame) -> Any:
    """A sentence-transformers evaluator of the held-out item r (its class is made here: the import is lazy)."""
    try:
        from sentence_transformers.base.evaluation import BaseEvaluator
    except ImportError:  # sentence-transformers < 6
        from sentence_transformers.evaluation import SentenceEvaluator as BaseEvaluator

    class HeldOutItemR(BaseEvaluator):  # type: ignore[misc, valid-type]
        """Held-out item r of a model (see :func:`heldout_figures`)."""

        def __init__(self) -> None:
            super().__init__()
            self.greater_is_better = True
            self.primary_metric = PRIMARY

        def __call__(self, model: Any, output_path: str | None = None, epoch: float = -1,
                     steps: int = -1) -> dict[str, float]:
            figures = heldout_figures(_model_encoder(model), pairs)
            return {PRIMARY: float(figures["heldout_item_r"]), "pairs": float(figures["heldout_pairs"])}

    return HeldOutItemR()


# ----------------------------------------------------------------------------- progress


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m" if hours else (f"{minutes}m{secs:02d}s" if minutes else f"{secs}s")


def _progress_callback() -> Any:
    from transformers import TrainerCallback

    class Progress(TrainerCallback):
        """One line per log and per evaluation on the ``traitlens`` logger (the CLI shows it on stderr)."""

        def __init__(self) -> None:
            self.start = time.monotonic()
            self.first_step = 0
            self.best: tuple[float, int] | None = None

        def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            self.start = time.monotonic()
            self.first_step = state.global_step

        def _eta(self, state: Any) -> str:
            done = state.global_step - self.first_step
            if done <= 0 or not state.max_steps:
                return ""
            left = (time.monotonic() - self.start) / done * (state.max_steps - state.global_step)
            return f", ~{_duration(left)} left"

        def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, float] | None = None,
                   **kwargs: Any) -> None:
            if logs and "loss" in logs:
                LOG.info("step %d/%d · epoch %.2f · loss %.4f · lr %.2e · %s elapsed%s", state.global_step,
                         state.max_steps, float(logs.get("epoch", state.epoch or 0)), float(logs["loss"]),
                         float(logs.get("learning_rate", 0.0)), _duration(time.monotonic() - self.start),
                         self._eta(state))

        def on_evaluate(self, args: Any, state: Any, control: Any, metrics: dict[str, float] | None = None,
                        **kwargs: Any) -> None:
            value = (metrics or {}).get(f"eval_{PRIMARY}")
            if value is None:
                return
            if math.isfinite(value) and (self.best is None or value > self.best[0]):
                self.best = (value, state.global_step)
            best = f" (best {self.best[0]:.3f} at step {self.best[1]})" if self.best else ""
            LOG.info("step %d/%d · held-out item r %.3f%s · checkpoint saved", state.global_step, state.max_steps,
                     value, best)

    return Progress()


def _time_limit(seconds: float | None, evaluate: bool) -> Any:
    from transformers import TrainerCallback

    class TimeLimit(TrainerCallback):
        """Stop after ``seconds`` of training, with a last evaluation and checkpoint."""

        def __init__(self) -> None:
            self.start = time.monotonic()
            self.hit = False

        def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            self.start = time.monotonic()

        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> Any:
            if seconds is not None and not self.hit and time.monotonic() - self.start > seconds:
                self.hit = True
                LOG.info("time limit of %s reached at step %d: stopping", _duration(seconds), state.global_step)
                control.should_training_stop = True
                control.should_save = True
                control.should_evaluate = evaluate
            return control

    return TimeLimit()


# ----------------------------------------------------------------------------- the fine-tune


def _settings_key(settings: FinetuneSettings, base_fingerprint: str, pairs: pd.DataFrame) -> str:
    """A digest of everything a resumed run must share with the interrupted one."""
    digest = hashlib.sha256()
    payload = {k: v for k, v in asdict(settings).items() if k not in {"keep_checkpoints", "max_minutes"}}
    digest.update(json.dumps(payload, sort_keys=True).encode())
    digest.update(base_fingerprint.encode())
    digest.update(pd.util.hash_pandas_object(pairs[["text_a", "text_b", "r"]], index=False).to_numpy().tobytes())
    return digest.hexdigest()[:16]


def _polarity_pairs(split: ItemSplit, all_items: Sequence[str], exclude_texts: Sequence[str],
                    settings: FinetuneSettings, guard_encoder: Encoder | None) -> tuple[pd.DataFrame, dict[str, int]]:
    """Negation pairs of the training items, without negations that are real items or held-out rewordings."""
    pairs = negation_pairs(split.train_items, settings.negation_r)
    generated = len(pairs)
    known = {normalise_text(t) for t in all_items}
    pairs = pairs[[normalise_text(t) not in known for t in pairs["text_b"]]].reset_index(drop=True)
    as_items = generated - len(pairs)
    protected = [*split.heldout_items, *exclude_texts]
    guarded = 0
    if len(pairs) and protected:
        kept, _ = exclude_overlaps(protected, pairs["text_b"].tolist(), encoder=guard_encoder)
        guarded = len(pairs) - len(kept)
        pairs = pairs.iloc[kept].reset_index(drop=True)
    record = {"training_items": len(split.train_items), "generated": generated, "dropped_as_real_items": as_items,
              "dropped_by_guard": guarded, "used": len(pairs), "target_r": settings.negation_r}
    return pairs, record


def _import_trainer() -> dict[str, Any]:
    """The sentence-transformers and transformers classes the fine-tune needs (imported on use)."""
    from sentence_transformers import (
        SentenceTransformer,
        SentenceTransformerTrainer,
        SentenceTransformerTrainingArguments,
    )
    from transformers import EarlyStoppingCallback
    from transformers.trainer_utils import get_last_checkpoint

    try:
        from sentence_transformers.sentence_transformer.losses import CoSENTLoss, CosineSimilarityLoss
    except ImportError:  # sentence-transformers < 6
        from sentence_transformers.losses import CoSENTLoss, CosineSimilarityLoss

    class Trainer(SentenceTransformerTrainer):  # type: ignore[misc, valid-type]
        """The sentence-transformers trainer without its model-card callback (the command writes its own card)."""

        def add_model_card_callback(self, *args: Any, **kwargs: Any) -> None:
            """Add nothing: the callback computes widget examples and card data that are not used."""

        def _load_best_model(self) -> None:
            """Restore the best LoRA state kept in memory (adapter runs); else load the best checkpoint."""
            keeper = getattr(self, "lora_best", None)
            if keeper is None:
                super()._load_best_model()
            elif keeper.snapshot is not None:
                keeper.restore(self.model)

    def last_complete(folder: str) -> str | None:
        """The newest checkpoint that was saved whole.

        A newer one cut short (killed while it was written: no ``trainer_state.json``, which is saved
        last) is removed, so that the run resumes from the one before.
        """
        while (last := get_last_checkpoint(folder)) is not None:
            try:
                json.loads((Path(last) / "trainer_state.json").read_text())
                return str(last)
            except (OSError, ValueError):
                LOG.warning("removing %s: it was cut short while it was saved; resuming from the one before",
                            Path(last).name)
                shutil.rmtree(last)
        return None

    return {"model": SentenceTransformer, "trainer": Trainer,
            "arguments": SentenceTransformerTrainingArguments, "early": EarlyStoppingCallback,
            "last": last_complete, "cosent": CoSENTLoss, "cosine": CosineSimilarityLoss}


def _load_base(cls: type, path: Path) -> Any:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            return cls(str(path), device="cpu", local_files_only=True)
    except Exception as exc:  # noqa: BLE001 - any failure to build the model is reported the same way
        raise TraitlensError(f"could not load the base model in {path}: {type(exc).__name__}: {exc}") from exc


@contextmanager
def _no_progress_bars() -> Iterator[None]:
    """Hide the per-file and per-tensor progress bars of transformers while saving and loading checkpoints."""
    from transformers.utils import logging as hf_logging

    shown = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if shown:
            hf_logging.enable_progress_bar()


def _quiet(trainer: Any) -> None:
    """Drop the trainer's stdout printer, tqdm bars and its own model card (the command writes its card)."""
    for callback in list(trainer.callback_handler.callbacks):
        if type(callback).__name__ in {"PrinterCallback", "ProgressCallback"} or \
                type(callback).__name__.endswith("ModelCardCallback"):
            trainer.remove_callback(callback)


@_no_progress_bars()
def finetune(
    pairs: pd.DataFrame,
    out: str | Path,
    *,
    base: str | Path | None = None,
    settings: FinetuneSettings | None = None,
    exclude_texts: Sequence[str] | None = None,
    exclusion_label: str = "excluded texts",
    guard_encoder: Encoder | None = None,
    data: dict[str, Any] | None = None,
    local_files_only: bool | None = None,
    overwrite: bool = False,
    resume: bool = False,
) -> FinetuneResult:
    """Fine-tune a sentence-transformer on item pairs and write a model folder with its model card.

    Parameters
    ----------
    pairs : DataFrame
        ``text_a, text_b, r`` (checked by :func:`traitlens.finetuning.check_pairs`; read files with
        :func:`~traitlens.finetuning.read_pairs` or :func:`~traitlens.finetuning.pairs_from_responses`).
    out : str or Path
        The model folder to write (created; must be empty unless ``overwrite`` or ``resume``).
    base : str or Path, optional
        Base model: hub id or local folder (default: the bundled all-MiniLM-L6-v2).
    settings : FinetuneSettings, optional
        Hyper-parameters.
    exclude_texts : sequence of str, optional
        Texts that must not be trained on: every item that is one of them or a rewording (the leakage
        guard) is dropped with its pairs before the split, e.g. an acceptance test set.
    exclusion_label : str
        What ``exclude_texts`` are, for the model card.
    guard_encoder : Encoder, optional
        Encoder of the leakage guard (default: the bundled all-MiniLM-L6-v2, cached).
    data : dict, optional
        Description of the data for the card: ``source``, ``licence`` and anything else (strings).
    local_files_only : bool, optional
        Never download the base model (``None`` follows ``HF_HUB_OFFLINE``).
    overwrite : bool
        Replace an earlier fine-tune in ``out``.
    resume : bool
        Continue an interrupted run from the last checkpoint in ``out`` (same data and settings).

    Returns
    -------
    FinetuneResult

    Raises
    ------
    InputError
        Bad pairs or settings, fewer than three items left, an unusable output folder.
    ModelUnavailableError
        The base model cannot be had (e.g. not available offline).
    TraitlensError
        The ``train`` extra is not installed; the run was interrupted (checkpoints are kept).
    """
    started = time.monotonic()
    created = datetime.now(UTC).isoformat(timespec="seconds")
    settings = settings or FinetuneSettings()
    settings.check()
    check_training_extra()
    if settings.lora_rank:
        from traitlens.finetuning.adapter import check_peft

        check_peft()
        if resume:
            raise InputError("--resume is not available for a LoRA run (--lora-rank): the adapter trains in "
                             "minutes; start it again with --overwrite")
    pairs = check_pairs(pairs)
    base_id, base_path = resolve_model(base, local_files_only=local_files_only)
    base_fingerprint = fingerprint_folder(base_path)
    out = Path(out).expanduser()
    _check_out(out, overwrite=overwrite, resume=resume)
    key = _settings_key(settings, base_fingerprint, pairs)
    if resume:
        earlier = json.loads((out / RUN_FILE).read_text()) if (out / RUN_FILE).is_file() else {}
        if earlier.get("key") != key:
            raise InputError("cannot resume: the data, base model or settings differ from the interrupted run's",
                             path=out)

    n_input_pairs = len(pairs)
    n_input_items = len(set(pairs["text_a"]) | set(pairs["text_b"]))
    exclusion: dict[str, Any] = {"applied": bool(exclude_texts), "what": exclusion_label,
                                 "texts": len(exclude_texts or []), "items_dropped": 0, "pairs_dropped": 0}
    if exclude_texts:
        pairs, dropped = exclude_items(pairs, exclude_texts, guard_encoder)
        exclusion.update(items_dropped=len(dropped), pairs_dropped=n_input_pairs - len(pairs),
                         by_reason=dropped["reason"].value_counts().to_dict() if len(dropped) else {})
        LOG.info("excluded %d item(s) (%d pairs) that are %s or rewordings of them", len(dropped),
                 n_input_pairs - len(pairs), exclusion_label)
        n_items = len(set(pairs["text_a"]) | set(pairs["text_b"]))
        if n_items < MIN_ITEMS:
            raise InputError(f"after excluding the {exclusion_label}, {n_items} item(s) are left; a fine-tune needs "
                             f"at least {MIN_ITEMS}")
    split = split_items(pairs, settings.eval_fraction, settings.seed, guard_encoder)
    _prepare_out(out, overwrite=overwrite, resume=resume)  # the data is usable: only now is the folder made
    all_items = list(dict.fromkeys([*pairs["text_a"], *pairs["text_b"]]))
    polarity, negation_record = (_polarity_pairs(split, all_items, list(exclude_texts or []), settings, guard_encoder)
                                 if settings.negations else (pd.DataFrame(columns=["text_a", "text_b", "r"]),
                                                             {"used": 0}))
    train_rows = pd.concat([split.train[["text_a", "text_b", "r"]], polarity], ignore_index=True)
    evaluate = settings.eval_fraction > 0 and len(split.heldout) >= 3
    both = split.heldout["both_heldout"].to_numpy(dtype=bool) if evaluate else np.zeros(0, dtype=bool)
    monitor = split.heldout[both] if both.sum() >= MIN_MONITOR_PAIRS else split.heldout
    monitored = "pairs of two held-out items" if both.sum() >= MIN_MONITOR_PAIRS else "pairs with a held-out item"
    if settings.eval_fraction > 0 and not evaluate:
        warnings.warn(f"only {len(split.heldout)} held-out pair(s): no evaluation and no early stopping", stacklevel=2)
    elif evaluate and len(split.heldout) < FEW_HELDOUT_PAIRS:
        warnings.warn(f"the held-out figures rest on {len(split.heldout)} pairs only", stacklevel=2)

    steps_per_epoch = math.ceil(len(train_rows) / settings.batch_size)
    total = settings.max_steps or max(1, math.ceil(settings.epochs * steps_per_epoch))
    eval_steps = settings.eval_steps or max(1, total // 10)
    LOG.info("training on %d pairs of %d items (+%d negation pairs), %d held-out items (%d pairs); %d steps of %d",
             len(split.train), len(split.train_items), len(polarity), len(split.heldout_items), len(split.heldout),
             total, settings.batch_size)

    classes = _import_trainer()
    from datasets import Dataset

    LOG.info("loading base model %s …", base_id)
    model = _load_base(classes["model"], base_path)
    lora_record: dict[str, Any] | None = None
    if settings.lora_rank:
        from traitlens.finetuning.adapter import add_lora

        targets = add_lora(model, settings.lora_rank, settings.alpha)
        trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
        lora_record = {"rank": settings.lora_rank, "alpha": settings.alpha, "modules": len(targets),
                       "trainable_parameters": int(trainable), "dtype": settings.lora_dtype}
        LOG.info("LoRA adapter of rank %d on %d linear layers: %d trainable parameters", settings.lora_rank,
                 len(targets), trainable)
    evaluator = _evaluator(monitor) if evaluate else None
    before = heldout_figures(_model_encoder(model), split.heldout) if evaluate else {}
    if evaluate:
        LOG.info("held-out item r of the base model: %.3f (%d pairs with a held-out item), %.3f (%d pairs of two); "
                 "evaluations follow the %s", before["heldout_item_r"], before["heldout_pairs"],
                 before["heldout_both_item_r"], before["heldout_both_pairs"], monitored)
    train_dataset = Dataset.from_dict({"text_a": train_rows["text_a"].tolist(),
                                       "text_b": train_rows["text_b"].tolist(),
                                       "score": train_rows["r"].astype(float).tolist()})
    loss = classes[settings.loss](model)
    checkpoints = out / CHECKPOINTS
    arguments = classes["arguments"](
        output_dir=str(checkpoints), num_train_epochs=settings.epochs, max_steps=settings.max_steps or -1,
        per_device_train_batch_size=settings.batch_size, learning_rate=settings.lr,
        warmup_steps=int(settings.warmup * total), seed=settings.seed, data_seed=settings.seed,
        eval_strategy="steps" if evaluate else "no", eval_steps=eval_steps if evaluate else None,
        save_strategy="steps", save_steps=eval_steps, save_total_limit=2, load_best_model_at_end=evaluate,
        metric_for_best_model=f"eval_{PRIMARY}" if evaluate else None, greater_is_better=True,
        logging_steps=max(1, min(eval_steps, total // 20 or 1)), report_to="none", disable_tqdm=True,
        dataloader_num_workers=0, use_cpu=not _cuda(),
    )
    limit = _time_limit(None if settings.max_minutes is None else settings.max_minutes * 60, evaluate)
    callbacks = [_progress_callback(), limit]
    if evaluate:
        callbacks.append(classes["early"](early_stopping_patience=settings.patience))
    keeper = _best_lora(model) if settings.lora_rank and evaluate else None
    if keeper is not None:
        callbacks.append(keeper)
    trainer = classes["trainer"](model=model, args=arguments, train_dataset=train_dataset, loss=loss,
                                 evaluator=evaluator, callbacks=callbacks)
    trainer.lora_best = keeper
    _quiet(trainer)
    (out / RUN_FILE).parent.mkdir(parents=True, exist_ok=True)
    (out / RUN_FILE).write_text(json.dumps({"key": key, "created": created}))
    last = classes["last"](str(checkpoints)) if resume and checkpoints.is_dir() else None
    if last is not None:
        done = json.loads((Path(last) / "trainer_state.json").read_text()).get("global_step", 0)
        if done >= total:
            raise InputError(f"nothing to resume: the run already made all {total} steps (its last checkpoint is "
                             f"{Path(last).name}); the model in the folder is its result", path=out)
    if resume:
        LOG.info("resuming from %s", last or "the start (no complete checkpoint)")
    try:
        output = trainer.train(resume_from_checkpoint=last)
    except KeyboardInterrupt:
        raise TraitlensError(f"interrupted at step {trainer.state.global_step}; the checkpoints are in {checkpoints}: "
                             "run the same command with --resume to continue") from None
    state = trainer.state
    if keeper is not None and keeper.snapshot is not None:
        keeper.restore(trainer.model)  # the trainer restores it only when it stops by its own rules
    after = heldout_figures(_model_encoder(trainer.model), split.heldout) if evaluate else {}
    best_step = int(state.best_model_checkpoint.rsplit("-", 1)[1]) if state.best_model_checkpoint else None
    if keeper is not None:
        best_step = keeper.step
    if lora_record is None:
        trainer.model.save(str(out), create_model_card=False)
        for written in out.rglob("*"):  # safetensors writes its file 0600: the folder is meant to be shared
            if written.is_file() and CHECKPOINTS.parts[0] not in written.relative_to(out).parts:
                written.chmod(0o644)
    training = {"monitored_pairs": f"{monitored} ({len(monitor)})" if evaluate else None,
                "steps": int(state.global_step), "planned_steps": int(total), "epochs": float(state.epoch or 0),
                "steps_per_epoch": steps_per_epoch, "best_step": best_step,
                "stop": "time limit" if limit.hit else (
                    "early stopping" if evaluate and state.global_step < total else "planned steps"),
                "train_loss": float(output.training_loss), "evaluations": _evaluations(state),
                "eval_steps": eval_steps if evaluate else None, "elapsed_s": round(time.monotonic() - started, 1),
                "device": "cuda" if _cuda() else "cpu",
                # a resumed run: its loss and time are those of the steps after the checkpoint it resumed from
                "resumed_from_step": (int(Path(last).name.rsplit("-", 1)[1]) if last else 0) if resume else None}
    record = {
        "traitlens_version": _version(), "created": created,
        "base": {"id": base_id, "fingerprint": base_fingerprint, "licence": _base_licence(base_path)},
        "data": {**(data or {}), "input_pairs": n_input_pairs, "input_items": n_input_items},
        "exclusion": exclusion, "split": {"eval_fraction": settings.eval_fraction, "seed": settings.seed,
                                          **split.record()},
        "negations": negation_record, "settings": asdict(settings), "training": training,
        "heldout": {"before": before, "after": after},
    }
    if lora_record is not None:
        from traitlens.encoders.adapted import ADAPTER_FILE
        from traitlens.finetuning.adapter import export_adapter

        notes = {"created": created, "steps": training["steps"], "best_step": best_step,
                 "heldout_item_r": after.get("heldout_item_r"), "base_licence": record["base"]["licence"]}
        checksum = export_adapter(trainer.model, out / ADAPTER_FILE, base_id=base_id,
                                  base_fingerprint=base_fingerprint, rank=settings.lora_rank or 0,
                                  alpha=settings.alpha, name=out.name, dtype=settings.lora_dtype,
                                  training=json_ready(notes))
        record["adapter"] = {**lora_record, "file": ADAPTER_FILE, "checksum": checksum,
                             "bytes": (out / ADAPTER_FILE).stat().st_size,
                             "fidelity": _adapter_fidelity(trainer.model, out / ADAPTER_FILE, base_path,
                                                           split.heldout)}
    _write_split(out / SPLIT_FILE, split)
    (out / RECORD_FILE).write_text(json.dumps(json_ready(record), indent=2) + "\n", encoding="utf-8")
    from traitlens.finetuning.card import model_card

    (out / "README.md").write_text(model_card(record), encoding="utf-8")
    if not settings.keep_checkpoints:
        shutil.rmtree(out / ".cache", ignore_errors=True)
    figures = f"; held-out item r {before['heldout_item_r']:.3f} → {after['heldout_item_r']:.3f}" if evaluate else ""
    LOG.info("wrote %s (%d steps in %s%s)", out, state.global_step, _duration(training["elapsed_s"]), figures)
    return FinetuneResult(path=out, record=record)


def _best_lora(model: Any) -> Any:
    """A callback that keeps the LoRA factors of the best evaluation so far, in memory."""
    from transformers import TrainerCallback

    from traitlens.finetuning.adapter import restore_lora, snapshot_lora

    class BestLora(TrainerCallback):
        """Snapshot of the adapter at the best held-out item r (checkpoints of adapter runs are not reloaded)."""

        def __init__(self) -> None:
            self.best = -math.inf
            self.step: int | None = None
            self.snapshot: dict[str, Any] | None = None

        def on_evaluate(self, args: Any, state: Any, control: Any, metrics: dict[str, float] | None = None,
                        **kwargs: Any) -> None:
            value = (metrics or {}).get(f"eval_{PRIMARY}")
            if value is not None and math.isfinite(value) and value > self.best:
                self.best, self.step, self.snapshot = float(value), int(state.global_step), snapshot_lora(model)

        def restore(self, target: Any) -> None:
            restore_lora(target, self.snapshot or {})

    return BestLora()


def _adapter_fidelity(model: Any, path: Path, base_path: Path, pairs: pd.DataFrame) -> dict[str, Any]:
    """How closely the exported (possibly float16) adapter, merged with plain torch, reproduces the peft model.

    Returns the largest absolute difference of embedding components and of held-out pair cosines.
    """
    from traitlens.encoders.adapted import merge_adapter, read_adapter

    texts = list(dict.fromkeys([*pairs["text_a"], *pairs["text_b"]]))[:200] or ["I am the life of the party."]
    reference = _model_encoder(model)(texts)
    classes = _import_trainer()
    merged = _load_base(classes["model"], base_path)
    merge_adapter(merged[0].auto_model, read_adapter(path))
    merged.eval()
    vectors = _model_encoder(merged)(texts)
    cos_ref, cos_new = reference @ reference.T, vectors @ vectors.T
    return {"texts": len(texts), "max_abs_embedding_diff": float(np.abs(reference - vectors).max()),
            "max_abs_cosine_diff": float(np.abs(cos_ref - cos_new).max())}


def _cuda() -> bool:
    import torch

    return bool(torch.cuda.is_available())


def _version() -> str:
    from traitlens import __version__

    return __version__


def _evaluations(state: Any) -> list[dict[str, float]]:
    """Every held-out evaluation of the run, from the trainer's log history.

    A resumed run restores that history from its checkpoint, so the evaluations before the interruption are kept.
    """
    return [{"step": int(entry["step"]), **{key.removeprefix("eval_"): float(value) for key, value in entry.items()
                                            if key.startswith("eval_") and isinstance(value, int | float)}}
            for entry in state.log_history if f"eval_{PRIMARY}" in entry]


def _write_split(path: Path, split: ItemSplit) -> None:
    rows = [(t, "train") for t in split.train_items] + [(t, "heldout") for t in split.heldout_items] + \
        [(t, "dropped (rewording of a held-out item)") for t in split.guard_dropped]
    pd.DataFrame(rows, columns=["text", "split"]).to_csv(path, index=False)
