"""Scale-level benchmark: jingle-jangle, semantic factor analysis and facet-correlation validity, in one run.

Targets (issue 9), on ../shared/data:
- wulff_ipip_scales (450 scales, 246 labels): the 212 different-label pairs that share at least half
  of the smaller scale's items. (a) Their content similarity recomputed WITHOUT the shared items vs
  all different-label pairs sharing no item: AUC >= .90 (each model). (b) Default rule, shared items
  kept: recall >= 80% of the 212 while flagging <= 5% of all different-label pairs. (c) Run time of
  the full analysis, cold (empty cache, fresh process) and warm, < 60 s warm.
- IPIP-50 (ipip50 inventory) semantic factor analysis: NMI >= .55 against theory and mean Tucker
  phi >= .75 against the 5-factor oblimin EFA of the BIG5 responses (openpsychometrics_big5_2012);
  the factor count parallel analysis picks. The same for BFI (psych::bfi responses), Goldberg's 100
  adjectives (their responses) and IPIP-NEO-120 (theory only), to check that the method generalises.
- IPIP-NEO-300 facet correlations (435 pairs): predicted vs observed r >= .80, with the raw cosine of
  scale means as the baseline; NEO-PI-R facet correlations (psychTools::neo) from the same item texts.

Writes benchmarks/results/scales.json and scales.md. Never reads the acceptance holdout.

Usage:
    python benchmarks/scales.py [--skip-mpnet] [--skip-timing] [--only factors|facets|jangle|relabel]

``--only factors`` (``--only facets``) reruns the semantic factor analysis (the facet correlations, with
every predictor side by side) alone and updates it in the existing results; ``--only jangle`` the
jingle-jangle section with its timing (every content similarity side by side); ``--only relabel``
the relabeling of the 450 scales.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

import traitlens
from traitlens.analysis.jinglejangle import classify_pairs
from traitlens.analysis.scales import CONTENT_METHODS, content_similarity, scale_content
from traitlens.analysis.similarity import cosine_matrix
from traitlens.analysis.structure import agreement, assign_items, efa, match_factors
from traitlens.constructs.inventory import load_inventory
from traitlens.constructs.scales import load_scales
from traitlens.datasets import load_responses
from traitlens.engine import FACTOR_METHODS, item_correlations, scale_similarity, semantic_factors
from traitlens.errors import InputError
from traitlens.evaluation.harness import observed_facet_correlations
from traitlens.evaluation.metrics import composite_correlations

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
RESULTS = ROOT / "benchmarks" / "results"
MPNET = ROOT / ".models" / "all-mpnet-base-v2"
BIG5 = ["Extraversion", "Neuroticism", "Agreeableness", "Conscientiousness", "Openness"]


def wulff_table() -> pd.DataFrame:
    raw = pd.read_csv(DATA / "wulff_ipip_scales" / "ipip_scales_items.csv")
    return pd.DataFrame({"scale": raw["instrument"] + ": " + raw["construct"], "label": raw["construct"],
                         "inventory": raw["instrument"], "text": raw["item"],
                         "key": raw["key"].replace(0, np.nan)})


def jangle_truth(collection: Any) -> dict[str, np.ndarray]:
    """Pair masks (matrix upper-triangle order): different labels, shared >= half of the smaller scale, none."""
    items = collection.frame.groupby("scale", sort=False)["item"].apply(set)[collection.scales]
    labels = collection.labels[collection.scales].to_numpy()
    a, b = np.triu_indices(len(items), k=1)
    sets = items.to_list()
    shared = np.array([len(sets[i] & sets[j]) for i, j in zip(a, b, strict=True)])
    smaller = np.array([min(len(sets[i]), len(sets[j])) for i, j in zip(a, b, strict=True)])
    different = labels[a] != labels[b]
    return {"a": a, "b": b, "different": different, "positive": different & (shared >= 0.5 * smaller) & (shared > 0),
            "negative": different & (shared == 0)}


def auc_without_shared(collection: Any, item_vectors: np.ndarray, center: np.ndarray | None, signed: bool,
                       content: np.ndarray, truth: dict[str, np.ndarray], method: str = "mean") -> dict[str, Any]:
    """AUC of the 212 pairs' content similarity without their shared items vs different-label no-shared pairs.

    A pair whose smaller scale lies wholly inside the other (or whose item sets are identical) has
    nothing left to compare once the shared items are removed: it is left out (``n_skipped_contained``;
    ``benchmarks/jangle_content.py`` also scores them asymmetrically). ``method``: the content
    similarity (:func:`traitlens.analysis.scales.content_similarity`) — the same as ``content``'s.
    """
    frame = collection.frame
    where = {item: i for i, item in enumerate(collection.items["item"])}
    scales = collection.scales
    members = {s: rows for s, rows in frame.groupby("scale", sort=False)}
    values, skipped = [], 0
    for p in np.flatnonzero(truth["positive"]):
        sa, sb = scales[truth["a"][p]], scales[truth["b"][p]]
        shared = set(members[sa]["item"]) & set(members[sb]["item"])
        rest = [members[s][~members[s]["item"].isin(shared)] for s in (sa, sb)]
        if any(len(r) == 0 for r in rest):
            skipped += 1  # one scale lies wholly inside the other: nothing left to compare
            continue
        w = np.zeros((2, len(where)))
        for row, r in enumerate(rest):
            w[row, r["item"].map(where).to_numpy()] = r["key"].fillna(1).to_numpy() if signed else 1
        values.append(float(content_similarity(item_vectors, w, center, method)[0][0, 1]))
    negatives = content[truth["a"], truth["b"]][truth["negative"]]
    y = np.r_[np.ones(len(values)), np.zeros(len(negatives))]
    with_shared = content[truth["a"], truth["b"]][truth["different"]]
    return {"auc_without_shared": float(roc_auc_score(y, np.r_[values, negatives])), "n_positive": len(values),
            "n_skipped_contained": skipped, "n_negative": int(len(negatives)),
            "auc_with_shared": float(roc_auc_score(truth["positive"][truth["different"]], with_shared))}


def rule_figures(pairs: pd.DataFrame, truth: dict[str, np.ndarray]) -> dict[str, float]:
    jangle = (pairs["type"] == "jangle").to_numpy()
    return {"recall_212": float(jangle[truth["positive"]].mean()),
            "flagged_share_different_label": float(jangle[truth["different"]].mean()),
            "n_jangle": int(jangle.sum()), "n_jingle": int((pairs["type"] == "jingle").sum())}


#: The default content of ``traitlens.jingle_jangle`` (percentile rule): its sensitivity grid is reported.
JANGLE_DEFAULT = "unsigned/reference/pairwise"


def jingle_jangle_suite(encoder: Any) -> dict[str, Any]:
    """Jangle truth figures for every content similarity (aggregation × centring × keying), both rules.

    Rows ``signed|unsigned/reference|collection|none/pairwise|mean``; the percentile-rule sensitivity grid
    for :data:`JANGLE_DEFAULT` and the difference-rule grid for ``unsigned/reference/mean`` (the content
    ``jingle_jangle`` uses with the difference rule).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        collection = load_scales(wulff_table())
    truth = jangle_truth(collection)
    out: dict[str, Any] = {"n_scales": len(collection.scales), "n_labels": int(collection.frame["label"].nunique()),
                           "n_pairs": int(len(truth["a"])), "n_different_label_pairs": int(truth["different"].sum()),
                           "n_jangle_truth": int(truth["positive"].sum()), "content": {}}
    from traitlens.constructs.scales import reference_texts

    items = collection.items["text"].tolist()
    vectors = encoder.encode(items)
    centres = {"reference": encoder.encode(reference_texts()).mean(axis=0), "collection": vectors.mean(axis=0),
               "none": None}
    for method in CONTENT_METHODS:
        for center, centre in centres.items():
            for signed in (False, True):
                sim, _ = scale_similarity(collection, encoder, signed=signed, center=center, content=method)
                # the difference rule compares levels: labels centred as traitlens.jingle_jangle does with it
                centred, _ = scale_similarity(collection, encoder, signed=signed, center=center, content=method,
                                              center_labels=True)
                key = f"{'signed' if signed else 'unsigned'}/{center}/{method}"
                out["content"][key] = auc_without_shared(collection, vectors, centre, signed, sim.content, truth,
                                                         method)
                for rule, by_rule in (("percentile", sim), ("difference", centred)):
                    pairs, cuts = classify_pairs(by_rule, rule)
                    out["content"][key][rule] = {**rule_figures(pairs, truth), "thresholds": cuts}
                if key == JANGLE_DEFAULT:
                    grid = []
                    for pc in (0.80, 0.90, 0.95, 0.98, 0.99):
                        for pl in (0.80, 0.90, 0.95, 0.99):
                            pairs, _ = classify_pairs(sim, "percentile", content_percentile=pc, label_percentile=pl)
                            grid.append({"content_percentile": pc, "label_percentile": pl,
                                         **rule_figures(pairs, truth)})
                    out["sensitivity_grid"] = grid
                    out["sensitivity_grid_content"] = key
                if key == "unsigned/reference/mean":
                    for d in (0.2, 0.3, 0.4):
                        pairs, _ = classify_pairs(centred, "difference", difference=d)
                        out.setdefault("difference_grid", []).append({"difference": d, **rule_figures(pairs, truth)})
                    out["difference_grid_content"] = key
    return out


