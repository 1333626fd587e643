"""LoRA adapters for all-MiniLM-L6-v2 on the shared data: leave-one-dataset-out folds and the shipped adapter.

Training reuses :func:`traitlens.finetuning.finetune` with ``lora_rank`` (``traitlens finetune --lora-rank``)
and the data assembly of ``benchmarks/finetune_shared.py`` (``training_data``): pairs of the response
datasets, acceptance-holdout item texts and (for a fold) the left-out suite's items dropped by the leakage
guard, duplicates merged, 10% of the ITEMS held out for early stopping on the held-out item r.

``--train`` trains adapters: ``lodo-SUITE`` (without SUITE's dataset) and/or ``all`` (every dataset: the
shipped one). ``--score`` runs the evaluation harness on the left-out suite of every ``lodo-*`` adapter
found: ``cosine``, ``profile`` and ``head`` (a head fitted on the fly without the scored data, as the harness
always does) on the base model and on the adapted model (``--model`` = the fold's adapter folder), and
``tuned`` on the base model (the harness picks an adapter whose training items pass the leakage guard).

Models go to .models/finetune-adapter[-TAG]/ (git-ignored); results to
benchmarks/results/finetune_adapter[_TAG].json (merged: each call adds what it did).

Usage:
    python benchmarks/finetune_adapter.py --train lodo-bainbridge all [--rank 8] [--lr 3e-4] [--max-steps 800]
                                          [--minutes 22] [--eval-steps 50] [--threads 1] [--seed 0]
                                          [--tag NAME]
    python benchmarks/finetune_adapter.py --score [--suites bainbridge] [--n-boot 500] [--tag NAME]
    python benchmarks/finetune_adapter.py --ship all [--tag NAME] [--seed K]   # into src/traitlens/encoders/adapters/
    python benchmarks/finetune_adapter.py --score-ensemble mpnet mpnet-s1 mpnet-s2 --suites bfi spi --base DIR
"""

from __future__ import annotations

import argparse
import json
import logging
import platform
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

import finetune_shared as shared  # noqa: E402

import traitlens  # noqa: E402
from traitlens.datasets import default_data_dir  # noqa: E402
from traitlens.encoders import load_encoder  # noqa: E402
from traitlens.evaluation.harness import load_suite  # noqa: E402
from traitlens.finetuning import FinetuneSettings, finetune  # noqa: E402
from traitlens.training.pairs import DATASETS, holdout_texts  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / ".models" / "finetune-adapter"
RESULT = ROOT / "benchmarks" / "results" / "finetune_adapter.json"
LOG = logging.getLogger("traitlens")


def load() -> dict:
    return json.loads(RESULT.read_text()) if RESULT.is_file() else {"benchmark": "benchmarks/finetune_adapter.py",
                                                                     "runs": {}, "scores": {}}


def save(payload: dict) -> None:
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(json.dumps(shared.clean(payload), indent=1, allow_nan=False, default=lambda v: None) + "\n")


def train(name: str, args: argparse.Namespace, data_dir: Path, guard, acceptance: list[str]) -> dict:
    if name == "all":
        datasets, scored = list(DATASETS), None
    else:
        suite = name.removeprefix("lodo-")
        datasets = [d for d in DATASETS if d != shared.FOLDS.get(suite)]  # a suite without responses: all
        scored = load_suite(suite, data_dir).texts
    pairs, counts = shared.training_data(datasets, data_dir, acceptance, guard, scored)
    settings = FinetuneSettings(max_steps=args.max_steps, max_minutes=args.minutes, batch_size=args.batch_size,
                                lr=args.lr, eval_fraction=0.1, eval_steps=args.eval_steps, patience=args.patience,
                                seed=args.seed, loss="cosine", negations=True, warmup=args.warmup, lora_rank=args.rank,
                                lora_alpha=args.alpha)
    data = {"source": "shared data response sets " + ", ".join(datasets) + " (pairwise-complete Pearson r of raw "
                      "responses, via traitlens.training.pairs.shared_item_pairs; duplicates merged)",
            "licence": "; ".join(f"{d}: {shared.LICENCES[d]}" for d in datasets), **shared.exclusion_notes(counts)}
    t0 = time.monotonic()
    result = finetune(pairs, MODELS / name, base=args.base, settings=settings, data=data, guard_encoder=guard,
                      overwrite=True)
    record = result.record
    return {"model": str((MODELS / name).relative_to(ROOT)), "data": counts, "split": record["split"],
            "negations": record["negations"], "adapter": record["adapter"], "settings": record["settings"],
            "training": {k: v for k, v in record["training"].items() if k != "evaluations"},
            "evaluations": [{"step": e["step"], "item_r": round(e["item_r"], 4)}
                            for e in record["training"]["evaluations"]],
            "heldout_item_r": {"before": record["heldout"]["before"], "after": record["heldout"]["after"]},
            "wall_s": round(time.monotonic() - t0, 1),
            "machine": {"torch_threads": torch.get_num_threads(), "platform": platform.platform(),
                        "note": "2 CPU cores shared with other engineers' processes"}}


