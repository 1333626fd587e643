"""Similarity table speed: notebook-style loop vs traitlens (cold cache) vs traitlens (warm cache).

The notebook loop is the seed analysis as usually written: for every sentence, for every keyword,
``model.encode(keyword)`` and ``util.cos_sim``. traitlens encodes each distinct text once, in batches,
and reads vectors from the SQLite cache on the second run. All three run in one process on the same
loaded model (model loading is timed separately), so the ratios compare the work, not the start-up.

Usage:
    python benchmarks/similarity_speed.py [--n-texts 2000] [--repeats 3] [--out PATH.json]
"""

from __future__ import annotations

import argparse
import csv
import json
import platform
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

import traitlens
from traitlens.encoders import SentenceTransformerEncoder

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"


def item_texts(n: int) -> list[str]:
    """The first ``n`` distinct questionnaire item texts from ../shared/data (file order)."""
    sources = [
        (DATA / "wulff_ipip_scales" / "ipip_scales_items.csv", "item"),
        (DATA / "ipip_neo_300" / "ipip_neo_300_items_keys.csv", "text"),
        (DATA / "sapa_spi135" / "spi_items_keys.csv", "item"),
        (DATA / "bainbridge_pilot" / "mapping2.csv", "item_text"),
        (DATA / "psych_bfi" / "bfi_items_keys.csv", "text"),
    ]
    seen: dict[str, None] = {}
    for path, column in sources:
        with open(path, newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                text = row[column].strip()
                if text:
                    seen.setdefault(text, None)
    texts = list(seen)
    if len(texts) < n:
        raise SystemExit(f"only {len(texts)} distinct item texts in {DATA}, need {n}")
    return texts[:n]


def notebook_loop(model, sentences, keyword_table):
    from sentence_transformers import util

    out = []
    for sentence in sentences:
        s_emb = model.encode(sentence)
        for factor, keyword in zip(keyword_table["factor"], keyword_table["keyword"], strict=True):
            k_emb = model.encode(keyword)
            out.append((sentence, factor, keyword, float(util.cos_sim(s_emb, k_emb))))
    return out


def timed(fn, repeats):
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def run_case(name, sentences, encoder, keyword_table, repeats, loop_repeats):
    loop_s, loop_rows = timed(lambda: notebook_loop(encoder.model, sentences, keyword_table), loop_repeats)
    cold, warm = [], []
    frame = None
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as cache_dir:
            t0 = time.perf_counter()
            traitlens.similarity(sentences, model=encoder, cache=cache_dir)
            cold.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            frame = traitlens.similarity(sentences, model=encoder, cache=cache_dir)
            warm.append(time.perf_counter() - t0)
    cold_s, warm_s = statistics.median(cold), statistics.median(warm)
    max_diff = float(np.max(np.abs(frame["similarity"].to_numpy() - np.array([r[3] for r in loop_rows]))))
    return {
        "case": name,
        "texts": len(sentences),
        "keywords": len(keyword_table),
        "rows": len(frame),
        "notebook_loop_s": loop_s,
        "traitlens_cold_s": cold_s,
        "traitlens_warm_s": warm_s,
        "loop_over_cold": loop_s / cold_s,
        "loop_over_warm": loop_s / warm_s,
        "cold_over_warm": cold_s / warm_s,
        "max_abs_diff_vs_loop": max_diff,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n-texts", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3, help="repeats of the traitlens runs (median)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "similarity_speed.json")
    args = parser.parse_args()

    t0 = time.perf_counter()
    encoder = SentenceTransformerEncoder()
    encoder.model  # noqa: B018 - load now, so that no case pays for it
    load_s = time.perf_counter() - t0
    keyword_table = traitlens.load_taxonomy("bigfive-keywords").keyword_table()
    results = [
        run_case("reference (5 sentences)", list(traitlens.EXAMPLE_SENTENCES), encoder, keyword_table,
                 args.repeats, loop_repeats=3),
        run_case(f"{args.n_texts} item texts", item_texts(args.n_texts), encoder, keyword_table,
                 args.repeats, loop_repeats=1),
    ]
    header = (f"{'case':<26}{'rows':>7}{'loop s':>10}{'cold s':>10}{'warm s':>10}"
              f"{'loop/cold':>11}{'loop/warm':>11}{'cold/warm':>11}{'max|diff|':>11}")
    print(f"model {encoder.name} ({encoder.fingerprint}), loaded in {load_s:.2f} s; "
          f"{platform.processor() or platform.machine()}")
    print(header)
    for r in results:
        print(f"{r['case']:<26}{r['rows']:>7}{r['notebook_loop_s']:>10.3f}{r['traitlens_cold_s']:>10.3f}"
              f"{r['traitlens_warm_s']:>10.4f}{r['loop_over_cold']:>11.1f}{r['loop_over_warm']:>11.1f}"
              f"{r['cold_over_warm']:>11.1f}{r['max_abs_diff_vs_loop']:>11.1e}")
    payload = {
        "benchmark": "similarity_speed",
        "traitlens_version": traitlens.__version__,
        "model": {"id": encoder.name, "fingerprint": encoder.fingerprint, "load_s": load_s},
        "machine": {"python": platform.python_version(), "machine": platform.machine()},
        "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".tmp")
    tmp.write_text(json.dumps(payload, indent=1) + "\n")
    tmp.replace(args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