def timing(model: str | None) -> dict[str, float]:
    """Wall time of the CLI on the 450 scales: cold (empty cache, fresh process) then warm (same cache)."""
    with tempfile.TemporaryDirectory() as tmp:
        table = Path(tmp) / "scales.csv"
        wulff_table().to_csv(table, index=False)
        command = [sys.executable, "-m", "traitlens.cli", "jingle-jangle", "--file", str(table), "--all", "--out",
                   str(Path(tmp) / "pairs.csv"), "--cache-dir", str(Path(tmp) / "cache")]
        if model:
            command += ["--model", model]
        times = {}
        for run in ("cold", "warm"):
            start = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})
            times[f"{run}_s"] = round(time.perf_counter() - start, 2)
    return times


#: Inventories of the factor suite: (built-in inventory, response data set or None). IPIP-50 is the
#: issue's target; the others check that the method choice generalises (IPIP-NEO-120 has no responses:
#: theory only).
FACTOR_INVENTORIES = (("ipip50", "big5"), ("bfi", "bfi"), ("adjectives100", "adjectives"), ("ipip-neo-120", None))


def factor_suite(encoder: Any, inventories: tuple[tuple[str, str | None], ...] = FACTOR_INVENTORIES) -> dict[str, Any]:
    """Semantic factor analysis of each inventory by every predictor, leakage-guarded as the validity harness.

    Exemplars: the other inventories only, through the leakage guard (``ProfileMethod``'s pool); the head
    is trained on the fly without the scored data set (``HeadMethod``), never the shipped one (which saw
    the BIG5 and BFI responses). Per predictor: the parallel-analysis count, the 5-factor oblimin
    solution's NMI/ARI against the scales and Tucker's phi against the 5-factor oblimin EFA of the
    observed item correlations (optimal matching), and r(predicted, observed) over item pairs.
    """
    from traitlens.evaluation.methods import HeadMethod, MethodContext

    out: dict[str, Any] = {}
    for name, dataset in inventories:
        inv = load_inventory(name).frame
        if "level" in inv.columns and (inv["level"] == "factor").any():
            inv = inv[inv["level"] == "factor"]
        inv = inv.drop_duplicates("item").reset_index(drop=True)
        texts, ids, theory = inv["text"].tolist(), inv["item"].tolist(), inv["scale"].tolist()
        ctx = MethodContext(encoder, texts, inventory=name, data_dir=DATA)
        heads = HeadMethod()
        head_r = heads.item_correlations(texts, ctx)
        pool = heads._pool(ctx)
        res: dict[str, Any] = {"n_items": len(texts), "n_pool": len(pool), "responses": dataset}
        observed = human = None
        if dataset:
            observed = load_responses(dataset).item_correlations().loc[ids, ids].to_numpy()
            human = efa(observed, 5, rotation="oblimin")
            labels = [pd.Series(theory)[assign_items(human) == j].mode().iloc[0] for j in range(5)]
            res["human_vs_theory"] = agreement(assign_items(human), theory)
        iu = np.triu_indices(len(texts), k=1)
        keyed = {"scales": theory, "keys": inv["key"].to_numpy(dtype=float)}
        for method in ("membership+keys", *FACTOR_METHODS):
            kwargs = {"pool": pool, "head": heads.trained[id(ctx)] if method == "head" else None}
            if method == "membership+keys":  # the default of traitlens.factors for items with scales and keys
                method, kwargs = "membership", {**kwargs, **keyed}
            auto, _ = semantic_factors(texts, encoder, method, **kwargs)
            five, _ = semantic_factors(texts, encoder, method, n_factors=5, **kwargs)
            m: dict[str, Any] = {"parallel_analysis_n_factors": auto.n_factors, "null_dim": auto.parallel.dim,
                                 "eigenvalues": auto.parallel.eigenvalues[:8].round(3).tolist(),
                                 "null_95": auto.parallel.null[:8].round(3).tolist(),
                                 "pa_factor": agreement(assign_items(auto.loadings), theory),
                                 "five_factor": agreement(assign_items(five.loadings), theory)}
            if human is not None:
                match = match_factors(five.loadings, human)
                m["five_factor"]["tucker_phi_mean"] = float(match["phi"].mean())
                m["five_factor"]["tucker_phi"] = {labels[int(b)]: round(float(phi), 4)
                                                  for b, phi in zip(match["factor_b"], match["phi"], strict=True)}
                r = head_r if method == "head" else _factored(texts, encoder, method, pool,
                                                              **(keyed if "scales" in kwargs else {}))
                m["item_r_vs_observed"] = float(np.corrcoef(r[iu], observed[iu])[0, 1])
            res["membership+keys" if "scales" in kwargs else method] = m
        res.update(_inferred_key_rows(texts, encoder, ctx, pool, theory, human, labels if dataset else None))
        out[name] = res
    return out