def score(suite: str, data_dir: Path, n_boot: int, base: str | None = None) -> dict:
    from traitlens.evaluation import run_suite

    folder = MODELS / f"lodo-{suite}"
    out: dict = {"adapter": str(folder.relative_to(ROOT))}
    base_methods = ("cosine", "profile", "head", "tuned") if base is None else ("cosine", "profile", "head")
    for label, model, methods in (("base", base, base_methods),
                                  ("adapted", folder, ("cosine", "profile", "head"))):
        for method in methods:
            t0 = time.monotonic()
            frame = run_suite(suite, method, None if model is None else str(model), data_dir=data_dir,
                              n_boot=n_boot, seed=0, baselines=False).metrics
            out[f"{label}/{method}"] = {"rows": shared.rows(frame), "time_s": round(time.monotonic() - t0, 1)}
            values = frame.set_index("metric")["value"]
            LOG.info("%s %s/%s: item_r %.3f sign %.3f scale_r %s", suite, label, method, values.get("item_r"),
                     values.get("sign_agreement", float("nan")), values.get("scale_r"))
    return out


def score_ensemble(tags: list[str], suites: list[str], data_dir: Path, base: str | None = None) -> dict:
    """The harness's ``tuned`` with each tag's fold adapters alone and with all of them averaged.

    ``tags``: the ``--tag`` of each member's runs (``""`` for the untagged folder); each member's
    ``lodo-SUITE`` adapter is found by the harness (``$TRAITLENS_ADAPTER_DIR`` set to the members'
    folders), with a head fitted per member without the scored data, as for the shipped ensemble.
    """
    folders = {tag or "untagged": MODELS.with_name("finetune-adapter" + (f"-{tag}" if tag else "")) for tag in tags}
    sets = {**{k: [v] for k, v in folders.items()}, "ensemble": list(folders.values())}
    out: dict = {"members": {k: str(v.relative_to(ROOT)) for k, v in folders.items()}, "suites": {}}
    for suite in suites:
        for label, dirs in sets.items():
            t0 = time.monotonic()
            frame = shared.score_tuned(suite, dirs, base, data_dir, n_boot=0)
            values = {r.metric: r.value for r in frame.itertuples() if r.method == "tuned"}
            out["suites"].setdefault(suite, {})[label] = {m: values.get(m) for m in METRICS} | {
                "time_s": round(time.monotonic() - t0, 1)}
            LOG.info("%s %s: item_r %.3f sign %.3f scale_r %.3f", suite, label, values["item_r"],
                     values["sign_agreement"], values["scale_r"])
    return out


def ensemble_table(result: dict) -> list[str]:
    """Markdown: item r / sign agreement / scale r of each member and of the ensemble per left-out suite."""
    labels = [*result["members"], "ensemble"]
    lines = ["| left-out suite | " + " | ".join(labels) + " |", "|---|" + "---|" * len(labels)]
    for suite, rows in result["suites"].items():
        cells = [" / ".join(f"{rows[k][m]:.3f}" for m in ("item_r", "sign_agreement", "scale_r")) for k in labels]
        lines.append(f"| {suite} | " + " | ".join(cells) + " |")
    return lines


