"""Fine-tune all-MiniLM-L6-v2 on the shared data's item pairs; leave-one-dataset-out validity against the base model.

For each response dataset D (suite S: ipip50/big5, bfi, spi, adjectives, bainbridge) a model is
fine-tuned on the item pairs of the OTHER datasets (:func:`traitlens.training.pairs.shared_item_pairs`)
after two exclusions by the leakage guard (same normalised text, or cosine ≥ .90 under
all-MiniLM-L6-v2): the acceptance-holdout items (their texts only, from ``holdout_texts``; nothing
else of the holdout is read, and nothing is evaluated on it) and S's own items, with every pair they
are in. Pairs observed in two datasets are merged (Fisher-z mean). Within the training data 10% of
the items are held out for early stopping (held-out item r before/after). The evaluation harness
then scores the fine-tuned and the base model on S — a suite whose items and data the fine-tune
never saw — with the ``cosine`` and ``profile`` methods. A last model is trained on all five
datasets (no suite left for the harness; its held-out items are its only test) and kept as the
product model.

Models go to .models/finetune-shared/ (git-ignored), results to benchmarks/results/finetune_shared.json
(written after every fold, so a partial run keeps what it did).

Usage:
    python benchmarks/finetune_shared.py [--max-steps 220] [--final-steps 200] [--suites ipip50 bfi ...]
                                         [--lr 5e-5] [--loss cosine|cosent] [--no-negations] [--tag NAME]
                                         [--n-boot 500] [--threads 1] [--no-final]
    python benchmarks/finetune_shared.py --polarity benchmarks/results/finetune_shared.json   # add the probe
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import math
import os
import platform
import sys
import time
from pathlib import Path

import pandas as pd
import torch

import traitlens
from traitlens.datasets import default_data_dir
from traitlens.encoders import load_encoder
from traitlens.evaluation import run_suite
from traitlens.evaluation.harness import load_suite
from traitlens.evaluation.methods import ADAPTER_DIR_ENV
from traitlens.finetuning import FinetuneSettings, exclude_items, finetune, merge_duplicate_pairs
from traitlens.training.pairs import DATASETS, holdout_texts, shared_item_pairs

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / ".models" / "finetune-shared"
RESULT = ROOT / "benchmarks" / "results" / "finetune_shared.json"
#: Suite → the response dataset it is scored on.
FOLDS = {"ipip50": "big5", "bfi": "bfi", "spi": "spi", "adjectives": "adjectives", "bainbridge": "bainbridge"}
#: Licences of the datasets (../shared/data/README.md).
LICENCES = {"big5": "openpsychometrics research use, items public domain", "bfi": "GPL >= 2 (items public domain)",
            "spi": "GPL >= 2 (items public domain)", "adjectives": "GPL >= 2",
            "bainbridge": "research use, no licence file"}
METHODS = ("cosine", "profile")
HEADLINE = ("item_r", "item_r_abs", "item_r_keyed", "sign_agreement", "scale_r", "alpha_r", "factor_accuracy")

LOG = logging.getLogger("traitlens")


def rows(frame: pd.DataFrame) -> list[dict]:
    out = []
    for row in frame.itertuples(index=False):
        out.append({"suite": row.suite, "method": row.method, "model": row.model, "metric": row.metric,
                    "value": None if pd.isna(row.value) else round(float(row.value), 4),
                    "ci_low": None if pd.isna(row.ci_low) else round(float(row.ci_low), 4),
                    "ci_high": None if pd.isna(row.ci_high) else round(float(row.ci_high), 4),
                    "n": None if pd.isna(row.n) else int(row.n)})
    return out


def fold_table(scores: dict[str, dict[str, list[dict]]], suites: list[str], label: str) -> list[str]:
    """Markdown rows: ``tuned``'s item r / sign agreement / scale r per left-out suite, and the mean item r.

    ``scores``: row label → suite → :func:`rows` of that run (a missing suite or figure shows as "–"; the
    mean needs every suite).
    """
    lines = [f"| {label} | " + " | ".join(suites) + " | mean item r |", "|---" * (len(suites) + 2) + "|"]
    for name, by_suite in scores.items():
        cells, item_r = [], []
        for suite in suites:
            figures = {r["metric"]: r["value"] for r in by_suite.get(suite, [])}
            if not figures:
                cells.append("–")
                continue
            item_r.append(figures["item_r"])
            cells.append(" / ".join(f"{figures[m]:.3f}" if figures.get(m) is not None else "–"
                                    for m in ("item_r", "sign_agreement", "scale_r")))
        mean = f"{sum(item_r) / len(item_r):.3f}" if len(item_r) == len(suites) else "–"
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {mean} |")
    return lines


def harness(suite: str, model: str | Path | None, data_dir: Path, n_boot: int) -> dict[str, pd.DataFrame]:
    return {method: run_suite(suite, method, None if model is None else str(model), data_dir=data_dir, n_boot=n_boot,
                              seed=0, baselines=False).metrics for method in METHODS}


@contextlib.contextmanager
def adapter_dirs(folders: list[Path]):
    """Point the harness's ``tuned`` at ``folders`` (one ensemble member each) for the block, then restore."""
    before = os.environ.get(ADAPTER_DIR_ENV)
    os.environ[ADAPTER_DIR_ENV] = os.pathsep.join(str(f) for f in folders)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(ADAPTER_DIR_ENV, None)
        else:
            os.environ[ADAPTER_DIR_ENV] = before


