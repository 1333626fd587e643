r"""Learned item-correlation heads: a small projection of an item's profile features, and its loader.

A head maps item features to predicted signed item correlations,

.. math:: \hat r_{ij} = \tanh\bigl(a \cdot \cos(W^\top f_i, W^\top f_j) + b\bigr), \qquad \hat r_{ii} = 1,

where :math:`f_i` joins the item's bipolar profile over the 5 domains and 30 facets of
``bigfive-facets`` (blocks ``contrast``, ``high``, ``low``: 3 × 35 cosines, see
:mod:`traitlens.analysis.profiles`) and, for heads that use it, the item's centred unit embedding
(block ``embedding``). :math:`W` is initialised at the identity on the ``contrast`` block, so an
untrained head *is* the ``profile`` predictor; training (:mod:`traitlens.training.fit`) moves it only
as far as observed item correlations of other questionnaires support.

Heads are shipped per base model in ``traitlens/training/heads/<name>.npz`` (arrays) with
``<name>.json`` (metadata: the base model's name and fingerprint, feature blocks, hyper-parameters,
training data and exclusions) and a model card ``<name>.md``. :func:`load_head` finds the head of an
encoder by the encoder's fingerprint and refuses any other model: a head trained on one model's
vectors means nothing on another's.

This module is inference only (numpy): it does not import torch, the datasets or the evaluation layer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from traitlens.analysis.profiles import BipolarProfile
from traitlens.encoders.base import Encoder
from traitlens.errors import InputError
from traitlens.io.tables import atomic_write

__all__ = ["BLOCKS", "HEADS_PACKAGE", "CorrelationHead", "available_heads", "head_features", "load_head"]

#: Feature blocks a head may use, in the order they are joined.
BLOCKS = ("contrast", "high", "low", "embedding")

#: Package of the shipped heads.
HEADS_PACKAGE = "traitlens.training.heads"


def head_features(profiles: tuple[BipolarProfile, ...] | list[BipolarProfile], vectors: np.ndarray | None,
                  blocks: tuple[str, ...], center: np.ndarray | None = None) -> np.ndarray:
    """Item features of a head: the requested profile blocks over all profiles, then the embedding.

    Parameters
    ----------
    profiles : sequence of BipolarProfile
        Profiles of the same texts (factor level, then facet level); NaN (unipolar ``low``) → 0.
    vectors : (n, d) array or None
        Item embeddings, needed for the ``embedding`` block.
    blocks : tuple of str
        Blocks of :data:`BLOCKS`.
    center : (d,) array, optional
        Subtracted from the embeddings before re-normalising them (``embedding`` block).

    Returns
    -------
    (n, p) float64 array
    """
    unknown = [b for b in blocks if b not in BLOCKS]
    if unknown:
        raise InputError(f"unknown head feature blocks {unknown}; available: {', '.join(BLOCKS)}")
    parts = []
    for block in blocks:
        if block == "embedding":
            if vectors is None:
                raise InputError("this head needs the item embeddings")
            x = np.asarray(vectors, dtype=np.float64) - (0.0 if center is None else center)
            parts.append(x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12))
        else:
            parts.append(np.nan_to_num(np.hstack([getattr(p, block) for p in profiles])))
    return np.hstack(parts)


@dataclass(frozen=True, eq=False)
class CorrelationHead:
    """A trained head (see the module notes for the formula).

    Attributes
    ----------
    weight : (p, k) array
        The projection :math:`W`.
    scale, bias : float
        :math:`a` and :math:`b`.
    blocks : tuple of str
        Feature blocks (:data:`BLOCKS`), in order.
    model_name, model_fingerprint : str
        The base model the head was trained on; :meth:`check` refuses any other.
    center : (d,) array or None
        Embedding centre (``embedding`` block only).
    meta : dict
        Everything else recorded at training time (hyper-parameters, data, exclusions, figures).
    """

    weight: np.ndarray
    scale: float
    bias: float
    blocks: tuple[str, ...]
    model_name: str
    model_fingerprint: str
    center: np.ndarray | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def uses_embeddings(self) -> bool:
        """Whether the head needs the item embeddings (the ``embedding`` block)."""
        return "embedding" in self.blocks

    def check(self, encoder: Encoder) -> None:
        """Raise :class:`InputError` unless ``encoder`` is the model this head was trained on."""
        if encoder.fingerprint != self.model_fingerprint:
            raise InputError(
                f"this correlation head was trained on {self.model_name} (fingerprint {self.model_fingerprint}); "
                f"it cannot score with {encoder.name} (fingerprint {encoder.fingerprint}). Use method='profile', "
                "or train a head for this model with `traitlens train-head`")

    def project(self, features: np.ndarray) -> np.ndarray:
        r"""Unit rows of :math:`W^\top f` (zero rows stay zero)."""
        z = np.asarray(features, dtype=np.float64) @ self.weight
        return z / np.maximum(np.linalg.norm(z, axis=1, keepdims=True), 1e-12)

    def predict(self, features: np.ndarray) -> np.ndarray:
        """Predicted correlations (n × n, symmetric, unit diagonal) from item features (n × p)."""
        if features.shape[1] != self.weight.shape[0]:
            raise InputError(f"head expects {self.weight.shape[0]} features per item, got {features.shape[1]}")
        z = self.project(features)
        matrix = np.tanh(self.scale * (z @ z.T) + self.bias)
        matrix = (matrix + matrix.T) / 2
        np.fill_diagonal(matrix, 1.0)
        return matrix

    def save(self, folder: str | Path, name: str) -> tuple[Path, Path]:
        """Write ``<name>.npz`` (arrays, float32) and ``<name>.json`` (metadata) into ``folder``."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        arrays = {"weight": self.weight.astype(np.float32)}
        if self.center is not None:
            arrays["center"] = self.center.astype(np.float32)
        npz = folder / f"{name}.npz"
        with atomic_write(npz) as fh:  # each file whole or not at all; the .json, by which heads are found, last
            np.savez_compressed(fh, **arrays)
        meta = {**self.meta, "scale": float(self.scale), "bias": float(self.bias), "blocks": list(self.blocks),
                "model": {"name": self.model_name, "fingerprint": self.model_fingerprint}}
        js = folder / f"{name}.json"
        with atomic_write(js) as fh:
            fh.write((json.dumps(meta, indent=2, sort_keys=True) + "\n").encode("utf-8"))
        return npz, js

    @classmethod
    def read(cls, json_path: str | Path) -> CorrelationHead:
        """Read a head from its ``.json`` file and the ``.npz`` beside it."""
        json_path = Path(json_path)
        try:
            meta = json.loads(json_path.read_text(encoding="utf-8"))
            with np.load(json_path.with_suffix(".npz")) as arrays:
                weight = arrays["weight"].astype(np.float64)
                center = arrays["center"].astype(np.float64) if "center" in arrays else None
            model = meta.pop("model")
            return cls(weight=weight, scale=float(meta.pop("scale")), bias=float(meta.pop("bias")),
                       blocks=tuple(meta.pop("blocks")), model_name=model["name"],
                       model_fingerprint=model["fingerprint"], center=center, meta=meta)
        except (OSError, KeyError, ValueError) as error:
            raise InputError(f"{json_path}: not a readable correlation head ({error})") from None


