"""Does distilling all-mpnet-base-v2 into all-MiniLM-L6-v2 on unlabelled item texts help? Per left-out suite.

A probe, not a product: the ensemble's adapters learn from item pairs with observed correlations, all of them
personality items (10,160 pairs of 245 items once the Bainbridge pilot is left out). The stronger model's
``tuned`` predictor can label pairs of items nobody answered. Here, for one left-out suite (``--suite``,
default Bainbridge):

- teacher: all-mpnet-base-v2 with its ``lodo-SUITE`` adapter and a head fitted without the suite — the
  harness's ``tuned`` (``TunedMethod``) with the suite's items as the scored ones;
- unlabelled texts: the distinct IPIP items of ``wulff_ipip_scales`` (their texts only) that the leakage guard
  does not match to an item of the suite or of the acceptance holdout;
- student: a rank-16 LoRA adapter of all-MiniLM-L6-v2 with the ensemble's settings (lr 3e-4, batch 64), trained
  on the fold's real pairs plus ``--pseudo`` sampled teacher-labelled pairs, for ``--minutes`` on this CPU;
- scored by the harness's ``tuned`` on the suite, beside the ensemble's seed-0 fold adapter (real pairs only).

Writes ``benchmarks/results/distill_probe.json`` (one entry per suite); the adapter goes to
``.models/distill-probe/lodo-SUITE`` (git-ignored).

Usage:
    python benchmarks/distill_probe.py [--suite bainbridge] [--pseudo 60000] [--minutes 14] [--seed 0] [--threads 2]
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

import finetune_shared as shared  # noqa: E402

from traitlens.datasets import default_data_dir  # noqa: E402
from traitlens.encoders import load_encoder  # noqa: E402
from traitlens.evaluation.harness import load_suite  # noqa: E402
from traitlens.evaluation.leakage import exclude_overlaps  # noqa: E402
from traitlens.evaluation.methods import MethodContext, TunedMethod  # noqa: E402
from traitlens.finetuning import FinetuneSettings, finetune  # noqa: E402
from traitlens.training.pairs import DATASETS, holdout_texts  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / ".models"
RESULT = ROOT / "benchmarks" / "results" / "distill_probe.json"
LOG = logging.getLogger("traitlens")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pseudo", type=int, default=60_000, help="teacher-labelled pairs to add")
    parser.add_argument("--minutes", type=float, default=14.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--suite", default="bainbridge", choices=list(shared.FOLDS))
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    suite = args.suite
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(asctime)s %(message)s")
    LOG.setLevel(logging.INFO)
    started = time.monotonic()
    data_dir = default_data_dir()
    guard = load_encoder(None)
    scored = load_suite(suite, data_dir).texts
    acceptance = holdout_texts(data_dir)  # item texts only, to exclude them (and rewordings) from training
    texts = list(dict.fromkeys(pd.read_csv(data_dir / "wulff_ipip_scales" / "ipip_scales_items.csv")["item"]
                               .astype(str)))
    kept, dropped = exclude_overlaps([*scored, *acceptance], texts, encoder=guard)
    texts = [texts[i] for i in kept]
    LOG.info("%d unlabelled item texts (%d dropped by the guard)", len(texts), len(dropped))

    teacher = load_encoder(str(MODELS / "all-mpnet-base-v2"))
    method = TunedMethod()
    ctx = MethodContext(teacher, scored, guard_encoder=guard, data_dir=data_dir)
    t0 = time.monotonic()
    with shared.adapter_dirs([MODELS / "finetune-adapter-mpnet"]):
        labels = method.item_correlations(texts, ctx)
    teacher_s = time.monotonic() - t0
    LOG.info("teacher (%s) labelled %d texts in %.0f s", method.adapters[id(ctx)], len(texts), teacher_s)

    rng = np.random.default_rng(args.seed)
    a, b = np.triu_indices(len(texts), k=1)
    pick = rng.choice(len(a), size=min(args.pseudo, len(a)), replace=False)
    pseudo = pd.DataFrame({"text_a": [texts[i] for i in a[pick]], "text_b": [texts[j] for j in b[pick]],
                           "r": labels[a[pick], b[pick]]})
    real, counts = shared.training_data([d for d in DATASETS if d != shared.FOLDS[suite]], data_dir, acceptance,
                                        guard, scored)
    pairs = pd.concat([real[["text_a", "text_b", "r"]], pseudo], ignore_index=True)
    unordered = pairs[["text_a", "text_b"]].apply(lambda row: tuple(sorted(row)), axis=1)
    pairs = pairs[~unordered.duplicated()].reset_index(drop=True)  # the real pair is kept where both exist
    settings = FinetuneSettings(max_steps=2000, max_minutes=args.minutes, batch_size=64, lr=3e-4, lora_rank=16,
                                eval_fraction=0.1, eval_steps=100, patience=6, seed=args.seed, loss="cosine",
                                negations=True, warmup=0.06)
    out = MODELS / "distill-probe" / f"lodo-{suite}"
    result = finetune(pairs, out, settings=settings, guard_encoder=guard, overwrite=True,
                      data={"source": "shared data pairs without Bainbridge + all-mpnet-base-v2 tuned pseudo-labels "
                                      "on wulff_ipip_scales item texts", "licence": "research use (see card)"})
    scores = {}
    for label, folder in (("student (real + pseudo pairs)", MODELS / "distill-probe"),
                          ("ensemble seed 0 (real pairs only)", MODELS / "adapter-sweep" / "r16-lr3e-4-b64")):
        frame = shared.score_tuned(suite, [folder], None, data_dir, n_boot=200)
        scores[label] = shared.rows(frame)
        values = frame.set_index("metric")["value"]
        LOG.info("%s: item_r %.3f sign %.3f scale_r %.3f", label, values["item_r"], values["sign_agreement"],
                 values["scale_r"])
    training = result.record["training"]
    payload = {"benchmark": "benchmarks/distill_probe.py", "args": vars(args), "unlabelled_texts": len(texts),
               "guard_dropped": len(dropped), "teacher": {"adapter": str(method.adapters[id(ctx)]),
                                                          "seconds": round(teacher_s, 1)},
               "pairs": {"real": len(real), "pseudo": len(pseudo), "training": len(pairs), "real_counts": counts},
               "pseudo_r": {"mean": float(pseudo["r"].mean()), "sd": float(pseudo["r"].std())},
               "student": {k: v for k, v in training.items() if k != "evaluations"},
               "heldout": result.record["heldout"], "scores": scores,
               "wall_s": round(time.monotonic() - started, 1)}
    results = json.loads(RESULT.read_text()) if RESULT.is_file() else {}
    results = results if "suites" in results else {"benchmark": "benchmarks/distill_probe.py", "suites": {}}
    results["suites"][suite] = payload
    RESULT.write_text(json.dumps(shared.clean(results), indent=1, default=str) + "\n")
    print(json.dumps({k: {r["metric"]: r["value"] for r in v if r["metric"] in ("item_r", "sign_agreement",
                                                                               "scale_r")}
                      for k, v in scores.items()}, indent=1))


if __name__ == "__main__":
    main()
