r"""Integrated gradients of a score with respect to the input token embeddings.

.. math:: a_i = (x_i - x'_i) \cdot \int_0^1 \frac{\partial s(x' + \alpha (x - x'))}{\partial x_i}\, d\alpha

(Sundararajan, Taly & Yan, 2017, "Axiomatic attribution for deep networks"), with ``x`` the word
embeddings of the text's pieces (before position embeddings are added) and the baseline ``x'`` the
same sequence with every word piece replaced by the padding token (special tokens kept). The
integral is taken with the Gauss–Legendre rule of ``steps`` nodes. Completeness says
:math:`\sum_i a_i = s(x) - s(x')`; the reported residual is :math:`s(x) - s(x') - \sum_i a_i`.
"""

from __future__ import annotations

import numpy as np

from traitlens.explain.model import TorchForward, gauss_legendre
from traitlens.explain.objectives import Objective
from traitlens.explain.tokens import Tokenized

#: Sequences per forward/backward pass.
CHUNK = 64


def integrated_gradients(fwd: TorchForward, tok: Tokenized, objective: Objective,
                         steps: int = 32) -> tuple[np.ndarray, float, float]:
    """Per-piece integrated gradients of ``objective`` for the text in ``tok``.

    Returns
    -------
    attributions : (n_pieces,) array
        Zero at special tokens.
    score : float
        ``s(x)``.
    baseline_score : float
        ``s(x')``.
    """
    import torch

    ids = torch.tensor([tok.ids])
    base_ids = ids.clone()
    content = torch.as_tensor(tok.content)
    base_ids[0, content] = fwd.pad_id
    x = fwd.capture(ids, "input")
    x0 = fwd.capture(base_ids, "input")
    delta = x - x0
    alphas, weights = gauss_legendre(steps)
    total = torch.zeros(x.shape[1], dtype=torch.float64)
    for start in range(0, len(alphas), CHUNK):
        a = torch.as_tensor(alphas[start:start + CHUNK], dtype=x.dtype).view(-1, 1, 1)
        path = (x0 + a * delta).detach().requires_grad_(True)
        values = objective.score_torch(fwd.embed(ids, "input", path))
        (grad,) = torch.autograd.grad(values.sum(), path)
        w = torch.as_tensor(weights[start:start + CHUNK], dtype=torch.float64).view(-1, 1)
        total += (w * (grad * delta).sum(-1).double()).sum(0)
    with torch.no_grad():
        ends = objective.score_torch(fwd.embed(ids, "input", torch.cat([x, x0]))).double().numpy()
    return total.numpy(), float(ends[0]), float(ends[1])