#: Where shipped adapters live.
SHIPPED = ROOT / "src" / "traitlens" / "encoders" / "adapters"
#: Terms of the shared datasets (each ../shared/data/*/README.md).
TERMS = {"big5": "openpsychometrics.org raw data, research use (CC BY-NC-SA 4.0 on its raw-data page); items IPIP, "
                 "public domain",
         "bfi": "psych::bfi, GPL (>= 2); items IPIP, public domain",
         "spi": "psychTools::spi, GPL (>= 2); SPI items public domain",
         "adjectives": "psychTools big5.100.adjectives, GPL (>= 2)",
         "bainbridge": "Bainbridge et al. (2022) via Hommel & Arslan (2025); no licence file: research use; weights "
                       "derived from it may ship only with this provenance recorded"}
METRICS = ("item_r", "sign_agreement", "scale_r", "alpha_r", "rmse")


def lodo_table(payload: dict) -> list[str]:
    """Markdown rows of the harness figures of every scored fold."""
    lines = ["| left-out suite | predictor | " + " | ".join(METRICS) + " |", "|---|---|" + "---|" * len(METRICS)]
    for suite, fold in payload.get("scores", {}).items():
        for key, result in fold.items():
            if not isinstance(result, dict) or "rows" not in result:
                continue
            values = {r["metric"]: r["value"] for r in result["rows"] if r["method"] != "SurveyBot3000"}
            cells = [("–" if values.get(m) is None else f"{values[m]:.3f}") for m in METRICS]
            lines.append(f"| {suite} | {key} | " + " | ".join(cells) + " |")
    return lines


def selection_notes(payload: dict) -> list[str]:
    """How the learning rate was chosen: the Bainbridge fold of every variant run (``--tag``) next to this one."""
    lines = []
    for path in sorted(RESULT.parent.glob("finetune_adapter*.json")):
        other = json.loads(path.read_text())
        fold = other.get("scores", {}).get("bainbridge", {}).get("adapted/head")
        run = other.get("runs", {}).get("lodo-bainbridge")
        if fold and run:
            values = {r["metric"]: r["value"] for r in fold["rows"]}
            lines.append(f"- lr {run['settings']['lr']}, rank {run['settings']['lora_rank']}: Bainbridge fold "
                         f"adapter+head item r {values['item_r']:.3f}, sign agreement {values['sign_agreement']:.3f},"
                         f" scale r {values['scale_r']:.3f} ({path.name})")
    return ["Settings were chosen on the Bainbridge fold (and the held-out item split):", "", *lines, ""] \
        if lines else []


def run_notes(payload: dict) -> str:
    """How long each recorded run trained: planned and run steps, the best step, why it stopped."""
    notes = []
    for name, run in sorted(payload.get("runs", {}).items(), key=lambda kv: (kv[0] == "all", kv[0])):
        t = run.get("training", {})
        notes.append(f"{'the shipped run' if name == 'all' else name} {t.get('steps')} of {t.get('planned_steps')} "
                     f"planned steps (stopped by: {t.get('stop')}; best at {t.get('best_step')}, "
                     f"{run.get('wall_s')} s)")
    return "; ".join(notes)


def data_section(data: dict, note: str = "") -> list[str]:
    """A model card's "Training data and licences" section from a run's data counts (``training_data``)."""
    acceptance = data.get("acceptance_exclusion", {})
    return ["## Training data and licences", "", "| dataset | terms |", "|---|---|",
            *[f"| {d} | {TERMS[d]} |" for d in data.get("datasets", [])], "",
            f"{data.get('training_pairs', 0):,} item pairs of {data.get('training_items', '–')} items after the "
            f"exclusions (acceptance holdout: {acceptance.get('texts', '–')} item texts, "
            f"{acceptance.get('items_dropped', '–')} items and {acceptance.get('pairs_dropped', '–')} pairs dropped "
            f"by the leakage guard; {data.get('pairs_merged_across_datasets', '–')} pairs merged across datasets)"
            f"{note}. Only learned low-rank factors ship (no item texts, no responses); some sources are for research "
            "use only: treat the adapter accordingly. The base model is Apache-2.0."]


