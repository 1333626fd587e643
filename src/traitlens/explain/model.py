"""Access to the torch model behind an encoder, and forward passes with a replaced layer.

The gradient methods need the sentence-transformers model itself: its tokenizer, its transformer
and its pooling modules. :func:`torch_model` finds it behind an :class:`~traitlens.encoders.Encoder`
(unwrapping the embedding cache) and returns None for a backend without one (an ONNX or static
backend), so the caller can fall back to occlusion.

:class:`TorchForward` runs the model with the output of one module replaced — the word embeddings
(for integrated gradients) or the hidden states entering an encoder layer (for the pair method) —
and returns the model's own pooled, L2-normalised sentence embedding, so gradients and Jacobians
are those of exactly the vector traitlens compares. The replacing hook acts only in the thread that
set it, so other threads encoding with the same (shared, per-process) model are not disturbed.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

import numpy as np

from traitlens.encoders.base import Encoder
from traitlens.errors import InputError


def unwrap(encoder: Encoder) -> Encoder:
    """The encoder under any wrappers that hold it as ``inner`` (the embedding cache, counters)."""
    seen = 0
    while hasattr(encoder, "inner") and isinstance(encoder.inner, Encoder) and seen < 10:
        encoder = encoder.inner
        seen += 1
    return encoder


def torch_model(encoder: Encoder) -> Any | None:
    """The torch ``SentenceTransformer`` behind ``encoder``, or None when the backend has none."""
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a core dependency
        return None
    inner = unwrap(encoder)
    model = getattr(inner, "model", None)
    if not isinstance(model, torch.nn.Module) or not hasattr(model, "tokenizer"):
        return None
    try:
        first = model[0]
    except (TypeError, IndexError, KeyError):
        return None
    auto = getattr(first, "auto_model", None)
    if not isinstance(auto, torch.nn.Module) or _layers(auto) is None:
        return None
    return model


def _layers(transformer: Any) -> Any | None:
    """The list of encoder layers of a Hugging Face encoder (BERT, MPNet, RoBERTa, ...), or None."""
    encoder = getattr(transformer, "encoder", None)
    for name in ("layer", "layers"):
        layers = getattr(encoder, name, None)
        if layers is not None and len(layers):
            return layers
    return None


class TorchForward:
    """Forward passes of a sentence-transformers model with one module's output replaced.

    Parameters
    ----------
    model : SentenceTransformer
        As returned by :func:`torch_model`.
    """

    def __init__(self, model: Any) -> None:
        self.model = model
        self.transformer = model[0].auto_model
        self.tokenizer = model.tokenizer
        self.layers = _layers(self.transformer)
        self.n_layers = len(self.layers)
        self.max_length = int(getattr(model, "max_seq_length", 0) or self.tokenizer.model_max_length)
        pad = self.tokenizer.pad_token_id
        self.pad_id = int(pad if pad is not None else 0)

    def module(self, layer: int | str) -> Any:
        """The module whose output is replaced at ``layer``.

        ``"input"`` = word embeddings, 0 = embedding output, ``k`` = output of encoder layer ``k`` (the
        hidden states entering layer ``k + 1``).
        """
        if layer == "input":
            return self.transformer.get_input_embeddings()
        if not isinstance(layer, int | np.integer) or not 0 <= int(layer) <= self.n_layers:
            raise InputError(f"layer must be an integer from 0 to {self.n_layers} for this model; got {layer!r}")
        return self.transformer.embeddings if int(layer) == 0 else self.layers[int(layer) - 1]

    @contextlib.contextmanager
    def _replaced(self, module: Any, value: Any, store: dict[str, Any]) -> Iterator[None]:
        owner = threading.get_ident()

        def hook(_mod: Any, _inp: Any, out: Any) -> Any:
            if threading.get_ident() != owner:  # another thread encoding with the shared model: leave it be
                return None
            first = out[0] if isinstance(out, tuple) else out
            store["captured"] = first
            if value is None:
                return None
            return (value, *out[1:]) if isinstance(out, tuple) else value

        handle = module.register_forward_hook(hook)
        try:
            yield
        finally:
            handle.remove()

    def capture(self, ids: Any, layer: int | str) -> Any:
        """Output of the module at ``layer`` for ``ids`` (1, n) → (1, n, hidden), without gradients."""
        import torch

        store: dict[str, Any] = {}
        with torch.no_grad(), self._replaced(self.module(layer), None, store):
            self.transformer(input_ids=ids, attention_mask=torch.ones_like(ids))
        return store["captured"]

    def embed(self, ids: Any, layer: int | str, states: Any) -> Any:
        """Pooled, normalised embedding (B, D) when the module at ``layer`` outputs ``states`` (B, n, hidden).

        Runs under the math attention kernel so that forward-mode differentiation works.
        """
        import torch
        from torch.nn.attention import SDPBackend, sdpa_kernel

        batch = states.shape[0]
        # The modules below the replaced one run once on the single sequence; the replacement carries the
        # batch (an all-ones attention mask broadcasts over it), so the layers below cost nothing extra.
        with sdpa_kernel(SDPBackend.MATH), self._replaced(self.module(layer), states, {}):
            out = self.transformer(input_ids=ids, attention_mask=torch.ones_like(ids))
        ids_b = ids.expand(batch, -1)
        features: dict[str, Any] = {"token_embeddings": out.last_hidden_state, "attention_mask": torch.ones_like(ids_b),
                                    "input_ids": ids_b}
        for module in list(self.model)[1:]:
            features = module(features)
        return torch.nn.functional.normalize(features["sentence_embedding"], dim=-1)


def gauss_legendre(steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights of the ``steps``-point Gauss–Legendre rule on [0, 1].

    Exact for polynomials up to degree ``2 * steps - 1``; the path integrals of integrated gradients
    and integrated Jacobians are smooth, so a few dozen nodes reach a small completeness residual.
    """
    if not isinstance(steps, int | np.integer) or steps < 1:
        raise InputError(f"steps must be a positive integer; got {steps!r}")
    nodes, weights = np.polynomial.legendre.leggauss(int(steps))
    return (nodes + 1) / 2, weights / 2
