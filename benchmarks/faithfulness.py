"""Faithfulness of the explanations: completeness, deletion curves, agreement between methods, speed.

Pairs (>= 200): the 60 behaviour descriptions of ``tests/data/behaviours.csv`` and questionnaire items
of the built-in inventories (IPIP-50, BFI, SPI-135), each with a Big Five keyword
(``bigfive-keywords``) or a pole descriptor (``bigfive``), drawn with a fixed seed. For every pair and
each method (occlusion, integrated gradients, pairs) the text side's word attributions are computed
with :func:`traitlens.explain` at its defaults, then:

* completeness: ``|residual| / |score|`` (pairs: ``score - Σ pair cells``; integrated gradients:
  ``score - baseline - Σ words``, also reported relative to ``|score - baseline|``; occlusion has no
  completeness property, its figure is shown for contrast);
* deletion: the fall of the cosine when the top-1 attributed word is removed (re-encoded) against the
  expected fall for a uniformly random word (the mean single-word fall, computed exactly); and deletion
  curves — words removed one by one in attribution order vs random order (5 permutations), on a
  0..1 grid of the fraction removed — summarised by the area between the curves (random minus
  attribution order; positive = the attributions find the words that matter first). Removal by
  re-encoding is occlusion's own operation, so occlusion is favoured by construction on these two;
* agreement: Spearman correlation of the word attributions of each pair of methods (texts with >= 3
  words), and how often they agree on the top word;
* speed: one sentence × one keyword ("I like to work hard." × "Stress"), warm process (model loaded,
  the keyword's Jacobians cached for pairs), median of repeats, at 1 torch thread and at the default.

Usage:
    python benchmarks/faithfulness.py [--n-pairs 240] [--seed 0] [--out benchmarks/results/faithfulness.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from scipy.stats import spearmanr

from traitlens import explain, load_inventory, load_taxonomy
from traitlens.encoders import SentenceTransformerEncoder
from traitlens.explain.tokens import tokenize

ROOT = Path(__file__).resolve().parents[1]
METHODS = ("occlusion", "integrated_gradients", "pairs")
GRID = np.linspace(0, 1, 11)


def make_pairs(n: int, seed: int) -> pd.DataFrame:
    """Half behaviour sentences, half items; targets alternate keyword / pole descriptor."""
    rng = np.random.default_rng(seed)
    sentences = pd.read_csv(ROOT / "tests" / "data" / "behaviours.csv")["text"].tolist()
    items = pd.concat([load_inventory(name).items["text"] for name in ("ipip50", "bfi", "spi135")]).drop_duplicates()
    keywords = load_taxonomy("bigfive-keywords").keyword_table()["keyword"].tolist()
    descriptors = [t for f in load_taxonomy("bigfive").factors for t in [*f.high, *f.low]]
    half = n // 2
    texts = (list(rng.choice(sentences, size=half, replace=half > len(sentences)))
             + list(rng.choice(items.to_numpy(), size=n - half, replace=False)))
    rows = []
    for i, text in enumerate(texts):
        kind = "keyword" if i % 2 == 0 else "descriptor"
        target = str(rng.choice(keywords if kind == "keyword" else descriptors))
        rows.append({"text": str(text), "source": "sentence" if i < half else "item", "target": target,
                     "target_kind": kind})
    return pd.DataFrame(rows)


def deletion(encoder, text: str, target_vec: np.ndarray, order: list[np.ndarray]) -> np.ndarray:
    """Cosine after removing the first k words of each order (k = 0..n), rows = orders, on GRID."""
    tok = tokenize(text, encoder.model.tokenizer, encoder.max_seq_length)
    n = len(tok.spans)
    batch = [tok.without_words(o[:k]) for o in order for k in range(n + 1)]
    scores = (encoder.encode(batch) @ target_vec).reshape(len(order), n + 1)
    x = np.arange(n + 1) / n
    return np.array([np.interp(GRID, x, s) for s in scores])


def run(n_pairs: int, seed: int) -> dict:
    encoder = SentenceTransformerEncoder()
    pairs = make_pairs(n_pairs, seed)
    rng = np.random.default_rng(seed + 1)
    records = []
    t_all = time.perf_counter()
    for i, row in enumerate(pairs.itertuples(index=False)):
        target_vec = encoder.encode([row.target])[0]
        rec = {"text": row.text, "target": row.target, "source": row.source, "target_kind": row.target_kind}
        attrs = {}
        for method in METHODS:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                e = explain(row.text, row.target, method, model=encoder, cache=False)
            a = e.side("text")["attribution"].to_numpy()
            attrs[method] = a
            rec[f"{method}_score"] = e.score
            rec[f"{method}_residual"] = e.residual
            rec[f"{method}_relative_residual"] = e.relative_residual
            if method == "integrated_gradients":
                rec["ig_baseline"] = e.baseline
        n = len(attrs["occlusion"])
        rec["n_words"] = n
        rec["random_drop"] = float(attrs["occlusion"].mean())  # exact expected fall for a random single word
        randoms = [rng.permutation(n) for _ in range(5)]
        orders = [np.argsort(-attrs[m], kind="stable") for m in METHODS]
        curves = deletion(encoder, row.text, target_vec, orders + randoms)
        random_curve = curves[len(METHODS):].mean(axis=0)
        score0 = curves[0, 0]
        for j, method in enumerate(METHODS):
            top1 = orders[j][0]
            rec[f"{method}_top1_drop"] = float(attrs["occlusion"][top1])  # fall when that word is removed
            gap = random_curve - curves[j]
            rec[f"{method}_abc"] = float(np.sum((gap[1:] + gap[:-1]) / 2) * (GRID[1] - GRID[0]))
        rec["score"] = float(score0)
        for a_name, b_name in [("occlusion", "integrated_gradients"), ("occlusion", "pairs"),
                               ("integrated_gradients", "pairs")]:
            key = f"{a_name}~{b_name}"
            rec[f"spearman {key}"] = float(spearmanr(attrs[a_name], attrs[b_name])[0]) if n >= 3 else np.nan
            rec[f"top1 {key}"] = bool(np.argmax(attrs[a_name]) == np.argmax(attrs[b_name]))
        records.append(rec)
        if (i + 1) % 20 == 0:
            print(f"  {i + 1}/{len(pairs)} pairs, {time.perf_counter() - t_all:.0f} s", flush=True)
    frame = pd.DataFrame(records)
    return {"frame": frame, "seconds": time.perf_counter() - t_all, "encoder": encoder}


def timing(encoder, repeats: int = 7) -> dict:
    """Median seconds of one sentence × one keyword, warm, per method and thread count."""
    out = {}
    default_threads = torch.get_num_threads()
    for threads in sorted({1, default_threads}):
        torch.set_num_threads(threads)
        for method in METHODS:
            explain("I like to work hard.", "Stress", method, model=encoder, cache=False)  # warm-up (+ cache)
            times = []
            for _ in range(repeats):
                t = time.perf_counter()
                explain("I like to work hard.", "Stress", method, model=encoder, cache=False)
                times.append(time.perf_counter() - t)
            out[f"{method} threads={threads}"] = statistics.median(times)
    torch.set_num_threads(default_threads)
    return out


def summarise(frame: pd.DataFrame) -> dict:
    s: dict = {"n_pairs": len(frame), "by_source": frame["source"].value_counts().to_dict(),
               "by_target_kind": frame["target_kind"].value_counts().to_dict(),
               "median_words": float(frame["n_words"].median())}
    for m in METHODS:
        rel = frame[f"{m}_relative_residual"]
        s[m] = {
            "median_relative_residual": float(rel.median()),
            "mean_relative_residual": float(rel.mean()),
            "p90_relative_residual": float(rel.quantile(0.9)),
            "share_relative_residual_le_5pct": float((rel <= 0.05).mean()),
            "mean_top1_drop": float(frame[f"{m}_top1_drop"].mean()),
            "top1_vs_random_ratio": float(frame[f"{m}_top1_drop"].mean() / frame["random_drop"].mean()),
            "share_top1_above_random": float((frame[f"{m}_top1_drop"] > frame["random_drop"]).mean()),
            "mean_area_between_curves": float(frame[f"{m}_abc"].mean()),
            "share_abc_positive": float((frame[f"{m}_abc"] > 0).mean()),
        }
    ig_gap = (frame["integrated_gradients_score"] - frame["ig_baseline"]).abs()
    s["integrated_gradients"]["median_residual_relative_to_score_minus_baseline"] = float(
        (frame["integrated_gradients_residual"].abs() / ig_gap).median())
    s["mean_random_drop"] = float(frame["random_drop"].mean())
    s["agreement"] = {c.removeprefix("spearman "): {"median_spearman": float(frame[c].median()),
                                                     "mean_spearman": float(frame[c].mean()),
                                                     "top1_agreement": float(
                                                         frame[c.replace("spearman", "top1")].mean())}
                      for c in frame.columns if c.startswith("spearman ")}
    return s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-pairs", type=int, default=240)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="torch threads for the faithfulness part")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "faithfulness.json")
    args = parser.parse_args()
    default_threads = torch.get_num_threads()
    torch.set_num_threads(args.threads)
    result = run(args.n_pairs, args.seed)
    torch.set_num_threads(default_threads)
    summary = summarise(result["frame"])
    load = os.getloadavg()
    speed = timing(result["encoder"])
    report = {
        "benchmark": "faithfulness", "model": result["encoder"].name, "fingerprint": result["encoder"].fingerprint,
        "defaults": {"pairs": {"layer": 3, "steps": 16}, "integrated_gradients": {"steps": 32},
                     "occlusion": "word deletion"},
        "seed": args.seed, "threads_faithfulness": args.threads, "seconds": round(result["seconds"], 1),
        "summary": summary, "timing_seconds": speed,
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "load_average_1_5_15": load,
                    "note": "shared machine: 2 cores used by several engineers at once"},
        "targets": {"pairs_median_relative_residual_le": 0.05, "top1_vs_random_ge": 2.0, "pairs_seconds_le": 2.0,
                    "occlusion_seconds_le": 0.2},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    result["frame"].to_csv(args.out.with_suffix(".pairs.csv"), index=False)
    print(write_markdown(report, args.out))


def write_markdown(report: dict, out: Path) -> str:
    """The tables of ``report`` as Markdown, written next to the JSON; returns the text."""
    summary, speed = report["summary"], report["timing_seconds"]
    lines = ["| method | median rel. residual | p90 | top-1 drop / random | mean ABC | ABC > 0 |",
             "|---|---|---|---|---|---|"]
    for m in METHODS:
        x = summary[m]
        lines.append(f"| {m} | {x['median_relative_residual']:.2e} | {x['p90_relative_residual']:.2e} | "
                     f"{x['top1_vs_random_ratio']:.2f} | {x['mean_area_between_curves']:.4f} | "
                     f"{x['share_abc_positive']:.0%} |")
    lines += ["", "| methods | median Spearman | top-1 agreement |", "|---|---|---|"]
    for k, v in summary["agreement"].items():
        lines.append(f"| {k} | {v['median_spearman']:.3f} | {v['top1_agreement']:.0%} |")
    lines += ["", "| timing (one sentence × one keyword, warm) | seconds |", "|---|---|"]
    lines += [f"| {k} | {v:.3f} |" for k, v in speed.items()]
    table = "\n".join(lines)
    load = report["machine"]["load_average_1_5_15"]
    out.with_suffix(".md").write_text(
        f"# Faithfulness of explanations ({report['model']}, {summary['n_pairs']} pairs, seed {report['seed']})\n\n"
        f"Produced by `python benchmarks/faithfulness.py`; shared 2-core machine (load average {load[0]:.1f} when "
        "the timing ran). Residuals are relative to |score|; ABC = area between the random-order and the "
        "attribution-order deletion curves (cosine units, fraction of words removed on the x axis).\n\n"
        + table + "\n")
    return table


if __name__ == "__main__":
    main()
