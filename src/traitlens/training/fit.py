r"""Fitting a correlation head (:class:`~traitlens.training.head.CorrelationHead`) on observed item pairs.

The loss is the weighted mean squared error of :math:`\hat r_{ij}` against the observed correlations
of the training pairs (:func:`traitlens.training.pairs.shared_item_pairs`), plus
:math:`\lambda \lVert W - W_0 \rVert^2`, which keeps the projection near its start, the identity on
the ``contrast`` block (i.e. the ``profile`` predictor). Each dataset's pairs weigh
:math:`1/\sqrt{n_\text{pairs}}` each, so the 87,153 Bainbridge pairs do not drown the 300 of bfi.
Training is full-batch AdamW on the CPU (one dense block per dataset; there are no pairs across
datasets). The number of steps is chosen by early stopping on a validation split of the *items*
(:func:`~traitlens.training.pairs.split_pairs`; pairs across the split are unused), then the head is
refit on all pairs for that many steps. Everything is seeded and single-threaded: the same data give
the same head.

Hyper-parameters (:class:`HeadConfig`) were chosen by leave-one-dataset-out measurement
(``benchmarks/head_search.py``, ``benchmarks/results/head_search.json``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from traitlens.constructs.taxonomy import Taxonomy, load_taxonomy
from traitlens.encoders.base import Encoder
from traitlens.engine import CORRELATION_TAXONOMY, profile_correlations
from traitlens.errors import InputError
from traitlens.training.head import CorrelationHead, head_features
from traitlens.training.pairs import DATASETS, pair_items, shared_item_pairs, split_pairs

__all__ = ["HeadConfig", "fit_head", "leave_out_pairs"]


@dataclass(frozen=True)
class HeadConfig:
    r"""Hyper-parameters of :func:`fit_head`.

    Attributes
    ----------
    blocks : tuple of str
        Feature blocks (:data:`traitlens.training.head.BLOCKS`).
    penalty : float
        :math:`\lambda`, the pull of :math:`W` toward the identity on ``contrast``.
    learning_rate : float
        AdamW step size (no weight decay: the penalty regularises).
    max_steps, patience, eval_every : int
        Early stopping: at most ``max_steps`` steps; the validation loss is read every ``eval_every``
        steps; stop after ``patience`` steps without improvement.
    validation : float
        Share of the items held out for early stopping.
    seed : int
    """

    blocks: tuple[str, ...] = ("contrast", "high", "low")
    penalty: float = 3e-3
    learning_rate: float = 1e-2
    max_steps: int = 1000
    patience: int = 100
    eval_every: int = 20
    validation: float = 0.2
    seed: int = 0


def _weights(datasets: pd.Series) -> np.ndarray:
    counts = datasets.map(datasets.value_counts()).to_numpy(dtype=float)
    return 1.0 / np.sqrt(counts)


def _blocks(index: dict[str, int], frame: pd.DataFrame, weights: np.ndarray) -> list[tuple[Any, Any, Any]]:
    """One dense (items, targets, weights) block per dataset; weights sum to 1 over all blocks."""
    import torch

    keys_a, keys_b = pair_items(frame)
    a = np.array([index[k] for k in keys_a], dtype=int)
    b = np.array([index[k] for k in keys_b], dtype=int)
    r = frame["r"].to_numpy(dtype=np.float32)
    total = 2 * float(weights.sum())
    out = []
    for name in dict.fromkeys(frame["dataset"]):
        sel = (frame["dataset"] == name).to_numpy()
        items = np.unique(np.concatenate([a[sel], b[sel]]))
        local = np.searchsorted(items, a[sel]), np.searchsorted(items, b[sel])
        target = np.zeros((len(items), len(items)), np.float32)
        weight = np.zeros_like(target)
        for i, j in (local, local[::-1]):
            target[i, j] = r[sel]
            weight[i, j] = weights[sel] / total
        out.append((torch.as_tensor(items), torch.as_tensor(target), torch.as_tensor(weight)))
    return out


def _train(features: np.ndarray, n_contrast: int, train: list, validation: list | None, config: HeadConfig,
           steps: int) -> tuple[np.ndarray, float, float, int, float]:
    """Train for at most ``steps`` steps; returns (W, a, b, best step, best validation loss)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        torch.manual_seed(config.seed)
        x = torch.as_tensor(features, dtype=torch.float32)
        start = torch.zeros((features.shape[1], n_contrast))
        start[:n_contrast, :n_contrast] = torch.eye(n_contrast)
        weight = torch.nn.Parameter(start.clone())
        scale = torch.nn.Parameter(torch.tensor(1.0))
        bias = torch.nn.Parameter(torch.tensor(0.0))
        optimiser = torch.optim.AdamW([weight, scale, bias], lr=config.learning_rate, weight_decay=0.0)

        def loss_of(blocks: list) -> torch.Tensor:
            z = torch.nn.functional.normalize(x @ weight, dim=1)
            total = torch.zeros(())
            for items, target, w in blocks:
                zb = z[items]
                total = total + (w * (torch.tanh(scale * zb @ zb.T + bias) - target) ** 2).sum()
            return total

        best_loss, best_step = np.inf, steps
        best_state = None
        for step in range(1, steps + 1):
            optimiser.zero_grad()
            loss = loss_of(train) + config.penalty * ((weight - start) ** 2).sum()
            loss.backward()
            optimiser.step()
            if validation is not None and step % config.eval_every == 0:
                with torch.no_grad():
                    current = float(loss_of(validation))
                if current < best_loss:
                    best_loss, best_step = current, step
                    best_state = (weight.detach().clone(), float(scale.detach()), float(bias.detach()))
                elif step - best_step >= config.patience:
                    break
        if best_state is None:
            best_state = (weight.detach().clone(), float(scale.detach()), float(bias.detach()))
        return best_state[0].numpy().astype(np.float64), best_state[1], best_state[2], best_step, best_loss
    finally:
        torch.set_num_threads(threads)


