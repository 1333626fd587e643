"""The evaluation harness: run a method with a model on a named suite and report every figure with a CI.

Suites
------
``ipip50``        IPIP-50 markers × openpsychometrics BIG5 responses (19,719 people)
``bfi``           the 25 psych::bfi items × 2,800 people
``spi``           SPI-135 (5 Big Five + 27 narrow scales) × 4,000 people
``adjectives``    Goldberg's 100 adjectives × 554 people
``neo300-facets`` IPIP-NEO-300: assignment to the 5 domains and 30 facets (no responses)
``bainbridge``    418 items of many instruments × 493 people (Hommel & Arslan's pilot set), with the
                  SurveyBot3000 and all-mpnet-base-v2 predictions from the data file as baseline rows

Scale-level suites (:data:`SCALE_SUITES`, :func:`run_scale_suite`):

``ipip50-factors``   semantic factor analysis of IPIP-50: the 5-factor EFA of the predicted item
                     correlations vs theory (``nmi``, ``ari``) and vs the same EFA of the BIG5
                     responses (``tucker_phi``); the ``profile`` method adds the rows of
                     :func:`traitlens.factors`' own predictors, ``membership`` and ``membership+keys``
``bfi-factors``      the same for the 25 BFI items and the psych::bfi responses
``neo300-facet-r``   IPIP-NEO-300 facet correlations (435 pairs) predicted from the 300 facet items'
                     predicted correlations by the composite formula vs the observed IPIP-NEO-300
                     facet correlations (Hussain et al.'s tutorial data): ``scale_r``, ``scale_mae``
``neo-pi-r-facet-r`` the same predictions vs the NEO-PI-R facet correlations (psychTools::neo; its own
                     items are not public, so predicted from the IPIP-NEO-300 items of the same facets)

Figures (fixed names): ``item_r``, ``item_r_abs``, ``item_r_keyed``, ``sign_agreement``, ``rmse``
(predicted vs observed item correlations), ``scale_r``, ``alpha_r`` (predicted vs observed scale
correlations and Cronbach's alphas; scales with ≥ 3 items), ``factor_accuracy``, ``facet_accuracy``,
``key_accuracy``, ``nmi``, ``ari`` (assignment to the theoretical constructs).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from traitlens.analysis.assignment import rank_constructs
from traitlens.analysis.correlations import shift_within_scales
from traitlens.constructs.bigfive import canonical_factor
from traitlens.constructs.taxonomy import Taxonomy, load_taxonomy
from traitlens.datasets import default_data_dir
from traitlens.encoders import CacheSpec, ModelSpec, load_encoder
from traitlens.errors import InputError
from traitlens.evaluation.methods import Method, MethodContext, get_method
from traitlens.evaluation.metrics import (
    assignment_figures,
    bootstrap_counts,
    item_pair_metrics,
    item_pair_replicates,
    jackknife_ci,
    pearson,
    percentile_ci,
    scale_jackknife_replicates,
)
from traitlens.provenance import make_provenance
from traitlens.psychometrics import key_weights, scale_alphas_from_items, scale_correlations_from_items
from traitlens.training.scale_prior import load_scale_prior

RESULT_COLUMNS = ["suite", "method", "model", "metric", "value", "ci_low", "ci_high", "n"]
MIN_SCALE_ITEMS = 3


@dataclass(frozen=True)
class SuiteSpec:
    """Where a suite's items and responses come from."""

    name: str
    inventory: str | None
    dataset: str | None
    description: str
    facets: bool = False


SUITES: dict[str, SuiteSpec] = {
    s.name: s
    for s in [
        SuiteSpec("ipip50", "ipip50", "big5", "IPIP-50 Big-Five markers, openpsychometrics BIG5 (N = 19,719)"),
        SuiteSpec("bfi", "bfi", "bfi", "psych::bfi, 25 IPIP items (N = 2,800)"),
        SuiteSpec("spi", "spi135", "spi", "SAPA Personality Inventory, 135 items (N = 4,000)"),
        SuiteSpec("adjectives", "adjectives100", "adjectives", "Goldberg's 100 Big-Five adjectives (N = 554)"),
        SuiteSpec("neo300-facets", "ipip-neo-300", None, "IPIP-NEO-300, 30 facets; assignment only", facets=True),
        SuiteSpec("bainbridge", None, "bainbridge", "Bainbridge et al. (2022) pilot: 418 items (N = 493)"),
    ]
}


