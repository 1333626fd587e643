"""Validity table: every suite × method × model, with item-resampling 95% CIs.

Runs the evaluation harness (the same code as `traitlens evaluate`) for the bundled all-MiniLM-L6-v2
and for all-mpnet-base-v2 (fetched with ../shared/models/all-mpnet-base-v2.sh into .models/), and
writes benchmarks/results/validity.md and validity.json. Never reads the acceptance holdout.

Usage:
    python benchmarks/validity.py [--methods cosine keywords] [--suites ...] [--n-boot 1000] [--skip-mpnet] [--merge]

``--merge`` keeps the rows of every other suite in the existing validity.json and replaces only the
suites run (e.g. ``--suites ipip50-factors bfi-factors neo300-facet-r neo-pi-r-facet-r --merge`` adds the
scale-level rows: factor structure with nmi/ari/tucker_phi, facet correlations with scale_r/scale_mae).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import time
from pathlib import Path

import pandas as pd

import traitlens
from traitlens.encoders import SentenceTransformerEncoder
from traitlens.errors import InputError
from traitlens.evaluation import available_methods, available_suites, run_suite

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
MPNET_SCRIPT = ROOT.parent / "shared" / "models" / "all-mpnet-base-v2.sh"
RESULTS = ROOT / "benchmarks" / "results"


def mpnet_folder() -> Path:
    folder = ROOT / ".models"
    out = subprocess.run(["bash", str(MPNET_SCRIPT), str(folder)], check=True, capture_output=True, text=True)
    return Path(out.stdout.strip().splitlines()[-1])


def fmt(row: pd.Series) -> str:
    if pd.isna(row["value"]):
        return "–"
    ci = "" if pd.isna(row["ci_low"]) else f" [{row['ci_low']:.2f}, {row['ci_high']:.2f}]"
    return f"{row['value']:.3f}{ci}"


def markdown(frame: pd.DataFrame, models: dict[str, str], elapsed: float) -> str:
    lines = [
        "# traitlens validity table",
        "",
        f"traitlens {traitlens.__version__}; produced by `python benchmarks/validity.py` in {elapsed:.0f} s; "
        "values with 95% CIs that resample items: percentile bootstrap for item-pair figures and accuracies, "
        "leave-one-item-out jackknife for scale_r, alpha_r, alpha_mae, nmi and ari. Data: ../shared/data.",
        "Scale figures (scale_r, alpha_r, alpha_mae, scale_mae) of `tuned`, `head` and `profile` add the "
        "within-scale prior of `traitlens.predict_scales`, fitted without the scored data set "
        "(`benchmarks/scale_prior.py`; the facet suites take the full fit); item figures never do.",
        "",
        "Models: " + "; ".join(f"`{name}` (fingerprint {fp})" for name, fp in models.items()) + ".",
        "Rows named `… (data file)` are predictions shipped in the Bainbridge pairs file (SurveyBot3000, "
        "all-mpnet-base-v2 as computed by Hommel & Arslan), scored by the same code.",
        "",
    ]
    for suite, block in frame.groupby("suite", sort=False):
        lines += [f"## {suite}", ""]
        wide = block.assign(cell=block.apply(fmt, axis=1)).pivot_table(
            index=["method", "model"], columns="metric", values="cell", aggfunc="first", sort=False)
        metrics = [m for m in ["item_r", "item_r_abs", "item_r_keyed", "sign_agreement", "rmse", "scale_r",
                               "alpha_r", "alpha_mae", "factor_accuracy", "facet_accuracy", "key_accuracy", "nmi",
                               "ari", "tucker_phi", "scale_mae"]
                   if m in wide.columns]
        wide = wide[metrics]
        lines.append("| method | model | " + " | ".join(metrics) + " |")
        lines.append("|---|---|" + "---|" * len(metrics))
        for (method, model), row in wide.iterrows():
            short = model.split("/")[-1]
            lines.append(f"| {method} | {short} | " + " | ".join(str(v) if pd.notna(v) else "–" for v in row) + " |")
        n = block.groupby("metric")["n"].first()
        lines += ["", "n: " + ", ".join(f"{m} {int(v)}" for m, v in n.items()), ""]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--methods", nargs="+", default=available_methods())
    parser.add_argument("--suites", nargs="+", default=available_suites())
    parser.add_argument("--n-boot", type=int, default=1000)
    parser.add_argument("--skip-mpnet", action="store_true")
    parser.add_argument("--out", type=Path, default=RESULTS / "validity")
    parser.add_argument("--merge", action="store_true",
                        help="keep the existing rows of the suites not run (validity.json at --out)")
    args = parser.parse_args()

    start = time.perf_counter()
    encoders = [SentenceTransformerEncoder()]
    if not args.skip_mpnet:
        encoders.append(SentenceTransformerEncoder(mpnet_folder()))
    frames = []
    seen_baselines: set[str] = set()
    skipped: list[dict[str, str]] = []
    for suite in args.suites:
        for encoder in encoders:
            for method in args.methods:
                t0 = time.perf_counter()
                try:
                    result = run_suite(suite, method, encoder, data_dir=DATA, n_boot=args.n_boot, seed=0,
                                       baselines=suite not in seen_baselines)
                except InputError as error:  # e.g. `tuned` without a fold adapter that never saw the suite
                    print(f"{suite:<14} {method:<10} {encoder.name:<40} skipped: {error}", flush=True)
                    skipped.append({"suite": suite, "method": method, "model": encoder.name, "reason": str(error)})
                    continue
                seen_baselines.add(suite)
                frames.append(result.metrics)
                print(f"{suite:<14} {method:<10} {encoder.name:<40} {time.perf_counter() - t0:6.1f} s", flush=True)
    if not frames:
        raise SystemExit("nothing measured: every suite × method × model was skipped")
    frame = pd.concat(frames, ignore_index=True)
    elapsed = time.perf_counter() - start
    models = {e.name: e.fingerprint for e in encoders}
    RESULTS.mkdir(parents=True, exist_ok=True)
    provenance = {"traitlens_version": traitlens.__version__, "models": models, "n_boot": args.n_boot, "seed": 0,
                  "elapsed_s": elapsed, "skipped": skipped}
    notes = []
    if args.merge and args.out.with_suffix(".json").exists():
        old = json.loads(args.out.with_suffix(".json").read_text())
        kept = pd.DataFrame(old["results"])
        # replace only the rows this run measured (same suite, method and model); keep everything else
        fresh = pd.MultiIndex.from_frame(frame[["suite", "method", "model"]].drop_duplicates())
        kept = kept[~pd.MultiIndex.from_frame(kept[["suite", "method", "model"]]).isin(fresh)]
        frame = pd.concat([kept, frame], ignore_index=True)
        merged = old["provenance"].get("merged", []) + [{"suites": args.suites, "methods": args.methods,
                                                          "elapsed_s": elapsed, "n_boot": args.n_boot,
                                                          "skipped": skipped}]
        provenance = {**old["provenance"], "merged": merged}
        elapsed = old["provenance"]["elapsed_s"]
        models = {**old["provenance"]["models"], **models}
    for m in provenance.get("merged", []):
        notes.append(f"Methods {', '.join(m['methods'])} on suites {', '.join(m['suites'])} (re)measured with "
                     f"`--merge` ({m['elapsed_s']:.0f} s); the other rows are unchanged.")
    if "tuned" in set(frame["method"]):
        notes.append("`tuned` rows use the fold adapters (git-ignored, `.models/`) of each member of the shipped "
                     "predictor — all-MiniLM-L6-v2: the three seeds of `benchmarks/adapter_sweep.py` and the distilled "
                     "member of `benchmarks/distill_adapter.py`, averaged (the facet suites' distilled fold, "
                     "`--suite neo300-facets`, was taught without the IPIP-NEO-300 items and their rewordings); "
                     "all-mpnet-base-v2: `benchmarks/finetune_adapter.py --tag mpnet` and `--tag mpnet-s1 --seed 1`, "
                     "`--tag mpnet-s2 --seed 2`, averaged (every fold has the three seeds) — each trained without the "
                     "scored suite (the facet suites: fold "
                     "lodo-neo300-facets); where none is there the harness refuses `tuned` and this script skips it.")
    payload = {"provenance": provenance, "results": json.loads(frame.to_json(orient="records"))}
    text_md = markdown(frame, models, elapsed)
    if notes:
        head, rest = text_md.split("\n\n", 2)[:2], text_md.split("\n\n", 2)[2]
        text_md = "\n\n".join([*head, " ".join(notes), rest])
    for suffix, text in ((".json", json.dumps(payload, indent=1) + "\n"), (".md", text_md)):
        path = args.out.with_suffix(suffix)
        tmp = path.with_suffix(suffix + ".tmp")
        tmp.write_text(text)
        tmp.replace(path)
        print(f"wrote {path}")
    print(text_md)


if __name__ == "__main__":
    main()
