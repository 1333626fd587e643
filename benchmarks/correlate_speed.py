"""Speed and memory of ``traitlens correlate`` over 1,000 items (499,500 pairs), run as the user runs it.

Builds a 1,000-item CSV (``item, text, scale, key``) from real item texts — the built-in inventories
(``traitlens.load_inventory(name).items``; scale = the Big Five factor) and then the Wulff & Mata
IPIP scale items in ``../shared/data`` (scale = instrument/construct) — each distinct text once. Then
runs the CLI as a subprocess, each case with its own new cache folder: first cold (empty cache: the
model is loaded and encodes every item and exemplar), then warm (every vector from the cache). Wall
time is measured around the subprocess, peak RSS is the child's own ``ru_maxrss`` (``os.wait4``).

Cases: the item pairs to CSV and to Parquet (``--id-column``), and the three tables (pairs, scale
pairs, reliability) to CSV (``--scale-column --key-column``). Target: ≤ 30 s and ≤ 1 GB warm, to CSV.

Usage:
    python benchmarks/correlate_speed.py [--n-items 1000] [--repeats 3] [--out PATH.json]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

import traitlens

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
TARGET_S, TARGET_MB = 30.0, 1024.0


def item_rows(n: int) -> list[dict[str, str]]:
    """``n`` items with distinct texts: the built-in inventories first, then the Wulff & Mata IPIP scales."""
    rows: dict[str, dict[str, str]] = {}
    for name in traitlens.builtin_inventories():
        for item in traitlens.load_inventory(name).items.itertuples(index=False):
            if pd.isna(item.factor):
                continue
            key = "" if pd.isna(item.factor_key) else str(int(item.factor_key))
            rows.setdefault(item.text.strip(), {"item": f"{name}:{item.item}", "text": item.text.strip(),
                                                "scale": str(item.factor), "key": key})
    wulff = DATA / "wulff_ipip_scales" / "ipip_scales_items.csv"
    if wulff.is_file():
        with open(wulff, newline="", encoding="utf-8") as fh:
            for number, row in enumerate(csv.DictReader(fh), start=1):
                text = row["item"].strip()
                if text:
                    rows.setdefault(text, {"item": f"wulff:{number}", "text": text,
                                           "scale": f"{row['instrument']}/{row['construct']}", "key": row["key"]})
    if len(rows) < n:
        raise SystemExit(f"only {len(rows)} distinct item texts (built-in inventories + {wulff}), need {n}")
    return list(rows.values())[:n]


def run_cli(args: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Run ``traitlens ARGS``; return wall seconds, the child's peak RSS in MB, and its stderr."""
    exe = Path(sys.executable).with_name("traitlens")
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen([str(exe), *args], stdout=subprocess.DEVNULL, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    if proc.returncode != 0:
        raise SystemExit(f"traitlens {' '.join(args)} failed ({proc.returncode}):\n{stderr}")
    return wall, usage.ru_maxrss / 1024, stderr  # ru_maxrss is in KiB on Linux


def run_case(name: str, items: Path, work: Path, out_name: str | None, extra: list[str], repeats: int,
             env: dict[str, str]) -> dict[str, object]:
    """One case: a cold run in a new cache folder, then ``repeats`` warm runs. ``out_name`` None: stdout."""
    cache = work / f"cache-{name}"
    out = None if out_name is None else work / out_name
    args = ["correlate", "--file", str(items), "--column", "text", "--id-column", "item", *extra,
            "--cache-dir", str(cache), *([] if out is None else ["--out", str(out)])]
    cold_s, cold_mb, cold_err = run_cli(args, env)
    warm = [run_cli(args, env) for _ in range(repeats)]
    warm_s = statistics.median(w[0] for w in warm)
    warm_mb = max(w[1] for w in warm)
    files = [] if out is None else sorted(p for p in work.iterdir() if p.name.startswith(out.stem + ".")
                                          and out.suffix in p.suffixes)
    return {
        "case": name,
        "args": " ".join(a.replace(f"{work}/", "") for a in args),  # paths relative to the work folder
        "cold_s": round(cold_s, 2), "cold_peak_rss_mb": round(cold_mb, 1),
        "warm_s": round(warm_s, 2), "warm_peak_rss_mb": round(warm_mb, 1),
        "warm_runs_s": [round(w[0], 2) for w in warm],
        "model_loaded_warm": any("loading model" in w[2] for w in warm),
        "model_loaded_cold": "loading model" in cold_err,
        "files": {p.name: p.stat().st_size for p in files},
        "meets_target": warm_s <= TARGET_S and warm_mb <= TARGET_MB,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n-items", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3, help="warm runs per case (median time, max RSS)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "correlate_speed.json")
    args = parser.parse_args()

    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    results = []
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        items = work / "items.csv"
        rows = item_rows(args.n_items)
        with open(items, "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=["item", "text", "scale", "key"])
            writer.writeheader()
            writer.writerows(rows)
        n_pairs = len(rows) * (len(rows) - 1) // 2
        for name, out_name, extra in [
            ("pairs to csv", "pairs.csv", []),
            ("pairs to parquet", "pairs.parquet", []),
            ("pairs as table (stdout)", None, ["--format", "table"]),
            ("pairs + scales to csv", "scaled.csv", ["--scale-column", "scale", "--key-column", "key"]),
        ]:
            print(f"{name} ...", file=sys.stderr)
            result = run_case(name.replace(" ", "-").replace("+", "and"), items, work, out_name, extra,
                              args.repeats, env)
            results.append({**result, "case": name})
        with open(work / "pairs.csv", encoding="utf-8") as fh:
            lines = sum(1 for _ in fh)
        assert lines == n_pairs + 1, (lines, n_pairs)
        n_scales = len({row["scale"] for row in rows})

    print(f"{len(rows)} items, {n_pairs:,} pairs, {n_scales} scales; {platform.machine()}, "
          f"{os.cpu_count()} CPUs; target: warm ≤ {TARGET_S:.0f} s and ≤ {TARGET_MB:.0f} MB to CSV")
    print(f"{'case':<24}{'cold s':>8}{'cold MB':>9}{'warm s':>8}{'warm MB':>9}  {'output':<40}")
    for r in results:
        sizes = ", ".join(f"{name} {size / 1e6:.1f} MB" for name, size in r["files"].items()
                          if not name.endswith(".meta.json")) or "stdout"
        print(f"{r['case']:<24}{r['cold_s']:>8.2f}{r['cold_peak_rss_mb']:>9.0f}{r['warm_s']:>8.2f}"
              f"{r['warm_peak_rss_mb']:>9.0f}  {sizes}")
    payload = {
        "benchmark": "correlate_speed",
        "traitlens_version": traitlens.__version__,
        "items": len(rows), "pairs": n_pairs, "scales": n_scales,
        "target": {"warm_s": TARGET_S, "peak_rss_mb": TARGET_MB},
        "machine": {"python": platform.python_version(), "machine": platform.machine(), "cpus": os.cpu_count()},
        "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".tmp")
    tmp.write_text(json.dumps(payload, indent=1) + "\n")
    tmp.replace(args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