def _inferred_key_rows(texts: list[str], encoder: Any, ctx: Any, pool: pd.DataFrame, theory: list[str],
                       human: np.ndarray | None, labels: list[str] | None) -> dict[str, Any]:
    """``membership`` with keys inferred from the ``tuned`` predictions of an adapter that never saw the items.

    What :func:`traitlens.factors` does without keys (``infer_keys=True``), scored leak-free: the
    harness' ``tuned`` method takes the leave-one-dataset-out adapters (one per member of the shipped
    ensemble, ``evaluation.methods.DEFAULT_ADAPTER_DIRS``) that pass the leakage guard against the scored
    items, and refuses (no rows) where there are none.
    ``membership+inferred-keys``: keys inferred within the profile's domains (text only);
    ``…/scales``: within the inventory's scales (memberships known, keys not).
    """
    from traitlens.analysis.structure import keys_from_correlations
    from traitlens.evaluation.methods import MethodContext, TunedMethod

    tuned = TunedMethod()
    guarded = MethodContext(encoder, texts, inventory=ctx.inventory, guard_encoder=ctx.guard_encoder, data_dir=DATA)
    try:
        predicted = tuned.item_correlations(texts, guarded)
    except InputError as exc:
        print(f"  membership+inferred-keys skipped: {exc}", flush=True)
        return {}
    rows: dict[str, Any] = {}
    for label, scales in (("membership+inferred-keys", None), ("membership+inferred-keys/scales", theory)):
        five, _ = semantic_factors(texts, encoder, "membership", n_factors=5, pool=pool, scales=scales,
                                   sign_correlations=predicted)
        auto, _ = semantic_factors(texts, encoder, "membership", pool=pool, scales=scales, sign_correlations=predicted)
        m: dict[str, Any] = {"parallel_analysis_n_factors": auto.n_factors, "null_dim": auto.parallel.dim,
                             "pa_factor": agreement(assign_items(auto.loadings), theory),
                             "five_factor": agreement(assign_items(five.loadings), theory),
                             "adapter": [str(f.relative_to(ROOT)) for f in tuned.adapters[id(guarded)]]}
        if scales is not None:
            m["key_agreement_within_scales"] = _key_agreement(keys_from_correlations(predicted, scales), theory,
                                                              ctx.inventory)
        if human is not None and labels is not None:
            match = match_factors(five.loadings, human)
            m["five_factor"]["tucker_phi_mean"] = float(match["phi"].mean())
            m["five_factor"]["tucker_phi"] = {labels[int(b)]: round(float(phi), 4)
                                              for b, phi in zip(match["factor_b"], match["phi"], strict=True)}
        rows[label] = m
    return rows


def _key_agreement(keys: np.ndarray, scales: list[str], inventory: str) -> float:
    """Share of items whose inferred key matches the inventory's, each scale in its better orientation."""
    inv = load_inventory(inventory).frame
    if "level" in inv.columns and (inv["level"] == "factor").any():
        inv = inv[inv["level"] == "factor"]
    truth = inv.drop_duplicates("item")["key"].to_numpy(dtype=float)
    hits = 0.0
    for scale in dict.fromkeys(scales):
        idx = np.flatnonzero(np.asarray(scales) == scale)
        agree = float(np.sum(keys[idx] == truth[idx]))
        hits += max(agree, len(idx) - agree)
    return hits / len(keys)


def _factored(texts: list[str], encoder: Any, method: str, pool: pd.DataFrame, **keyed: Any) -> np.ndarray:
    """The matrix that ``semantic_factors`` factors for ``method`` (not head); ``keyed``: scales and keys."""
    if method == "membership":
        from traitlens.analysis.structure import membership_correlations
        from traitlens.constructs.taxonomy import load_taxonomy
        from traitlens.engine import CORRELATION_TAXONOMY, profile_correlations

        runs = profile_correlations(texts, encoder, pool, load_taxonomy(CORRELATION_TAXONOMY))
        return membership_correlations(*(run.profile for run in runs), **keyed)
    return item_correlations(texts, encoder, method, pool=pool)[0]