def score_tuned(suite: str, folders: list[Path], model: str | None, data_dir: Path, n_boot: int) -> pd.DataFrame:
    """The harness's ``tuned`` on ``suite`` with the fold adapters of ``folders`` (averaged): its metrics."""
    with adapter_dirs(folders):
        return run_suite(suite, "tuned", model, data_dir=data_dir, n_boot=n_boot, seed=0, baselines=False).metrics


def summary(base: dict[str, pd.DataFrame], tuned: dict[str, pd.DataFrame]) -> dict:
    out: dict[str, dict] = {}
    for method in METHODS:
        b = base[method].set_index("metric")
        t = tuned[method].set_index("metric")
        out[method] = {m: {"base": round(float(b.loc[m, "value"]), 4), "finetuned": round(float(t.loc[m, "value"]), 4),
                           "finetuned_ci": [round(float(t.loc[m, "ci_low"]), 4), round(float(t.loc[m, "ci_high"]), 4)]
                           if not pd.isna(t.loc[m, "ci_low"]) else None}
                       for m in HEADLINE if m in b.index and m in t.index and not pd.isna(b.loc[m, "value"])}
    return out


def training_data(datasets: list[str], data_dir: Path, acceptance: list[str], guard, scored: list[str] | None):
    """Pairs of ``datasets`` without acceptance-holdout items and without the scored suite's items; counts."""
    pairs = shared_item_pairs(data_dir, datasets=datasets, exclude_texts=acceptance, guard_encoder=guard)
    counts = {"datasets": datasets, "pairs_before_exclusion": len(pairs) + pairs.attrs["excluded_pairs"],
              "items_before_exclusion": pairs.attrs["n_items"] + pairs.attrs["excluded_items"],
              "acceptance_exclusion": {"texts": len(acceptance), "items_dropped": pairs.attrs["excluded_items"],
                                       "pairs_dropped": pairs.attrs["excluded_pairs"]}}
    if scored:
        before = len(pairs)
        pairs, dropped = exclude_items(pairs, scored, guard)
        counts["scored_suite_exclusion"] = {"texts": len(scored), "items_dropped": len(dropped),
                                            "pairs_dropped": before - len(pairs),
                                            "by_reason": dropped["reason"].value_counts().to_dict()}
    merged = merge_duplicate_pairs(pairs)
    counts["pairs_merged_across_datasets"] = int(len(pairs) - len(merged))
    counts["training_pairs"] = len(merged)
    counts["training_items"] = len(set(merged["text_a"]) | set(merged["text_b"]))
    return merged, counts


def exclusion_notes(counts: dict) -> dict[str, str]:
    """The exclusions made before the fine-tune, as lines of the model card's data section."""
    acc = counts["acceptance_exclusion"]
    notes = {"acceptance-holdout exclusion": f"{acc['items_dropped']} item(s), {acc['pairs_dropped']} pair(s) dropped "
                                             f"as one of its {acc['texts']} item texts or a rewording (leakage guard)"}
    if "scored_suite_exclusion" in counts:
        sc = counts["scored_suite_exclusion"]
        notes["left-out suite exclusion"] = (f"{sc['items_dropped']} item(s), {sc['pairs_dropped']} pair(s) dropped as "
                                             f"one of the {sc['texts']} items of the suite scored by the harness or "
                                             "a rewording")
    notes["pairs merged across datasets"] = str(counts["pairs_merged_across_datasets"])
    return notes


