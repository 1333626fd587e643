"""A base sentence-transformer with a low-rank (LoRA) adapter merged into its weights — no ``peft`` needed.

A LoRA adapter (Hu et al. 2021, *LoRA: Low-Rank Adaptation of Large Language Models*, arXiv:2106.09685)
changes each adapted linear layer ``y = W x + b`` of the base transformer into
``y = (W + s · B A) x + b`` with ``A`` (``r × in``), ``B`` (``out × r``) and the scaling
``s = alpha / r``. Merged once at load time, the adapted model costs exactly what the base model costs.

The file format (:data:`ADAPTER_FILE`, a compressed ``.npz``, loadable with ``allow_pickle=False``):

- ``__meta__``: a 0-d string array holding JSON: ``format`` (:data:`FORMAT`), ``name``, ``base``
  (``{"id", "fingerprint"}`` of the base model folder), ``rank``, ``alpha``, ``dtype``, ``modules``
  (``{module name: scaling}``), and free-form ``training`` notes;
- ``<module>.A`` and ``<module>.B`` for every adapted ``torch.nn.Linear`` of the base transformer
  (module names as in ``SentenceTransformer[0].auto_model.named_modules()``).

:class:`AdaptedEncoder` loads the base model, checks that the adapter was trained on exactly that base
(its fingerprint) and that every module exists with matching shapes, and merges. Its fingerprint is a
digest of the base fingerprint and the adapter checksum, so the embedding cache never mixes adapted and
base vectors. Shipped adapters live in ``traitlens/encoders/adapters/`` (:func:`shipped_adapters`),
each with a model card (``NAME.md``).
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeAlias

import numpy as np

from traitlens.encoders.base import Encoder, l2_normalize
from traitlens.encoders.sentence_transformer import LOG, SentenceTransformerEncoder
from traitlens.errors import InputError

__all__ = [
    "ADAPTER_FILE",
    "FORMAT",
    "SHIPPED_DIR",
    "Adapter",
    "AdaptedEncoder",
    "adapted_encoder_for",
    "adapter_record",
    "find_adapter",
    "is_adapter_spec",
    "read_adapter",
    "shipped_adapter_for",
    "shipped_adapters",
    "shipped_adapters_for",
    "tuned_encoders",
    "unwrap",
    "write_adapter",
]

#: File name of an adapter inside an adapter folder (``traitlens finetune --lora-rank R --out DIR``).
ADAPTER_FILE = "adapter.npz"
#: Version of the file format.
FORMAT = "traitlens-lora/1"
#: Folder of the adapters that ship with traitlens.
SHIPPED_DIR = Path(__file__).with_name("adapters")
_META = "__meta__"
#: An adapter argument: a shipped name, an ``.npz`` or folder, several of them (an ensemble), or None.
AdapterSpec: TypeAlias = "str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None"


@dataclass(frozen=True)
class Adapter:
    """A low-rank adapter read from a file.

    Attributes
    ----------
    name : str
        Its name (shipped adapters: the file stem).
    path : Path
        The ``.npz`` file.
    checksum : str
        SHA-256 of the file's bytes (16 hex digits).
    meta : dict
        The ``__meta__`` record.
    factors : dict
        ``module name → (A, B, scaling)`` with float32 arrays.
    """

    name: str
    path: Path
    checksum: str
    meta: dict[str, Any]
    factors: dict[str, tuple[np.ndarray, np.ndarray, float]]

    @property
    def base_id(self) -> str:
        """Model id of the base the adapter was trained on."""
        return str(self.meta["base"]["id"])

    @property
    def base_fingerprint(self) -> str:
        """Fingerprint of the base model folder the adapter was trained on."""
        return str(self.meta["base"]["fingerprint"])

    @property
    def rank(self) -> int:
        """The LoRA rank r."""
        return int(self.meta["rank"])

    def record(self) -> dict[str, Any]:
        """What provenance records about the adapter."""
        return {"name": self.name, "checksum": self.checksum, "rank": self.rank, "format": self.meta["format"],
                "base": self.base_id, "base_fingerprint": self.base_fingerprint}


def write_adapter(path: str | os.PathLike[str], factors: dict[str, tuple[np.ndarray, np.ndarray, float]], *,
                  base_id: str, base_fingerprint: str, rank: int, alpha: float, name: str,
                  dtype: str = "float16", training: dict[str, Any] | None = None) -> str:
    """Write low-rank factors to a compressed ``.npz`` (the format of this module); return its checksum.

    Parameters
    ----------
    path : path
        File to write.
    factors : dict
        ``module name → (A (r × in), B (out × r), scaling)``.
    base_id, base_fingerprint : str
        The base model the factors belong to.
    rank : int
        LoRA rank.
    alpha : float
        LoRA alpha (``scaling = alpha / rank`` for plain LoRA; the per-module scaling is stored as given).
    name : str
        Adapter name, for provenance.
    dtype : {"float16", "float32"}
        Storage type of the factors (float16 halves the file; the merge is done in float32).
    training : dict, optional
        Notes (JSON-serialisable) kept in the metadata.

    Returns
    -------
    str
        The file's checksum (16 hex digits).
    """
    if dtype not in {"float16", "float32"}:
        raise InputError(f"adapter dtype must be float16 or float32, got {dtype!r}")
    if not factors:
        raise InputError("an adapter needs at least one adapted module")
    arrays: dict[str, np.ndarray] = {}
    modules: dict[str, float] = {}
    for module, (a, b, scaling) in sorted(factors.items()):
        a = np.asarray(a)
        b = np.asarray(b)
        if a.ndim != 2 or b.ndim != 2 or a.shape[0] != b.shape[1]:
            raise InputError(f"adapter factors of {module} have shapes {a.shape} and {b.shape}; expected (r, in) and "
                             "(out, r)")
        arrays[f"{module}.A"] = a.astype(dtype)
        arrays[f"{module}.B"] = b.astype(dtype)
        modules[module] = float(scaling)
    meta = {"format": FORMAT, "name": name, "base": {"id": base_id, "fingerprint": base_fingerprint},
            "rank": int(rank), "alpha": float(alpha), "dtype": dtype, "modules": modules, "training": training or {}}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        np.savez_compressed(handle, **{_META: np.array(json.dumps(meta))}, **arrays)
    return _checksum(path)


def _checksum(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def read_adapter(path: str | os.PathLike[str], name: str | None = None) -> Adapter:
    """Read and check an adapter file (or an adapter folder holding :data:`ADAPTER_FILE`).

    Raises
    ------
    InputError
        Not a readable adapter: missing, not an ``.npz``, corrupted, no or bad metadata, missing or
        mis-shaped factors.
    """
    path = Path(path).expanduser()
    if path.is_dir():
        path = path / ADAPTER_FILE
    if not path.is_file():
        raise InputError("no adapter file here", path=path)
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError, KeyError) as exc:
        raise InputError(f"not a readable adapter file (corrupted or not an .npz: {type(exc).__name__}: {exc})",
                         path=path) from None
    if _META not in arrays:
        raise InputError("not a traitlens adapter: the file has no metadata (__meta__)", path=path)
    try:
        meta = json.loads(str(arrays.pop(_META)))
        fmt = meta["format"]
        modules = {str(k): float(v) for k, v in meta["modules"].items()}
        meta["base"]["id"], meta["base"]["fingerprint"], int(meta["rank"])  # noqa: B018 - presence check
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InputError(f"not a traitlens adapter: bad metadata ({type(exc).__name__}: {exc})", path=path) from None
    if fmt != FORMAT:
        raise InputError(f"unsupported adapter format {fmt!r} (this traitlens reads {FORMAT!r})", path=path)
    factors: dict[str, tuple[np.ndarray, np.ndarray, float]] = {}
    for module, scaling in modules.items():
        a, b = arrays.get(f"{module}.A"), arrays.get(f"{module}.B")
        if a is None or b is None:
            raise InputError(f"adapter file is incomplete: the factors of module {module} are missing", path=path)
        if a.ndim != 2 or b.ndim != 2 or a.shape[0] != b.shape[1]:
            raise InputError(f"adapter factors of {module} have shapes {a.shape} and {b.shape}", path=path)
        a32, b32 = a.astype(np.float32), b.astype(np.float32)
        if not (np.isfinite(a32).all() and np.isfinite(b32).all() and np.isfinite(scaling)):
            raise InputError(f"adapter factors of {module} are not finite", path=path)
        factors[module] = (a32, b32, scaling)
    if not factors:
        raise InputError("adapter has no adapted modules", path=path)
    stem = path.parent.name if path.name == ADAPTER_FILE else path.stem
    return Adapter(name=name or str(meta.get("name") or stem), path=path, checksum=_checksum(path), meta=meta,
                   factors=factors)


def shipped_adapters() -> dict[str, Path]:
    """Name → file of the adapters shipped with traitlens."""
    if not SHIPPED_DIR.is_dir():
        return {}
    return {p.stem: p for p in sorted(SHIPPED_DIR.glob("*.npz"))}


def shipped_adapter_for(base_fingerprint: str) -> Path | None:
    """The (first) shipped adapter trained on the base model with this fingerprint, or None."""
    members = shipped_adapters_for(base_fingerprint)
    return members[0] if members else None


def shipped_adapters_for(base_fingerprint: str) -> list[Path]:
    """Every shipped adapter trained on the base model with this fingerprint, in name order.

    Several adapters for one base are an ensemble: ``method="tuned"``
    (:func:`traitlens.engine.item_correlations`) averages their predicted correlations. Used as a model
    (``model="NAME"``), each is a model of its own.
    """
    return sorted((path for path in shipped_adapters().values()
                   if _meta_of(path).get("base", {}).get("fingerprint") == base_fingerprint), key=lambda p: p.stem)


def adapter_base_fingerprint(path: str | os.PathLike[str]) -> str | None:
    """Fingerprint of the base model an adapter file was trained on (None if unreadable)."""
    return _meta_of(Path(path)).get("base", {}).get("fingerprint")


@lru_cache(maxsize=16)
def _meta_of(path: Path) -> dict[str, Any]:
    try:
        with np.load(path, allow_pickle=False) as data:
            return json.loads(str(data[_META]))
    except Exception:  # noqa: BLE001 - a broken shipped file is reported when it is loaded
        return {}


def is_adapter_spec(model: object) -> bool:
    """Whether a ``model`` argument names an adapter: a shipped adapter's name, an adapter file or folder."""
    if not isinstance(model, str | os.PathLike):
        return False
    return find_adapter(model) is not None