@dataclass
class SuiteData:
    """Everything a suite compares predictions with; arrays are in item order."""

    name: str
    items: list[str]
    texts: list[str]
    factor: list[str | None]
    facet: list[str | None]
    key: np.ndarray
    observed_r: np.ndarray | None = None
    scales: dict[str, pd.Series] = field(default_factory=dict)
    observed_scale_r: pd.DataFrame | None = None
    observed_alpha: pd.Series | None = None
    baselines: dict[str, np.ndarray] = field(default_factory=dict)
    inventory: str | None = None


@dataclass
class SuiteResult:
    """A harness run: the tidy figures plus the details plots are made from."""

    metrics: pd.DataFrame
    pairs: pd.DataFrame | None = None
    scale_pairs: pd.DataFrame | None = None
    assignments: pd.DataFrame | None = None
    exclusions: pd.DataFrame | None = None
    provenance: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class ScaleSuiteSpec:
    """A scale-level suite: factor structure (``kind="factors"``) or facet correlations (``"facet_r"``)."""

    name: str
    kind: str
    inventory: str
    description: str
    dataset: str | None = None
    observed: str | None = None
    n_factors: int = 5


SCALE_SUITES: dict[str, ScaleSuiteSpec] = {
    s.name: s
    for s in [
        ScaleSuiteSpec("ipip50-factors", "factors", "ipip50", "IPIP-50 factor structure vs theory and BIG5 responses",
                       dataset="big5"),
        ScaleSuiteSpec("bfi-factors", "factors", "bfi", "BFI factor structure vs theory and psych::bfi responses",
                       dataset="bfi"),
        ScaleSuiteSpec("neo300-facet-r", "facet_r", "ipip-neo-300", "IPIP-NEO-300 facet correlations (435 pairs)",
                       observed="ipip-neo-300"),
        ScaleSuiteSpec("neo-pi-r-facet-r", "facet_r", "ipip-neo-300",
                       "NEO-PI-R facet correlations (435 pairs) from the IPIP-NEO-300 items", observed="neo-pi-r"),
    ]
}


def available_suites() -> list[str]:
    """Names of the evaluation suites (item-level, then scale-level)."""
    return [*SUITES, *SCALE_SUITES]


def load_suite(name: str, data_dir: str | Path | None = None) -> SuiteData:
    """Build the :class:`SuiteData` of a named suite from the inventories and ``data_dir``."""
    from traitlens.constructs.inventory import load_inventory
    from traitlens.datasets import load_bainbridge_pairs, load_responses

    if name not in SUITES:
        raise InputError(f"unknown suite {name!r}; available: {', '.join(SUITES)}")
    spec = SUITES[name]
    data_dir = Path(data_dir) if data_dir is not None else default_data_dir()
    responses = load_responses(spec.dataset, data_dir) if spec.dataset else None
    if spec.inventory is not None:
        items = load_inventory(spec.inventory).items.reset_index(drop=True)
        ids = items["item"].astype(str).tolist()
        data = SuiteData(
            name=name,
            items=ids,
            texts=items["text"].tolist(),
            factor=[canonical_factor(f) for f in items["factor"]],
            facet=[f if isinstance(f, str) else None for f in items["facet"]],
            key=items["factor_key"].astype(float).to_numpy(),
            inventory=spec.inventory,
        )
    else:
        ids = responses.responses.columns.astype(str).tolist()
        data = SuiteData(name=name, items=ids, texts=[str(responses.item_text[i]) for i in ids],
                         factor=[None] * len(ids), facet=[None] * len(ids), key=np.full(len(ids), np.nan))
    if responses is None:
        return data
    missing = [i for i in ids if i not in responses.responses.columns]
    if missing:
        raise InputError(f"suite {name}: items {missing[:5]} have no response column in {spec.dataset}")
    if name == "bainbridge":  # the pairs file carries the observed r (and the baselines) for every pair
        pairs = load_bainbridge_pairs(data_dir)
        observed = _matrix_from_pairs(pairs, ids, "empirical_r")
        data.baselines = {
            "surveybot3000 (data file)": _matrix_from_pairs(pairs, ids, "synthetic_r_surveybot3000"),
            "all-mpnet-base-v2 (data file)": _matrix_from_pairs(pairs, ids, "synthetic_r_all_mpnet_base_v2"),
        }
    else:
        observed = responses.item_correlations().loc[ids, ids].to_numpy(dtype=float)
    data.observed_r = observed
    scales = {s: k for s, k in responses.scales.items() if len(k) >= MIN_SCALE_ITEMS}
    data.scales = scales
    data.observed_scale_r = responses.scale_correlations().loc[list(scales), list(scales)]
    data.observed_alpha = responses.alphas().reindex(list(scales))
    if name == "bainbridge":  # keys relative to each item's own scale, derived by the loader
        first = {}
        for keys in scales.values():
            for item, k in keys.items():
                first.setdefault(str(item), k)
        data.key = np.array([first.get(i, np.nan) for i in ids], dtype=float)
    return data