FINETUNED = ROOT / ".models" / "finetune-shared"


def facet_truth() -> dict[str, Any]:
    """IPIP-NEO-300 facet items (texts, items × facets key matrix) and both observed facet matrices."""
    inv = load_inventory("ipip-neo-300").frame
    facets = inv[inv["level"] == "facet"].reset_index(drop=True)
    names = list(dict.fromkeys(facets["scale"]))
    ipip_obs = observed_facet_correlations("ipip-neo-300", names, DATA)
    neo_obs = observed_facet_correlations("neo-pi-r", names, DATA)
    texts = list(dict.fromkeys(facets["text"]))
    where = {t: i for i, t in enumerate(texts)}
    weights = np.zeros((len(texts), len(names)))
    for j, n in enumerate(names):
        rows = facets[facets["scale"] == n]
        weights[rows["text"].map(where).to_numpy(), j] = rows["key"].to_numpy(dtype=float)
    domains = load_inventory("ipip-neo-300").items.drop_duplicates("text").set_index("text").loc[texts]
    return {"names": names, "texts": texts, "weights": weights, "ipip": ipip_obs, "neo": neo_obs,
            "domain": domains["factor"].tolist(), "domain_key": domains["factor_key"].to_numpy(dtype=float)}


def facet_predictions(encoder: Any, truth: dict[str, Any]) -> dict[str, np.ndarray]:
    """Every facet-correlation predictor of the side-by-side table (30 × 30 matrices), leakage-guarded.

    Exemplars: other inventories only, through the leakage guard (``ProfileMethod``'s pool; the
    IPIP-NEO-300 items are never exemplars of themselves); the head is trained without any data set
    whose items the guard matches to the IPIP-NEO-300 (``HeadMethod``). Each composite applies the
    facets' keys to the predicted item correlations (composite formula).
    """
    from traitlens.analysis.structure import keyed_signs, membership_correlations
    from traitlens.constructs.taxonomy import load_taxonomy
    from traitlens.engine import CORRELATION_TAXONOMY, profile_correlations
    from traitlens.evaluation.methods import HeadMethod, MethodContext

    texts, w = truth["texts"], truth["weights"]
    ctx = MethodContext(encoder, texts, inventory="ipip-neo-300", data_dir=DATA)
    heads = HeadMethod()
    pool = heads._pool(ctx)
    head_r = heads.item_correlations(texts, ctx)
    profiles = [run.profile for run in profile_correlations(texts, encoder, pool, load_taxonomy(CORRELATION_TAXONOMY))]
    contrast = np.hstack([np.nan_to_num(p.contrast) for p in profiles])
    own = np.argmax(np.abs(w), axis=1)  # each IPIP-NEO-300 item is in one facet
    scales, keys = own.tolist(), w[np.arange(len(w)), own]
    vectors = encoder.encode(texts)
    profile_r = cosine_matrix(contrast, contrast)
    domains = contrast[:, :5] - contrast[:, :5].mean(axis=1, keepdims=True)
    values, u = np.linalg.eigh(head_r)
    general = (u[:, -1:] * values[-1]) @ u[:, -1:].T
    scale_vectors = w.T @ contrast
    cross = head_r - np.diag(np.diag(head_r))
    mean_cross = (w.T @ cross @ w) / (np.abs(w).T @ (1 - np.eye(len(w))) @ np.abs(w))
    within = np.sqrt(np.clip(np.diag(mean_cross), 1e-3, None))
    raw = scale_content(vectors, (w != 0).T.astype(float))
    by_domain = {"scales": truth["domain"], "keys": truth["domain_key"]}
    domain_signed = keyed_signs(domains, **by_domain) * np.abs(domains)
    def keyed(r: np.ndarray) -> np.ndarray:  # the facets' composites of predicted item correlations
        return composite_correlations(r, w)

    out = {"composite/head": keyed(head_r), "composite/profile": keyed(profile_r),
           "composite/cosine": keyed(cosine_matrix(vectors, vectors)),
           "composite/membership": keyed(membership_correlations(*profiles)),
           "composite/membership+keys": keyed(membership_correlations(*profiles, scales=scales, keys=keys)),
           "composite/head minus its first principal component": keyed(head_r - general),
           "composite/domain contrasts minus their item mean": keyed(cosine_matrix(domains, domains)),
           "composite/membership, signs from the domain keys": keyed(
               membership_correlations(*profiles, **by_domain)),
           "composite/domain contrasts minus their item mean, signs from the domain keys": keyed(
               cosine_matrix(domain_signed, domain_signed)),
           "disattenuated mean cross-item head r": mean_cross / np.outer(within, within),
           "scale vectors (keyed sum of contrasts): cosine": cosine_matrix(scale_vectors, scale_vectors),
           "scale vectors (keyed sum of contrasts): row-centred (Pearson)": np.corrcoef(scale_vectors),
           "baseline/raw_cosine_of_scale_means": cosine_matrix(raw, raw)}
    return out