def find_adapter(model: str | os.PathLike[str]) -> Path | None:
    """The adapter file a ``model`` argument names, or None (a shipped name, a ``.npz``, a folder with one)."""
    spec = str(model).strip()
    shipped = shipped_adapters()
    if spec in shipped:
        return shipped[spec]
    path = Path(spec).expanduser()
    if path.is_file() and path.suffix == ".npz":
        return path
    if path.is_dir() and (path / ADAPTER_FILE).is_file() and not (path / "modules.json").is_file():
        return path / ADAPTER_FILE
    return None


def merge_adapter(transformer: Any, adapter: Adapter) -> int:
    """Add ``scaling · B A`` to the weight of every adapted linear layer of ``transformer`` in place.

    Parameters
    ----------
    transformer : torch.nn.Module
        The base transformer (``SentenceTransformer[0].auto_model``).
    adapter : Adapter

    Returns
    -------
    int
        Number of merged modules.

    Raises
    ------
    InputError
        A module of the adapter is missing from the model or its shape does not match.
    """
    import torch

    modules = dict(transformer.named_modules())
    checked = []
    for module, (a, b, scaling) in adapter.factors.items():
        layer = modules.get(module)
        weight = getattr(layer, "weight", None)
        if weight is None or weight.ndim != 2:
            raise InputError(f"the adapter does not fit this model: it has no linear layer {module}", path=adapter.path)
        if weight.shape != (b.shape[0], a.shape[1]):
            raise InputError(f"the adapter does not fit this model: {module} is {tuple(weight.shape)}, the adapter's "
                             f"update is {(b.shape[0], a.shape[1])}", path=adapter.path)
        checked.append((weight, a, b, scaling))
    with torch.no_grad():
        for weight, a, b, scaling in checked:
            delta = torch.from_numpy(b) @ torch.from_numpy(a)
            weight.add_(delta.to(weight.dtype).to(weight.device), alpha=scaling)
    return len(checked)


