"""Crash-safety: SIGKILL writer processes at random points while they fill the cache and write outputs.

Each writer process scores a random subset of a pool of texts with :func:`traitlens.similarity`
through a :class:`~traitlens.cache.CachedEncoder` on ONE shared cache folder (committing every few
texts), and writes the table with :func:`traitlens.io.tables.write_table` (CSV with its sidecar,
JSON or Parquet, in turn). Several writers run at once; ``--write-share`` of them (default half, evenly interleaved) are
killed with SIGKILL at a random moment while they write their output file (they say when they
start), the others at a random moment of their whole run (uniform over about 1.5 times a full run),
so kills land while encoding, while committing to SQLite, and while writing. ``--pool`` sets how
many distinct texts there are: with the default 4,000 the cache is soon full and later kills land
mostly in the writes; with 100,000 it keeps growing. Rounds repeat
until ``--kills`` kills have landed.

The encoder is :class:`HashEncoder`, a subclass of :class:`traitlens.encoders.base.Encoder` with
deterministic hash-seeded 384-d vectors and a short sleep per batch (so a run lasts long enough to
be interrupted); ``--real-model`` uses the bundled all-MiniLM-L6-v2 instead (slower).

Afterwards it checks:

1. ``PRAGMA integrity_check`` of the cache file is ``ok``;
2. every cache entry belongs to a text of the pool and is bit-identical to a fresh encoding
   (absent entries are allowed: a killed run simply had not stored them);
3. every output file that exists is complete: it parses, and its rows equal those of a clean run
   of the same job (no half-written file); leftover temporary files are counted;
4. every killed job, re-run to completion on the same cache, gives output identical to a clean run
   in an empty cache, and sends fewer texts to the model (the committed batches are reused).

Usage::

    python benchmarks/crash_safety.py --kills 200          # the full run (writes benchmarks/results/)
    python benchmarks/crash_safety.py --kills 10 --no-write  # the short version (a slow test)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing as mp
import os
import random
import signal
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
FORMATS = ("csv", "json", "parquet")
POOL = 4_000  # texts in the pool (--pool)
PER_JOB = 400  # texts per job (--per-job)
SLOTS = 12  # output files, overwritten by one job after another (a multiple of len(FORMATS))


def pool_texts(size: int | None = None) -> list[str]:
    words = ["I", "like", "parties", "worry", "often", "plan", "ahead", "help", "others", "enjoy", "art", "am",
             "calm", "quiet", "talk", "a", "lot", "rarely", "get", "upset", "new", "ideas", "keep", "order"]
    rng = random.Random(13)
    return [f"{' '.join(rng.choice(words) for _ in range(rng.randint(3, 9)))} ({i})" for i in range(size or POOL)]


def job_texts(job: int) -> list[str]:
    """The texts of one job: a random subset of the pool (jobs overlap), with a repeat."""
    rng = random.Random(job)
    texts = rng.sample(pool_texts(), PER_JOB)  # pool_texts() reads the module's POOL (set from --pool)
    return [*texts, texts[0]]


def job_format(job: int) -> str:
    return FORMATS[job % len(FORMATS)]


def make_encoder(real: bool, delay: float):
    from traitlens.encoders.base import Encoder, l2_normalize

    if real:
        import torch

        from traitlens.encoders import SentenceTransformerEncoder

        torch.set_num_threads(1)  # forked children: no OpenMP pool inherited mid-use

        class Counting(Encoder):
            def __init__(self) -> None:
                self.inner = SentenceTransformerEncoder()
                self.name, self.fingerprint, self.dim = self.inner.name, self.inner.fingerprint, self.inner.dim
                self.texts_encoded = 0

            def _encode_unique(self, texts: list[str]) -> np.ndarray:
                self.texts_encoded += len(texts)
                return self.inner.encode(texts)

        return Counting()

    class HashEncoder(Encoder):
        """Deterministic hash-seeded vectors (like ``tests/fakes.FakeEncoder``), ``delay`` seconds per batch."""

        def __init__(self) -> None:
            self.name = "fake/crash-safety-hash"
            self.dim = 384
            self.fingerprint = hashlib.sha256(f"{self.name}:{self.dim}".encode()).hexdigest()[:16]

        texts_encoded = 0

        def _encode_unique(self, texts: list[str]) -> np.ndarray:
            self.texts_encoded += len(texts)
            time.sleep(delay)
            rows = [np.random.default_rng(int.from_bytes(hashlib.sha256(t.encode()).digest()[:8], "little"))
                    .standard_normal(self.dim) for t in texts]
            return l2_normalize(np.array(rows))

    return HashEncoder()


def run_job(job: int, cache: Path | None, out: Path, commit_every: int, encoder, notify=None) -> int:
    """One writer's work: score a job's texts through the shared cache, write the output; return the texts
    that reached the model."""
    import warnings

    import traitlens
    from traitlens.cache import CachedEncoder, EmbeddingCache
    from traitlens.io.tables import write_table

    before = encoder.texts_encoded
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = CachedEncoder(encoder, EmbeddingCache(cache), commit_every=commit_every) if cache else encoder
        frame = traitlens.similarity(job_texts(job), model=model, cache=False)
        if notify is not None:
            notify("writing")
        write_table(frame, out, job_format(job))
        if notify is not None:
            notify("done")
    return encoder.texts_encoded - before


def _child(job: int, cache: Path, out: Path, commit_every: int, encoder, conn) -> None:
    run_job(job, cache, out, commit_every, encoder, notify=conn.send)
    os._exit(0)


def _drain(receive, said: list[str], wait: float) -> None:
    """Append what a child has said so far (waiting up to ``wait`` seconds for the first message)."""
    try:
        while receive.poll(wait):
            said.append(receive.recv())
            wait = 0.0
    except (EOFError, OSError):  # the child has gone
        pass


class StaleSidecar(Exception):
    """A CSV whose sidecar describes another CSV (killed between the sidecar's rename and the CSV's)."""


def read_output(path: Path, fmt: str):
    """The rows of an output file as a DataFrame (raises if the file is incomplete or unreadable)."""
    import pandas as pd

    if fmt == "csv":
        meta = json.loads(Path(f"{path}.meta.json").read_text())  # the sidecar is complete too
        if meta.get("sha256") != hashlib.sha256(path.read_bytes()).hexdigest():
            raise StaleSidecar(path)
        return pd.read_csv(path, keep_default_na=False)
    if fmt == "json":
        return pd.DataFrame(json.loads(path.read_text())["results"])
    return pd.read_parquet(path)


def read_output_data(path: Path):
    """The rows of a CSV output without looking at its sidecar."""
    import pandas as pd

    return pd.read_csv(path, keep_default_na=False)


def _same(a, b) -> bool:
    return a.shape == b.shape and list(a.columns) == list(b.columns) and a.equals(b)


def main() -> int:
    global POOL, PER_JOB
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=200, help="stop after this many SIGKILLs have landed")
    parser.add_argument("--parallel", type=int, default=4, help="writers running at once")
    parser.add_argument("--commit-every", type=int, default=32, help="CachedEncoder batch size")
    parser.add_argument("--delay", type=float, default=0.02, help="seconds the fake model sleeps per batch")
    parser.add_argument("--real-model", action="store_true", help="the bundled all-MiniLM-L6-v2, not HashEncoder")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--pool", type=int, default=POOL, help="texts in the pool (bigger: the cache keeps growing)")
    parser.add_argument("--per-job", type=int, default=PER_JOB, help="texts each writer scores")
    parser.add_argument("--write-share", type=float, default=0.5,
                        help="share of writers killed while writing their output (the rest at any moment)")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    POOL, PER_JOB = args.pool, args.per_job

    rng = random.Random(args.seed)
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="traitlens-crash-") as tmp:
        folder = Path(tmp)
        cache = folder / "cache"
        outs = folder / "out"
        outs.mkdir()
        encoder = make_encoder(args.real_model, args.delay)
        job_texts(0)
        marks: dict[str, float] = {}
        t0 = time.time()  # how long a full job and its output writing take, to spread the kills over them
        run_job(10_000, folder / "timing-cache", folder / "timing.json", args.commit_every, encoder,
                notify=lambda what: marks.setdefault(what, time.time()))
        full = time.time() - t0
        writing = max(marks["done"] - marks["writing"], 0.001)
        spread = 1.5 * full * max(1.0, args.parallel / (os.cpu_count() or 1))  # kill times: uniform on [0, spread)
        ctx = mp.get_context("fork")  # the children start at once: imports and model are already loaded
        kills, finished, jobs, job, rounds = 0, 0, {}, 0, 0
        phases = {"encoding or committing": 0, "writing the output": 0}
        while kills < args.kills:
            rounds += 1
            procs = []
            for _ in range(args.parallel):
                job += 1
                out = outs / f"slot{job % SLOTS}.{job_format(job)}"
                receive, send = ctx.Pipe(duplex=False)
                proc = ctx.Process(target=_child, args=(job, cache, out, args.commit_every, encoder, send))
                proc.start()
                send.close()
                jobs[job] = out
                # a share of the writers (evenly interleaved) is killed while it writes its output, the others
                # at any moment
                target = "writing" if int((job + 1) * args.write_share) != int(job * args.write_share) else None
                procs.append((time.time() + rng.uniform(0.0, spread), target, proc, receive))
            for deadline, target, proc, receive in sorted(procs, key=lambda p: p[0]):
                said: list[str] = []
                if target == "writing":
                    while proc.is_alive() and "writing" not in said:
                        _drain(receive, said, 0.005)
                    deadline = time.time() + rng.uniform(0.0, 1.2 * writing)
                time.sleep(max(0.0, deadline - time.time()))
                if proc.is_alive():
                    os.kill(proc.pid, signal.SIGKILL)
                    proc.join()
                    _drain(receive, said, 0.0)
                    if "done" in said:
                        finished += 1  # it had finished its work and was exiting
                    else:
                        kills += 1
                        phases["writing the output" if "writing" in said else "encoding or committing"] += 1
                else:
                    finished += 1
                receive.close()
            for _, _, proc, _ in procs:
                proc.join()
        kill_seconds = time.time() - started

        # 1. the SQLite file
        conn = sqlite3.connect(f"file:{cache / 'embeddings.sqlite3'}?mode=ro", uri=True)
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        rows = conn.execute("SELECT text_hash, vector FROM embeddings").fetchall()
        conn.close()
        # 2. every entry against a fresh encoding
        from traitlens.constructs.taxonomy import load_taxonomy

        known = pool_texts() + list(load_taxonomy("bigfive-keywords").keyword_table()["keyword"])
        by_hash = {hashlib.sha256(t.encode()).digest(): t for t in known}
        stored = {bytes(h): bytes(v) for h, v in rows}
        unknown = [h for h in stored if h not in by_hash]
        texts = [by_hash[h] for h in stored if h in by_hash]
        fresh = make_encoder(args.real_model, 0.0).encode(texts) if texts else np.zeros((0, 384), np.float32)
        wrong = sum(stored[hashlib.sha256(t.encode()).digest()] != fresh[i].tobytes() for i, t in enumerate(texts))
        # 3. an output file that exists is a complete output of one of the jobs that wrote it
        clean_cache = folder / "clean-cache"
        clean: dict = {}
        model_texts_clean = 0
        for j in sorted(jobs):
            clean_out = folder / f"clean{j}.{job_format(j)}"
            model_texts_clean += run_job(j, clean_cache / str(j), clean_out, args.commit_every, encoder)
            clean[j] = read_output(clean_out, job_format(j))
        half_written, complete, stale = 0, 0, 0
        for slot in range(SLOTS):
            writers = [j for j in jobs if j % SLOTS == slot]
            path = outs / f"slot{slot}.{job_format(slot)}"
            if writers and path.exists():
                try:
                    found = read_output(path, job_format(slot))
                    ok = any(_same(found, clean[j]) for j in writers)
                except StaleSidecar:
                    stale += 1
                    found = read_output_data(path)
                    ok = any(_same(found, clean[j]) for j in writers)
                except Exception:  # noqa: BLE001 - an unreadable output is a half-written one
                    ok = False
                complete += ok
                half_written += not ok
        # 4. every job re-run on the killed cache gives the clean run's output
        rerun_equal, rerun_different, model_texts_rerun = 0, 0, 0
        for j, out in sorted(jobs.items()):
            model_texts_rerun += run_job(j, cache, out, args.commit_every, encoder)
            same = _same(read_output(out, job_format(j)), clean[j])
            rerun_equal += same
            rerun_different += not same
        leftovers = len(list(outs.glob(".*.tmp")))
        conn = sqlite3.connect(f"file:{cache / 'embeddings.sqlite3'}?mode=ro", uri=True)
        integrity_after = conn.execute("PRAGMA integrity_check").fetchone()[0]
        conn.close()
    summary = {
        "encoder": "bundled all-MiniLM-L6-v2" if args.real_model else "HashEncoder (deterministic fake, 384-d)",
        "kills": kills, "kills_by_phase": phases, "writers_started": len(jobs),
        "writers_finished_before_kill": finished, "rounds": rounds,
        "pool": args.pool, "per_job": args.per_job, "write_share": args.write_share,
        "parallel_writers": args.parallel, "commit_every": args.commit_every, "full_job_seconds": round(full, 2),
        "output_write_seconds": round(writing, 4),
        "integrity_check": integrity, "integrity_check_after_reruns": integrity_after,
        "cache_entries": len(stored), "entries_not_from_the_pool": len(unknown), "entries_wrong": int(wrong),
        "output_files": SLOTS, "outputs_present_after_kills": complete + half_written, "outputs_complete": complete,
        "outputs_half_written": half_written,
        "csv_with_a_sidecar_of_another_run": stale, "temporary_files_left": leftovers,
        "reruns_identical_to_clean": rerun_equal, "reruns_different": rerun_different,
        "texts_to_model_reruns": model_texts_rerun, "texts_to_model_clean_runs": model_texts_clean,
        "seconds_killing": round(kill_seconds, 1), "seconds_total": round(time.time() - started, 1),
        "when": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()), "seed": args.seed,
    }
    width = max(map(len, summary))
    for key, value in summary.items():
        print(f"{key:<{width}}  {value}")
    passed = (integrity == integrity_after == "ok" and not unknown and not wrong and not half_written
              and not rerun_different and kills >= args.kills)
    print("PASS" if passed else "FAIL")
    if not args.no_write:
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "crash_safety.json").write_text(json.dumps({**summary, "passed": passed}, indent=1) + "\n")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