def facet_suite(encoder: Any, finetuned: Path | None = None) -> dict[str, Any]:
    """Facet correlations of the IPIP-NEO-300 predicted from item texts, many predictors side by side.

    Targets: r >= .80 against the IPIP-NEO-300 observed facet correlations (435 pairs). NEO-PI-R facet
    correlations are compared from the same IPIP-NEO-300 item texts (NEO-PI-R items are not public):
    it is the development set of the new predictors here, but it shares the item texts with the target,
    so it is not independent of it. ``finetuned``: folder of a fine-tuned model whose rows are added
    (``.models/finetune-shared/all``, MiniLM fine-tuned on item pairs of big5/bfi/spi/adjectives/
    bainbridge; its training items overlap the IPIP-NEO-300, see ``overlap``).
    """
    truth = facet_truth()
    iu = np.triu_indices(len(truth["names"]), k=1)

    def score(pred: np.ndarray) -> dict[str, float]:
        return {"r_ipip_neo_300": float(np.corrcoef(pred[iu], truth["ipip"][iu])[0, 1]),
                "r_neo_pi_r": float(np.corrcoef(pred[iu], truth["neo"][iu])[0, 1]),
                "mae_ipip_neo_300": float(np.abs(pred[iu] - truth["ipip"][iu]).mean())}

    out: dict[str, Any] = {"n_facets": len(truth["names"]), "n_pairs": int(len(iu[0])),
                           "observed_r_ipip_vs_neo_pi_r": float(np.corrcoef(truth["ipip"][iu], truth["neo"][iu])[0, 1])}
    preds = facet_predictions(encoder, truth)
    out.update({name: score(pred) for name, pred in preds.items()})
    z = {k: (v[iu] - v[iu].mean()) / v[iu].std() for k, v in preds.items()}
    combo = ("composite/domain contrasts minus their item mean", "composite/membership", "composite/membership+keys")
    mean = np.zeros_like(preds["composite/head"])
    mean[iu] = sum(z[c] for c in combo) / len(combo)
    out["ensemble: mean z of domain contrasts, membership, membership+keys (picked on NEO-PI-R, mpnet)"] = {
        **score(mean + mean.T), "mae_ipip_neo_300": None}  # z units: no MAE
    if finetuned is not None:
        from traitlens.evaluation.leakage import exclude_overlaps, normalise_text

        name = f"finetune-shared/{finetuned.name}"
        tuned = facet_predictions(traitlens.load_encoder(str(finetuned)), truth)
        for key in ("composite/head", "composite/cosine", "composite/membership", "composite/membership+keys",
                    "composite/domain contrasts minus their item mean"):
            out[f"fine-tuned {name}: {key}"] = score(tuned[key])
        seen = pd.read_csv(finetuned / "split.csv")["text"].tolist()
        kept, _ = exclude_overlaps(truth["texts"], seen)
        out["overlap"] = {"finetune_items": len(seen),
                          "ipip_neo_300_items_verbatim": len({normalise_text(t) for t in truth["texts"]}
                                                             & {normalise_text(t) for t in seen}),
                          "finetune_items_guard_matched": len(seen) - len(kept)}
    return out


def facet_markdown(fc: dict[str, Any]) -> list[str]:
    """The facet-correlation table of one model."""
    lines = [f"### Facet correlations ({fc['n_facets']} IPIP-NEO-300 facets, {fc['n_pairs']} pairs; target r ≥ .80)",
             ""]
    if "observed_r_ipip_vs_neo_pi_r" in fc:
        lines += ["Exemplars from other inventories only (leakage guard), head trained without the data sets whose "
                  "items match the IPIP-NEO-300; composites apply the facets' keys. NEO-PI-R was the development set "
                  "of the new rows, but its correlations are predicted from the same IPIP-NEO-300 item texts (its own "
                  "items are not public), so it is not independent of the target. Observed IPIP-NEO-300 vs NEO-PI-R "
                  f"facet correlations agree at r = {fc['observed_r_ipip_vs_neo_pi_r']:.3f}.", ""]
    lines += ["| predictor | r vs IPIP-NEO-300 observed | r vs NEO-PI-R | MAE (IPIP) |", "|---|---|---|---|"]
    for key, v in fc.items():
        if isinstance(v, dict) and "r_ipip_neo_300" in v:
            mae = "–" if v["mae_ipip_neo_300"] is None else f"{v['mae_ipip_neo_300']:.3f}"
            lines.append(f"| {key} | {v['r_ipip_neo_300']:.3f} | {v['r_neo_pi_r']:.3f} | {mae} |")
    if "overlap" in fc:
        o = fc["overlap"]
        lines += ["", f"Fine-tuned model's training items: {o['finetune_items']}; IPIP-NEO-300 items among them "
                  f"verbatim (normalised text): {o['ipip_neo_300_items_verbatim']} of 300; training items the "
                  f"leakage guard matches to an IPIP-NEO-300 item: {o['finetune_items_guard_matched']} — its rows are "
                  "not leakage-free."]
    lines.append("")
    return lines


def relabel_suite(encoder: Any) -> dict[str, Any]:
    from traitlens.analysis.jinglejangle import relabel

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        collection = load_scales(wulff_table())
    sim, _ = scale_similarity(collection, encoder)
    out = {}
    for method in ("hierarchical", "community"):
        start = time.perf_counter()
        _, summary = relabel(sim, method)
        summary.pop("thresholds")
        out[method] = {**summary, "seconds": round(time.perf_counter() - start, 2)}
    return out


def short_form_suite(encoder: Any, k: int = 4, n_random: int = 200) -> dict[str, Any]:
    """Short forms of IPIP-50 (``traitlens.short_form``, ``head``), checked on the BIG5 responses vs random subsets."""
    from traitlens.analysis.redundancy import near_duplicates
    from traitlens.psychometrics import cronbach_alpha, reverse_key

    inv = load_inventory("ipip50").frame
    texts, ids = inv["text"].tolist(), inv["item"].tolist()
    data = load_responses("big5")
    table = traitlens.short_form("ipip50", encoder, k=k, method="head")
    summary = pd.DataFrame(table.attrs["provenance"]["short_form"]["summary"])
    keyed = reverse_key(data.responses[ids], inv.set_index("item")["key"], data.low, data.high)
    rng = np.random.default_rng(0)
    out: dict[str, Any] = {"k": k, "within_scale_shift": table.attrs["provenance"]["within_scale_shift"],
                           "scales": {}}
    for scale, group in inv.groupby("scale", sort=False):
        items = group["item"].tolist()
        full = keyed[items].mean(axis=1)
        kept = table[(table["scale"] == scale) & table["kept"]]["item"].tolist()

        def observed(subset: list[str], full: pd.Series = full) -> tuple[float, float]:
            return float(keyed[subset].mean(axis=1).corr(full)), float(cronbach_alpha(keyed[subset]))

        r_kept, a_kept = observed(kept)
        draws = [observed(list(rng.choice(items, k, replace=False))) for _ in range(n_random)]
        out["scales"][scale] = {"kept": kept, "predicted_r_short_full": float(
            summary.set_index("scale").loc[scale, "r_short_full"]), "observed_r_short_full": r_kept,
            "observed_alpha_short": a_kept, "random_mean_r_short_full": float(np.mean([d[0] for d in draws])),
            "random_mean_alpha": float(np.mean([d[1] for d in draws]))}
    vectors = encoder.encode(texts)
    out["near_duplicates_0.80"] = near_duplicates(cosine_matrix(vectors, vectors), ids, 0.80).to_dict("records")
    return out


