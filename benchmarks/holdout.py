"""Acceptance benchmark on the holdout (Hommel & Arslan's 2024 validation study): run ONCE, after every choice.

Loads only the shipped predictors through the public API (``traitlens.correlate`` with the default
built-in exemplars; ``method="head"`` loads the shipped head of each model, ``method="tuned"`` the shipped
LoRA adapter of each model, ``method="auto"`` the default), predicts the correlations
of the 246 holdout items from their texts (``mapping2.csv``), and compares with the observed ones:
item r, sign agreement (|observed r| > .2), RMSE over the 30,135 pairs of ``item_pair_correlations.csv``;
scale r, alpha r and alpha MAE over the scales (instrument × scale0 × scale1, as in the SurveyBot3000 paper)
with at least 3 items, keys from ``keyed`` (observed scale scores and Cronbach's alphas from ``human.csv``),
predicted by ``traitlens.predict_scales`` (with the shipped within-scale prior, as users get them; the
``tuned`` rows also without it, ``…, no prior``). The file's SurveyBot3000 and all-mpnet-base-v2
predictions are scored by the composite formula from their item predictions. Nothing here is trained,
tuned or selected. Writes ``benchmarks/results/holdout.json``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

import traitlens
from traitlens import psychometrics
from traitlens.encoders import load_encoder
from traitlens.evaluation.metrics import item_pair_metrics, pearson

ROOT = Path(__file__).resolve().parents[1]
HOLDOUT = ROOT.parent / "shared/holdout"
MPNET = str(ROOT / ".models" / "all-mpnet-base-v2")
MIN_ITEMS = 3


def _scales(mapping: pd.DataFrame) -> dict[str, pd.Series]:
    parts = mapping[["instrument", "scale0", "scale1"]].fillna("").astype(str)
    names = parts["instrument"] + " / " + parts["scale0"] + np.where(parts["scale1"] != "", " / " + parts["scale1"], "")
    keys = mapping.set_index("variable")["keyed"].astype(float)
    out = {}
    for name, variables in mapping.groupby(names.to_numpy())["variable"]:
        if len(variables) >= MIN_ITEMS and keys[variables].notna().all():
            out[name] = keys[list(variables)]
    return out


def _matrix(pairs: pd.DataFrame, ids: list[str], column: str) -> np.ndarray:
    pos = {v: i for i, v in enumerate(ids)}
    out = np.full((len(ids), len(ids)), np.nan)
    a, b = pairs["variable_1"].map(pos).to_numpy(int), pairs["variable_2"].map(pos).to_numpy(int)
    out[a, b] = out[b, a] = pairs[column].to_numpy(float)
    np.fill_diagonal(out, 1.0)
    return out


def main() -> None:
    """Score every shipped predictor and the file's columns; print and write the table."""
    mapping = pd.read_csv(HOLDOUT / "mapping2.csv")
    pairs = pd.read_csv(HOLDOUT / "item_pair_correlations.csv")
    human = pd.read_csv(HOLDOUT / "human.csv").astype(float)
    ids = mapping["variable"].astype(str).tolist()
    texts = mapping["item_text"].astype(str).tolist()
    keys = mapping["keyed"].astype(float).to_numpy()
    scales = _scales(mapping)
    low, high = float(np.nanmin(human.to_numpy())), float(np.nanmax(human.to_numpy()))
    observed = _matrix(pairs, ids, "empirical_r")
    obs_scale = psychometrics.item_correlations(psychometrics.scale_scores(human[ids], scales, low, high))
    names = list(scales)
    obs_alpha = np.array([psychometrics.cronbach_alpha(psychometrics.reverse_key(human[list(k.index)], k, low, high))
                          for k in scales.values()])
    a, b = np.triu_indices(len(names), 1)

    memberships = pd.DataFrame([(item, names[j], float(k)) for j, keyed in enumerate(scales.values())
                                for item, k in keyed.items()], columns=["item", "scale", "key"])
    memberships["text"] = memberships["item"].map(dict(zip(ids, texts, strict=True)))

    def figures(pred: np.ndarray, scale_r: np.ndarray | None = None, alpha: np.ndarray | None = None
                ) -> dict[str, float]:
        item = item_pair_metrics(pred, observed, keys)
        if scale_r is None:  # the composite formula straight from the item predictions
            scale_r = psychometrics.scale_correlations_from_items(pred, scales, items=ids).loc[names, names].to_numpy()
            alpha = psychometrics.scale_alphas_from_items(pred, scales, items=ids).loc[names].to_numpy(float)
        return {"item_r": item["item_r"], "sign_agreement": item["sign_agreement"],
                "scale_r": pearson(scale_r[a, b], obs_scale.loc[names, names].to_numpy()[a, b]),
                "alpha_r": pearson(alpha, obs_alpha), "alpha_mae": float(np.mean(np.abs(alpha - obs_alpha))),
                "rmse": item["rmse"]}

    rows = []
    for model_name, spec in (("all-MiniLM-L6-v2", None), ("all-mpnet-base-v2", MPNET)):
        encoder = load_encoder(spec)
        # ``tuned``: the LoRA adapter shipped for the model (traitlens/encoders/adapters), merged, then its head;
        # ``auto``: what traitlens.correlate does by default (tuned where it won leave-one-dataset-out, else head)
        methods = ("profile", "head", "cosine", "tuned", "auto")
        for method in methods:
            frame = traitlens.correlate(texts, encoder, method=method, ids=ids)
            pred = frame.loc[ids, ids].to_numpy()
            label = f"auto={frame.attrs['provenance']['method']}" if method == "auto" else method
            for prior in (True, False) if method == "tuned" else (True,):
                scaled = traitlens.predict_scales(memberships, encoder, method=method, scale_prior=prior)
                rows.append({"predictor": f"{label}/{model_name}" + ("" if prior else ", no prior"),
                             **figures(pred, scaled.scale_correlations.loc[names, names].to_numpy(),
                                       scaled.reliability.set_index("scale").loc[names, "alpha"].to_numpy(float)),
                             "within_scale_shift": scaled.scale_correlations.attrs["provenance"]["within_scale_shift"]})
    for label, column in (("SurveyBot3000 (file)", "synthetic_r_surveybot3000"),
                          ("all-mpnet-base-v2 (file)", "synthetic_r_all_mpnet_base_v2")):
        rows.append({"predictor": label, **figures(_matrix(pairs, ids, column))})
    table = pd.DataFrame(rows)
    print(f"holdout: {len(ids)} items, {int(np.isfinite(observed[np.triu_indices(len(ids), 1)]).sum())} pairs, "
          f"{len(names)} scales with >= {MIN_ITEMS} items")
    print(table.round(3).to_string(index=False))
    out = ROOT / "benchmarks" / "results" / "holdout.json"
    out.write_text(json.dumps({"n_items": len(ids), "n_scales": len(names), "rows": table.round(4).to_dict("records")},
                              indent=1) + "\n")


if __name__ == "__main__":
    main()