class AdaptedEncoder(Encoder):
    """The base sentence-transformer with a LoRA adapter merged in.

    Parameters
    ----------
    adapter : str or path
        A shipped adapter's name, an adapter ``.npz`` or a folder with :data:`ADAPTER_FILE`.
    base : str or path, optional
        The base model (default: the one recorded in the adapter); its folder's fingerprint must equal
        the adapter's recorded base fingerprint.
    device, batch_size, local_files_only
        As for :class:`~traitlens.encoders.SentenceTransformerEncoder`.

    Attributes
    ----------
    adapter : Adapter
    fingerprint : str
        ``sha256(base fingerprint + ":" + adapter checksum)`` (16 hex digits).
    name : str
        ``"<base id>+<adapter name>"``.

    Raises
    ------
    InputError
        Unreadable adapter, or an adapter trained on another base model.
    ModelUnavailableError
        The base model cannot be had.
    """

    def __init__(self, adapter: str | os.PathLike[str], *, base: str | os.PathLike[str] | None = None,
                 device: str = "cpu", batch_size: int = 64, local_files_only: bool | None = None) -> None:
        path = find_adapter(adapter)
        if path is None:
            path = Path(str(adapter)).expanduser()
        name = path.stem if path.parent == SHIPPED_DIR else None
        self.adapter = read_adapter(path, name=name)
        self.base = SentenceTransformerEncoder(self.adapter.base_id if base is None else base, device=device,
                                               batch_size=batch_size, local_files_only=local_files_only)
        if self.base.fingerprint != self.adapter.base_fingerprint:
            raise InputError(f"the adapter {self.adapter.name} was trained on {self.adapter.base_id} with fingerprint "
                             f"{self.adapter.base_fingerprint}, but the base model {self.base.name} has fingerprint "
                             f"{self.base.fingerprint}: use the base it was trained on", path=self.adapter.path)
        self.name = f"{self.base.name}+{self.adapter.name}"
        digest = hashlib.sha256(f"{self.base.fingerprint}:{self.adapter.checksum}".encode()).hexdigest()
        self.fingerprint = digest[:16]
        self.path = self.base.path
        self.device = device
        self.batch_size = batch_size
        self._dim = self.base._dim

    @property
    def dim(self) -> int:  # type: ignore[override]
        """Embedding dimension (that of the base model: the adapter changes no shape)."""
        if self._dim is None:
            self._dim = self.base.dim
        return self._dim

    @property
    def model(self) -> Any:
        """The merged ``SentenceTransformer``, built on first use (once per process per adapter)."""
        return _load_merged(str(self.base.path), self.device, str(self.adapter.path), self.adapter.checksum,
                            self.name)

    @property
    def max_seq_length(self) -> int | None:
        """Maximum number of tokens the model reads."""
        return int(self.model.max_seq_length or 0) or None

    def _encode_unique(self, texts: list[str]) -> np.ndarray:
        vectors = self.model.encode(texts, batch_size=self.batch_size, show_progress_bar=False,
                                    convert_to_numpy=True, normalize_embeddings=False)
        return l2_normalize(vectors)


