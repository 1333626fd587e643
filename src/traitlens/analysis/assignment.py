"""Assignment of texts to constructs: the one argmax-and-margin rule, and the abstain calibration.

Every place that picks "the construct a text belongs to" — :func:`traitlens.assign`, the profile
chart, the evaluation harness — calls :func:`rank_constructs` on a texts × constructs strength
matrix (the relevance of a bipolar profile, or a plain similarity), so they can never disagree.
"""

from __future__ import annotations

import numpy as np

from traitlens.errors import InputError


def rank_constructs(strength: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Best construct of each row of ``strength`` and its margin over the runner-up.

    Parameters
    ----------
    strength : (n, k) array
        How strongly each text speaks to each construct; NaN = no evidence (never chosen while a
        finite value exists).

    Returns
    -------
    best : (n,) int array
        Column of the largest strength (the first one on ties).
    margin : (n,) float array
        Largest minus second-largest strength; ``inf`` with one construct.

    Examples
    --------
    >>> best, margin = rank_constructs(np.array([[0.1, 0.4, 0.3]]))
    >>> int(best[0]), round(float(margin[0]), 2)
    (1, 0.1)
    """
    filled = np.nan_to_num(np.asarray(strength, dtype=np.float64), nan=-np.inf)
    best = filled.argmax(axis=1)
    if filled.shape[1] < 2:
        return best, np.full(len(filled), np.inf)
    top2 = -np.partition(-filled, 1, axis=1)[:, :2]
    return best, top2[:, 0] - top2[:, 1]


def calibrate_margin(margins: np.ndarray, correct: np.ndarray, target_accuracy: float = 0.9) -> float:
    """Smallest margin above which the assignments of a development set are ``target_accuracy`` correct.

    Parameters
    ----------
    margins : (n,) array
        Margins of :func:`rank_constructs` on development items.
    correct : (n,) bool array
        Whether each item's assignment was right.
    target_accuracy : float
        Accuracy wanted among the items kept.

    Returns
    -------
    float
        The cut; ``inf`` if no cut reaches the target (everything would abstain).
    """
    margins = np.asarray(margins, dtype=float)
    correct = np.asarray(correct, dtype=bool)
    if len(margins) != len(correct) or not len(margins):
        raise InputError("margins and correct must be equally long and non-empty")
    order = np.argsort(-margins)
    running = np.cumsum(correct[order]) / np.arange(1, len(order) + 1)
    ok = np.flatnonzero(running >= target_accuracy)
    return float(margins[order][ok.max()]) if len(ok) else float("inf")
