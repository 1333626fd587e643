"""The fourth member of all-MiniLM-L6-v2's `tuned` ensemble: all-mpnet-base-v2 distilled into a MiniLM adapter.

The ensemble's three adapters learn from item pairs with observed correlations, all of them personality
items (102,658 pairs of 722 items; 10,160 pairs of 245 items once the Bainbridge pilot is left out). The
stronger model's ``tuned`` predictor can label pairs of items nobody answered. For one left-out suite
(``--suite``, default Bainbridge), or for every data set (``--suite all``: the student that ships):

- teacher: all-mpnet-base-v2 with its seed-0 adapter that never saw the suite (``lodo-SUITE``, or ``all``)
  and its head (fitted without the suite) — the harness's ``tuned`` (``TunedMethod``);
- unlabelled texts: the distinct IPIP items of ``wulff_ipip_scales`` (their texts only) that the leakage guard
  does not match to an item of the suite or of the acceptance holdout;
- student: a rank-16 LoRA adapter of all-MiniLM-L6-v2 with the ensemble's settings (lr 3e-4, batch 64), trained
  on the fold's real pairs plus ``--pseudo`` sampled teacher-labelled pairs, for ``--minutes`` on this CPU;
- a fold's student is scored by the harness's ``tuned`` on the suite, beside the ensemble's seed-0 adapter.

``--suite neo300-facets`` trains the fold of the harness's IPIP-NEO-300 facet suites: every data set, with the
IPIP-NEO-300 items (and rewordings) left out of the real pairs and of the unlabelled texts (teacher: mpnet's
``lodo-neo300-facets``); it is scored on ``neo300-facet-r`` (facet correlations).

``--score`` scores, on every left-out suite, the three-seed ensemble alone and with the student as a fourth
member (the harness averages one adapter per folder; ``--n-boot`` bootstrap replicates). ``--ship`` copies the
``all`` student into the package as ``all-MiniLM-L6-v2-traitlens-distill`` with its model card (the
ensemble's card gets a paragraph on it); then ``traitlens train-head --data ../shared/data --model
all-MiniLM-L6-v2-traitlens-distill --out DIR --seed 0`` and copy the head into ``traitlens/training/heads``.

Variants train into ``.models/adapter-distill-TAG`` (``--tag``; results under ``SUITE:TAG``) and never ship.
One was tried on the Bainbridge fold: a teacher averaging mpnet's three seeds (``--teacher-seeds 3``), 150,000
teacher-labelled pairs and up to 40 minutes (``--tag long --pseudo 150000 --minutes 40 --max-steps 5000``;
early-stopped at step 1,700, 26 minutes): the student alone scored item r / sign agreement / scale r
.453 / .810 / .705 against .446 / .802 / .711 for the shipped recipe — no gain worth retraining every fold.
A second seed of the shipped recipe (``--seed 1 --tag s1``, same fold: alone .441 / .804 / .694) adds to the
three seeds and the first student just what counting the first student twice does (item r .416 either way,
.394 with one student): no diversity to gain from more student seeds.

Writes ``benchmarks/results/distill_adapter.json`` (one entry per suite, ``ensembles``); the adapters go to
``.models/adapter-distill/{lodo-SUITE,all}`` (git-ignored; the harness's ``tuned`` searches that folder).

Usage:
    python benchmarks/distill_adapter.py [--suite bainbridge|...|neo300-facets|all] [--pseudo 60000] [--minutes 14]
        [--seed 0] [--max-steps 2000] [--teacher-seeds 1] [--tag TAG]
    python benchmarks/distill_adapter.py --score [--n-boot 200]
    python benchmarks/distill_adapter.py --ship
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
RESULT = ROOT / "benchmarks" / "results" / "distill_adapter.json"
FOLDER = MODELS / "adapter-distill"
#: The three seeds of the shipped ensemble (``benchmarks/adapter_sweep.py``), one folder per member.
SEEDS = [MODELS / "adapter-sweep" / c for c in ("r16-lr3e-4-b64", "r16-lr3e-4-b64-s1", "r16-lr3e-4-b64-s2")]
SHIPPED = ROOT / "src" / "traitlens" / "encoders" / "adapters"
NAME = "all-MiniLM-L6-v2-traitlens-distill"
LOG = logging.getLogger("traitlens")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--score", action="store_true", help="score the ensemble with and without the students")
    parser.add_argument("--ship", action="store_true", help="copy the all-data student into the package")
    parser.add_argument("--n-boot", type=int, default=200)
    parser.add_argument("--pseudo", type=int, default=60_000, help="teacher-labelled pairs to add")
    parser.add_argument("--minutes", type=float, default=14.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--suite", default="bainbridge", choices=[*shared.FOLDS, "neo300-facets", "all"],
                        help="the left-out suite, or all: every data set (the student to ship; not scored); "
                             "neo300-facets: every data set without the IPIP-NEO-300 items (the facet suites' fold)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--max-steps", type=int, default=2000)
    parser.add_argument("--teacher-seeds", type=int, default=1, choices=(1, 2, 3),
                        help="mpnet adapters the teacher averages (1: seed 0 only)")
    parser.add_argument("--tag", default="", help="train into .models/adapter-distill-TAG (a variant; not shipped)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(asctime)s %(message)s")
    LOG.setLevel(logging.INFO)
    if args.score:
        score(args.n_boot)
    elif args.ship:
        ship()
    else:
        train(args)


def train(args: argparse.Namespace) -> None:
    """Label pairs with the teacher, train the student of ``args.suite`` and score a fold's student."""
    import torch

    torch.set_num_threads(args.threads)
    suite = args.suite
    started = time.monotonic()
    data_dir = default_data_dir()
    guard = load_encoder(None)
    scored = load_suite(suite, data_dir).texts if suite != "all" else []
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
    teachers = [MODELS / f"finetune-adapter-mpnet{'' if k == 0 else f'-s{k}'}" for k in range(args.teacher_seeds)]
    with shared.adapter_dirs(teachers):
        labels = method.item_correlations(texts, ctx)
    teacher_s = time.monotonic() - t0
    LOG.info("teacher (%s) labelled %d texts in %.0f s", method.adapters[id(ctx)], len(texts), teacher_s)

    rng = np.random.default_rng(args.seed)
    a, b = np.triu_indices(len(texts), k=1)
    pick = rng.choice(len(a), size=min(args.pseudo, len(a)), replace=False)
    pseudo = pd.DataFrame({"text_a": [texts[i] for i in a[pick]], "text_b": [texts[j] for j in b[pick]],
                           "r": labels[a[pick], b[pick]]})
    real, counts = shared.training_data([d for d in DATASETS if d != shared.FOLDS.get(suite)], data_dir, acceptance,
                                        guard, scored)
    pairs = pd.concat([real[["text_a", "text_b", "r"]], pseudo], ignore_index=True)
    unordered = pairs[["text_a", "text_b"]].apply(lambda row: tuple(sorted(row)), axis=1)
    pairs = pairs[~unordered.duplicated()].reset_index(drop=True)  # the real pair is kept where both exist
    settings = FinetuneSettings(max_steps=args.max_steps, max_minutes=args.minutes, batch_size=64, lr=3e-4,
                                lora_rank=16, eval_fraction=0.1, eval_steps=100, patience=6, seed=args.seed,
                                loss="cosine", negations=True, warmup=0.06)
    folder = FOLDER.with_name(f"{FOLDER.name}-{args.tag}") if args.tag else FOLDER
    out = folder / (f"lodo-{suite}" if suite != "all" else "all")
    without = "" if suite == "all" else f" without {shared.FOLDS.get(suite, 'the items of ' + suite)}"
    result = finetune(pairs, out, settings=settings, guard_encoder=guard, overwrite=True,
                      data={"source": f"shared data pairs{without} + all-mpnet-base-v2 tuned pseudo-labels on "
                                      "wulff_ipip_scales item texts", "licence": "research use (see card)"})
    scores = {}
    runs = () if suite == "all" else (
        ("student (real + pseudo pairs)", folder),
        ("ensemble seed 0 (real pairs only)", MODELS / "adapter-sweep" / "r16-lr3e-4-b64"))
    for label, member in runs:
        frame = shared.score_tuned(SCORED_AS.get(suite, suite), [member], None, data_dir, n_boot=200)
        scores[label] = shared.rows(frame)
        values = frame.set_index("metric")["value"]
        LOG.info("%s: %s", label, ", ".join(f"{m} {values[m]:.3f}" for m in HEADLINE if m in values))
    training = result.record["training"]
    payload = {"benchmark": "benchmarks/distill_adapter.py", "args": vars(args), "unlabelled_texts": len(texts),
               "guard_dropped": len(dropped), "teacher": {"adapter": str(method.adapters[id(ctx)]),
                                                          "seconds": round(teacher_s, 1)},
               "pairs": {"real": len(real), "pseudo": len(pseudo), "training": len(pairs), "real_counts": counts},
               "pseudo_r": {"mean": float(pseudo["r"].mean()), "sd": float(pseudo["r"].std())},
               "student": {k: v for k, v in training.items() if k != "evaluations"},
               "heldout": result.record["heldout"], "scores": scores,
               "wall_s": round(time.monotonic() - started, 1)}
    results = load()
    results["suites"][f"{suite}:{args.tag}" if args.tag else suite] = payload
    save(results)
    print(json.dumps({k: {r["metric"]: r["value"] for r in v if r["metric"] in HEADLINE} for k, v in scores.items()},
                     indent=1))