def map_suite(encoder: Any, folder: Path) -> dict[str, Any]:
    """Item map of the IPIP-NEO-300 and scale map/heatmap of the 450 scales: HTML and PNG, with timings."""
    from traitlens.analysis.scales import map_coordinates
    from traitlens.plot import save_figure, scale_heatmap, scale_map

    out: dict[str, Any] = {}
    inv = load_inventory("ipip-neo-300").frame
    facets = inv[inv["level"] == "factor"].reset_index(drop=True)
    vectors = encoder.encode(facets["text"].tolist())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        collection = load_scales(wulff_table())
    sim, provenance = scale_similarity(collection, encoder)
    for method in ("pca", "mds"):
        start = time.perf_counter()
        xy = map_coordinates(vectors, method)
        frame = pd.DataFrame({"name": facets["item"].astype(str), "x": xy[:, 0], "y": xy[:, 1],
                              "group": facets["scale"], "text": facets["text"]})
        frame.attrs["provenance"] = {**provenance, "map": {"method": method}}
        fig = scale_map(frame, title=f"IPIP-NEO-300 items ({method.upper()})")
        # separation of the five domains on the map: silhouette of the 2-D coordinates
        from sklearn.metrics import silhouette_score

        out[f"items_{method}"] = {"silhouette_2d_by_domain": float(silhouette_score(xy, facets["scale"])),
                                  "seconds": round(time.perf_counter() - start, 2)}
        for suffix in (".html", ".png"):
            try:
                path = save_figure(fig, folder / f"items_{method}{suffix}")
                out[f"items_{method}"][suffix] = path.stat().st_size
            except Exception as exc:  # noqa: BLE001 - static export needs Chrome; record why it failed
                out[f"items_{method}"][suffix] = f"failed: {type(exc).__name__}: {str(exc)[:120]}"
    from traitlens.analysis.jinglejangle import classify_pairs as classify

    pairs, _ = classify(sim)
    pairs.attrs["provenance"] = provenance
    start = time.perf_counter()
    fig = scale_heatmap(pairs)
    path = save_figure(fig, folder / "scale_heatmap.html")
    out["scale_heatmap"] = {"seconds": round(time.perf_counter() - start, 2), ".html": path.stat().st_size}
    return out


def factor_markdown(fa: dict[str, Any]) -> list[str]:
    """The semantic-factor tables of one model: one per inventory."""
    lines = ["### Semantic factor analysis (targets on IPIP-50: NMI ≥ .55, mean Tucker φ ≥ .75)", "",
             "Predicted correlations → parallel analysis (random unit vectors of the null dimension) → minres EFA, "
             "oblimin. Exemplars from other inventories only, through the leakage guard; the head trained without "
             "the scored data set. NMI/ARI: items' highest-loading factor vs their scales; φ: Tucker congruence "
             "with the 5-factor oblimin EFA of the observed item correlations after optimal matching.", "",
             "`membership+keys` (the default of `traitlens.factors` when the items have scales and keys) factors the "
             "congruence of the items' signed construct memberships (profile confidence, 5 domains + 30 facets) with "
             "each item's pole from its key and its scale's keyed direction (`analysis.structure.keyed_signs`; uses "
             "the inventory's keys and scales, no responses); `membership` (the default without keys) takes the "
             "pole from the sign of the item's own contrast; `membership+inferred-keys/scales` (the default for "
             "items with scales but no keys, `traitlens.factors(infer_keys=\"auto\")`) infers the keys from the "
             "text — the signs on the leading "
             "axis of the `tuned` predicted correlations within the inventory's scales (`membership+inferred-keys`: "
             "within each profile domain, `infer_keys=True`), from a leave-one-dataset-out adapter that never saw "
             "the scored items "
             "(`analysis.structure.keys_from_correlations`); `profile` factors the "
             "cosine of the raw contrasts, whose first factor is desirability (all items lean to the desirable pole of "
             "every construct), so its factors do not follow content. PA null dim: the dimension of the space the "
             "correlations are cosines of.", ""]
    for name, res in fa.items():
        if "responses" not in res:  # results of the earlier layout (IPIP-50 only)
            res = {"responses": "big5", **res}
            name = "ipip50"
        lines += [f"#### {name} ({res.get('n_items', 50)} items; responses: {res['responses'] or 'none'})", "",
                  "| predictor | PA factors (null dim) | PA solution: NMI | 5 factors: NMI / ARI | mean φ | "
                  "φ per factor | item r vs observed |", "|---|---|---|---|---|---|---|"]
        order = ("membership+keys", "membership+inferred-keys/scales", "membership+inferred-keys", "membership",
                 "head", "profile", "cosine")
        for method in [m for m in order if m in res]:
            m = res[method]
            f5 = m["five_factor"]
            per = ", ".join(f"{k[:4]} {v:.2f}" for k, v in f5.get("tucker_phi", {}).items())
            phi = f"{f5['tucker_phi_mean']:.3f} | {per}" if "tucker_phi" in f5 else "– | –"
            item_r = f"{m['item_r_vs_observed']:.3f}" if "item_r_vs_observed" in m else "–"
            pa_nmi = f"{m['pa_factor']['nmi']:.3f}"
            lines.append(f"| {method} | {m['parallel_analysis_n_factors']} ({m.get('null_dim', '?')}) | {pa_nmi} | "
                         f"{f5['nmi']:.3f} / {f5['ari']:.3f} | {phi} | {item_r} |")
        for method in [m for m in order if "key_agreement_within_scales" in res.get(m, {})]:
            lines.append(f"\n`{method}`: inferred keys agree with the inventory's on "
                         f"{res[method]['key_agreement_within_scales']:.0%} of items (each scale in its better "
                         f"orientation); adapter `{res[method]['adapter']}`.")
        if "human_vs_theory" in res:
            lines.append(f"\nHuman 5-factor EFA vs theory: NMI {res['human_vs_theory']['nmi']:.3f}, ARI "
                         f"{res['human_vs_theory']['ari']:.3f}.")
        lines.append("")
    return lines


