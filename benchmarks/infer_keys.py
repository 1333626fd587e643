"""Key inference for scales: share of unknown keys inferred right, on the Big Five scales of built-in inventories.

For each inventory (BFI, IPIP-50, SPI-135) and each of its five factor scales, with the bundled
all-MiniLM-L6-v2 and exemplars that leave the scored inventory out (and pass the leakage guard):

* ``items_first_known``  — ``traitlens.infer_keys(texts, keys=[k1, nan, ...])`` (no construct given);
* ``construct``          — ``traitlens.infer_keys(texts, construct=factor)`` (no key known);
* ``construct_first_known`` — both;
* ``raw_pca_first_known``   — baseline: first principal component of the raw embeddings, oriented by k1.

Keys are relative to the factor as named. Writes benchmarks/results/infer_keys.json.

    python benchmarks/infer_keys.py
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np

import traitlens
from traitlens.analysis.profiles import infer_keys as infer_from_vectors
from traitlens.constructs.exemplars import exemplar_pool
from traitlens.encoders import load_encoder
from traitlens.evaluation import exclude_overlaps

ROOT = Path(__file__).resolve().parents[1]
INVENTORIES = ("bfi", "ipip50", "spi135")


def main() -> None:
    warnings.simplefilter("ignore")
    encoder = load_encoder(None)
    rows = []
    for name in INVENTORIES:
        items = traitlens.load_inventory(name).items.dropna(subset=["factor"])
        pool = exemplar_pool(exclude_inventory=name)
        kept, _ = exclude_overlaps(items["text"].tolist(), pool["text"].tolist(), encoder=encoder)
        pool = pool.iloc[kept]
        tally: dict[str, list[int]] = {}
        for factor, scale in items.groupby("factor"):
            texts = scale["text"].tolist()
            truth = scale["factor_key"].to_numpy(float)
            first = np.r_[truth[0], np.full(len(truth) - 1, np.nan)]
            runs = {
                "items_first_known": traitlens.infer_keys(texts, keys=first, model=encoder, exemplars=pool)["key"],
                "construct": traitlens.infer_keys(texts, construct=factor, model=encoder, exemplars=pool)["key"],
                "construct_first_known": traitlens.infer_keys(texts, keys=first, construct=factor, model=encoder,
                                                              exemplars=pool)["key"],
                "raw_pca_first_known": infer_from_vectors(encoder.encode(texts), first)[0],
            }
            for method, keys in runs.items():
                skip = 0 if method == "construct" else 1
                right = int((np.asarray(keys)[skip:] == truth[skip:]).sum())
                total = tally.setdefault(method, [0, 0])
                total[0] += right
                total[1] += len(truth) - skip
        for method, (right, n) in tally.items():
            rows.append({"inventory": name, "method": method, "correct": right, "n": n, "accuracy": right / n})
    print(f"{'inventory':<10} {'method':<24} {'correct':>8} {'accuracy':>9}")
    for r in rows:
        print(f"{r['inventory']:<10} {r['method']:<24} {r['correct']:>4}/{r['n']:<3} {r['accuracy']:>9.3f}")
    payload = {"provenance": {"traitlens_version": traitlens.__version__, "model": encoder.name,
                              "fingerprint": encoder.fingerprint}, "results": rows}
    out = ROOT / "benchmarks" / "results" / "infer_keys.json"
    out.write_text(json.dumps(payload, indent=1) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
