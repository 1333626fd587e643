"""Behaviour descriptions: domain and direction of 60 first-person sentences (tests/data/behaviours.csv).

For the bundled all-MiniLM-L6-v2 and all-mpnet-base-v2 (fetched into .models/ like benchmarks/validity.py),
scores the development set with `traitlens.profile` / `traitlens.assign` (default exemplars: taxonomy
descriptors + built-in inventory items; none duplicates a sentence, checked with the leakage guard) and
reports domain accuracy, sign accuracy of the own-domain score, and key accuracy, with item-bootstrap
95% CIs; and how the profile chart reads: the share of texts whose tallest bar (largest |score|) is
the assigned construct, and is the true domain (and, for comparison, the tallest |contrast|).
Writes benchmarks/results/behaviours.json.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd

import traitlens
from traitlens.constructs.exemplars import exemplar_pool
from traitlens.encoders import SentenceTransformerEncoder
from traitlens.evaluation import exclude_overlaps
from traitlens.evaluation.metrics import bootstrap

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "behaviours.csv"
MPNET_SCRIPT = ROOT.parent / "shared" / "models" / "all-mpnet-base-v2.sh"


def main() -> None:
    data = pd.read_csv(DATA)
    _, dropped = exclude_overlaps(data["text"].tolist(), exemplar_pool()["text"].tolist())
    mpnet = subprocess.run(["bash", str(MPNET_SCRIPT), str(ROOT / ".models")], check=True, capture_output=True,
                           text=True).stdout.strip().splitlines()[-1]
    results = []
    for encoder in (SentenceTransformerEncoder(), SentenceTransformerEncoder(mpnet)):
        a = traitlens.assign(data["text"], model=encoder)
        frame = traitlens.profile(data["text"], model=encoder)
        scores = frame.set_index(["text", "construct"])["score"]
        # what a reader of the profile chart sees: the construct of the tallest bar (largest |score|)
        chart = frame.loc[frame["score"].abs().groupby(frame["text"], sort=False).idxmax(), "construct"].to_numpy()
        contrast_top = frame.loc[frame["contrast"].abs().groupby(frame["text"], sort=False).idxmax(),
                                 "construct"].to_numpy()
        pole = np.where(data["pole"] == "high", 1, -1)
        domain_ok = a["construct"].to_numpy() == data["factor"].to_numpy()
        sign_ok = np.array([np.sign(scores[(t, f)]) == p for t, f, p in zip(data["text"], data["factor"], pole,
                                                                              strict=True)])
        key_ok = domain_ok & (a["key"].to_numpy() == pole)
        flags = {
            "domain_accuracy": domain_ok, "sign_accuracy": sign_ok, "domain_and_key_accuracy": key_ok,
            "chart_agrees_with_assign": chart == a["construct"].to_numpy(),
            "chart_domain_accuracy": chart == data["factor"].to_numpy(),
            "contrast_chart_agrees_with_assign": contrast_top == a["construct"].to_numpy(),
        }

        def stat(idx, flags=flags):
            return {name: values[idx].mean() for name, values in flags.items()}

        point = stat(np.arange(len(data)))
        cis = bootstrap(stat, len(data), n_boot=2000, seed=0)
        for metric, value in point.items():
            results.append({"model": encoder.name, "metric": metric, "value": float(value),
                            "ci_low": cis[metric][0], "ci_high": cis[metric][1], "n": len(data)})
            print(f"{encoder.name:<40} {metric:<24} {value:.3f} [{cis[metric][0]:.3f}, {cis[metric][1]:.3f}]")
    payload = {"provenance": {"traitlens_version": traitlens.__version__, "data": str(DATA.relative_to(ROOT)),
                              "exemplars_overlapping_sentences": len(dropped)}, "results": results}
    out = ROOT / "benchmarks" / "results" / "behaviours.json"
    out.write_text(json.dumps(payload, indent=1) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
