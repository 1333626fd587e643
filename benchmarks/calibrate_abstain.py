"""Calibrate the abstain rules of `traitlens assign` on development data.

For the `profile` method with the bundled model, collect the factor-level assignment margins (relevance
of the chosen construct minus the runner-up) of BFI, SPI-135 and IPIP-NEO-300 items, each scored
leave-one-inventory-out through the evaluation harness, and report the smallest margin above which 90%
of assignments are correct (traitlens.analysis.assignment.calibrate_margin). The same for the key: among
the items assigned to their own construct, the smallest |contrast| there above which 90% of keys are
right (``key_confident``). IPIP-50 is left out of both choices and reported as a check, and so are the 60
behaviour descriptions of tests/data/behaviours.csv (no inventory's items: scored with every exemplar).
Writes benchmarks/results/abstain_calibration.json.
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


def _keys(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows assigned to their own construct with a known key: |contrast| there and whether the key is right."""
    own = frame[frame["correct"] & frame["true_key"].notna()]
    return pd.DataFrame({"contrast": own["score"].abs().to_numpy(),
                         "right": (own["predicted_key"] == own["true_key"]).to_numpy()})


def _split(keys: pd.DataFrame, cut: float) -> dict[str, float]:
    kept = keys["contrast"] >= cut
    return {"n": len(keys), "accuracy": float(keys["right"].mean()), "share_key_confident": float(kept.mean()),
            "accuracy_key_confident": float(keys.loc[kept, "right"].mean()) if kept.any() else float("nan"),
            "accuracy_below": float(keys.loc[~kept, "right"].mean()) if (~kept).any() else float("nan")}


def _behaviours() -> pd.DataFrame:
    import numpy as np

    import traitlens as tl

    data = pd.read_csv(ROOT / "tests" / "data" / "behaviours.csv")
    frame = tl.profile(data["text"].tolist())
    own = frame.set_index(["text", "construct"])["contrast"]
    contrast = np.array([own[(t, f)] for t, f in zip(data["text"], data["factor"], strict=True)])
    truth = np.where(data["pole"] == "high", 1, -1)
    return pd.DataFrame({"contrast": np.abs(contrast), "right": np.sign(contrast) == truth})


def main() -> None:
    frames = []
    for suite in SUITES:
        result = run_suite(suite, "profile", data_dir=DATA, n_boot=0)
        a = result.assignments
        frames.append(a[(a["level"] == "factor") & a["true"].notna()].assign(suite=suite))
    data = pd.concat(frames, ignore_index=True)
    keys = _keys(data)
    key_cut = calibrate_margin(keys["contrast"].to_numpy(), keys["right"].to_numpy(), 0.9)
    check = run_suite("ipip50", "profile", data_dir=DATA, n_boot=0).assignments
    check = check[(check["level"] == "factor") & check["true"].notna()]
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
        "min_key_contrast_for_90pct": key_cut,
        "keys_dev": _split(keys, key_cut),
        "keys_check_ipip50": _split(_keys(check), key_cut),
        "keys_check_behaviours": _split(_behaviours(), key_cut),
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
