r"""Occlusion: remove one word, re-encode, measure how much the score falls.

.. math:: a_i = s(x) - s(x_{\setminus i})

with :math:`x_{\setminus i}` the text without word ``i`` (Zeiler & Fergus, 2014, applied to text as in
Li, Monroe & Jurafsky, 2016, "Understanding neural networks through representation erasure").
Model-agnostic: it needs only :meth:`~traitlens.encoders.Encoder.encode`, so it works for every
backend, and it encodes the text and all its variants in one batch. Occlusion has no completeness
property; the residual it reports, :math:`s(x) - \sum_i a_i`, says how far the score is from the sum
of single-word effects (interactions and redundancy between words).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from traitlens.encoders.base import Encoder
from traitlens.explain.objectives import Objective
from traitlens.explain.tokens import Tokenized


def occlusion_vectors(encoder: Encoder, toks: Sequence[Tokenized]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Embeddings of each text and of its one-word-less variants, all in one ``encode`` batch.

    Returns
    -------
    list of (full, variants)
        ``full`` (D,) and ``variants`` (n_words, D) per text, in the order of ``toks``.
    """
    batch: list[str] = []
    for tok in toks:
        batch += [tok.text, *(tok.without_word(i) for i in range(len(tok.spans)))]
    vectors = encoder.encode(batch)
    out, start = [], 0
    for tok in toks:
        n = len(tok.spans)
        out.append((vectors[start], vectors[start + 1:start + 1 + n]))
        start += n + 1
    return out


def occlusion(full: np.ndarray, variants: np.ndarray, objective: Objective) -> tuple[np.ndarray, float]:
    """Word attributions by deletion.

    Parameters
    ----------
    full : (D,) array
        Embedding of the whole text.
    variants : (n_words, D) array
        Embeddings of the text without each word (:func:`occlusion_vectors`).
    objective : Objective
        The score of a text's embedding.

    Returns
    -------
    attributions : (n_words,) array
        ``score(text) - score(text without word i)``.
    score : float
        The score of the whole text.
    """
    scores = objective.score(np.vstack([full[None, :], variants]))
    return scores[0] - scores[1:], float(scores[0])
