"""The :class:`Explanation` every method returns: tidy frames, the score, the residual, provenance."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from traitlens.errors import InputError

#: The pseudo-token that carries the reference's share of a pair decomposition.
REFERENCE = "[ref]"


@dataclass(frozen=True, eq=False)
class Explanation:
    """Why a score is what it is: attributions of a text's words (and of the target's).

    Attributes
    ----------
    text : str
        The explained text (the part the model reads, if the input was truncated).
    target : str
        The target text, construct, or other item.
    method : str
        ``occlusion``, ``integrated_gradients`` or ``pairs`` (the method actually used).
    kind : str
        ``similarity``, ``profile``, ``assignment`` or ``correlation``.
    score : float
        The explained score (cosine, profile score with its pole fixed, predicted correlation).
    residual : float
        What the attributions leave unexplained: ``pairs``: ``score - Σ pairs``; ``integrated_gradients``:
        ``score - baseline - Σ tokens`` (completeness); ``occlusion``: ``score - Σ tokens`` (occlusion
        promises no completeness; this is how far single-word effects are from adding up).
    tokens : DataFrame
        ``side, position, token, start, end, attribution`` (``side`` is ``text`` or ``target``), in
        reading order. The headline column is ``attribution``.
    pairs : DataFrame or None
        ``token_a, token_b, attribution, position_a, position_b`` for the pair method: every word of
        the text × every word (or exemplar, or construct) of the target, plus the ``[ref]`` row and
        column (the reference's share).
    baseline : float or None
        Score of the integrated-gradients baseline.
    provenance : dict
    notes : tuple of str
        What a reader must know: truncation, fallback, clipping.
    """

    text: str
    target: str
    method: str
    kind: str
    score: float
    residual: float
    tokens: pd.DataFrame
    pairs: pd.DataFrame | None = None
    baseline: float | None = None
    provenance: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def relative_residual(self) -> float:
        """``|residual| / |score|`` (inf for a zero score with a non-zero residual)."""
        if self.score == 0:
            return 0.0 if self.residual == 0 else math.inf
        return abs(self.residual) / abs(self.score)

    def side(self, side: str = "text") -> pd.DataFrame:
        """Token rows of one side (``"text"`` or ``"target"``)."""
        return self.tokens[self.tokens["side"] == side].reset_index(drop=True)

    def pair_matrix(self, reference: bool = True) -> pd.DataFrame:
        """The pair attributions as a text-words × target-words matrix (with the ``[ref]`` row/column)."""
        if self.pairs is None:
            raise InputError(f"method {self.method!r} gives no pair attributions; use method='pairs'")
        frame = self.pairs
        if not reference:
            frame = frame[(frame["token_a"] != REFERENCE) & (frame["token_b"] != REFERENCE)]
        matrix = frame.pivot_table(index=["position_a", "token_a"], columns=["position_b", "token_b"],
                                   values="attribution", aggfunc="sum", sort=True)
        matrix.index = matrix.index.get_level_values(1)
        matrix.columns = matrix.columns.get_level_values(1)
        return matrix

    def to_dict(self) -> dict[str, Any]:
        """The JSON layout of ``traitlens explain --format json``."""
        record: dict[str, Any] = {
            "provenance": self.provenance,
            "score": float(self.score),
            "residual": float(self.residual),
            "tokens": [{"token": str(t), "attribution": float(a)}
                       for t, a in zip(self.side("text")["token"], self.side("text")["attribution"], strict=True)],
        }
        if self.pairs is not None:
            record["pairs"] = [{"token_a": str(a), "token_b": str(b), "attribution": float(v)}
                               for a, b, v in self.pairs[["token_a", "token_b", "attribution"]].itertuples(index=False)]
        return record

    def summary(self) -> str:
        """One line: method, score, residual."""
        rel = self.relative_residual
        head = f"{self.kind} of {self.text!r} with {self.target!r}: score {self.score:.4f}, {self.method}, "
        tail = f" ({rel:.2g} of |score|)" if math.isfinite(rel) else ""
        return f"{head}residual {self.residual:+.3g}{tail}"

    def figures(self) -> dict[str, Any]:
        """The Plotly figures of this explanation (see :mod:`traitlens.explain.views`)."""
        from traitlens.explain.views import explanation_figures

        return explanation_figures(self)

    def to_html(self, include_plotlyjs: bool | str = True) -> str:
        """A self-contained HTML page: highlighted tokens, the pair heatmap and token graph, provenance."""
        from traitlens.explain.views import explanation_html

        return explanation_html(self, include_plotlyjs=include_plotlyjs)

    def _repr_html_(self) -> str:
        """Shown by Jupyter."""
        from traitlens.explain.views import explanation_html

        return explanation_html(self, include_plotlyjs="cdn", full_page=False)

    def save(self, path: str | Path) -> Path:
        """Write ``.html`` (the page), ``.png`` (the pair heatmap or the token highlight) or ``.json``."""
        from traitlens.explain.views import save_explanation

        return save_explanation(self, Path(path))

    def __repr__(self) -> str:
        return f"Explanation({self.summary()})"


def top_tokens(explanation: Explanation, k: int = 5, side: str = "text") -> list[str]:
    """The ``k`` words with the largest attributions on one side."""
    frame = explanation.side(side)
    order = np.argsort(-frame["attribution"].to_numpy(), kind="stable")[:k]
    return frame["token"].iloc[order].tolist()
