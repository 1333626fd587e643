"""Throughput of every backend, in one run on the same texts: texts/s, peak RSS, fidelity, validity, start-up.

Rows (each measured in its own fresh subprocess, so peak RSS is honest):

* ``notebook loop`` — sentence-transformers fp32, one ``encode`` call per text (the seed notebook's
  loop over keywords);
* ``sentence-transformers fp32 b32`` / ``b128`` — plain ``SentenceTransformer.encode`` in batches;
* ``traitlens torch | onnx | onnx-int8 | openvino-int8 | static`` — ``load_encoder(backend=...)``,
  no embedding cache.

Figures per row: load seconds (import + model load; exports are made beforehand and timed separately),
texts/s on the same ``--n-texts`` questionnaire items (after a 16-text warm-up; the fastest of
``--repeats`` runs in alternating order, as the machine is shared), peak RSS of the process,
fidelity to traitlens torch fp32 — mean and 1st percentile of the per-text cosine, and the Pearson r
of the text × keyword cosine table (the only figure for ``static``, whose vectors live in another,
256-d space) — and, with ``--validity``, the largest change of the validity harness' figures
(``profile`` and ``cosine`` methods on ipip50 and bfi, no bootstrap) against torch.

Also: time to the first result of ``traitlens similarity "<new sentence>"`` in a fresh process per
backend (keywords already in the embedding cache, the sentence not), and warm-cache vs cold-cache
time on the same texts (torch).

``--million``: 1,000,000 unique short texts generated deterministically from templates over the
item texts (never in the cache: ``--no-cache``), written to Parquet, then ``traitlens profile
--file in.parquet --out out.parquet --taxonomy bigfive-facets --level facet`` end to end (30 facets),
wall time and peak RSS of that process, for ``--million-backends``.

Usage:
    python benchmarks/throughput.py [--n-texts 2000] [--n-notebook 200] [--validity] [--million]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
RESULTS = ROOT / "benchmarks" / "results"
BACKENDS = ["torch", "onnx", "onnx-int8", "openvino-int8", "static"]
ROWS = ["notebook", "st-b32", "st-b128", *BACKENDS]
LABELS = {"notebook": "notebook loop (ST fp32, 1 text/call)", "st-b32": "sentence-transformers fp32 b32",
          "st-b128": "sentence-transformers fp32 b128", **{b: f"traitlens {b}" for b in BACKENDS}}
SUITES = ["ipip50", "bfi"]
METHODS = ["profile", "cosine"]


def item_texts() -> list[str]:
    """Distinct questionnaire item texts from ../shared/data, in file order."""
    sources = [(DATA / "wulff_ipip_scales" / "ipip_scales_items.csv", "item"),
               (DATA / "ipip_neo_300" / "ipip_neo_300_items_keys.csv", "text"),
               (DATA / "sapa_spi135" / "spi_items_keys.csv", "item")]
    seen: dict[str, None] = {}
    for path, column in sources:
        with open(path, newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                if row[column].strip():
                    seen.setdefault(row[column].strip(), None)
    return list(seen)


def million_texts(n: int = 1_000_000) -> list[str]:
    """``n`` distinct short texts: templates × item texts, deterministic."""
    items = item_texts()
    templates = ["{}", "Honestly, {}", "My partner says: {}", "{} At least most of the time.", "Lately, {}",
                 "I think {}", "People tell me: {}", "{} That is me.", "To be fair, {}", "At work: {}",
                 "Often {}", "{} Sometimes.", "Really, {}", "{} (or so I believe)", "Truth is, {}"]
    out: dict[str, None] = {}
    k = 0
    while len(out) < n:
        template = templates[k % len(templates)]
        item = items[(k // len(templates)) % len(items)]
        rep = k // (len(templates) * len(items))
        text = template.format(item[0].lower() + item[1:] if template[0] != "{" else item)
        out.setdefault(text if rep == 0 else f"{text} #{rep}", None)  # items differing only in case collide
        k += 1
    return list(out)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ------------------------------------------------------------------------------------------------ children


def child(mode: str, texts_file: str, out_prefix: str, validity: bool) -> dict:
    texts = json.loads(Path(texts_file).read_text())
    keywords, n_notebook = texts.pop("keywords"), texts.pop("n_notebook")
    texts = texts["texts"]
    started = time.perf_counter()
    warm = texts[-16:]
    if mode in {"notebook", "st-b32", "st-b128"}:
        from sentence_transformers import SentenceTransformer

        from traitlens.encoders.sentence_transformer import bundled_model_path

        model = SentenceTransformer(str(bundled_model_path()), device="cpu")
        load_s = time.perf_counter() - started
        model.encode(warm)
        if mode == "notebook":
            t0 = time.perf_counter()
            vectors = np.array([model.encode(text, normalize_embeddings=True) for text in texts[:n_notebook]])
            elapsed, n = time.perf_counter() - t0, n_notebook
        else:
            batch = int(mode.removeprefix("st-b"))
            t0 = time.perf_counter()
            vectors = model.encode(texts, batch_size=batch, normalize_embeddings=True)
            elapsed, n = time.perf_counter() - t0, len(texts)
        kw = model.encode(keywords, normalize_embeddings=True)
    else:
        from traitlens.encoders import load_encoder

        encoder = load_encoder(backend=mode, cache=False)
        encoder.encode(warm[:1])  # loads the model / session
        load_s = time.perf_counter() - started
        encoder.encode(warm)
        t0 = time.perf_counter()
        vectors = encoder.encode(texts)
        elapsed, n = time.perf_counter() - t0, len(texts)
        kw = encoder.encode(keywords)
    np.save(f"{out_prefix}.texts.npy", np.asarray(vectors, dtype=np.float32))
    np.save(f"{out_prefix}.keywords.npy", np.asarray(kw, dtype=np.float32))
    result = {"mode": mode, "load_s": load_s, "n": n, "encode_s": elapsed, "texts_per_s": n / elapsed,
              "peak_rss_mb": peak_rss_mb()}
    if validity and mode in BACKENDS:
        from traitlens.evaluation import run_suite

        figures = {}
        t0 = time.perf_counter()
        for suite in SUITES:
            for method in METHODS:
                metrics = run_suite(suite, method, encoder, n_boot=0, cache=False, baselines=False).metrics
                for row in metrics.itertuples():
                    figures[f"{suite}/{method}/{row.metric}"] = None if np.isnan(row.value) else float(row.value)
        result["validity"] = figures
        result["validity_s"] = time.perf_counter() - t0
    return result


def child_cache(texts_file: str) -> dict:
    """Cold vs warm embedding cache on the same texts, torch backend, one process."""
    from traitlens.encoders import load_encoder

    texts = json.loads(Path(texts_file).read_text())["texts"]
    with tempfile.TemporaryDirectory() as folder:
        encoder = load_encoder(cache=folder)
        encoder.encode(["warm-up sentence for the model load."])
        t0 = time.perf_counter()
        encoder.encode(texts)
        cold = time.perf_counter() - t0
        t0 = time.perf_counter()
        encoder.encode(texts)
        warm = time.perf_counter() - t0
    return {"n": len(texts), "cold_s": cold, "warm_s": warm, "ratio": cold / warm}


def child_export(backend: str) -> dict:
    from traitlens.encoders import load_encoder

    t0 = time.perf_counter()
    encoder = load_encoder(backend=backend, cache=False)
    return {"backend": backend, "export_s": time.perf_counter() - t0, "fingerprint": encoder.fingerprint}


def run_child(args: list[str], env: dict) -> dict:
    proc = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else f"exit {proc.returncode}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def first_result_s(backend: str, sentence: str, env: dict) -> float | str:
    """Wall seconds of ``traitlens similarity SENTENCE --backend B`` in a fresh process."""
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "traitlens.cli", "similarity", sentence, "--backend", backend,
                           "--format", "json"], capture_output=True, text=True, env=env, check=False)
    elapsed = time.perf_counter() - t0
    return elapsed if proc.returncode == 0 else f"error: {proc.stderr.strip().splitlines()[-1:]}"


# ------------------------------------------------------------------------------------------------ million


def run_million(env: dict, backends: list[str], work: Path, n: int) -> list[dict]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    source = work / "million.parquet"
    if not source.exists():
        t0 = time.perf_counter()
        texts = million_texts(n)
        assert len(set(texts)) == len(texts)
        pq.write_table(pa.table({"text": texts}), source, row_group_size=100_000)
        print(f"generated {len(texts):,} unique texts in {time.perf_counter() - t0:.1f} s → {source}")
    rows = []
    for backend in backends:
        out = work / f"million.{backend}.parquet"
        cmd = [sys.executable, "-c", "import resource, runpy, sys; sys.argv = sys.argv[1:]\n"
               "try:\n    runpy.run_module('traitlens.cli', run_name='__main__')\n"
               "finally:\n    print('PEAK_RSS_MB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "
               "file=sys.stderr)",
               "traitlens", "profile", "--file", str(source), "--out", str(out), "--taxonomy", "bigfive-facets",
               "--level", "facet", "--backend", backend, "--no-cache"]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
        elapsed = time.perf_counter() - t0
        rss = [float(line.split()[1]) for line in proc.stderr.splitlines() if line.startswith("PEAK_RSS_MB")]
        row = {"backend": backend, "n_texts": n, "wall_s": elapsed, "texts_per_s": n / elapsed,
               "peak_rss_mb": rss[-1] if rss else None, "exit": proc.returncode}
        if proc.returncode == 0:
            row["rows"] = pq.ParquetFile(out).metadata.num_rows
            out.unlink()
        else:
            row["error"] = proc.stderr.strip()[-500:]
        print(json.dumps(row))
        rows.append(row)
    return rows


# ------------------------------------------------------------------------------------------------ main


def fidelity(reference: tuple[np.ndarray, np.ndarray], other: tuple[np.ndarray, np.ndarray]) -> dict:
    (ref_t, ref_k), (t, k) = reference, other
    out = {}
    if t.shape == ref_t.shape:
        cos = np.sum(ref_t * t, axis=1)
        out |= {"cos_mean": float(cos.mean()), "cos_p1": float(np.percentile(cos, 1))}
    table_ref, table = (ref_t @ ref_k.T).ravel(), (t[:len(ref_t)] @ k.T).ravel()
    out["table_r"] = float(np.corrcoef(table_ref[:len(table)], table)[0, 1])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n-texts", type=int, default=2000)
    parser.add_argument("--n-notebook", type=int, default=200)
    parser.add_argument("--rows", nargs="+", default=ROWS, choices=ROWS)
    parser.add_argument("--repeats", type=int, default=2, help="runs per row (alternating order; fastest kept)")
    parser.add_argument("--validity", action="store_true", help="also run the validity harness per backend")
    parser.add_argument("--cache-dir", type=Path, help="backends/embedding cache folder (default: a fresh temp dir)")
    parser.add_argument("--million", action="store_true", help="run the 1,000,000-text end-to-end job")
    parser.add_argument("--million-only", action="store_true", help="only the 1,000,000-text job")
    parser.add_argument("--million-n", type=int, default=1_000_000)
    parser.add_argument("--million-backends", nargs="+", default=["onnx-int8", "static"])
    parser.add_argument("--out", type=Path, default=RESULTS / "throughput.json")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--texts-file", help=argparse.SUPPRESS)
    parser.add_argument("--out-prefix", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        if args.child == "cache":
            result = child_cache(args.texts_file)
        elif args.child.startswith("export:"):
            result = child_export(args.child.split(":", 1)[1])
        else:
            result = child(args.child, args.texts_file, args.out_prefix, args.validity)
        print(json.dumps(result))
        return

    import traitlens
    from traitlens.constructs.taxonomy import load_taxonomy

    work = Path(tempfile.mkdtemp(prefix="traitlens-throughput-"))
    cache_dir = args.cache_dir or work / "cache"
    env = {**os.environ, "TRAITLENS_CACHE_DIR": str(cache_dir), "HF_HUB_OFFLINE": "1"}
    report: dict = {"traitlens": traitlens.__version__, "python": platform.python_version(),
                    "machine": f"{platform.machine()}, {os.cpu_count()} CPUs (shared with other jobs during the run)",
                    "n_texts": args.n_texts, "n_notebook": args.n_notebook, "cache_dir": str(cache_dir)}
    started = time.perf_counter()
    if not args.million_only:
        texts = item_texts()[:args.n_texts]
        keywords = list(dict.fromkeys(load_taxonomy("bigfive-facets").keyword_table()["keyword"]))
        texts_file = work / "texts.json"
        texts_file.write_text(json.dumps({"texts": texts, "keywords": list(keywords),
                                          "n_notebook": args.n_notebook}))
        report["exports"] = {}
        for backend in [r for r in args.rows if r in BACKENDS and r != "torch"]:
            report["exports"][backend] = run_child(["--child", f"export:{backend}"], env)
            print("export", backend, report["exports"][backend], flush=True)
        rows: dict[str, dict] = {}
        for repeat in range(args.repeats):  # alternate the order; keep each row's fastest run
            for mode in args.rows if repeat % 2 == 0 else args.rows[::-1]:
                extra = ["--validity"] if args.validity and repeat == 0 else []
                result = run_child(["--child", mode, "--texts-file", str(texts_file),
                                    "--out-prefix", str(work / mode), *extra], env)
                print(mode, repeat, {k: v for k, v in result.items() if k != "validity"}, flush=True)
                previous = rows.get(mode)
                if previous is None or "error" in previous:
                    rows[mode] = result
                elif "error" not in result:
                    runs = previous.setdefault("runs_texts_per_s", [previous["texts_per_s"]])
                    runs.append(result["texts_per_s"])
                    if result["texts_per_s"] > previous["texts_per_s"]:
                        previous.update({k: result[k] for k in ("load_s", "encode_s", "texts_per_s")})
                    previous["peak_rss_mb"] = max(previous["peak_rss_mb"], result["peak_rss_mb"])
        vectors = {m: (np.load(work / f"{m}.texts.npy"), np.load(work / f"{m}.keywords.npy"))
                   for m in rows if "error" not in rows[m]}
        if "torch" in vectors:
            for mode in vectors:
                rows[mode]["fidelity"] = fidelity(vectors["torch"], vectors[mode])
        base_validity = rows.get("torch", {}).get("validity")
        if base_validity:
            for mode in BACKENDS:
                figures = rows.get(mode, {}).get("validity")
                if not figures:
                    continue
                diffs = {k: abs(figures[k] - v) for k, v in base_validity.items()
                         if v is not None and figures.get(k) is not None}
                worst = max(diffs, key=diffs.get)
                rows[mode]["validity_max_abs_change"] = {"figure": worst, "change": diffs[worst],
                                                         "torch": base_validity[worst], "this": figures[worst]}
        st = rows.get("st-b32", {}).get("texts_per_s")
        for mode in rows:
            if st and "texts_per_s" in rows[mode]:
                rows[mode]["speedup_vs_st_b32"] = rows[mode]["texts_per_s"] / st
        report["rows"] = rows
        # Time to first result in a fresh process: keywords cached by a first call, then a new sentence.
        first = {}
        for backend in [r for r in args.rows if r in BACKENDS]:
            first_result_s(backend, "Warming the keyword vectors.", env)
            first[backend] = {"new_sentence_s": first_result_s(backend, f"I rarely plan my weekends ({backend}).",
                                                               env),
                              "cached_sentence_s": first_result_s(backend, "Warming the keyword vectors.", env)}
            print("first result", backend, first[backend], flush=True)
        report["first_result"] = first
        report["cache"] = run_child(["--child", "cache", "--texts-file", str(texts_file)], env)
        print("cache", report["cache"], flush=True)
    if args.million or args.million_only:
        report["million"] = run_million(env, args.million_backends, work, args.million_n)
    report["wall_s"] = time.perf_counter() - started
    args.out.parent.mkdir(parents=True, exist_ok=True)
    previous = json.loads(args.out.read_text()) if args.out.exists() and args.million_only else {}
    args.out.write_text(json.dumps({**previous, **report}, indent=1) + "\n")
    print_table(report)
    print(f"wrote {args.out}")


def print_table(report: dict) -> None:
    lines = []
    if "rows" in report:
        head = ("| row | load s | texts/s | × ST b32 | peak RSS MB | cos mean | cos p1 | table r | "
                "validity max |Δ| |")
        lines += [head, "|" + "---|" * 9]
        for mode, row in report["rows"].items():
            if "error" in row:
                lines.append(f"| {LABELS[mode]} | error: {row['error']} |")
                continue
            fid = row.get("fidelity", {})
            val = row.get("validity_max_abs_change")

            def fmt(value: float | None, spec: str = ".4f") -> str:
                return "–" if value is None else format(value, spec)

            lines.append(f"| {LABELS[mode]} | {row['load_s']:.2f} | {row['texts_per_s']:.0f} | "
                         f"{fmt(row.get('speedup_vs_st_b32'), '.2f')} | {row['peak_rss_mb']:.0f} | "
                         f"{fmt(fid.get('cos_mean'))} | {fmt(fid.get('cos_p1'))} | {fmt(fid.get('table_r'))} | "
                         + (f"{val['change']:.3f} ({val['figure']})" if val else "–") + " |")
        lines.append("")
        lines.append("| backend | export s (once) | first result, new sentence s | cached sentence s |")
        lines.append("|---|---|---|---|")
        for backend, first in report.get("first_result", {}).items():
            export = report.get("exports", {}).get(backend, {}).get("export_s")
            new, cached = first["new_sentence_s"], first["cached_sentence_s"]
            lines.append(f"| {backend} | {'–' if export is None else f'{export:.1f}'} | "
                         f"{new if isinstance(new, str) else f'{new:.2f}'} | "
                         f"{cached if isinstance(cached, str) else f'{cached:.2f}'} |")
        cache = report.get("cache", {})
        if "ratio" in cache:
            lines.append(f"\nembedding cache, torch, {cache['n']} texts: cold {cache['cold_s']:.2f} s, warm "
                         f"{cache['warm_s']:.4f} s, warm is {cache['ratio']:.0f}× faster")
    for row in report.get("million", []):
        lines.append(f"million ({row['backend']}): {row['n_texts']:,} texts × 30 facets in {row['wall_s']:.0f} s "
                     f"({row['texts_per_s']:.0f} texts/s), peak RSS {row['peak_rss_mb']} MB, exit {row['exit']}")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