def _matrix_from_pairs(pairs: pd.DataFrame, ids: list[str], column: str) -> np.ndarray:
    pos = {item: i for i, item in enumerate(ids)}
    out = np.full((len(ids), len(ids)), np.nan)
    a = pairs["variable_1"].map(pos)
    b = pairs["variable_2"].map(pos)
    ok = a.notna() & b.notna()
    a, b, v = a[ok].astype(int).to_numpy(), b[ok].astype(int).to_numpy(), pairs.loc[ok, column].to_numpy(float)
    out[a, b] = v
    out[b, a] = v
    np.fill_diagonal(out, 1.0)
    return out


def _scale_weights(data: SuiteData) -> np.ndarray:
    """Items × scales matrix of the suite's keys (±1; 0 where an item is not in a scale)."""
    return key_weights(data.scales, data.items)


def _with_prior(pred: np.ndarray, weights: np.ndarray, encoder: object, method: str,
                dataset: str) -> tuple[np.ndarray, dict[str, object]]:
    """``pred`` with the within-scale prior of the model and method fitted without ``dataset``, if any.

    What :func:`traitlens.predict_scales` does to the item correlations before the scale figures
    (:mod:`traitlens.training.scale_prior`), with the leave-one-data-set-out shift so that the scored
    data never set it.
    """
    prior = load_scale_prior(getattr(encoder, "fingerprint", ""), method)
    if prior is None or not weights.size:
        return pred, {"within_scale_shift": 0.0}
    return shift_within_scales(pred, weights, prior.shift_without(dataset)), prior.provenance(dataset)


def scale_figures(data: SuiteData, pred: np.ndarray) -> dict[str, float]:
    """``scale_r``, ``alpha_r`` and ``alpha_mae``: predicted (composite formula) vs person-level observed figures."""
    if not data.scales or data.observed_r is None:
        return {}
    names = list(data.scales)
    a, b = np.triu_indices(len(names), k=1)
    predicted = scale_correlations_from_items(pred, data.scales, items=data.items).to_numpy()
    observed = data.observed_scale_r.loc[names, names].to_numpy(dtype=float)
    predicted_alpha = scale_alphas_from_items(pred, data.scales, items=data.items).to_numpy()
    observed_alpha = data.observed_alpha.loc[names].to_numpy(dtype=float)
    return {"scale_r": pearson(predicted[a, b], observed[a, b]), "alpha_r": pearson(predicted_alpha, observed_alpha),
            "alpha_mae": float(np.nanmean(np.abs(predicted_alpha - observed_alpha)))}


