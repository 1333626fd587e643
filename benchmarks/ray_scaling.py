"""Ray Data engine: throughput with 1 and 2 workers on this machine, and the same scores as the local engine.

One process, one local Ray instance. Each configuration is run
``--repeats`` times in alternating order after one warm-up job per configuration (which pays the
actors' start-up and model load), on the same ``--n-texts`` generated unique texts (the templates of
``benchmarks/throughput.py``), ``similarity`` against the 15 Big Five keywords, no embedding cache.
Each actor uses one CPU thread (its Ray CPU share; Ray gets 2 logical CPUs per core, because an idle actor
pool of the previous job may still hold its CPUs when the next starts). The texts/s of the fastest run per configuration
and the speed-up ratio are printed and written to ``benchmarks/results/ray_scaling.json``; the
per-worker throughput gives the written cluster estimate in the README.

Usage:
    python benchmarks/ray_scaling.py [--n-texts 4000] [--backend torch] [--repeats 2]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from throughput import million_texts  # noqa: E402

import traitlens  # noqa: E402
from traitlens import distributed  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


def run(texts: list[str], workers: int, backend: str) -> tuple[float, object]:
    started = time.perf_counter()
    frame = distributed.score_texts(texts, "similarity", workers=workers, backend=backend, cache=False,
                                    batch_size=256)
    return time.perf_counter() - started, frame


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-texts", type=int, default=4000)
    parser.add_argument("--backend", default="torch")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--out", type=Path, default=RESULTS / "ray_scaling.json")
    args = parser.parse_args()

    texts = million_texts(args.n_texts)
    # logical CPUs: an idle actor pool of the previous job may still hold its CPUs when the next one starts
    distributed.connect(None, num_cpus=2 * os.cpu_count())
    configs = [1, 2]
    for workers in configs:  # warm-up: actor start-up, model load
        run(texts[:64], workers, args.backend)
    times: dict[int, list[float]] = {w: [] for w in configs}
    frames = {}
    for repeat in range(args.repeats):
        for workers in (configs if repeat % 2 == 0 else configs[::-1]):
            seconds, frames[workers] = run(texts, workers, args.backend)
            times[workers].append(seconds)
            print(f"workers={workers} run {repeat + 1}: {seconds:.1f} s", file=sys.stderr)
    local = traitlens.similarity(texts[:200], backend=args.backend, cache=False)
    ray_rows = frames[2].iloc[: len(local)]
    max_diff = float(np.max(np.abs(local["similarity"].to_numpy() - ray_rows["similarity"].to_numpy())))
    rate = {w: args.n_texts / min(t) for w, t in times.items()}
    result = {
        "traitlens": traitlens.__version__, "backend": args.backend, "n_texts": args.n_texts,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "seconds": times, "texts_per_s": rate, "speedup_2_over_1": rate[2] / rate[1],
        "max_abs_diff_vs_local_first_200": max_diff,
        "command": f"python benchmarks/ray_scaling.py --n-texts {args.n_texts} --backend {args.backend}",
    }
    print("| workers | texts/s | fastest s |\n|---|---|---|")
    for w in configs:
        print(f"| {w} | {rate[w]:.0f} | {min(times[w]):.1f} |")
    print(f"speed-up 2 vs 1 worker: {result['speedup_2_over_1']:.2f}x; "
          f"max |difference| to the local engine (200 texts x 15 keywords): {max_diff:.2e}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