def load() -> dict:
    results = json.loads(RESULT.read_text()) if RESULT.is_file() else {}
    return results if "suites" in results else {"benchmark": "benchmarks/distill_adapter.py", "suites": {}}


def save(results: dict) -> None:
    RESULT.write_text(json.dumps(shared.clean(results), indent=1, default=str) + "\n")


#: What ``--score`` compares on each left-out suite: one harness member per folder.
ENSEMBLES = {"three seeds (shipped before)": SEEDS, "student alone": [FOLDER],
             "three seeds + student (shipped)": [*SEEDS, FOLDER]}
HEADLINE = ("item_r", "sign_agreement", "scale_r", "alpha_r", "alpha_mae")
#: The suite a fold's student is scored on where the left-out suite has no item correlations.
SCORED_AS = {"neo300-facets": "neo300-facet-r"}


def score(n_boot: int) -> None:
    """The harness's ``tuned`` on every left-out suite for each of :data:`ENSEMBLES`; a table on stdout."""
    data_dir = default_data_dir()
    results = load()
    out = results.setdefault("ensembles", {})
    for label, folders in ENSEMBLES.items():
        for suite in shared.FOLDS:
            frame = shared.score_tuned(suite, folders, None, data_dir, n_boot=n_boot)
            out.setdefault(label, {})[suite] = shared.rows(frame)
            values = frame.set_index("metric")["value"]
            LOG.info("%s / %s: %s", label, suite, ", ".join(f"{m} {values[m]:.3f}" for m in HEADLINE if m in values))
    results["ensembles_n_boot"] = n_boot
    save(results)
    print("\n".join(ensemble_table(results)))


