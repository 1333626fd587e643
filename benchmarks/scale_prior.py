"""Fit the within-scale prior of each model and predictor, and measure what it does to scale figures.

Items were put into a scale because they correlate; a prediction from texts alone cannot know that,
so predicted alphas come out far too low. The prior (``traitlens.training.scale_prior``) is the mean
over data sets of mean(observed - predicted) keyed correlation of scale-mates. This script takes the
harness's leak-free predictions (``traitlens.evaluation.suite_predictions``: adapters, heads and
exemplars that never saw the scored data set) on the five item suites with scales and responses,
fits the prior on all of them (shipped, ``src/traitlens/training/scale_prior.json``) and without each
one, and scores every suite's scale figures without and with its leave-one-out prior. The facet
suites (IPIP-NEO-300 / NEO-PI-R facet correlations) take the full fit (they are not among the fitted
data sets). Never reads the acceptance holdout.

Usage:
    python benchmarks/scale_prior.py [--skip-mpnet] [--methods tuned head profile] [--no-write]
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np

import traitlens
from traitlens.analysis.correlations import shift_within_scales
from traitlens.evaluation import run_suite
from traitlens.evaluation.harness import scale_figures, suite_predictions
from traitlens.psychometrics import key_weights
from traitlens.training.scale_prior import PRIOR_FILE, ScalePrior, fit_within_shift, within_scale_pairs, write_priors

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
MPNET = ROOT / ".models" / "all-mpnet-base-v2"
RESULTS = ROOT / "benchmarks" / "results"
SUITES = ("ipip50", "bfi", "spi", "adjectives", "bainbridge")
FACET_SUITES = ("neo300-facet-r", "neo-pi-r-facet-r")
#: Predictors that get a prior; ``cosine`` stays the raw off-the-shelf baseline (and the prior makes its
#: scale r worse: ``--methods cosine --no-write`` measures it).
METHODS = ("tuned", "head", "profile")


def fit_one(model: str | None, method: str) -> tuple[ScalePrior, dict, dict]:
    """The prior of one model and method, and each suite's scale figures without and with it."""
    predictions, pairs = {}, {}
    encoder = None
    for suite in SUITES:
        data, pred, encoder = suite_predictions(suite, method, model, data_dir=DATA)
        weights = key_weights(data.scales, data.items)
        predictions[suite] = (data, pred, weights)
        pairs[suite] = within_scale_pairs(pred, data.observed_r, weights)
    shift, leave, stats = fit_within_shift(pairs)
    prior = ScalePrior(encoder.name, encoder.fingerprint, method, shift, leave, stats)
    figures = {}
    for suite, (data, pred, weights) in predictions.items():
        before = scale_figures(data, pred)
        after = scale_figures(data, shift_within_scales(pred, weights, prior.shift_without(suite)))
        figures[suite] = {"shift": round(prior.shift_without(suite), 4), **stats[suite],
                          **{f"{k}_before": round(v, 4) for k, v in before.items()},
                          **{f"{k}_after": round(v, 4) for k, v in after.items()}}
    return prior, figures, {"name": encoder.name, "fingerprint": encoder.fingerprint}


def facet_figures(model: str | None, method: str) -> dict:
    """Facet-suite scale_r / scale_mae through the harness (which applies the shipped prior)."""
    out = {}
    for suite in FACET_SUITES:
        metrics = run_suite(suite, method, model, data_dir=DATA, n_boot=0).metrics.set_index("metric")["value"]
        out[suite] = {k: round(float(v), 4) for k, v in metrics.items()}
    return out


def markdown(out: dict) -> str:
    lines = ["# Within-scale prior (issue 8)", "",
             f"traitlens {traitlens.__version__}; `python benchmarks/scale_prior.py`; {out['elapsed_s']:.0f} s. "
             "Shift = mean over the five data sets of mean(observed − predicted) keyed correlation of "
             "scale-mates; each suite is scored with the shift fitted without it. Predictions: the harness's "
             "(leak-free).", ""]
    for key, entry in out["priors"].items():
        lines += [f"## {key}", "", f"shift (all five) {entry['shift']:.3f}", "",
                  "| suite | pairs | observed | predicted | shift used | scale_r before → after | "
                  "alpha_r before → after | alpha_mae before → after |", "|---|---|---|---|---|---|---|---|"]
        for suite, f in entry["suites"].items():
            lines.append(f"| {suite} | {f['n_pairs']} | {f['observed']:.3f} | {f['predicted']:.3f} | "
                         f"{f['shift']:.3f} | "
                         f"{f['scale_r_before']:.3f} → {f['scale_r_after']:.3f} | "
                         f"{f['alpha_r_before']:.3f} → {f['alpha_r_after']:.3f} | "
                         f"{f['alpha_mae_before']:.3f} → {f['alpha_mae_after']:.3f} |")
        means = {m: (np.mean([f[f"{m}_before"] for f in entry["suites"].values()]),
                     np.mean([f[f"{m}_after"] for f in entry["suites"].values()]))
                 for m in ("scale_r", "alpha_r", "alpha_mae")}
        lines.append("| mean | | | | | " + " | ".join(f"{b:.3f} → {a:.3f}" for b, a in means.values()) + " |")
        for suite, f in entry.get("facets", {}).items():
            lines.append(f"\n{suite} (full shift, harness): scale_r {f.get('scale_r', float('nan')):.3f}, "
                         f"scale_mae {f.get('scale_mae', float('nan')):.3f}")
        lines.append("")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-mpnet", action="store_true")
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=(*METHODS, "cosine"))
    parser.add_argument("--no-write", action="store_true", help="measure only; leave the shipped priors alone")
    args = parser.parse_args()
    start = time.perf_counter()
    models: dict[str, str | None] = {"all-MiniLM-L6-v2": None}
    if MPNET.is_dir() and not args.skip_mpnet:
        models["all-mpnet-base-v2"] = str(MPNET)
    priors, out = [], {"priors": {}}
    for label, model in models.items():
        for method in args.methods:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                prior, figures, encoder = fit_one(model, method)
            priors.append(prior)
            out["priors"][f"{label} / {method}"] = {"model": encoder, "method": method, "shift": round(prior.shift, 4),
                                                    "leave_one_out": prior.leave_one_out, "suites": figures}
            print(label, method, f"shift {prior.shift:.3f}", round(time.perf_counter() - start), "s", flush=True)
    if not args.no_write:
        meta = {"traitlens": traitlens.__version__, "fitted_by": "python benchmarks/scale_prior.py",
                "datasets": list(SUITES), "data": "../shared/data (person-level responses; see each README)"}
        write_priors(priors, PRIOR_FILE, meta)  # rebuilt whole from the models and methods run
        print("wrote", PRIOR_FILE.relative_to(ROOT), flush=True)
        for label, model in models.items():  # the facet suites, through the harness with the new priors
            for method in args.methods:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    out["priors"][f"{label} / {method}"]["facets"] = facet_figures(model, method)
    out["elapsed_s"] = time.perf_counter() - start
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "scale_prior.json").write_text(json.dumps(out, indent=1))
    text = markdown(out)
    (RESULTS / "scale_prior.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
