"""An encoder whose forward passes run one at a time, for one model shared by several threads.

Hugging Face tokenizers are not safe to call from several threads at once, so a model shared by the
threads of a server is wrapped in :class:`SerializedEncoder`. Encoders derived from a shared one (the
model with a correlation adapter merged, :func:`traitlens.encoders.adapted.adapted_encoder_for`) take
the same lock through :func:`serialized_layer`.
"""

from __future__ import annotations

import threading

import numpy as np

from traitlens.encoders.base import Encoder


class SerializedEncoder(Encoder):
    """Runs the wrapped encoder's forward passes one at a time (thread-safe sharing of one model).

    Parameters
    ----------
    inner : Encoder
        The encoder to share; its ``name``, ``fingerprint`` and ``dim`` are kept, so cached vectors
        are the same as the plain encoder's.
    lock : threading.RLock, optional
        The lock to hold (default: a new one); pass another layer's lock to serialize two encoders
        with each other.
    """

    def __init__(self, inner: Encoder, lock: threading.RLock | None = None) -> None:
        self.inner = inner
        self.name = inner.name
        self.fingerprint = inner.fingerprint
        self.dim = inner.dim
        self.lock = lock or threading.RLock()  # re-entrant: an explanation holds it and encodes inside

    def _encode_unique(self, texts: list[str]) -> np.ndarray:
        with self.lock:
            return self.inner.encode(texts)


def serialized_layer(encoder: Encoder) -> SerializedEncoder | None:
    """The :class:`SerializedEncoder` among ``encoder``'s wrappers (followed through ``inner``), or None."""
    layer: object = encoder
    for _ in range(10):
        if isinstance(layer, SerializedEncoder):
            return layer
        layer = getattr(layer, "inner", None)
        if layer is None:
            break
    return None


__all__ = ["SerializedEncoder", "serialized_layer"]