def _figures_for_prediction(data: SuiteData, pred: np.ndarray, n_boot: int, seed: int,
                            scale_pred: np.ndarray | None = None) -> list[tuple]:
    """Item- and scale-level figures of one prediction with their 95% CIs (none if ``n_boot`` is 0).

    ``scale_pred``: the item correlations the scale figures come from (``pred`` with the within-scale
    prior, :func:`_with_prior`); default ``pred``.

    Item figures: percentile bootstrap over items (:func:`~traitlens.evaluation.metrics.item_pair_replicates`).
    Scale figures: delete-one-item jackknife (:func:`~traitlens.evaluation.metrics.scale_jackknife_replicates`),
    whose replicates take both sides from the item correlations; a with-replacement replicate keeps
    only the distinct drawn items of each scale, which biases them.
    """
    keys = data.key if np.isfinite(data.key).any() else None  # pairs with an unknown key are skipped
    n = len(data.items)
    point = item_pair_metrics(pred, data.observed_r, keys)
    scale_pred = pred if scale_pred is None else scale_pred
    point.update(scale_figures(data, scale_pred))
    cis: dict[str, tuple[float, float]] = {}
    if n_boot > 0:
        replicates = item_pair_replicates(pred, data.observed_r, bootstrap_counts(n, n_boot, seed), keys)
        cis = {m: percentile_ci(values) for m, values in replicates.items()}
        if "scale_r" in point:
            jack = scale_jackknife_replicates(scale_pred, data.observed_r, _scale_weights(data))
            cis.update({m: jackknife_ci(point[m], jack[m], fisher=True) for m in ("scale_r", "alpha_r")})
            cis["alpha_mae"] = jackknife_ci(point["alpha_mae"], jack["alpha_mae"], bounds=(0.0, np.inf))
    n_pairs = int(np.isfinite(data.observed_r[np.triu_indices(n, 1)]).sum())
    n_scales = len(data.scales)
    sizes = {"scale_r": n_scales * (n_scales - 1) // 2, "alpha_r": n_scales, "alpha_mae": n_scales}
    order = ["item_r", "item_r_abs", "item_r_keyed", "sign_agreement", "rmse", "scale_r", "alpha_r", "alpha_mae"]
    return [(m, point[m], *cis.get(m, (np.nan, np.nan)), sizes.get(m, n_pairs)) for m in order if m in point]


def _assignment(data: SuiteData, method: Method, ctx: MethodContext, taxonomy: Taxonomy, level: str,
                truth: list[str | None]) -> pd.DataFrame | None:
    result = method.construct_scores(data.texts, taxonomy, level, ctx)
    if result is None:
        return None
    scores = result.scores
    if level == "factor":  # score columns → canonical Big Five names
        scores = scores.rename(columns=lambda c: canonical_factor(c) or c)
    values = scores.to_numpy(dtype=float)
    if result.relevance is not None:
        strength = result.relevance.set_axis(list(scores.columns), axis=1).to_numpy(dtype=float)
    else:
        strength = np.abs(values) if result.signed else values
    best, margin = rank_constructs(strength)
    predicted = [scores.columns[j] for j in best]
    own = np.array([scores.columns.get_loc(t) if t in scores.columns else -1 for t in truth])
    own_score = np.where(own >= 0, values[np.arange(len(values)), np.clip(own, 0, None)], np.nan)
    return pd.DataFrame({
        "item": data.items, "text": data.texts, "level": level, "true": truth, "predicted": predicted,
        "correct": [t == p for t, p in zip(truth, predicted, strict=True)],
        "true_key": data.key if level == "factor" else np.nan,
        "predicted_key": np.sign(own_score) if result.signed else np.nan,
        "score": values[np.arange(len(values)), best],
        "margin": margin,
    })


def _data_record(data_dir: str | Path | None) -> str:
    """The data folder a suite read, resolved (``data_dir``, else :func:`default_data_dir`), for the provenance."""
    return str((Path(data_dir) if data_dir is not None else default_data_dir()).resolve())


def _suite_context(suite: str, method: str | Method, model: ModelSpec, data_dir: str | Path | None,
                   cache: CacheSpec) -> tuple[Method, SuiteData, object, MethodContext]:
    method_obj = get_method(method) if isinstance(method, str) else method
    data = load_suite(suite, data_dir)
    encoder = load_encoder(model, cache=cache)
    guard = encoder if getattr(encoder, "name", "") == "sentence-transformers/all-MiniLM-L6-v2" else None
    ctx = MethodContext(encoder=encoder, scored_texts=data.texts, inventory=data.inventory,
                        guard_encoder=guard or load_encoder(None, cache=cache),
                        data_dir=Path(data_dir) if data_dir is not None else default_data_dir())
    return method_obj, data, encoder, ctx


def suite_predictions(suite: str, method: str | Method, model: ModelSpec = None, *,
                      data_dir: str | Path | None = None, cache: CacheSpec = True,
                      ) -> tuple[SuiteData, np.ndarray | None, object]:
    """The suite's data, ``method``'s predicted item correlations of its items, and the encoder.

    The predictions are those :func:`run_suite` scores (leakage-guarded exemplars; adapters and heads
    that never saw the suite); None for a method without item correlations.
    """
    method_obj, data, encoder, ctx = _suite_context(suite, method, model, data_dir, cache)
    return data, method_obj.item_correlations(data.texts, ctx), encoder


def run_suite(
    suite: str,
    method: str | Method = "cosine",
    model: ModelSpec = None,
    *,
    data_dir: str | Path | None = None,
    n_boot: int = 1000,
    seed: int = 0,
    cache: CacheSpec = True,
    factor_taxonomy: str | Taxonomy = "bigfive",
    facet_taxonomy: str | Taxonomy = "bigfive-facets",
    baselines: bool = True,
) -> SuiteResult:
    """Run ``method`` with ``model`` on ``suite``; see :func:`evaluate` for the figures.

    ``baselines=False`` skips the rows of predictions shipped in data files (Bainbridge), e.g. when
    they were already reported by an earlier run.
    """
    if suite in SCALE_SUITES:
        return run_scale_suite(suite, method, model, data_dir=data_dir, n_boot=n_boot, cache=cache)
    method_obj, data, encoder, ctx = _suite_context(suite, method, model, data_dir, cache)
    rows: list[tuple] = []
    pairs = None
    scale_pairs = None
    prior_info: dict[str, object] = {}

    def add(method_name: str, model_name: str, figures: list[tuple]) -> None:
        rows.extend((suite, method_name, model_name, *f) for f in figures)

    if data.observed_r is not None:
        pred = method_obj.item_correlations(data.texts, ctx)
        if pred is not None:
            scale_pred, prior_info = _with_prior(pred, _scale_weights(data), encoder, method_obj.name, suite)
            add(method_obj.name, encoder.name, _figures_for_prediction(data, pred, n_boot, seed, scale_pred))
            a, b = np.triu_indices(len(data.items), 1)
            pairs = pd.DataFrame({"item_1": np.asarray(data.items)[a], "item_2": np.asarray(data.items)[b],
                                  "observed": data.observed_r[a, b], "predicted": pred[a, b]})
            scale_pairs = _scale_pair_frame(data, scale_pred)
        for label, baseline in data.baselines.items() if baselines else ():
            add(label, label.split(" (")[0], _figures_for_prediction(data, baseline, n_boot, seed))
    assignments = []
    levels = [("factor", factor_taxonomy, data.factor)]
    if any(data.facet):
        levels.append(("facet", facet_taxonomy, data.facet))
    for level, taxonomy, truth in levels:
        if not any(truth):
            continue
        frame = _assignment(data, method_obj, ctx, load_taxonomy(taxonomy), level, truth)
        if frame is None:
            continue
        assignments.append(frame)
        known = frame[frame["true"].notna()].reset_index(drop=True)

        with_keys = level == "factor" and known["predicted_key"].notna().any()
        figures = assignment_figures(
            known["true"], known["predicted"], prefix=level, n_boot=n_boot, seed=seed,
            true_keys=known["true_key"].to_numpy(float) if with_keys else None,
            pred_keys=known["predicted_key"].to_numpy(float) if with_keys else None)
        add(method_obj.name, encoder.name, [(*f, len(known)) for f in figures])
    metrics = pd.DataFrame(rows, columns=RESULT_COLUMNS)
    exclusions = pd.concat(ctx.exclusions, ignore_index=True) if ctx.exclusions else None
    provenance = make_provenance(
        encoder, analysis="evaluate", suite=suite, method=method_obj.name, n_boot=n_boot, seed=seed,
        data_dir=_data_record(data_dir),
        taxonomies={"factor": str(factor_taxonomy), "facet": str(facet_taxonomy)},
        exemplars_excluded=0 if exclusions is None else len(exclusions), **prior_info,
    )
    metrics.attrs["provenance"] = provenance
    return SuiteResult(metrics=metrics, pairs=pairs, scale_pairs=scale_pairs,
                       assignments=pd.concat(assignments, ignore_index=True) if assignments else None,
                       exclusions=exclusions, provenance=provenance)


def observed_facet_correlations(source: str, facets: list[str], data_dir: str | Path | None = None) -> np.ndarray:
    """Observed facet × facet correlations of the IPIP-NEO facets ``facets`` (IPIP-NEO-300 names).

    ``source="ipip-neo-300"``: ``wulff_ipip_scales/ipip_neo300_facet_correlations.csv`` (long format);
    ``"neo-pi-r"``: ``neo_pi_r_facet_correlations/neo_facet_cor.csv``, mapped by facet code (N1 … C6,
    from ``ipip_neo_300/ipip_neo_300_items_keys.csv``).
    """
    folder = Path(data_dir) if data_dir is not None else default_data_dir()
    if source == "ipip-neo-300":
        long = pd.read_csv(folder / "wulff_ipip_scales" / "ipip_neo300_facet_correlations.csv")
        spelled = {"Activity-Level": "Activity Level", "Modesty/Humility": "Modesty",
                   "Aesthetic Appreciation/Artistic Interests": "Artistic Interests",
                   "Self-consciousness": "Self-Consciousness"}
        long = long.replace({"construct_1": spelled, "construct_2": spelled})
        wide = long.pivot(index="construct_1", columns="construct_2", values="correlation")
        wide = wide.combine_first(wide.T)
        missing = [f for f in facets if f not in wide.index]
        if missing:
            raise InputError(f"facets {missing[:3]} not in the IPIP-NEO-300 facet correlations")
        out = wide.loc[facets, facets].to_numpy(dtype=float)
    elif source == "neo-pi-r":
        keys = pd.read_csv(folder / "ipip_neo_300" / "ipip_neo_300_items_keys.csv")
        code = dict(zip(keys["facet_name"], keys["facet_code"], strict=False))
        neo = pd.read_csv(folder / "neo_pi_r_facet_correlations" / "neo_facet_cor.csv", index_col=0)
        rows = [next(i for i in neo.index if i.startswith(code[f])) for f in facets]
        out = neo.loc[rows, [code[f] for f in facets]].to_numpy(dtype=float)
    else:
        raise InputError(f"unknown facet correlation source {source!r}")
    out = np.array(out, dtype=float)
    np.fill_diagonal(out, 1.0)
    return out


def run_scale_suite(suite: str, method: str | Method = "cosine", model: ModelSpec = None, *,
                    data_dir: str | Path | None = None, n_boot: int = 1000, cache: CacheSpec = True) -> SuiteResult:
    """Run ``method`` on a scale-level suite (:data:`SCALE_SUITES`); rows as :func:`run_suite`'s.

    Factor suites: the method's predicted item correlations → minres EFA with oblimin (the suite's
    factor count, 5) → ``nmi``/``ari`` of the items' highest-loading factors against their scales and
    ``tucker_phi`` against the same EFA of the observed item correlations
    (:func:`~traitlens.evaluation.metrics.factor_figures`); for ``profile``, also the two predictors of
    :func:`traitlens.factors` with the same leakage-guarded exemplars, ``membership`` (key-free signs)
    and ``membership+keys`` (signs from the inventory's keys and scales); for ``tuned``, also
    ``membership`` with keys inferred from its (leave-one-dataset-out) predicted correlations
    (:func:`~traitlens.analysis.structure.keys_from_correlations`), within the profile's domains
    (``membership+inferred-keys``: text only, what :func:`traitlens.factors` does without keys or scales)
    and within the inventory's scales (``membership+inferred-keys/scales``). Facet suites: the method's
    predicted item correlations of the 300 IPIP-NEO facet items → key-weighted composite facet
    correlations → ``scale_r``, ``scale_mae`` against the observed facet correlations
    (:func:`~traitlens.evaluation.metrics.composite_figures`). Intervals: delete-one-item jackknife
    (``n_boot`` > 0 switches them on; the number itself is not used). A method without item
    correlations (``keywords``) gives no rows.
    """
    from traitlens.analysis.structure import efa
    from traitlens.constructs.inventory import load_inventory
    from traitlens.datasets import load_responses
    from traitlens.engine import semantic_factors
    from traitlens.evaluation.metrics import composite_correlations, composite_figures, factor_figures

    if suite not in SCALE_SUITES:
        raise InputError(f"unknown scale suite {suite!r}; available: {', '.join(SCALE_SUITES)}")
    spec = SCALE_SUITES[suite]
    method_obj = get_method(method) if isinstance(method, str) else method
    folder = Path(data_dir) if data_dir is not None else default_data_dir()
    frame = load_inventory(spec.inventory).frame
    if spec.kind == "facet_r":
        frame = frame[frame["level"] == "facet"]
    elif "level" in frame.columns and (frame["level"] == "factor").any():
        frame = frame[frame["level"] == "factor"]
    frame = frame.drop_duplicates("item").reset_index(drop=True)
    texts, ids = frame["text"].tolist(), frame["item"].astype(str).tolist()
    encoder = load_encoder(model, cache=cache)
    guard = encoder if getattr(encoder, "name", "") == "sentence-transformers/all-MiniLM-L6-v2" else None
    ctx = MethodContext(encoder=encoder, scored_texts=texts, inventory=spec.inventory,
                        guard_encoder=guard or load_encoder(None, cache=cache), data_dir=folder)
    rows: list[tuple] = []
    prior_info: dict[str, object] = {}
    scale_pairs = None
    intervals = n_boot > 0
    pred = method_obj.item_correlations(texts, ctx)
    if spec.kind == "factors":
        responses = load_responses(spec.dataset, folder)
        observed = responses.item_correlations().loc[ids, ids].to_numpy(dtype=float)
        human = efa(observed, spec.n_factors)
        theory = frame["scale"].astype(str).tolist()
        n = len(ids)
        if pred is not None:
            rows += [(suite, method_obj.name, encoder.name, *f, n)
                     for f in factor_figures(efa(pred, spec.n_factors), human, theory, intervals=intervals)]
        # traitlens.factors' own membership predictors, scored with this method's exemplars (and predictions)
        variants: dict[str, dict] = {
            "profile": {"membership": {}, "membership+keys": {"scales": theory,
                                                              "keys": frame["key"].to_numpy(dtype=float)}},
            "tuned": {"membership+inferred-keys": {"sign_correlations": pred},
                      "membership+inferred-keys/scales": {"sign_correlations": pred, "scales": theory}},
        }.get(method_obj.name, {})
        for label, extra in variants.items():
            solution, _ = semantic_factors(texts, encoder, "membership", n_factors=spec.n_factors,
                                           pool=method_obj._pool(ctx), **extra)
            rows += [(suite, label, encoder.name, *f, n)
                     for f in factor_figures(solution.loadings, human, theory, intervals=intervals)]
    elif pred is not None:
        facets = list(dict.fromkeys(frame["scale"].astype(str)))
        weights = np.zeros((len(ids), len(facets)))
        where = {f: j for j, f in enumerate(facets)}
        weights[np.arange(len(ids)), frame["scale"].astype(str).map(where).to_numpy()] = frame["key"].to_numpy(float)
        observed = observed_facet_correlations(spec.observed, facets, folder)
        n_pairs = len(facets) * (len(facets) - 1) // 2
        pred, prior_info = _with_prior(pred, weights, encoder, method_obj.name, suite)
        rows += [(suite, method_obj.name, encoder.name, *f, n_pairs)
                 for f in composite_figures(pred, weights, observed, intervals=intervals)]
        a, b = np.triu_indices(len(facets), 1)
        scale_pairs = pd.DataFrame({"scale_1": np.asarray(facets)[a], "scale_2": np.asarray(facets)[b],
                                    "observed": observed[a, b],
                                    "predicted": composite_correlations(pred, weights)[a, b]})
    metrics = pd.DataFrame(rows, columns=RESULT_COLUMNS)
    exclusions = pd.concat(ctx.exclusions, ignore_index=True) if ctx.exclusions else None
    provenance = make_provenance(
        encoder, analysis="evaluate", suite=suite, method=method_obj.name, n_boot=n_boot,
        data_dir=_data_record(data_dir), scale_suite=spec.kind,
        exemplars_excluded=0 if exclusions is None else len(exclusions), **prior_info)
    metrics.attrs["provenance"] = provenance
    return SuiteResult(metrics=metrics, scale_pairs=scale_pairs, exclusions=exclusions, provenance=provenance)


def _scale_pair_frame(data: SuiteData, pred: np.ndarray) -> pd.DataFrame | None:
    if not data.scales:
        return None
    names = list(data.scales)
    predicted = scale_correlations_from_items(pred, data.scales, items=data.items).to_numpy()
    a, b = np.triu_indices(len(names), 1)
    observed = data.observed_scale_r.loc[names, names].to_numpy(dtype=float)
    return pd.DataFrame({"scale_1": np.asarray(names)[a], "scale_2": np.asarray(names)[b],
                         "observed": observed[a, b], "predicted": predicted[a, b]})


def evaluate(
    suite: str,
    method: str = "cosine",
    model: ModelSpec = None,
    *,
    data_dir: str | Path | None = None,
    n_boot: int = 1000,
    seed: int = 0,
    cache: CacheSpec = True,
) -> pd.DataFrame:
    """Measure a traitlens method against real response data.

    Parameters
    ----------
    suite : str
        One of :func:`available_suites`, or ``"all"``.
    method : str
        A registered method (``"cosine"``, ``"keywords"``, ...).
    model : str, path, Encoder or None
        The model (default: bundled all-MiniLM-L6-v2).
    data_dir : path, optional
        Folder with the shared data sets (default: ``$TRAITLENS_DATA_DIR``, then ``../shared/data``
        from the working directory, then beside the checkout).
    n_boot : int
        Bootstrap replicates for the 95% CIs of the item-pair figures and accuracies (items are
        resampled); 0 gives no intervals at all.
    seed : int
        Seed of the bootstrap.
    cache : bool, path or EmbeddingCache
        Embedding cache.

    Returns
    -------
    DataFrame
        ``suite, method, model, metric, value, ci_low, ci_high, n``; one row per figure. ``scale_r``,
        ``alpha_r``, ``nmi`` and ``ari`` get leave-one-item-out jackknife intervals (see
        :mod:`traitlens.evaluation.metrics`). Baselines
        from data files appear as extra rows with their own ``method``/``model``.

    Notes
    -----
    Item level: Pearson r of predicted with observed item correlations (``item_r``), on absolute
    values (``item_r_abs``), with known keys applied to the prediction (``item_r_keyed``); share of
    pairs with |observed r| > .2 whose sign is predicted (``sign_agreement``); ``rmse``. Scale level
    (scales with ≥ 3 items, known keys): predicted scale correlations from item predictions by the
    composite formula vs observed scale-score correlations (``scale_r``); predicted standardised
    alpha vs observed Cronbach's alpha (``alpha_r``). Assignment: share of items whose highest-scoring
    construct is their own factor / facet, key accuracy, NMI and ARI (factor level).

    References
    ----------
    Hommel, B. E., & Arslan, R. C. (2025). Language models accurately infer correlations between
    psychological items and scales from text alone. AMPPS. doi:10.1177/25152459251377093
    """
    names = available_suites() if suite == "all" else [suite]
    frames = [run_suite(s, method, model, data_dir=data_dir, n_boot=n_boot, seed=seed, cache=cache).metrics
              for s in names]
    out = pd.concat(frames, ignore_index=True)
    out.attrs["provenance"] = {**frames[0].attrs["provenance"], "suite": suite}
    return out