def _shipped_folder() -> Path:
    return Path(str(resources.files(HEADS_PACKAGE)))


def available_heads(folder: str | Path | None = None) -> list[CorrelationHead]:
    """Every head in ``folder`` (default: the shipped heads)."""
    folder = Path(folder) if folder is not None else _shipped_folder()
    return [CorrelationHead.read(p) for p in sorted(folder.glob("*.json"))]


def has_head(encoder: Encoder, folder: str | Path | None = None) -> bool:
    """Whether a head for ``encoder``'s model (same fingerprint) is in ``folder`` (default: shipped)."""
    return any(head.model_fingerprint == encoder.fingerprint for head in available_heads(folder))


def load_head(encoder: Encoder, folder: str | Path | None = None) -> CorrelationHead:
    """The head trained for ``encoder``'s model (matched by fingerprint).

    Parameters
    ----------
    encoder : Encoder
    folder : path, optional
        Where to look (default: the heads shipped with traitlens); or a head's ``.json`` file, which
        must then match the encoder.

    Returns
    -------
    CorrelationHead

    Raises
    ------
    InputError
        No head for this model (the message lists the models that have one), or the given head
        belongs to another model.
    """
    if folder is not None and Path(folder).suffix == ".json":
        head = CorrelationHead.read(folder)
        head.check(encoder)
        return head
    heads = available_heads(folder)
    for head in heads:
        if head.model_fingerprint == encoder.fingerprint:
            return head
    have = ", ".join(f"{h.model_name} ({h.model_fingerprint})" for h in heads) or "none"
    raise InputError(f"no correlation head for {encoder.name} (fingerprint {encoder.fingerprint}); heads exist "
                     f"for: {have}. Use method='profile', or train one with `traitlens train-head`")
