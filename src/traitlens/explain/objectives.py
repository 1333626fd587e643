r"""What is explained: a score written as :math:`s(x) = g(e(x)) \cdot v`.

Every score traitlens reports about one text can be written as a vector map ``g`` of the text's
normalised embedding ``e(x)``, dotted with a fixed vector ``v`` that stands for the other side, and
``v`` as a sum of labelled parts:

* similarity to a target text: :math:`g(e) = e`, :math:`v = e(\text{target})`, parts = the target's
  word contributions (from its own integrated Jacobians, :mod:`traitlens.explain.pairs`);
* a profile score (:class:`~traitlens.analysis.profiles.BipolarProfile`): :math:`g(e) = (e - c) /
  \lVert e - c\rVert` (the exemplar-centred text), :math:`v = \sigma\,\tilde\mu_P` with ``P`` the pole
  whose prototype is closer and :math:`\sigma = \pm 1` its sign; since :math:`\tilde\mu_P = \sum_k
  \tilde e_k / \lVert\sum_k \tilde e_k\rVert`, the parts are the pole's exemplars;
* a predicted item correlation (the ``profile`` predictor,
  :func:`~traitlens.analysis.profiles.contrast_correlations`): :math:`g(e)` = the text's unit contrast
  vector over all constructs (per level :math:`A_L (e - c_L)/\lVert e - c_L\rVert` with :math:`A_L` the
  construct axes ``high - low``), :math:`v` = the other item's unit contrast vector, parts = constructs.

Occlusion and integrated gradients need only :math:`s`; the pair method integrates the Jacobian of
``g`` and dots it with the parts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True, eq=False)
class Objective:
    r"""A score :math:`g(e(x)) \cdot v` of one text.

    Attributes
    ----------
    kind : str
        ``similarity``, ``profile``, ``assignment`` or ``correlation``.
    target : (K,) array
        The fixed vector ``v``.
    transform : callable or None
        ``g`` on a torch tensor (B, D) → (B, K); None for the identity.
    parts : (m, K) array or None
        Labelled parts of ``v`` (rows sum to ``v``), for the pair method.
    part_labels : list of str
    info : dict
        What the score is (construct, pole, sign, ...), copied into the provenance.
    """

    kind: str
    target: np.ndarray
    transform: Callable[[Any], Any] | None = None
    parts: np.ndarray | None = None
    part_labels: Sequence[str] = ()
    info: dict[str, Any] = field(default_factory=dict)

    def mapped(self, embeddings: Any) -> Any:
        """``g(e)`` for a torch tensor of normalised embeddings (B, D)."""
        return embeddings if self.transform is None else self.transform(embeddings)

    def score_torch(self, embeddings: Any) -> Any:
        """``g(e) · v`` for a torch tensor (B, D) → (B,)."""
        import torch

        mapped = self.mapped(embeddings)
        return mapped @ torch.as_tensor(self.target, dtype=mapped.dtype)

    def score(self, embeddings: np.ndarray) -> np.ndarray:
        """``g(e) · v`` for a numpy array of normalised embeddings (B, D) → (B,)."""
        import torch

        with torch.no_grad():
            tensor = torch.as_tensor(np.asarray(embeddings, dtype=np.float64))
            return self.score_torch(tensor).numpy()


def _unit(x: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(x))
    return x / norm if norm > 0 else x


def similarity_objective(target_vector: np.ndarray) -> Objective:
    """Cosine with a target's normalised embedding (parts filled in by the pair method)."""
    return Objective("similarity", np.asarray(target_vector, dtype=np.float64))


def centred_map(center: np.ndarray) -> Callable[[Any], Any]:
    """``e ↦ (e - c) / ‖e - c‖`` on torch tensors."""
    import torch

    c = torch.as_tensor(np.asarray(center, dtype=np.float64))

    def transform(e: Any) -> Any:
        return torch.nn.functional.normalize(e - c.to(e.dtype), dim=-1)

    return transform


def profile_objective(center: np.ndarray, exemplar_vectors: np.ndarray, exemplar_texts: Sequence[str],
                      sign: float, kind: str = "profile", info: dict[str, Any] | None = None) -> Objective:
    """Signed centred cosine with a pole prototype, the prototype split into its exemplars.

    Parameters
    ----------
    center : (D,) array
        The exemplar mean of the profile.
    exemplar_vectors : (m, D) array
        The normalised embeddings of the pole's exemplars.
    exemplar_texts : sequence of str
    sign : {+1, -1}
        +1 for the high pole, -1 for the low pole (the sign of the profile score).
    """
    x = np.asarray(exemplar_vectors, dtype=np.float64) - center
    x = x / np.where(np.linalg.norm(x, axis=1, keepdims=True) == 0, 1, np.linalg.norm(x, axis=1, keepdims=True))
    total = x.sum(axis=0)
    norm = float(np.linalg.norm(total)) or 1.0
    parts = sign * x / norm
    return Objective(kind, parts.sum(axis=0), centred_map(center), parts, list(exemplar_texts), dict(info or {}))


def contrast_map(centers: Sequence[np.ndarray], axes: Sequence[np.ndarray]) -> Callable[[Any], Any]:
    """``e ↦`` the unit contrast vector over the constructs of all levels (see the module notes)."""
    import torch

    cs = [torch.as_tensor(np.asarray(c, dtype=np.float64)) for c in centers]
    As = [torch.as_tensor(np.nan_to_num(np.asarray(a, dtype=np.float64))) for a in axes]

    def transform(e: Any) -> Any:
        blocks = [torch.nn.functional.normalize(e - c.to(e.dtype), dim=-1) @ a.to(e.dtype).T
                  for c, a in zip(cs, As, strict=True)]
        return torch.nn.functional.normalize(torch.cat(blocks, dim=-1), dim=-1)

    return transform


def correlation_objective(centers: Sequence[np.ndarray], axes: Sequence[np.ndarray], other_contrast: np.ndarray,
                          constructs: Sequence[str], info: dict[str, Any] | None = None) -> Objective:
    """Cosine of contrast vectors (the ``profile`` item-correlation predictor), split by construct."""
    v = _unit(np.nan_to_num(np.asarray(other_contrast, dtype=np.float64)))
    return Objective("correlation", v, contrast_map(centers, axes), np.diag(v), list(constructs), dict(info or {}))
