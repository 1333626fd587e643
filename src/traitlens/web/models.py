"""The encoders of a server: allow-listed model ids, each loaded once per process and shared by all requests.

A request names a model by id (or not at all: the default, the first allowed id). An id that is not
on the allow-list is refused, and so is anything that looks like a file path, so a request can never
make the server read a folder of its choosing. Models are loaded with traitlens' own loader, which
never passes ``trust_remote_code``.

Sharing: the first request for a model loads it under a lock (concurrent first requests wait for the
one load). The loaded model is wrapped in :class:`SerializedEncoder` (one forward pass at a time:
Hugging Face tokenizers are not safe to call from several threads at once), and that in the shared
embedding cache, whose lookups run in parallel (one SQLite connection per thread).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import PurePath

from traitlens.cache import EmbeddingCache
from traitlens.encoders import DEFAULT_MODEL, Encoder, load_encoder
from traitlens.encoders.serialized import SerializedEncoder, serialized_layer
from traitlens.errors import InputError

#: The allow-list of a server started without ``--allow-model``.
DEFAULT_ALLOWED = (DEFAULT_MODEL,)


@contextlib.contextmanager
def exclusive(encoder: Encoder) -> Iterator[None]:
    """Hold the model of ``encoder`` for a whole computation that uses it directly (e.g. gradients).

    Finds the :class:`SerializedEncoder` under ``encoder``'s wrappers (``inner``) and holds its lock;
    does nothing for an encoder without one.
    """
    layer = serialized_layer(encoder)
    if layer is None:
        yield
        return
    with layer.lock:
        yield


def looks_like_path(model: str) -> bool:
    """Whether a model argument names a file or folder rather than an id (``./m``, ``/x/y``, ``a/b/c``, ``C:/m``)."""
    text = model.strip()
    return (text.startswith((".", "/", "~", "\\")) or "\\" in text or ":" in text or text.count("/") > 1
            or ".." in PurePath(text).parts)


def default_loader(cache: bool | str | EmbeddingCache = True, backend: str | None = None) -> Callable[[str], Encoder]:
    """``model id → shared encoder``: traitlens' loader (offline), serialized, behind the embedding cache.

    ``backend`` (torch by default) is passed to :func:`~traitlens.encoders.load_encoder` when given.
    """
    options: dict[str, object] = {} if backend is None else {"backend": backend}

    def load(model_id: str) -> Encoder:
        shared = SerializedEncoder(load_encoder(model_id, cache=False, local_files_only=True, **options))
        return load_encoder(shared, cache=cache)

    return load


class ModelPool:
    """The allow-listed encoders of one server process.

    Parameters
    ----------
    allowed : sequence of str
        Model ids a request may name; the first is the default. Ids, not paths.
    loader : callable
        ``model id → Encoder``, called once per id (default :func:`default_loader`).

    Raises
    ------
    InputError
        An empty allow-list, or an entry that is a path.
    """

    def __init__(self, allowed: Sequence[str] = DEFAULT_ALLOWED,
                 loader: Callable[[str], Encoder] | None = None) -> None:
        allowed = list(dict.fromkeys(a.strip() for a in allowed))
        if not allowed or not all(allowed):
            raise InputError("the model allow-list needs at least one non-empty model id")
        paths = [a for a in allowed if looks_like_path(a)]
        if paths:
            raise InputError(f"--allow-model takes model ids, not paths: {paths[0]!r}")
        self.allowed = tuple(allowed)
        self._loader = loader or default_loader()
        self._lock = threading.Lock()
        self._loaded: dict[str, Encoder] = {}

    @property
    def default(self) -> str:
        """The model of a request that names none."""
        return self.allowed[0]

    def check(self, model: str | None) -> str:
        """The allowed id a request's ``model`` names (None → the default).

        Raises
        ------
        InputError
            A path, or an id that is not on the allow-list (the message lists the allowed ids).
        """
        if model is None:
            return self.default
        if looks_like_path(model):
            raise InputError(f"model must be one of the allowed model ids, not a path; allowed: "
                             f"{', '.join(self.allowed)}")
        if model not in self.allowed:
            raise InputError(f"model {model!r} is not allowed on this server; allowed: {', '.join(self.allowed)}")
        return model

    def get(self, model: str | None = None) -> Encoder:
        """The shared encoder of an allowed ``model`` (loaded on first use, once, under a lock)."""
        model_id = self.check(model)
        encoder = self._loaded.get(model_id)
        if encoder is None:
            with self._lock:
                encoder = self._loaded.get(model_id)
                if encoder is None:
                    encoder = self._loaded[model_id] = self._loader(model_id)
        return encoder

    def loaded(self) -> list[str]:
        """Ids of the models loaded so far."""
        return list(self._loaded)


__all__ = ["DEFAULT_ALLOWED", "ModelPool", "SerializedEncoder", "default_loader", "exclusive", "looks_like_path"]
