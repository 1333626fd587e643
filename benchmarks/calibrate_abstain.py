"""Calibrate the abstain rule of `traitlens assign` on development data.

For the `profile` method with the bundled model, collect the factor-level assignment margins (relevance
of the chosen construct minus the runner-up) of BFI, SPI-135 and IPIP-NEO-300 items, each scored
leave-one-inventory-out through the evaluation harness, and report the smallest margin above which 90%
of assignments are correct (traitlens.analysis.assignment.calibrate_margin). IPIP-50 is left out so that
its figures stay untouched by this choice. Writes benchmarks/results/abstain_calibration.json.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from traitlens.analysis.assignment import calibrate_margin
from traitlens.evaluation import run_suite

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
SUITES = ["bfi", "spi", "neo300-facets"]


def main() -> None:
    frames = []
    for suite in SUITES:
        result = run_suite(suite, "profile", data_dir=DATA, n_boot=0)
        a = result.assignments
        frames.append(a[(a["level"] == "factor") & a["true"].notna()].assign(suite=suite))
    data = pd.concat(frames, ignore_index=True)
    cut = calibrate_margin(data["margin"].to_numpy(), data["correct"].to_numpy(), 0.9)
    kept = data["margin"] >= cut
    summary = {
        "suites": SUITES,
        "items": len(data),
        "accuracy_all": float(data["correct"].mean()),
        "min_margin_for_90pct": cut,
        "share_confident": float(kept.mean()),
        "accuracy_confident": float(data.loc[kept, "correct"].mean()) if kept.any() else float("nan"),
        "by_suite": {s: {"accuracy": float(g["correct"].mean()),
                         "confident_share": float((g["margin"] >= cut).mean()),
                         "confident_accuracy": float(g.loc[g["margin"] >= cut, "correct"].mean())
                         if (g["margin"] >= cut).any() else float("nan")}
                     for s, g in data.groupby("suite")},
    }
    for q in (0.0, 0.02, 0.05, 0.1):
        mask = data["margin"] >= q
        print(f"margin >= {q:.2f}: {mask.mean():6.1%} of items, accuracy {data.loc[mask, 'correct'].mean():.3f}")
    print(json.dumps(summary, indent=1))
    out = ROOT / "benchmarks" / "results" / "abstain_calibration.json"
    out.write_text(json.dumps(summary, indent=1) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