def fit_head(
    pairs: pd.DataFrame,
    encoder: Encoder,
    pool: pd.DataFrame | None,
    *,
    config: HeadConfig | None = None,
    taxonomy: Taxonomy | None = None,
    meta: dict[str, Any] | None = None,
) -> CorrelationHead:
    """Train a correlation head for ``encoder`` on observed item pairs.

    Parameters
    ----------
    pairs : DataFrame
        From :func:`~traitlens.training.pairs.shared_item_pairs` (its ``attrs`` go into the head's
        metadata).
    encoder : Encoder
        The base model; the head will refuse any other.
    pool : DataFrame or None
        Exemplars of the profile features (as for the ``profile`` predictor); the head must be used
        with the same pool (:func:`traitlens.correlate` uses the built-in pool).
    config : HeadConfig, optional
    taxonomy : Taxonomy, optional
        Contrast space (default ``bigfive-facets``).
    meta : dict, optional
        Extra metadata to record.

    Returns
    -------
    CorrelationHead
    """
    config = config or HeadConfig()
    if "embedding" in config.blocks:
        raise InputError("fit_head trains heads over profile blocks only (contrast, high, low)")
    if len(pairs) < 3:
        raise InputError(f"too few training pairs ({len(pairs)})")
    tax = taxonomy or load_taxonomy(CORRELATION_TAXONOMY)
    keys_a, keys_b = pair_items(pairs)
    texts = dict(zip(keys_a, pairs["text_a"], strict=True)) | dict(zip(keys_b, pairs["text_b"], strict=True))
    keys = sorted(texts)
    index = {k: i for i, k in enumerate(keys)}
    runs = profile_correlations([texts[k] for k in keys], encoder, pool, tax)
    profiles = [run.profile for run in runs]
    features = head_features(profiles, None, config.blocks)
    n_contrast = sum(len(p.constructs) for p in profiles)
    weights = _weights(pairs["dataset"])

    train, validation = split_pairs(pairs.assign(_w=weights), config.validation, config.seed)
    steps = config.max_steps
    best_loss = float("nan")
    if len(train) and len(validation):
        _, _, _, steps, best_loss = _train(features, n_contrast, _blocks(index, train, train["_w"].to_numpy()),
                                           _blocks(index, validation, validation["_w"].to_numpy()), config,
                                           config.max_steps)
    weight, scale, bias, _, _ = _train(features, n_contrast, _blocks(index, pairs, weights), None, config, steps)
    attrs = {k: v for k, v in pairs.attrs.items() if k != "excluded"}
    record = {
        "config": {**asdict(config), "blocks": list(config.blocks)},
        "steps": int(steps), "validation_loss": best_loss,
        "training": {**attrs, "n_pairs": len(pairs), "n_items": len(keys),
                     "pairs_per_dataset": {str(k): int(v) for k, v in pairs["dataset"].value_counts().items()}},
        "taxonomy": {"name": tax.name, "fingerprint": tax.fingerprint},
        "exemplars": {"n": 0 if pool is None else len(pool),
                      "sources": sorted(set(pool["source"])) if pool is not None and len(pool) else ["taxonomy"]},
        "constructs": [c for p in profiles for c in p.constructs],
        **(meta or {}),
    }
    return CorrelationHead(weight=weight, scale=scale, bias=bias, blocks=tuple(config.blocks),
                           model_name=encoder.name, model_fingerprint=encoder.fingerprint, meta=record)


