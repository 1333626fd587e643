"""Leave-one-dataset-out figures of the ``head`` correlation method, through the evaluation harness.

For each response suite (ipip50/big5, bfi, spi, adjectives, bainbridge) and each base model, the harness
runs ``profile``, ``head`` and ``cosine``; ``head`` trains its head on the fly WITHOUT the scored dataset
and without any item the leakage guard matches to a scored item (:class:`traitlens.evaluation.methods.HeadMethod`),
with the shipped configuration. Writes ``benchmarks/results/head_lodo.json`` (rows for the model cards).
Never reads the acceptance holdout.

Run: ``.venv/bin/python benchmarks/head_lodo.py`` (about 10 minutes on 2 cores with warm caches).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pandas as pd

from traitlens.datasets import default_data_dir
from traitlens.encoders import load_encoder
from traitlens.evaluation import run_suite

ROOT = Path(__file__).resolve().parents[1]
MODELS = {"all-MiniLM-L6-v2": None, "all-mpnet-base-v2": str(ROOT / ".models" / "all-mpnet-base-v2")}
SUITES = {"ipip50": "big5", "bfi": "bfi", "spi": "spi", "adjectives": "adjectives", "bainbridge": "bainbridge"}
METRICS = ("item_r", "sign_agreement", "scale_r", "alpha_r", "rmse")


def main() -> None:
    """Run every suite × method × model once (no bootstrap) and write the JSON rows."""
    data_dir = default_data_dir()
    rows = []
    for model, spec in MODELS.items():
        encoder = load_encoder(spec)
        for suite, dataset in SUITES.items():
            for method in ("head", "profile", "cosine"):
                start = time.time()
                metrics = run_suite(suite, method, encoder, data_dir=data_dir, n_boot=0, baselines=False).metrics
                values = metrics.set_index("metric")["value"]
                row = {"model": model, "held_out": dataset, "suite": suite, "method": method,
                       **{m: round(float(values[m]), 4) for m in METRICS if m in values},
                       "seconds": round(time.time() - start, 1)}
                rows.append(row)
                print(json.dumps(row), flush=True)
    out = ROOT / "benchmarks" / "results" / "head_lodo.json"
    out.write_text(json.dumps(rows, indent=1) + "\n")
    frame = pd.DataFrame(rows)
    print(frame.groupby(["model", "method"])[list(METRICS)].mean().round(3).to_string(), file=sys.stderr)


if __name__ == "__main__":
    main()
