r"""Token-pair attributions by integrated Jacobians (after Moeller, Nikolaev & Padó, 2023; 2024).

Idea (written here from the papers, no code taken): let :math:`h` be the hidden states of a text at
encoder layer ``L`` and :math:`r` a reference (the states of the same sequence with every word piece
replaced by the padding token, special tokens kept). For any map ``g`` of the normalised embedding
:math:`e = E(h)` the fundamental theorem of calculus gives, exactly in the limit of many steps,

.. math:: g(h) - g(r) = \sum_i c_i, \qquad c_i = \Big(\int_0^1 J_i\big(r + \alpha (h - r)\big)\,d\alpha\Big)(h_i - r_i),

with :math:`J_i` the Jacobian of ``g`` with respect to the states of token ``i``. Each token's
contribution :math:`c_i` is a vector in the output space; we get it by forward-mode differentiation
along the direction :math:`h_i - r_i` at the Gauss–Legendre nodes of ``steps`` points. Adding the
reference itself as one more contribution, :math:`c_{\mathrm{ref}} = g(r)`, the contributions sum to
:math:`g(h)`. For two texts (:math:`g` = identity, so :math:`g(h)` is the normalised embedding) the
cosine then splits over pairs,

.. math:: \cos(a, b) = e_a \cdot e_b \approx
          \sum_{i \in a \cup \{\mathrm{ref}\}} \sum_{j \in b \cup \{\mathrm{ref}\}} c^a_i \cdot c^b_j,

and the residual :math:`\cos(a,b) - \sum_{ij} A_{ij}` is the integration error of both sides. The
papers fine-tune the model so that the reference embeds to zero; an off-the-shelf model keeps a
reference row and column (the ``[ref]`` pseudo-token), which this module reports instead of hiding.
For a derived score the second side is the parts of the fixed vector ``v``
(:mod:`traitlens.explain.objectives`): exemplars of a pole, or constructs.

The contributions of a fixed target (a keyword, a pole descriptor) depend only on the model, the
text, the layer and the steps, so they are kept in a small in-process cache (:data:`TARGET_CACHE`).

References
----------
Moeller, L., Nikolaev, D., & Padó, S. (2023). An attribution method for Siamese encoders. EMNLP.
Moeller, L., Nikolaev, D., & Padó, S. (2024). Approximate attributions for off-the-shelf Siamese
transformers. EACL.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

import numpy as np

from traitlens.explain.model import TorchForward, gauss_legendre
from traitlens.explain.objectives import Objective
from traitlens.explain.tokens import Tokenized

#: Sequences per forward pass (each carries one token's tangent at one node).
CHUNK = 256


class ContributionCache:
    """A bounded in-process cache of per-token contributions, keyed by (model, text, layer, steps)."""

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self._store: OrderedDict[tuple[Any, ...], tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0

    def get(self, key: tuple[Any, ...]) -> tuple[np.ndarray, np.ndarray] | None:
        """The cached ``(contributions, embedding)`` or None."""
        with self._lock:
            found = self._store.get(key)
            if found is not None:
                self._store.move_to_end(key)
                self.hits += 1
            return found

    def put(self, key: tuple[Any, ...], value: tuple[np.ndarray, np.ndarray]) -> None:
        """Store a value, dropping the oldest beyond :attr:`size`."""
        with self._lock:
            self._store[key] = value
            self._store.move_to_end(key)
            while len(self._store) > self.size:
                self._store.popitem(last=False)

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._store.clear()
            self.hits = 0


#: Contributions of fixed targets (keywords, descriptors, items), identity map only.
TARGET_CACHE = ContributionCache()


def contributions(fwd: TorchForward, tok: Tokenized, objective: Objective | None, layer: int,
                  steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-piece contributions :math:`c_i` of a text, plus the reference row.

    Parameters
    ----------
    fwd : TorchForward
    tok : Tokenized
    objective : Objective or None
        Supplies the map ``g``; None for the identity (the normalised embedding).
    layer : int
        0 = the embedding output, ``k`` = the output of encoder layer ``k``.
    steps : int
        Gauss–Legendre nodes.

    Returns
    -------
    contrib : (n_pieces + 1, K) array
        Rows of the pieces (zero at special tokens) and last the reference :math:`g(r)`.
    mapped : (K,) array
        :math:`g(h)`, the exact value the rows should sum to.
    """
    import torch
    import torch.autograd.forward_ad as fwad

    def g(e: Any) -> Any:
        return e if objective is None else objective.mapped(e.double())

    ids = torch.tensor([tok.ids])
    ref_ids = ids.clone()
    content = torch.as_tensor(tok.content)
    ref_ids[0, content] = fwd.pad_id
    h = fwd.capture(ids, layer)
    ref_states = fwd.capture(ref_ids, layer)
    r = h.clone()
    r[0, content] = ref_states[0, content]
    delta = (h - r)[0]
    alphas, weights = gauss_legendre(steps)
    jobs = [(s, int(p)) for s in range(len(alphas)) for p in tok.content]
    with torch.no_grad():
        ends = g(fwd.embed(ids, layer, torch.cat([h, r]))).double()
    contrib = np.zeros((len(tok.ids) + 1, ends.shape[1]))
    contrib[-1] = ends[1].numpy()
    with torch.no_grad(), fwad.dual_level():
        for start in range(0, len(jobs), CHUNK):
            chunk = jobs[start:start + CHUNK]
            a = torch.as_tensor([alphas[s] for s, _ in chunk], dtype=h.dtype).view(-1, 1, 1)
            primal = r + a * delta
            tangent = torch.zeros_like(primal)
            rows = torch.arange(len(chunk))
            positions = torch.as_tensor([p for _, p in chunk])
            tangent[rows, positions] = delta[positions]
            out = g(fwd.embed(ids, layer, fwad.make_dual(primal, tangent)))
            _, derivative = fwad.unpack_dual(out)
            w = np.array([weights[s] for s, _ in chunk])
            np.add.at(contrib, positions.numpy(), w[:, None] * derivative.double().numpy())
    return contrib, ends[0].numpy()


def target_contributions(fwd: TorchForward, tok: Tokenized, layer: int, steps: int,
                         fingerprint: str) -> tuple[np.ndarray, np.ndarray]:
    """:func:`contributions` of a fixed target under the identity map, through :data:`TARGET_CACHE`."""
    key = (fingerprint, tok.text, tok.ids, layer, steps)
    found = TARGET_CACHE.get(key)
    if found is None:
        found = contributions(fwd, tok, None, layer, steps)
        TARGET_CACHE.put(key, found)
    return found