def jangle_markdown(res: dict[str, Any]) -> list[str]:
    """The jingle-jangle section of one model (and the CLI timing when measured)."""
    jj = res["jingle_jangle"]
    grid_content = jj.get("sensitivity_grid_content", "unsigned/reference")
    lines = ["### Jingle-jangle on wulff_ipip_scales "
             f"({jj['n_scales']} scales, {jj['n_labels']} labels, {jj['n_different_label_pairs']} different-label "
             f"pairs, {jj['n_jangle_truth']} share ≥ half their items)", "",
             "Content: `keying/centring/aggregation`; `pairwise` = mean cosine of the scales' item pairs (the default "
             "of `traitlens.jingle_jangle` with the percentile rule), `mean` = cosine of the mean item vectors (its "
             "default with the difference rule, whose fixed δ needs content on the cosine scale; with that rule the "
             "labels are centred on the built-in inventories' labels, as `traitlens.jingle_jangle` does, and with "
             "raw label cosines it had called over half of all pairs jingles). Pairs whose smaller "
             "scale lies wholly inside the other have nothing left without the shared items and are left out of the "
             "AUC (`benchmarks/jangle_content.md` scores them asymmetrically and chooses the measure on a split).", "",
             "| content | AUC without shared items (target ≥ .90) | AUC with shared | percentile rule: recall of "
             "the 212 / flagged (target ≥ .80 / ≤ .05) | difference rule (labels centred): recall / flagged / "
             "share of all pairs called jingles |",
             "|---|---|---|---|---|"]
    for key, v in jj["content"].items():
        p, d = v["percentile"], v["difference"]
        lines.append(f"| {key} | {v['auc_without_shared']:.3f} (n = {v['n_positive']}; {v['n_skipped_contained']} "
                     f"contained pairs skipped) | {v['auc_with_shared']:.3f} | {p['recall_212']:.3f} / "
                     f"{p['flagged_share_different_label']:.4f} | {d['recall_212']:.3f} / "
                     f"{d['flagged_share_different_label']:.4f} / {d['n_jingle'] / jj['n_pairs']:.4f} |")
    lines += ["", f"Sensitivity grid ({grid_content}, percentile rule): recall of the 212 / share of "
              "different-label pairs flagged as jangle", "",
              "| content pct \\ label pct | " + " | ".join(str(p) for p in (0.8, 0.9, 0.95, 0.99)) + " |",
              "|---|---|---|---|---|"]
    for pc in (0.8, 0.9, 0.95, 0.98, 0.99):
        cells = [g for g in jj["sensitivity_grid"] if g["content_percentile"] == pc]
        lines.append(f"| {pc} | " + " | ".join(f"{g['recall_212']:.3f} / {g['flagged_share_different_label']:.4f}"
                                                for g in cells) + " |")
    lines += ["", f"Difference rule ({jj.get('difference_grid_content', 'unsigned/reference')}): " + "; ".join(
        f"δ = {g['difference']}: recall {g['recall_212']:.3f}, flagged {g['flagged_share_different_label']:.4f}"
        for g in jj["difference_grid"]), ""]
    if "timing" in res:
        lines += [f"Run time of `traitlens jingle-jangle --all` on the 450 scales: cold "
                  f"{res['timing']['cold_s']} s (fresh process, empty cache), warm {res['timing']['warm_s']} s "
                  "(target < 60 s warm).", ""]
    return lines


