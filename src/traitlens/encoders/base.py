"""The one small interface every text encoder implements.

An encoder turns texts into L2-normalised float32 vectors. The rest of traitlens
never knows which backend produced a vector: it sees :attr:`Encoder.name`,
:attr:`Encoder.fingerprint` (which keys the embedding cache, so switching
models can never serve stale vectors), :attr:`Encoder.dim` and
:meth:`Encoder.encode`.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from typing import Any

import numpy as np

from traitlens.errors import InputError


def l2_normalize(vectors: np.ndarray) -> np.ndarray:
    """Return ``vectors`` scaled to unit L2 norm row by row, as float32.

    Zero rows stay zero rather than becoming NaN.
    """
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return (vectors / np.where(norms == 0, 1, norms)).astype(np.float32, copy=False)


class Encoder(abc.ABC):
    """Text → unit vectors.

    Subclasses implement :meth:`_encode_unique`, which receives each distinct
    text once; :meth:`encode` removes duplicates, calls it once for the whole
    batch and puts the rows back in input order.

    Attributes
    ----------
    name : str
        Human-readable model id, e.g. ``"sentence-transformers/all-MiniLM-L6-v2"``.
    fingerprint : str
        Hex digest identifying the exact weights and configuration.
    dim : int
        Embedding dimension.
    """

    name: str
    fingerprint: str
    dim: int

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Encode ``texts`` into an ``(n, dim)`` float32 array of unit vectors.

        Parameters
        ----------
        texts : sequence of str
            Texts to encode; duplicates are encoded once.

        Returns
        -------
        numpy.ndarray
            ``(len(texts), dim)`` float32, each row L2-normalised.
        """
        if isinstance(texts, str):
            raise InputError("texts must be a sequence of strings, not a single string; wrap it in a list")
        texts = list(texts)
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                raise InputError(f"texts[{i}] is {type(text).__name__}, expected str")
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        unique = list(dict.fromkeys(texts))
        vectors = self._encode_unique(unique)
        if vectors.shape != (len(unique), self.dim):
            raise RuntimeError(
                f"encoder {self.name} returned shape {vectors.shape}, expected {(len(unique), self.dim)}"
            )
        row = {text: i for i, text in enumerate(unique)}
        return vectors[[row[t] for t in texts]]

    @abc.abstractmethod
    def _encode_unique(self, texts: list[str]) -> np.ndarray:
        """Encode distinct texts; return ``(len(texts), dim)`` float32 unit vectors."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, fingerprint={self.fingerprint!r}, dim={self.dim})"


#: Pooling modes a sentence-transformers ``Pooling`` config may name, old keys and new values alike.
_POOLING_MODES = {"mean_tokens": "mean_tokens", "cls_token": "cls_token", "max_tokens": "max_tokens",
                  "mean": "mean_tokens", "cls": "cls_token", "max": "max_tokens"}


def pooling_config(config: dict[str, Any]) -> tuple[list[str], int]:
    """The pooling modes and output dimension of a sentence-transformers ``1_Pooling/config.json``.

    Reads both layouts: the older one (``pooling_mode_mean_tokens: true`` ..., ``word_embedding_dimension``)
    and the one newer sentence-transformers releases write (``pooling_mode: "mean"``,
    ``embedding_dimension``). Modes are named as in the older layout (``mean_tokens``, ``cls_token``,
    ``max_tokens``; others as given).

    Raises
    ------
    KeyError
        No dimension in the config.
    """
    if isinstance(config.get("pooling_mode"), str):
        modes = [_POOLING_MODES.get(config["pooling_mode"], config["pooling_mode"])]
    else:
        modes = [k.removeprefix("pooling_mode_") for k, v in config.items() if k.startswith("pooling_mode_") and v]
    dim = config.get("embedding_dimension", config.get("word_embedding_dimension"))
    if dim is None:
        raise KeyError("embedding_dimension")
    return modes, int(dim)