def fit(pairs: pd.DataFrame, name: str, counts: dict, settings: FinetuneSettings, guard) -> dict:
    datasets = counts["datasets"]
    data = {"source": "shared data response sets " + ", ".join(datasets) + " (pairwise-complete Pearson r of raw "
                      "responses, via traitlens.training.pairs.shared_item_pairs; duplicates merged)",
            "licence": "; ".join(f"{d}: {LICENCES[d]}" for d in datasets), **exclusion_notes(counts)}
    result = finetune(pairs, MODELS / name, settings=settings, data=data, guard_encoder=guard, overwrite=True)
    record = result.record
    return {"model": str((MODELS / name).relative_to(ROOT)), "split": record["split"], "negations": record["negations"],
            "training": {k: v for k, v in record["training"].items() if k != "evaluations"},
            "evaluations": record["training"]["evaluations"],
            "heldout_item_r": {"before": record["heldout"]["before"], "after": record["heldout"]["after"]}}


def polarity(model: str | Path | None, texts: list[str]) -> dict:
    """How the model places the left-out suite's items against their negations (never trained on either).

    ``negation_cosine``: mean cosine of an item with its negation (:func:`traitlens.finetuning.negate`);
    ``below_zero``: share of those cosines < 0, i.e. a predicted negative correlation.
    """
    from traitlens.finetuning import negate

    pairs = [(t, negate(t)) for t in texts]
    pairs = [(t, n) for t, n in pairs if n]
    encoder = load_encoder(None if model is None else str(model))
    a = encoder.encode([t for t, _ in pairs])
    b = encoder.encode([n for _, n in pairs])
    cos = (a * b).sum(axis=1)
    return {"items": len(pairs), "negation_cosine": round(float(cos.mean()), 4),
            "below_zero": round(float((cos < 0).mean()), 4)}


def add_polarity(path: Path, data_dir: Path) -> None:
    """Add the polarity probe to every fold of an existing results file."""
    payload = json.loads(path.read_text())
    for suite, fold in payload["folds"].items():
        texts = load_suite(suite, data_dir).texts
        fold["polarity"] = {"base": polarity(None, texts), "finetuned": polarity(ROOT / fold["model"], texts)}
        LOG.info("%s: %s", suite, fold["polarity"])
    path.write_text(json.dumps(payload, indent=1) + "\n")


def write(payload: dict) -> None:
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(payload, indent=1, allow_nan=False, default=lambda v: None)
    RESULT.write_text(text + "\n")