def leave_out_pairs(data_dir: str | Path, scored_texts: Sequence[str], guard_encoder: Encoder | None = None,
                    datasets: Sequence[str] = DATASETS, max_share: float = 0.5) -> pd.DataFrame:
    """Training pairs for scoring ``scored_texts`` honestly: their dataset and every rewording left out.

    Every item the leakage guard matches to a scored text is dropped with its pairs, and a dataset of
    which at least ``max_share`` of the items were dropped is left out entirely (it is the scored
    questionnaire). ``attrs["left_out"]`` names those datasets.
    """
    pairs = shared_item_pairs(data_dir, datasets, exclude_texts=list(scored_texts), guard_encoder=guard_encoder)
    full = shared_item_pairs(data_dir, datasets)
    keys_a, keys_b = pair_items(full)
    items = pd.Series(list(dict.fromkeys([*keys_a, *keys_b])))
    per_dataset = items.str.split(":", n=1).str[0].value_counts()
    dropped = pd.Series(pairs.attrs["excluded"], dtype=object).str.split(":", n=1).str[0].value_counts()
    share = (dropped.reindex(per_dataset.index).fillna(0) / per_dataset)
    left_out = sorted(share[share >= max_share].index)
    kept = pairs[~pairs["dataset"].isin(left_out)].reset_index(drop=True)
    kept.attrs = {**pairs.attrs, "left_out": left_out,
                  "excluded_pairs": pairs.attrs["excluded_pairs"] + (len(pairs) - len(kept))}
    return kept


def head_name(encoder: Encoder) -> str:
    """File stem of a model's head: the last part of the model name (``all-MiniLM-L6-v2``).

    An adapted model (``base+adapter``, :mod:`traitlens.encoders.adapted`) is named by its adapter.
    """
    return encoder.name.rstrip("/").split("/")[-1].split("+")[-1] or "head"


def _table(rows: list[dict[str, Any]]) -> str:
    columns = ["held_out", "method", "item_r", "sign_agreement", "scale_r", "alpha_r", "rmse"]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        lines.append("| " + " | ".join(f"{row[c]:.3f}" if isinstance(row.get(c), float) else str(row.get(c, ""))
                                       for c in columns) + " |")
    return "\n".join(lines)


