"""Leakage guard: drop exemplar / training items that are the scored items in other words.

Inventories share items: 28 of the 50 IPIP-50 items are IPIP-NEO-300 items with a
leading "I"; SPI-135 and BFI share more. A method that learns from, or compares
against, items of *other* inventories must not see the scored items again. Every
such method goes through :func:`exclude_overlaps`, and the evaluation harness
records what it dropped.

An exemplar is dropped when its normalised text equals a scored item's
(case, punctuation, whitespace and a leading "I" ignored) or when its
cosine similarity with any scored item is at least ``threshold`` (0.90) under
the default model (all-MiniLM-L6-v2), whatever model the method itself uses.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from traitlens.analysis.similarity import cosine_matrix
from traitlens.encoders import Encoder, load_encoder
from traitlens.io.texts import normalise_text

THRESHOLD = 0.90


def find_overlaps(scored: Sequence[str], candidates: Sequence[str], scored_vectors: np.ndarray,
                  candidate_vectors: np.ndarray, threshold: float = THRESHOLD) -> pd.DataFrame:
    """Which candidates duplicate a scored item (pure function over texts and vectors).

    Parameters
    ----------
    scored, candidates : sequences of str
    scored_vectors, candidate_vectors : arrays
        Embeddings of both, from the default model.
    threshold : float
        Cosine at or above which a candidate counts as the same item.

    Returns
    -------
    DataFrame
        One row per dropped candidate: ``candidate_index, candidate, scored_item, reason``
        (``"same text"`` or ``"cosine"``) and ``cosine`` (its highest cosine with a scored item).
    """
    columns = ["candidate_index", "candidate", "scored_item", "reason", "cosine"]
    if not len(candidates) or not len(scored):
        return pd.DataFrame(columns=columns)
    sims = cosine_matrix(candidate_vectors, scored_vectors)
    best = sims.argmax(axis=1)
    norm_scored = {normalise_text(t): t for t in scored}
    rows = []
    for i, text in enumerate(candidates):
        same = norm_scored.get(normalise_text(text))
        cos = float(sims[i, best[i]])
        if same is not None:
            rows.append((i, text, same, "same text", cos))
        elif cos >= threshold:
            rows.append((i, text, scored[best[i]], "cosine", cos))
    return pd.DataFrame(rows, columns=columns)


def exclude_overlaps(scored: Sequence[str], candidates: Sequence[str], encoder: Encoder | None = None,
                     threshold: float = THRESHOLD) -> tuple[list[int], pd.DataFrame]:
    """Indices of the candidates that may be used, and a report of those dropped.

    Parameters
    ----------
    scored : sequence of str
        The items being scored (never to be seen by the method).
    candidates : sequence of str
        Exemplar or training items from other inventories.
    encoder : Encoder, optional
        Encoder for the cosine test; default the bundled all-MiniLM-L6-v2 (with cache).
    threshold : float
        Cosine threshold (default 0.90).

    Returns
    -------
    kept : list of int
        Indices into ``candidates`` that are not duplicates of a scored item.
    dropped : DataFrame
        See :func:`find_overlaps`.
    """
    scored, candidates = list(scored), list(candidates)
    encoder = encoder or load_encoder(None)
    vectors = encoder.encode(scored + candidates) if scored and candidates else np.zeros((0, 1))
    dropped = find_overlaps(scored, candidates, vectors[: len(scored)], vectors[len(scored):], threshold)
    gone = set(dropped["candidate_index"])
    return [i for i in range(len(candidates)) if i not in gone], dropped