@lru_cache(maxsize=7)
def _load_merged(base_path: str, device: str, adapter_path: str, checksum: str, name: str) -> Any:
    """A fresh copy of the base model with the adapter merged (the base's own cached copy stays untouched).

    Kept per process: seven, the two shipped ensembles (four members for all-MiniLM-L6-v2, three for
    all-mpnet-base-v2), so a server answering for both models does not reload members in turn.
    """
    from sentence_transformers import SentenceTransformer

    from traitlens.errors import ModelUnavailableError

    adapter = read_adapter(adapter_path)
    if adapter.checksum != checksum:
        raise InputError("the adapter file changed while in use", path=adapter_path)
    LOG.info("loading model %s …", name)
    try:
        from transformers.utils import logging as hf_logging

        bars = hf_logging.is_progress_bar_enabled()
        hf_logging.disable_progress_bar()
        try:
            model = SentenceTransformer(base_path, device=device, local_files_only=True)
        finally:
            if bars:
                hf_logging.enable_progress_bar()
    except Exception as exc:  # noqa: BLE001 - any failure to build the model is reported the same way
        raise ModelUnavailableError(f"could not load the model in {base_path}: {type(exc).__name__}: {exc}") from exc
    merge_adapter(model[0].auto_model, adapter)
    model.eval()
    return model


def unwrap(encoder: Encoder) -> Encoder:
    """The encoder behind wrappers that keep it as ``inner`` (the embedding cache, the web's lock), or itself."""
    seen = 0
    while hasattr(encoder, "inner") and seen < 8:
        encoder, seen = encoder.inner, seen + 1
    return encoder