def markdown(results: dict[str, Any]) -> str:
    lines = ["# Scale-level benchmark (issue 9)", "",
             f"traitlens {traitlens.__version__}; `python benchmarks/scales.py`; {results['elapsed_s']:.0f} s on a "
             "machine shared with other jobs (2 cores): compare times within this run only.", ""]
    for part, what in (("factors", "The semantic factor analysis"), ("facets", "The facet correlations"),
                       ("jangle", "The jingle-jangle section and its timing"), ("relabel", "The relabeling")):
        if f"{part}_elapsed_s" in results:
            lines += [f"{what} {'was' if part in ('factors', 'relabel') else 'were'} rerun alone "
                      f"(`python benchmarks/scales.py --only {part}`, {results[f'{part}_elapsed_s']:.0f} s, "
                      "same shared machine).", ""]
    for model, res in results["models"].items():
        lines += [f"## {model}", ""] + jangle_markdown(res)
        lines += factor_markdown(res["factors"])
        if "factors_finetuned_lodo_ipip50" in res:
            lines += ["Fine-tuned MiniLM trained without the IPIP-50/BIG5 data "
                      "(`.models/finetune-shared/lodo-ipip50`), same suite:", ""]
            lines += factor_markdown(res["factors_finetuned_lodo_ipip50"])[6:]
        lines += facet_markdown(res["facets"])
        rl = res["relabel"]
        lines += ["### Relabeling the 450 scales (percentile-rule fallacies with the original cut-offs)", "",
                  "| method | clusters (criterion) | labels before → after | jangles before → after | "
                  "jingles before → after |", "|---|---|---|---|---|"]
        for method, v in rl.items():
            crit = f"{v['criterion']}: " + (f"silhouette {v['silhouette']:.3f}" if "silhouette" in v else
                                            f"modularity {v['modularity']:.3f}")
            lines.append(f"| {method} | {v['n_clusters']} ({crit}) | {v['n_labels_before']} → {v['n_labels_after']} | "
                         f"{v['fallacies_before']['jangle']} → {v['fallacies_after']['jangle']} | "
                         f"{v['fallacies_before']['jingle']} → {v['fallacies_after']['jingle']} |")
        sf = res["short_form"]
        shift = sf.get("within_scale_shift")
        lines += ["", f"### Short forms of IPIP-50 (k = {sf['k']} most central items; checked on the BIG5 responses)",
                  "", "`traitlens.short_form('ipip50', method='head')`" + (
                      f"; predicted r(short, full) with the within-scale prior (shift {shift})" if shift else "") + ".",
                  "", "| scale | predicted r(short, full) | observed r(short, full) | random 4 items: mean r | "
                  "observed alpha short | random: mean alpha |", "|---|---|---|---|---|---|"]
        for scale, v in sf["scales"].items():
            lines.append(f"| {scale} | {v['predicted_r_short_full']:.3f} | {v['observed_r_short_full']:.3f} | "
                         f"{v['random_mean_r_short_full']:.3f} | {v['observed_alpha_short']:.3f} | "
                         f"{v['random_mean_alpha']:.3f} |")
        lines += ["", f"Near-duplicate IPIP-50 item pairs (embedding cosine ≥ .80): {len(sf['near_duplicates_0.80'])}.",
                  "", "### Maps", ""]
        for key, v in res["maps"].items():
            lines.append(f"- {key}: " + ", ".join(f"{k} {val if not isinstance(val, float) else round(val, 3)}"
                                                  for k, val in v.items()))
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-mpnet", action="store_true")
    parser.add_argument("--skip-timing", action="store_true")
    parser.add_argument("--only", choices=["factors", "facets", "jangle", "relabel", "short_form"], default=None,
                        help="run only this part and update it in the existing results files")
    args = parser.parse_args()
    start = time.perf_counter()
    models: dict[str, str | None] = {"all-MiniLM-L6-v2": None}
    if MPNET.is_dir() and not args.skip_mpnet:
        models["all-mpnet-base-v2"] = str(MPNET)
    previous = RESULTS / "scales.json"
    if args.only:
        results = json.loads(previous.read_text()) if previous.exists() else {"models": {}, "elapsed_s": 0.0}
    else:
        results = {"models": {}}
    for name, path in models.items():
        encoder = traitlens.load_encoder(path)
        if args.only == "factors":
            begun = time.perf_counter()
            res = results["models"].setdefault(name, {})
            res["factors"] = factor_suite(encoder)
            res["factors_elapsed_s"] = round(time.perf_counter() - begun, 1)
            if name == "all-MiniLM-L6-v2" and (FINETUNED / "lodo-ipip50").is_dir():
                # fine-tuned MiniLM trained without the IPIP-50/BIG5 data: the IPIP-50 rows only are honest
                tuned = traitlens.load_encoder(str(FINETUNED / "lodo-ipip50"))
                res["factors_finetuned_lodo_ipip50"] = factor_suite(tuned, (("ipip50", "big5"),))
            print(json.dumps({name: res["factors"]}, indent=1, default=str)[:4000], flush=True)
            continue
        if args.only == "jangle":
            begun = time.perf_counter()
            res = results["models"].setdefault(name, {})
            if not args.skip_timing:
                res["timing"] = timing(path)
            res["jingle_jangle"] = jingle_jangle_suite(encoder)
            res["jangle_elapsed_s"] = round(time.perf_counter() - begun, 1)
            print("\n".join(jangle_markdown(res)), flush=True)
            continue
        if args.only == "facets":
            begun = time.perf_counter()
            res = results["models"].setdefault(name, {})
            tuned = FINETUNED / "all" if name == "all-MiniLM-L6-v2" and (FINETUNED / "all").is_dir() else None
            res["facets"] = facet_suite(encoder, tuned)
            res["facets_elapsed_s"] = round(time.perf_counter() - begun, 1)
            print("\n".join(facet_markdown(res["facets"])), flush=True)
            continue
        if args.only == "short_form":
            res = results["models"].setdefault(name, {})
            res["short_form"] = short_form_suite(encoder)
            print(json.dumps(res["short_form"], indent=1, default=str)[:3000], flush=True)
            continue
        if args.only == "relabel":
            begun = time.perf_counter()
            res = results["models"].setdefault(name, {})
            res["relabel"] = relabel_suite(encoder)
            res["relabel_elapsed_s"] = round(time.perf_counter() - begun, 1)
            print(json.dumps(res["relabel"], indent=1), flush=True)
            continue
        res = {}
        if not args.skip_timing:
            res["timing"] = timing(path)
        res["jingle_jangle"] = jingle_jangle_suite(encoder)
        res["factors"] = factor_suite(encoder)
        res["facets"] = facet_suite(encoder)
        res["relabel"] = relabel_suite(encoder)
        res["short_form"] = short_form_suite(encoder)
        with tempfile.TemporaryDirectory() as tmp:
            res["maps"] = map_suite(encoder, Path(tmp))
        results["models"][name] = res
        print(json.dumps({name: {k: v for k, v in res.items()}}, indent=1, default=str)[:4000], flush=True)
    if args.only:
        # re-read what other parts wrote meanwhile; replace only this part
        fresh = json.loads(previous.read_text()) if previous.exists() else {"models": {}, "elapsed_s": 0.0}
        part = {"factors": ("factors", "factors_elapsed_s", "factors_finetuned_lodo_ipip50"),
                "facets": ("facets", "facets_elapsed_s"),
                "jangle": ("jingle_jangle", "timing", "jangle_elapsed_s"),
                "relabel": ("relabel", "relabel_elapsed_s"), "short_form": ("short_form",)}[args.only]
        for name, res in results["models"].items():
            fresh["models"].setdefault(name, {}).update({k: res[k] for k in part if k in res})
        fresh[f"{args.only}_elapsed_s"] = time.perf_counter() - start
        results = fresh
    else:
        results["elapsed_s"] = time.perf_counter() - start
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "scales.json").write_text(json.dumps(results, indent=1))
    if all({"jingle_jangle", "facets", "relabel", "short_form", "maps"} <= set(r) for r in results["models"].values()):
        (RESULTS / "scales.md").write_text(markdown(results))
        print(markdown(results))
    else:
        print("\n".join(sum((factor_markdown(r["factors"]) for r in results["models"].values()), [])))


if __name__ == "__main__":
    main()
