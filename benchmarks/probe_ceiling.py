"""Diagnostic: how well can a linear read-out of the embeddings separate an inventory's own factors?

A multinomial logistic probe over factor × key (10 classes) is cross-validated *within* one inventory
(leave-one-item-out for IPIP-50, 10-fold for IPIP-NEO-300), on its own labels. This is not a
traitlens method — it uses the scored inventory's memberships, which no method may — but an
optimistic ceiling for what any linear method on these embeddings can reach. Prints the best over
C in {0.3, 1, 3, 10, 30} and writes benchmarks/results/probe_ceiling.json.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import LeaveOneOut, cross_val_predict

import traitlens
from traitlens.constructs.bigfive import canonical_factor
from traitlens.encoders import SentenceTransformerEncoder

ROOT = Path(__file__).resolve().parents[1]
MPNET_SCRIPT = ROOT.parent / "shared" / "models" / "all-mpnet-base-v2.sh"


def main() -> None:
    mpnet = subprocess.run(["bash", str(MPNET_SCRIPT), str(ROOT / ".models")], check=True, capture_output=True,
                           text=True).stdout.strip().splitlines()[-1]
    rows = []
    for encoder in (SentenceTransformerEncoder(), SentenceTransformerEncoder(mpnet)):
        for name in ("ipip50", "ipip-neo-300"):
            items = traitlens.load_inventory(name).items
            x = encoder.encode(items["text"].tolist())
            x = x - x.mean(axis=0)
            factor = items["factor"].map(canonical_factor).to_numpy()
            keys = items["factor_key"].astype(int).to_numpy()
            labels = np.array([f"{f}{'+' if k > 0 else '-'}" for f, k in zip(factor, keys, strict=True)])
            cv = LeaveOneOut() if len(labels) < 100 else 10
            best = None
            for c in (0.3, 1, 3, 10, 30):
                pred = cross_val_predict(LogisticRegression(C=c, max_iter=3000), x, labels, cv=cv)
                fa = float(np.mean([p[:-1] == f for p, f in zip(pred, factor, strict=True)]))
                both = float(np.mean(pred == labels))
                if best is None or fa > best["factor_accuracy"]:
                    best = {"C": c, "factor_accuracy": fa, "factor_and_key_accuracy": both}
            rows.append({"model": encoder.name, "inventory": name, **best})
            print(f"{encoder.name:<40} {name:<14} C={best['C']:<4} factor {best['factor_accuracy']:.3f} "
                  f"factor+key {best['factor_and_key_accuracy']:.3f}")
    out = ROOT / "benchmarks" / "results" / "probe_ceiling.json"
    out.write_text(json.dumps({"traitlens_version": traitlens.__version__, "results": rows}, indent=1) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
