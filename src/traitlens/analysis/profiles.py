r"""Bipolar trait profiles, item → construct assignment with keys, and key inference (pure functions).

The method (chosen by measurement, see ``benchmarks/results/validity.md``): every construct gets two
prototypes, the mean of its high-pole and of its low-pole exemplars (pole descriptors written for
traitlens, and items of other inventories with known keys). All vectors are first centred on the
mean exemplar vector — the questionnaire-mean subtraction of SQuID (Wulff & Mata, 2025), which
removes the "this is a personality item" direction that all items share — and re-normalised. Then

.. math:: h_c(x) = \cos(\tilde x, \tilde\mu^{+}_c), \quad l_c(x) = \cos(\tilde x, \tilde\mu^{-}_c),
          \quad \text{score}_c(x) = h_c(x) - l_c(x), \quad \text{relevance}_c(x) = \max(h_c, l_c).

``score`` is > 0 toward the high pole and < 0 toward the low pole; an item is assigned to the
construct of highest relevance, with key = sign(score). A construct without exemplars of one pole is
scored unipolar (``score = high``, ``low`` NaN).

Tried and not kept (same suites, all-MiniLM-L6-v2, leave-one-inventory-out): raw cosine to labels
(IPIP-50 36%), mean keyword similarity (62%), a multinomial logistic probe over construct × pole
(IPIP-50 76–80%, keys 82–86%, worse on BFI: no better than the prototypes and less transparent),
k-nearest exemplars and a kNN + prototype ensemble (80–82% on IPIP-50 but worse on BFI, SPI and keys),
factor relevance as the maximum over its facets' prototypes (worse everywhere), ranking by the
contrast axis high − low (keys equal, assignment far worse), prototypes that weigh descriptors and
items equally (no consistent gain), and centring on the scored questionnaire's own mean instead of
the exemplar mean (no gain).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from traitlens.encoders.base import l2_normalize
from traitlens.errors import InputError


def centre(vectors: np.ndarray, center: np.ndarray) -> np.ndarray:
    """Subtract ``center`` and re-normalise rows to unit length."""
    return l2_normalize(np.asarray(vectors, dtype=np.float64) - center)


def pole_prototypes(
    exemplar_vectors: np.ndarray,
    constructs: Sequence[str],
    keys: Sequence[int],
    names: Sequence[str],
    center: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Unit high- and low-pole prototypes of each construct in ``names``.

    Parameters
    ----------
    exemplar_vectors : (m, d) array
    constructs : sequence of str
        Construct of each exemplar.
    keys : sequence of int
        +1 (high pole) or -1 (low pole) for each exemplar.
    names : sequence of str
        Constructs to build prototypes for (rows of the result).
    center : (d,) array
        Vector subtracted before averaging.

    Returns
    -------
    high, low : (len(names), d) arrays
        NaN rows where a construct has no exemplar of that pole.
    """
    x = centre(exemplar_vectors, center)
    constructs = np.asarray(constructs, dtype=object)
    keys = np.asarray(keys)
    d = x.shape[1]
    high = np.full((len(names), d), np.nan)
    low = np.full((len(names), d), np.nan)
    for i, name in enumerate(names):
        for target, sign in ((high, 1), (low, -1)):
            rows = x[(constructs == name) & (np.sign(keys) == sign)]
            if len(rows):
                mean = rows.mean(axis=0)
                target[i] = mean / (np.linalg.norm(mean) or 1.0)
    return high, low