def clean(value):
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suites", nargs="+", default=list(FOLDS), choices=list(FOLDS))
    parser.add_argument("--max-steps", type=int, default=220, help="steps per leave-one-dataset-out fold")
    parser.add_argument("--fold-minutes", type=float, default=8.0, help="training time cap per fold (a safety net)")
    parser.add_argument("--final-steps", type=int, default=200, help="steps of the all-datasets model")
    parser.add_argument("--final-minutes", type=float, default=7.0, help="training time cap of the final model")
    parser.add_argument("--eval-steps", type=int, default=20)
    parser.add_argument("--no-final", action="store_true", help="skip the all-datasets model")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--n-boot", type=int, default=500)
    parser.add_argument("--loss", choices=["cosine", "cosent"], default="cosine")
    parser.add_argument("--no-negations", action="store_true", help="no negation pairs (ablation)")
    parser.add_argument("--polarity", type=Path, help="only add the polarity probe to the folds of this results file")
    parser.add_argument("--tag", default="", help="a variant's name: results to finetune_shared_TAG.json, models to "
                                                  ".models/finetune-shared-TAG/")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch CPU threads (1: on a busy 2-core machine a step took 1.75 s with one thread, "
                             "7.3 s with two)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    global MODELS, RESULT
    if args.tag:
        MODELS = MODELS.with_name(f"{MODELS.name}-{args.tag}")
        RESULT = RESULT.with_name(f"{RESULT.stem}_{args.tag}.json")
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(asctime)s %(message)s")
    LOG.setLevel(logging.INFO)

    started = time.monotonic()
    data_dir = default_data_dir()
    if args.polarity:
        add_polarity(args.polarity, data_dir)
        return
    guard = load_encoder(None)
    acceptance = holdout_texts(data_dir)  # item texts only, to exclude them (and rewordings) from training
    fold_settings = FinetuneSettings(max_steps=args.max_steps, max_minutes=args.fold_minutes,
                                     batch_size=args.batch_size, lr=args.lr, eval_fraction=0.1,
                                     eval_steps=args.eval_steps, patience=4, seed=0, loss=args.loss,
                                     negations=not args.no_negations)
    payload: dict = {
        "benchmark": "benchmarks/finetune_shared.py", "traitlens_version": traitlens.__version__,
        "base_model": "sentence-transformers/all-MiniLM-L6-v2 (bundled)",
        "machine": {"torch_threads": torch.get_num_threads(), "platform": platform.platform(),
                    "torch": torch.__version__},
        "settings": {"fold_max_steps": args.max_steps, "fold_minutes": args.fold_minutes,
                     "final_steps": None if args.no_final else args.final_steps,
                     "final_minutes": None if args.no_final else args.final_minutes, "eval_steps": args.eval_steps,
                     "batch_size": args.batch_size, "lr": args.lr, "loss": fold_settings.loss,
                     "eval_fraction": fold_settings.eval_fraction, "patience": fold_settings.patience,
                     "negations": fold_settings.negations, "negation_r": fold_settings.negation_r,
                     "n_boot": args.n_boot, "methods": list(METHODS)},
        "protocol": "leave-one-dataset-out: train on the other datasets' pairs (acceptance-holdout items and the "
                    "scored suite's items excluded by the leakage guard), score the left-out suite with the "
                    "harness; nothing is evaluated on the acceptance holdout",
        "folds": {}, "final": None, "elapsed_s": None, "complete": False,
    }
    for suite in args.suites:
        t0 = time.monotonic()
        LOG.info("=== fold %s: training without %s", suite, FOLDS[suite])
        scored = load_suite(suite, data_dir).texts
        others = [d for d in DATASETS if d != FOLDS[suite]]
        pairs, counts = training_data(others, data_dir, acceptance, guard, scored)
        trained = fit(pairs, f"lodo-{suite}", counts, fold_settings, guard)
        t1 = time.monotonic()
        LOG.info("=== fold %s: harness (%s) on the base and the fine-tuned model", suite, ", ".join(METHODS))
        base = harness(suite, None, data_dir, args.n_boot)
        tuned = harness(suite, MODELS / f"lodo-{suite}", data_dir, args.n_boot)
        payload["folds"][suite] = clean({
            "left_out_dataset": FOLDS[suite], "data": counts, **trained, "summary": summary(base, tuned),
            "polarity": {"base": polarity(None, scored), "finetuned": polarity(MODELS / f"lodo-{suite}", scored)},
            "harness": {"base": [r for m in METHODS for r in rows(base[m])],
                        "finetuned": [r for m in METHODS for r in rows(tuned[m])]},
            "time_s": {"training": round(t1 - t0, 1), "harness": round(time.monotonic() - t1, 1)},
        })
        payload["elapsed_s"] = round(time.monotonic() - started, 1)
        write(payload)
        s = payload["folds"][suite]["summary"]
        LOG.info("=== fold %s done in %.0f s: item_r cosine %.3f → %.3f, profile %.3f → %.3f", suite,
                 time.monotonic() - t0, s["cosine"]["item_r"]["base"], s["cosine"]["item_r"]["finetuned"],
                 s["profile"]["item_r"]["base"], s["profile"]["item_r"]["finetuned"])
    if not args.no_final:
        t0 = time.monotonic()
        LOG.info("=== final model on all datasets")
        pairs, counts = training_data(list(DATASETS), data_dir, acceptance, guard, None)
        final_settings = FinetuneSettings(max_steps=args.final_steps, max_minutes=args.final_minutes,
                                          batch_size=args.batch_size, lr=args.lr, eval_fraction=0.1,
                                          eval_steps=args.eval_steps, patience=4, seed=0, loss=args.loss,
                                     negations=not args.no_negations)
        payload["final"] = clean({"data": counts, **fit(pairs, "all", counts, final_settings, guard),
                                  "time_s": round(time.monotonic() - t0, 1)})
    payload["elapsed_s"] = round(time.monotonic() - started, 1)
    payload["complete"] = True
    write(payload)
    LOG.info("wrote %s in %.0f s", RESULT, payload["elapsed_s"])


if __name__ == "__main__":
    main()