def ensemble_table(results: dict) -> list[str]:
    """Markdown rows: item r / sign agreement / scale r per left-out suite and the mean item r, per ensemble."""
    return shared.fold_table(results.get("ensembles", {}), list(shared.FOLDS), "members")


def ship() -> None:
    """Copy the ``all`` student into the package as :data:`NAME` with its model card."""
    from adapter_sweep import SHIPPED_NAME, distill_note
    from finetune_adapter import data_section

    from traitlens.encoders.adapted import read_adapter, write_adapter

    results = load()
    run = results["suites"]["all"]
    adapter = read_adapter(FOLDER / "all" / "adapter.npz")
    target = SHIPPED / f"{NAME}.npz"
    checksum = write_adapter(target, adapter.factors, base_id=adapter.base_id,
                             base_fingerprint=adapter.base_fingerprint, rank=adapter.rank,
                             alpha=float(adapter.meta["alpha"]), name=NAME, dtype=adapter.meta["dtype"],
                             training={**adapter.meta.get("training", {}), "distilled_from": run["teacher"]})
    student, held = run["student"], run["heldout"]
    args = run["args"]
    lines = [
        f"# {NAME}: all-mpnet-base-v2 distilled into an all-MiniLM-L6-v2 adapter",
        "",
        f"The fourth member of the `{SHIPPED_NAME}` ensemble (`method=\"tuned\"` averages the members' predicted "
        "correlations; see that card). A rank-16 LoRA adapter of all-MiniLM-L6-v2 trained, with the ensemble's "
        "settings, on the real item pairs of all five data sets plus pairs of unlabelled IPIP item texts labelled by "
        "all-mpnet-base-v2's `tuned` predictor (its seed-0 adapter `all-mpnet-base-v2-traitlens` and head): the "
        "stronger model's knowledge, at MiniLM's cost.",
        "",
        f"- file: `{target.name}`, {target.stat().st_size:,} bytes, checksum `{checksum}`; head: "
        f"`traitlens/training/heads/{NAME}.*`",
        f"- pairs: {run['pairs']['real']:,} real + {run['pairs']['pseudo']:,} teacher-labelled (of "
        f"{run['unlabelled_texts']:,} distinct `wulff_ipip_scales` item texts; {run['guard_dropped']} dropped by the "
        f"leakage guard as acceptance-holdout items or rewordings; pseudo r mean {run['pseudo_r']['mean']:.3f}, "
        f"SD {run['pseudo_r']['sd']:.3f}); 10% of the items held out for early stopping",
        f"- training: {student['steps']} of {student['planned_steps']} steps (stopped by: {student['stop']}; best "
        f"{student['best_step']}), {student['elapsed_s']:.0f} s on 2 CPU cores; held-out item r "
        f"{held['before']['heldout_item_r']:.3f} → {held['after']['heldout_item_r']:.3f} (pairs with a held-out item, "
        "teacher-labelled ones included)",
        f"- rebuild: `python benchmarks/distill_adapter.py --suite all --pseudo {args['pseudo']} --minutes "
        f"{args['minutes']:g} --seed {args['seed']}`, then `--ship`, then `traitlens train-head --data ../shared/data "
        f"--model {NAME} --out DIR --seed 0`",
        "",
        *data_section(run["pairs"]["real_counts"], "; the teacher's labels are derived from the same data sets"),
        "",
        "Unlabelled texts: `wulff_ipip_scales` (Wulff & Mata, 2025; CC BY-NC-SA 4.0, items IPIP, public domain): "
        "only their texts were used, as inputs to the teacher; no text ships.",
        "",
        "## Leave-one-dataset-out figures",
        "",
        "Each fold's student was trained the same way WITHOUT the left-out data set (teacher: mpnet's adapter of that "
        "fold; unlabelled texts: minus the suite's items and rewordings) and scored by the evaluation harness's "
        "`tuned` on it, alone and as the fourth member (`python benchmarks/distill_adapter.py --score`; "
        "item r / sign agreement / scale r):",
        "",
        *ensemble_table(results),
        "",
    ]
    (SHIPPED / f"{NAME}.md").write_text("\n".join(lines))
    card = SHIPPED / f"{SHIPPED_NAME}.md"
    text = card.read_text()
    marker = "\n## The distilled fourth member"
    text = text[: text.index(marker)] if marker in text else text.rstrip("\n") + "\n"
    card.write_text(text + "\n".join(distill_note()) + "\n")
    LOG.info("shipped %s (%d bytes, %s) with its card", target, target.stat().st_size, checksum)


if __name__ == "__main__":
    main()