def bipolar_scores(text_vectors: np.ndarray, high: np.ndarray, low: np.ndarray,
                   center: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cosine of each centred text with each construct's high and low prototype: two (n, k) arrays."""
    t = centre(text_vectors, center)
    with np.errstate(invalid="ignore"):
        return t @ high.T, t @ low.T


def signed_scores(high_sim: np.ndarray, low_sim: np.ndarray) -> np.ndarray:
    """``high - low``; unipolar constructs (no low prototype) score ``high``."""
    return np.where(np.isnan(low_sim), high_sim, high_sim - low_sim)


def relevance(high_sim: np.ndarray, low_sim: np.ndarray) -> np.ndarray:
    """How strongly a text speaks to a construct, whichever the pole: ``max(high, low)``."""
    return np.fmax(high_sim, low_sim)


def profile_frame(texts: Sequence[str], names: Sequence[str], high_sim: np.ndarray, low_sim: np.ndarray,
                  temperature: float = 0.05) -> pd.DataFrame:
    """Tidy profile: ``text, construct, score, low, high, confidence``.

    ``confidence`` is the softmax of the relevance over the constructs of a text with the given
    temperature: the share of the text's construct evidence that goes to this construct (it sums to 1
    per text; it is a relative weight, not a calibrated probability).
    """
    rel = relevance(high_sim, low_sim)
    weights = np.exp((rel - np.nanmax(rel, axis=1, keepdims=True)) / temperature)
    weights = np.nan_to_num(weights) / np.nansum(weights, axis=1, keepdims=True)
    n, k = rel.shape
    return pd.DataFrame({
        "text": np.repeat(np.asarray(texts, dtype=object), k),
        "construct": np.tile(np.asarray(names, dtype=object), n),
        "score": signed_scores(high_sim, low_sim).reshape(-1),
        "low": low_sim.reshape(-1),
        "high": high_sim.reshape(-1),
        "confidence": weights.reshape(-1),
    })


def assignment_frame(items: Sequence[str], names: Sequence[str], high_sim: np.ndarray, low_sim: np.ndarray,
                     min_margin: float) -> pd.DataFrame:
    """Item → construct with key: ``item, construct, key, score, margin, confident``.

    ``construct`` has the highest relevance; ``key`` is the sign of its signed score; ``margin`` is the
    relevance gap to the runner-up; ``confident`` is ``margin >= min_margin`` (else: "no clear construct").
    """
    rel = relevance(high_sim, low_sim)
    score = signed_scores(high_sim, low_sim)
    filled = np.nan_to_num(rel, nan=-np.inf)
    order = np.argsort(-filled, axis=1)
    best = order[:, 0]
    rows = np.arange(len(items))
    margin = filled[rows, best] - (filled[rows, order[:, 1]] if rel.shape[1] > 1 else 0.0)
    own = score[rows, best]
    return pd.DataFrame({
        "item": list(items),
        "construct": np.asarray(names, dtype=object)[best],
        "key": np.where(own >= 0, 1, -1),
        "score": own,
        "margin": margin,
        "confident": margin >= min_margin,
    })


def calibrate_margin(margins: np.ndarray, correct: np.ndarray, target_accuracy: float = 0.9) -> float:
    """Smallest margin above which the assignments of a development set are ``target_accuracy`` correct.

    Returns ``inf`` if no cut reaches the target (everything would abstain).
    """
    margins = np.asarray(margins, dtype=float)
    correct = np.asarray(correct, dtype=bool)
    if len(margins) != len(correct) or not len(margins):
        raise InputError("margins and correct must be equally long and non-empty")
    order = np.argsort(-margins)
    running = np.cumsum(correct[order]) / np.arange(1, len(order) + 1)
    ok = np.flatnonzero(running >= target_accuracy)
    return float(margins[order][ok.max()]) if len(ok) else float("inf")


def infer_keys(vectors: np.ndarray, known: Sequence[float] | None = None,
               axis: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Infer the keys (+1/-1) of the items of one scale.

    Parameters
    ----------
    vectors : (n, d) array
        Item embeddings (already centred if wanted).
    known : sequence of float, optional
        Known keys, NaN where unknown. They orient the axis and are kept as given.
    axis : (d,) array, optional
        A construct direction (high prototype minus low prototype). Without it the axis is the first
        principal component of the items, which separates the two poles of a scale with reversed items.

    Returns
    -------
    keys : (n,) array of ±1
    projections : (n,) array
        Each item's signed projection on the axis (oriented like the keys).

    Notes
    -----
    Projections on the axis are signed; with known keys the axis is flipped if that makes more known
    keys agree (ties: keep); without known keys or a construct axis, the orientation is arbitrary up to
    a global sign, which is fixed so that most items get +1.
    """
    x = np.asarray(vectors, dtype=np.float64)
    from_items = axis is None
    if from_items:
        x = x - x.mean(axis=0)
        axis = np.linalg.svd(x, full_matrices=False)[2][0]
    proj = x @ axis
    keys = np.where(proj >= 0, 1.0, -1.0)
    known_arr = np.full(len(keys), np.nan) if known is None else np.asarray(known, dtype=float)
    have = np.isfinite(known_arr)
    flip = (np.sum(keys[have] == known_arr[have]) < np.sum(-keys[have] == known_arr[have]) if have.any()
            else from_items and keys.sum() < 0)
    if flip:
        keys, proj = -keys, -proj
    keys[have] = known_arr[have]
    return keys, proj
