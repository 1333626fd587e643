"""Latency and throughput of `traitlens serve`: a 10-text profile request over loopback HTTP.

Starts the real server (`python -m traitlens.cli serve`, bundled all-MiniLM-L6-v2, a fresh embedding
cache in a temporary folder) on a free loopback port and measures, after a warm-up:

* latency (p50 / p95 / mean, ms) of sequential `POST /api/profile` requests of 10 texts, for two
  workloads: ``repeat`` (the same 10 texts every time: the embedding cache answers, so this is the
  server + analysis overhead) and ``fresh`` (10 texts never seen before in every request: the model
  encodes them);
* throughput (requests/s) with 1, 4 and 16 concurrent clients (threads, one keep-alive connection
  each), a bounded number of requests per level, for both workloads;
* errors: every response must be 200 with 5 × 10 rows (the script exits 1 otherwise).

Texts are the items of the built-in inventories (642 distinct); "fresh" texts join two of them
("<item a> <item b>"), each pair used once.

Usage: python benchmarks/serve_latency.py [--requests 40] [--per-level 48]
Writes benchmarks/results/serve_latency.json and .md.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import traitlens

RESULTS = Path(__file__).resolve().parent / "results"
N_TEXTS = 10
LEVELS = (1, 4, 16)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Texts:
    """10 repeated texts, and an endless supply of fresh 10-text batches (thread-safe)."""

    def __init__(self, seed: int = 0) -> None:
        items = sorted({t for name in traitlens.builtin_inventories()
                        for t in traitlens.load_inventory(name).frame["text"]})
        self.items = items
        self.repeat = items[:N_TEXTS]
        rng = random.Random(seed)
        self.pairs = [(a, b) for a in range(len(items)) for b in range(len(items)) if a != b]
        rng.shuffle(self.pairs)
        self.next = 0
        self.lock = threading.Lock()

    def fresh(self) -> list[str]:
        with self.lock:
            chosen = self.pairs[self.next:self.next + N_TEXTS]
            self.next += N_TEXTS
        return [f"{self.items[a]} {self.items[b]}" for a, b in chosen]


def request(conn: http.client.HTTPConnection, texts: list[str]) -> float:
    body = json.dumps({"texts": texts})
    start = time.perf_counter()
    conn.request("POST", "/api/profile", body=body, headers={"Content-Type": "application/json"})
    response = conn.getresponse()
    payload = response.read()
    elapsed = time.perf_counter() - start
    if response.status != 200:
        raise RuntimeError(f"HTTP {response.status}: {payload[:200]!r}")
    rows = json.loads(payload)["results"]
    if len(rows) != 5 * len(set(texts)):
        raise RuntimeError(f"{len(rows)} rows for {len(texts)} texts")
    return elapsed


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def latency(port: int, batches: list[list[str]]) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    times = [request(conn, texts) * 1000 for texts in batches]
    conn.close()
    return {"n": len(times), "p50_ms": round(percentile(times, 0.5), 1), "p95_ms": round(percentile(times, 0.95), 1),
            "mean_ms": round(statistics.fmean(times), 1), "max_ms": round(max(times), 1)}


def throughput(port: int, clients: int, total: int, batch: callable) -> dict:
    errors: list[str] = []
    done = []
    lock = threading.Lock()
    counter = iter(range(total))

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        while True:
            with lock:
                if next(counter, None) is None:
                    break
            try:
                t = request(conn, batch())
                with lock:
                    done.append(t)
            except Exception as exc:  # counted, reported, fails the run
                with lock:
                    errors.append(repr(exc))
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    ms = [t * 1000 for t in done]
    return {"clients": clients, "requests": total, "ok": len(done), "errors": len(errors),
            "error_examples": errors[:3], "seconds": round(wall, 2), "requests_per_s": round(len(done) / wall, 2),
            "p50_ms": round(percentile(ms, 0.5), 1) if ms else None,
            "p95_ms": round(percentile(ms, 0.95), 1) if ms else None}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=40, help="sequential requests per latency workload")
    parser.add_argument("--per-level", type=int, default=48, help="requests per concurrency level and workload")
    args = parser.parse_args()
    texts = Texts()
    port = free_port()
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "TRAITLENS_CACHE_DIR": cache, "HF_HUB_OFFLINE": "1"}
        started = time.perf_counter()
        server = subprocess.Popen([sys.executable, "-m", "traitlens.cli", "serve", "--port", str(port)], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            while True:
                if server.poll() is not None:
                    raise SystemExit(f"server exited: {server.stderr.read()}")
                try:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                    conn.request("GET", "/health")
                    if conn.getresponse().status == 200:
                        break
                except OSError:
                    time.sleep(0.1)
            startup = time.perf_counter() - started
            warm = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            first = request(warm, texts.repeat)  # the exemplar vectors are encoded once, here
            for _ in range(3):
                request(warm, texts.repeat)
                request(warm, texts.fresh())
            warm.close()
            lat = {"repeat": latency(port, [texts.repeat] * args.requests),
                   "fresh": latency(port, [texts.fresh() for _ in range(args.requests)])}
            thr = {"repeat": [throughput(port, c, args.per_level, lambda: texts.repeat) for c in LEVELS],
                   "fresh": [throughput(port, c, args.per_level, texts.fresh) for c in LEVELS]}
        finally:
            server.terminate()
            server.wait(timeout=30)
    errors = sum(level["errors"] for rows in thr.values() for level in rows)
    result = {
        "benchmark": "serve_latency", "traitlens_version": traitlens.__version__, "python": platform.python_version(),
        "cpus": os.cpu_count(), "model": "sentence-transformers/all-MiniLM-L6-v2 (bundled, torch, CPU)",
        "request": f"POST /api/profile with {N_TEXTS} texts (taxonomy bigfive, level factor, builtin exemplars)",
        "server_start_to_health_s": round(startup, 2), "first_request_ms": round(first * 1000, 1),
        "latency": lat, "throughput": thr, "errors": errors,
        "note": "loopback; the machine (2 cores) was shared with other jobs while this ran",
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "serve_latency.json").write_text(json.dumps(result, indent=1) + "\n")
    lines = ["# traitlens serve: latency and throughput", "",
             f"{result['request']}; {result['model']}; {result['cpus']} CPUs, loopback HTTP, one server process. "
             f"Server start to /health: {result['server_start_to_health_s']} s; first request (encodes the "
             f"exemplars): {result['first_request_ms']} ms.", "",
             "| workload | p50 ms | p95 ms | mean ms | requests |", "|---|---:|---:|---:|---:|"]
    lines += [f"| {name} | {v['p50_ms']} | {v['p95_ms']} | {v['mean_ms']} | {v['n']} |" for name, v in lat.items()]
    lines += ["", "| workload | clients | requests | ok | errors | req/s | p50 ms | p95 ms |",
              "|---|---:|---:|---:|---:|---:|---:|---:|"]
    lines += [f"| {name} | {r['clients']} | {r['requests']} | {r['ok']} | {r['errors']} | {r['requests_per_s']} | "
              f"{r['p50_ms']} | {r['p95_ms']} |" for name, rows in thr.items() for r in rows]
    lines += ["", "repeat = the same 10 texts each time (embedding-cache hits); fresh = 10 unseen texts per request "
                  "(the model encodes them). " + result["note"] + "."]
    (RESULTS / "serve_latency.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