def _cache_of(encoder: Encoder) -> Any:
    """The embedding cache of the first :class:`~traitlens.cache.CachedEncoder` among the wrappers, or None."""
    from traitlens.cache import CachedEncoder

    for _ in range(8):
        if isinstance(encoder, CachedEncoder):
            return encoder.cache
        if not hasattr(encoder, "inner"):
            return None
        encoder = encoder.inner
    return None


def adapter_record(encoder: Encoder) -> dict[str, Any] | None:
    """What provenance records about the adapter of an (optionally cached) adapted encoder, else None."""
    inner = unwrap(encoder)
    return inner.adapter.record() if isinstance(inner, AdaptedEncoder) else None


def tuned_encoders(encoder: Encoder, adapter: AdapterSpec = None) -> list[Encoder]:
    """The adapted encoders ``method="tuned"`` averages over.

    ``encoder`` itself if it already carries an adapter (and ``adapter`` is None); one encoder per
    adapter given (a name, file or folder, or a sequence of them); else one per adapter shipped for
    the base model (:func:`shipped_adapters_for`: the shipped ensemble).

    Raises
    ------
    InputError
        As :func:`adapted_encoder_for`.
    """
    if adapter is None:
        inner = unwrap(encoder)
        if isinstance(inner, AdaptedEncoder) or not isinstance(inner, SentenceTransformerEncoder):
            return [adapted_encoder_for(encoder)]
        members = shipped_adapters_for(inner.fingerprint)
        return [adapted_encoder_for(encoder, m) for m in members] if members else [adapted_encoder_for(encoder)]
    if isinstance(adapter, str | os.PathLike):
        return [adapted_encoder_for(encoder, adapter)]
    members = list(adapter)
    if not members:
        raise InputError("an empty list of adapters")
    return [adapted_encoder_for(encoder, m) for m in members]


def adapted_encoder_for(encoder: Encoder, adapter: str | os.PathLike[str] | None = None) -> Encoder:
    """``encoder`` with an adapter merged: the given one, else the one shipped for its base model.

    An encoder that is already adapted is returned as is (unless ``adapter`` names another). The result
    uses the same embedding cache as ``encoder``; its fingerprint differs from the base's, so the
    cache keeps adapted and base vectors apart. Where ``encoder`` is shared by threads through a
    :class:`~traitlens.encoders.serialized.SerializedEncoder` (a server's model), the adapted one
    holds the same lock: one forward pass at a time over both.

    Raises
    ------
    InputError
        No adapter is shipped for the model, or the encoder is not a torch sentence-transformer.
    """
    from traitlens.cache import CachedEncoder
    from traitlens.encoders.serialized import SerializedEncoder, serialized_layer

    inner = unwrap(encoder)
    if isinstance(inner, AdaptedEncoder) and adapter is None:
        return encoder
    if isinstance(inner, AdaptedEncoder):
        inner = inner.base
    if not isinstance(inner, SentenceTransformerEncoder):
        raise InputError(f"an adapter needs a sentence-transformers model on the torch backend; {inner.name} is a "
                         f"{type(inner).__name__}")
    path = find_adapter(adapter) if adapter is not None else shipped_adapter_for(inner.fingerprint)
    if path is None:
        if adapter is not None:
            raise InputError(f"no adapter here: {adapter} (a shipped adapter's name, an adapter .npz or a folder "
                             "written by traitlens finetune --lora-rank)")
        names = ", ".join(f"{n} (for {_meta_of(p).get('base', {}).get('id')})" for n, p in shipped_adapters().items())
        raise InputError(f"no adapter is shipped for {inner.name} (fingerprint {inner.fingerprint}); shipped: "
                         f"{names or 'none'}. Train one with traitlens finetune --lora-rank 8 --base MODEL and pass "
                         "its folder as the model")
    adapted = AdaptedEncoder(path, base=inner.path, device=inner.device, batch_size=inner.batch_size)
    adapted.base.name = inner.name  # the id the base was asked for, not its folder's name
    adapted.name = f"{inner.name}+{adapted.adapter.name}"
    shared = serialized_layer(encoder)
    result: Encoder = SerializedEncoder(adapted, lock=shared.lock) if shared is not None else adapted
    cache = _cache_of(encoder)
    return CachedEncoder(result, cache) if cache is not None else result