def ship(run: str, base: str | None = None, seed: int = 0) -> None:
    """Copy the adapter of ``run`` into the package with a model card (data, licences, exclusions, figures).

    ``base``: the base model's folder (default: the bundled all-MiniLM-L6-v2, whose adapter is the default
    correlation model); the adapter ships as ``<base folder name>-traitlens``, or, for a run trained with
    ``--seed K`` (K > 0), as ``<base folder name>-traitlens-sK``: another member of the ensemble that
    ``method="tuned"`` averages. Shipping seed 0 removes the members of an earlier ensemble (ship the
    other seeds after it).
    """
    import shutil

    base_name = Path(base).name if base else "all-MiniLM-L6-v2"
    first = f"{base_name}-traitlens"
    name = f"{first}-s{seed}" if seed else first
    default = base is None
    tag = MODELS.name.removeprefix("finetune-adapter").lstrip("-")
    where = (f" --base {base}" if base else "") + (f" --tag {tag}" if tag else "")

    payload = load()
    record = json.loads((MODELS / run / "training.json").read_text())
    SHIPPED.mkdir(parents=True, exist_ok=True)
    heads = ROOT / "src" / "traitlens" / "training" / "heads"
    stale = [*SHIPPED.glob(f"{first}-s*.*"), *heads.glob(f"{first}-s*.*")] if not seed else []
    for path in stale:  # members of an earlier ensemble
        LOG.info("removing %s: one adapter replaces the ensemble (ship the other seeds again)", path.name)
        path.unlink()
    target = SHIPPED / f"{name}.npz"
    shutil.copyfile(MODELS / run / "adapter.npz", target)
    card = (MODELS / run / "README.md").read_text()
    body = card[card.index("## Adapter"):]
    info = payload["runs"].get(run, {})
    data = info.get("data", {})
    adapter = record["adapter"]
    lines = [
        f"# {name}: {base_name} with a LoRA adapter fine-tuned on item correlations",
        "",
        f"{'The default correlation model' if default else base_name}'s encoder with a low-rank adapter trained so "
        "that item cosines follow",
        f"observed, signed item correlations. traitlens merges it into {base_name} at load time",
        "(plain torch; no peft). Use it as `traitlens.correlate(texts, method=\"tuned\")` /",
        "`traitlens correlate --method tuned` - the default of `correlate` and `predict_scales` for this model",
        "(`method=\"auto\"`): the adapted embeddings, then the correlation head trained over them",
        f"(`traitlens/training/heads/{name}.*`; `profile` where no head is shipped), or as a model",
        f"everywhere: `model=\"{name}\"` / `--model {name}` (for correlations: fine-tuning",
        "costs construct assignment, so keep the base model for `profile`/`assign`).",
        "",
        (f"- member {seed + 1} of an ensemble: the same data and settings as `{first}`, seed {seed} (item split, "
         "data order, initialisation); `method=\"tuned\"` averages the members' predictions" if seed else
         f"- adapters shipped as `{first}-sK` (trained with `--seed K`, if any) form an ensemble with this one: "
         "`method=\"tuned\"` averages the members' predictions"),
        f"- file: `{target.name}`, {target.stat().st_size:,} bytes, checksum `{adapter['checksum']}`",
        f"- rebuild: `python benchmarks/finetune_adapter.py --train {run}{where} --rank {adapter['rank']} "
        f"--lr {record['settings']['lr']} --max-steps {record['settings']['max_steps']} --minutes "
        f"{record['settings']['max_minutes']}{f' --seed {seed}' if seed else ''}` then `--ship {run}{where}"
        f"{f' --seed {seed}' if seed else ''}` (or `traitlens finetune --pairs PAIRS "
        f"--lora-rank {adapter['rank']} --lr {record['settings']['lr']} --out DIR`)",
        f"- training wall time: {info.get('wall_s', '–')} s on 2 CPU cores "
        f"({info.get('machine', {}).get('torch_threads', '–')} torch thread(s))",
        "",
        *data_section(data),
        "",
        "## Leave-one-dataset-out figures",
        "",
        ("Each fold's adapter was trained with the same settings (learning rate, rank, batch, warm-up share, "
         "evaluation, patience; planned steps: Bainbridge 800, early-stopped at 550; the other folds 500; the "
         "shipped run 500, best at step 450; an earlier all-data run of 800 planned steps, stopped by its "
         "22-minute limit at 542, was replaced)" if default else
         f"Runs for this base model: {run_notes(payload)}; each fold's adapter was trained") + \
        " WITHOUT the left-out dataset (its items and "
        "their rewordings removed by the leakage guard) and scored by the evaluation harness on it "
        f"(`benchmarks/results/{RESULT.name}`). `base/head` is the head fitted without the suite "
        "(as the shipped head's own leave-one-dataset-out figure); `adapted/*` use the fold's adapter, and",
        "`adapted/head` (a head fitted on the fold's adapted model without the suite) is what `tuned` does;",
        "`base/tuned` is the harness's `tuned` method (it picks the fold adapter by the leakage guard).",
        "",
        *(lodo_table(payload) if payload.get("scores") else
          ["This member's folds were scored with the other members' by the harness's `tuned` (each alone and "
           "averaged: `python benchmarks/finetune_adapter.py --score-ensemble TAG …`, "
           "`benchmarks/results/finetune_adapter_ensemble_*.json`)."]),
        "",
        *(selection_notes(payload) if default else
          ["Settings (learning rate 3e-4, rank 8) are those chosen for all-MiniLM-L6-v2; none were tuned for this "
           "model.", ""]),
        body.replace("THIS_FOLDER", name),
    ]
    (SHIPPED / f"{name}.md").write_text("\n".join(lines) + "\n")
    LOG.info("shipped %s (%d bytes) with its card", target, target.stat().st_size)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", nargs="*", default=[], help="adapters to train: all, lodo-SUITE")
    parser.add_argument("--score", action="store_true")
    parser.add_argument("--suites", nargs="+", default=None)
    parser.add_argument("--rank", type=int, default=8)
    parser.add_argument("--alpha", type=float, default=None)
    parser.add_argument("--lr", type=float, default=3e-4)
    parser.add_argument("--max-steps", type=int, default=800)
    parser.add_argument("--minutes", type=float, default=22.0)
    parser.add_argument("--eval-steps", type=int, default=50)
    parser.add_argument("--patience", type=int, default=4)
    parser.add_argument("--warmup", type=float, default=0.06)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--n-boot", type=int, default=500)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0,
                        help="item split, data order and initialisation (another member of an ensemble)")
    parser.add_argument("--tag", default="")
    parser.add_argument("--base", default=None, help="base model (default: the bundled all-MiniLM-L6-v2)")
    parser.add_argument("--ship", metavar="RUN", help="copy RUN's adapter into the package with its model card")
    parser.add_argument("--score-ensemble", nargs="+", metavar="TAG",
                        help="score tuned with each TAG's folds alone and averaged (--suites, --base)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    global MODELS, RESULT
    if args.tag:
        MODELS = MODELS.with_name(f"{MODELS.name}-{args.tag}")
        RESULT = RESULT.with_name(f"{RESULT.stem}_{args.tag}.json")
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(asctime)s %(message)s")
    LOG.setLevel(logging.INFO)
    data_dir = default_data_dir()
    if args.train:
        guard = load_encoder(None)
        acceptance = holdout_texts(data_dir)  # item texts only, to exclude them (and rewordings) from training
        for name in args.train:
            LOG.info("=== training %s", name)
            record = train(name, args, data_dir, guard, acceptance)
            payload = load()
            payload["traitlens_version"] = traitlens.__version__
            payload["runs"][name] = record
            save(payload)
            LOG.info("=== %s: held-out item r %.3f → %.3f in %.0f s", name,
                     record["heldout_item_r"]["before"]["heldout_item_r"],
                     record["heldout_item_r"]["after"]["heldout_item_r"], record["wall_s"])
    if args.ship:
        ship(args.ship, args.base, args.seed)
    if args.score_ensemble:
        result = score_ensemble(args.score_ensemble, args.suites or ["bfi", "spi"], data_dir, args.base)
        path = RESULT.with_name(f"finetune_adapter_ensemble_{'_'.join(t or 'untagged' for t in args.score_ensemble)}"
                                ".json")
        path.write_text(json.dumps({"benchmark": "benchmarks/finetune_adapter.py --score-ensemble",
                                    "traitlens_version": traitlens.__version__, "base": args.base, **result},
                                   indent=1) + "\n")
        print("\n".join(ensemble_table(result)))
    if args.score:
        suites = args.suites or [p.name.removeprefix("lodo-") for p in sorted(MODELS.glob("lodo-*"))]
        for suite in suites:
            result = score(suite, data_dir, args.n_boot, args.base)
            payload = load()
            payload["scores"][suite] = result
            save(payload)
        print("\n".join(lodo_table(load())))


if __name__ == "__main__":
    main()