def model_card(head: CorrelationHead, figures: list[dict[str, Any]] | None = None) -> str:
    """A markdown model card of ``head``: data, licences, exclusions, hyper-parameters, measured figures.

    ``figures``: leave-one-dataset-out rows (``held_out, method, item_r, sign_agreement, scale_r,
    alpha_r, rmse``) to include; never in-sample figures.
    """
    meta = head.meta
    training = meta.get("training", {})
    config = meta.get("config", {})
    per = training.get("pairs_per_dataset", {})
    lines = [
        f"# Correlation head for {head.model_name}",
        "",
        "Predicts signed item × item correlations from item texts: "
        "r̂ = tanh(a · cos(Wᵀf_i, Wᵀf_j) + b), where f joins the item's bipolar profile (contrast, high, low) "
        "over the 5 domains and 30 facets of `bigfive-facets`, computed with the built-in exemplar pool "
        "(use it as `traitlens correlate --model MODEL --head THIS_FOLDER`, or `traitlens.correlate(texts, "
        "model, head=\"THIS_FOLDER\")`; a head shipped with traitlens needs only `method=\"head\"`). W starts "
        "at the identity on the "
        "contrast block (the `profile` predictor) and is pulled back toward it during training.",
        "",
        f"- Base model: `{head.model_name}`, fingerprint `{head.model_fingerprint}` (any other model is refused).",
        f"- Weights: W {head.weight.shape[0]} × {head.weight.shape[1]} (float32), a = {head.scale:.4f}, "
        f"b = {head.bias:.4f}.",
        f"- Rebuild: `traitlens train-head --data ../shared/data --model <model> --out <folder> "
        f"--seed {config.get('seed', 0)}`.",
        "",
        "## Training data",
        "",
        "Observed pairwise-complete item correlations of raw (not reverse-keyed) responses, one row per "
        "unordered item pair within each dataset (`traitlens.training.pairs.shared_item_pairs`):",
        "",
        "| dataset | pairs | source licence |",
        "|---|---|---|",
    ]
    licences = {
        "big5": "openpsychometrics.org, research use (CC BY-NC-SA 4.0); items IPIP, public domain",
        "bfi": "psych::bfi, GPL (>= 2); items IPIP, public domain",
        "spi": "psychTools::spi, GPL (>= 2); SPI items public domain",
        "adjectives": "psychTools, GPL (>= 2)",
        "bainbridge": "Bainbridge et al. (2022) via Hommel & Arslan (2025); no licence file: research use",
    }
    for name, n in per.items():
        lines.append(f"| {name} | {n:,} | {licences.get(name, '')} |")
    lines += [
        "",
        "Only learned weights are shipped (no item texts, no responses). The weights are derived from "
        "correlations of data sets some of which are for research use only; treat the head accordingly.",
        "",
        "## Exclusions",
        "",
        f"- Exclusion texts: {meta.get('exclusion', 'none')}.",
        f"- Items dropped by the leakage guard (same normalised text, or cosine ≥ .90 under "
        f"all-MiniLM-L6-v2): {training.get('excluded_items', 0)}; pairs dropped: "
        f"{training.get('excluded_pairs', 0)}.",
        "",
        "## Hyper-parameters",
        "",
        *(f"- {k}: {v}" for k, v in config.items()),
        f"- steps (early stopping on a 20% item split, then refit on all pairs): {meta.get('steps')}",
        "- pair weights: 1/sqrt(pairs of the dataset); full-batch AdamW, single-threaded, seeded.",
        "",
        "## Leave-one-dataset-out figures",
        "",
        "Each row: a head trained with this configuration on the other datasets (minus every item the "
        "guard matches to the held-out items), evaluated on the held-out dataset with the evaluation "
        "harness metrics (no CIs). Never in-sample.",
        "",
    ]
    lines.append(_table(figures) if figures else "(not measured)")
    lines.append("")
    return "\n".join(lines)
