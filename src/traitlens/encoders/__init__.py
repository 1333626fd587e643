"""Text encoders: the :class:`Encoder` interface, the sentence-transformers backend, and :func:`load_encoder`."""

from __future__ import annotations

import os

from traitlens.cache import CachedEncoder, EmbeddingCache
from traitlens.encoders import adapted
from traitlens.encoders.backends import BACKENDS, DEFAULT_BACKEND, ExportedEncoder, backend_encoder, check_backend
from traitlens.encoders.base import Encoder, l2_normalize
from traitlens.encoders.sentence_transformer import (
    DEFAULT_MODEL,
    SentenceTransformerEncoder,
    TruncationWarning,
    resolve_model,
)
from traitlens.errors import InputError

__all__ = [
    "BACKENDS",
    "DEFAULT_BACKEND",
    "DEFAULT_MODEL",
    "Encoder",
    "ExportedEncoder",
    "SentenceTransformerEncoder",
    "TruncationWarning",
    "l2_normalize",
    "load_encoder",
    "resolve_model",
]

ModelSpec = str | os.PathLike[str] | Encoder | None
CacheSpec = bool | str | os.PathLike[str] | EmbeddingCache | None


def load_encoder(
    model: ModelSpec = None,
    *,
    cache: CacheSpec = True,
    device: str = "cpu",
    local_files_only: bool | None = None,
    backend: str | None = None,
) -> Encoder:
    """Return an encoder for ``model``, wrapped in the embedding cache unless ``cache`` is falsy.

    Parameters
    ----------
    model : str, path, Encoder or None
        ``None`` → the bundled all-MiniLM-L6-v2; ``"mpnet"`` → all-mpnet-base-v2 from the
        ``traitlens[mpnet]`` extra (assembled into the user cache on first use); a hub id or local
        folder → a :class:`SentenceTransformerEncoder`; a shipped adapter's name (e.g.
        ``"all-MiniLM-L6-v2-traitlens"``), an adapter ``.npz`` or a folder written by
        ``traitlens finetune --lora-rank R`` → an :class:`~traitlens.encoders.adapted.AdaptedEncoder`
        (the adapter's base model with the adapter merged); an :class:`Encoder` is used as is.
    cache : bool, path or EmbeddingCache
        ``True`` → the default cache file (``$TRAITLENS_CACHE_DIR`` or the user
        cache dir); a path → a cache in that folder; ``False``/``None`` → no cache.
    device : str
        Torch device for a model loaded here.
    local_files_only : bool, optional
        Never use the network to fetch a model (``None`` follows ``HF_HUB_OFFLINE``).
    backend : {"torch", "onnx", "onnx-int8", "openvino-int8", "static"}, optional
        How the model runs (default :data:`DEFAULT_BACKEND`, torch); the exported backends are made once
        into the cache folder (see :mod:`traitlens.encoders.backends`). Ignored when ``model`` is an
        :class:`Encoder`.

    Returns
    -------
    Encoder

    Raises
    ------
    InputError
        Unknown backend.
    ModelUnavailableError
        The model cannot be found, or cannot be exported for the backend (the message suggests torch).
    """
    backend = check_backend(backend)
    if isinstance(model, Encoder):
        encoder = model
    elif adapted.is_adapter_spec(model):
        if backend != "torch":
            raise InputError(f"an adapter ({model}) runs on the torch backend only, not {backend!r}")
        encoder = adapted.AdaptedEncoder(model, device=device, local_files_only=local_files_only)  # type: ignore[arg-type]
    else:
        encoder = SentenceTransformerEncoder(model, device=device, local_files_only=local_files_only)
        if backend != "torch":
            encoder = backend_encoder(encoder, backend)
    if isinstance(encoder, CachedEncoder) or getattr(encoder, "cache_chosen", False) or cache is None \
            or cache is False:
        return encoder  # cache_chosen: a wrapper whose inner encoder already has the caching its caller chose
    store = cache if isinstance(cache, EmbeddingCache) else EmbeddingCache(None if cache is True else cache)
    return CachedEncoder(encoder, store)
