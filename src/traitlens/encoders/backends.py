"""Fast inference backends for a sentence-transformers model: ONNX Runtime (fp32, int8), OpenVINO int8, model2vec.

``load_encoder(model, backend=...)`` picks one of :data:`BACKENDS`:

========================  ==========================================================================
``torch``                 the model itself, in PyTorch (:class:`~traitlens.encoders.SentenceTransformerEncoder`)
``onnx``                  the transformer exported to ONNX by PyTorch's exporter (``torch.onnx.export``,
                          ``dynamo=True``), run by ONNX Runtime; pooling in numpy
``onnx-int8``             that graph with ONNX Runtime's dynamic int8 quantisation
                          (``onnxruntime.quantization.quantize_dynamic``: the MatMuls but the
                          feed-forward down-projections, int8 weights per output channel, activations
                          quantised per batch; quantising every op per tensor gave mean cosine .957 to
                          fp32, every MatMul per channel .989, this .994)
``openvino-int8``         that graph read by OpenVINO and quantised to int8 by NNCF (static, post-training,
                          ``ModelType.TRANSFORMER``, the same down-projections left in fp32) on a fixed set
                          of calibration sentences
``static``                a model2vec static model distilled from the model (``traitlens distill``): a
                          lookup table of token vectors, no transformer at inference
========================  ==========================================================================

Why not optimum: sentence-transformers' ``backend="onnx"`` and ``export_dynamic_quantized_onnx_model`` call
optimum / optimum-onnx, whose only release (0.1.0) needs ``transformers<4.58``; traitlens runs on
transformers 5. The exporters used here are the maintained ones those libraries call underneath (PyTorch's
ONNX exporter, ONNX Runtime's quantiser, OpenVINO's ONNX frontend with NNCF, model2vec's ``distill``); no
graph is written by hand.

Exports are made once per model and backend into ``$TRAITLENS_CACHE_DIR/backends/<model fingerprint>-<backend>``
(else the user cache directory). Each export is written into a temporary folder and renamed into place
under an exclusive lock, so the folder is either absent or complete; a manifest (files with sizes and
SHA-256, library versions) is written last and checked on every load: a folder that fails the check or
fails to load is exported again. An encoder's :attr:`~traitlens.encoders.Encoder.fingerprint` is a digest
of the base model's fingerprint, the backend, the manifest's file digests and the runtime's version, so
the embedding cache never mixes vectors of two backends and a re-export that changes the bytes changes
the key.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
import warnings
from collections.abc import Callable
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from traitlens.encoders import packaged
from traitlens.encoders.base import Encoder, l2_normalize, pooling_config
from traitlens.errors import InputError, ModelUnavailableError
from traitlens.fingerprint import content_fingerprint

LOG = logging.getLogger("traitlens")

#: Every backend ``--backend`` accepts, in the order the README describes them.
BACKENDS = ("torch", "onnx", "onnx-int8", "openvino-int8", "static")
#: The backend used when none is named. Stays torch: see the README ("Choosing a backend").
DEFAULT_BACKEND = "torch"
#: Exported backends (everything but torch).
EXPORTED = BACKENDS[1:]
MANIFEST = "traitlens-export.json"
#: Bumped whenever the export recipe changes: old folders are then exported again.
EXPORT_FORMAT = 2
PIPELINE = "pipeline.json"
_BATCH_SIZE = 64
#: Texts per run of each backend. Dynamic int8 quantises activations with one scale per run, computed from
#: every text in it, so a text's vector would depend on its batch mates (up to .035 per component on
#: questionnaire items): ``onnx-int8`` runs one text at a time, so a vector is the same whatever else is
#: encoded with it (the cache, streaming chunks and Ray batches rely on that). OpenVINO's int8 scales are
#: fixed at export (static quantisation), so it batches.
_BATCH_SIZES = {"onnx-int8": 1}

#: Calibration sentences for OpenVINO's static int8 quantisation: deterministic, varied in length and
#: topic (self-descriptions, as traitlens scores), made from templates. 300 sentences as NNCF's default.
_SUBJECTS = ("I", "My friends say I", "At work I", "Most days I", "People who know me say I", "In a group I")
_VERBS = ("enjoy", "avoid", "worry about", "plan", "love", "rarely think about", "get annoyed by", "seek out",
          "am careful with", "talk a lot about")
_OBJECTS = ("meeting new people", "details", "rules and deadlines", "art, music and ideas", "helping others",
            "arguments", "the future", "parties", "quiet evenings at home", "tidying up before I relax")


def calibration_texts(n: int = 300) -> list[str]:
    """``n`` deterministic, distinct calibration sentences (templates over subjects × verbs × objects)."""
    texts = [f"{s} {v} {o}." for o in _OBJECTS for v in _VERBS for s in _SUBJECTS]
    return texts[:n]


def check_backend(backend: str | None) -> str:
    """Return the backend name (``None`` → :data:`DEFAULT_BACKEND`), or raise InputError for an unknown one."""
    if backend is None:
        return DEFAULT_BACKEND
    name = str(backend).strip().lower()
    if name not in BACKENDS:
        raise InputError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    return name


def backends_dir() -> Path:
    """``$TRAITLENS_CACHE_DIR/backends``, else ``backends`` in the user cache directory of traitlens."""
    from traitlens.cache import default_cache_dir  # lazy: traitlens.cache imports this package

    return default_cache_dir() / "backends"


def export_folder(base: Any, backend: str, root: Path | None = None) -> Path:
    """Where ``backend``'s export of the model ``base`` (a SentenceTransformerEncoder) lives."""
    return (backends_dir() if root is None else Path(root)) / f"{base.fingerprint}-{backend}"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "absent"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


#: What each backend's files were made and are run with (recorded in the manifest; part of the fingerprint).
_RUNTIME = {"onnx": "onnxruntime", "onnx-int8": "onnxruntime", "openvino-int8": "openvino", "static": "model2vec"}


def read_manifest(folder: Path, backend: str, base: Any) -> dict[str, Any] | None:
    """The manifest of a complete, intact export in ``folder``, else None (absent, other recipe, bad file)."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        if (manifest.get("format") != EXPORT_FORMAT or manifest.get("backend") != backend
                or manifest.get("model_fingerprint") != base.fingerprint):
            return None
        for name, entry in manifest["files"].items():
            path = folder / name
            if path.stat().st_size != entry["size"] or _sha256(path) != entry["sha256"]:
                LOG.warning("%s in %s is damaged (size or checksum differs)", name, folder)
                return None
        return manifest
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def ensure_export(base: Any, backend: str, root: Path | None = None, *, force: bool = False) -> Path:
    """Return the folder of ``backend``'s export of ``base``, exporting it first if needed.

    Parameters
    ----------
    base : SentenceTransformerEncoder
        The model (its folder and fingerprint).
    backend : str
        One of :data:`EXPORTED`.
    root : Path, optional
        The backends cache folder (default :func:`backends_dir`).
    force : bool
        Export again even if a complete export is there (used after a failed load).

    Returns
    -------
    Path
        A folder with a valid manifest.

    Raises
    ------
    ModelUnavailableError
        The model cannot be exported with this backend (the message suggests ``--backend torch``), a
        library the backend needs is not installed, or the cache folder cannot be written.
    """
    target = export_folder(base, backend, root)
    if not force and read_manifest(target, backend, base) is not None:
        return target
    exporter = _EXPORTERS[backend]
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with packaged._exclusive_lock(target.parent / f".{target.name}.lock") as locked:
            if not force and read_manifest(target, backend, base) is not None:  # another process finished
                return target
            if locked:
                for stale in target.parent.glob(f".{target.name}.tmp-*"):
                    shutil.rmtree(stale, ignore_errors=True)
            tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
            try:
                started = time.perf_counter()
                LOG.info("exporting %s for the %s backend (once; kept in %s) …", base.name, backend, target)
                exporter(base, tmp, root)
                _write_manifest(tmp, backend, base)
                if target.exists():
                    old = target.with_name(f".{target.name}.old-{os.getpid()}")
                    os.replace(target, old)
                    shutil.rmtree(old, ignore_errors=True)
                os.replace(tmp, target)
                packaged._fsync_dir(target.parent)
                LOG.info("exported %s (%s) in %.1f s", base.name, backend, time.perf_counter() - started)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
    except OSError as exc:
        raise ModelUnavailableError(
            f"could not write the {backend} export of {base.name} into {target}: {type(exc).__name__}: {exc}. Set "
            "TRAITLENS_CACHE_DIR to a writable folder, or use --backend torch."
        ) from exc
    return target


def _write_manifest(folder: Path, backend: str, base: Any) -> None:
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST)
    manifest = {
        "format": EXPORT_FORMAT,
        "backend": backend,
        "model": base.name,
        "model_fingerprint": base.fingerprint,
        "versions": {p: _version(p) for p in ("torch", "onnx", "onnxruntime", "openvino", "nncf", "model2vec")},
        "files": {str(p.relative_to(folder)): {"size": p.stat().st_size, "sha256": _sha256(p)} for p in files},
    }
    packaged._write_synced(folder / MANIFEST, (json.dumps(manifest, indent=1) + "\n").encode())


# --------------------------------------------------------------------------------------------------- export


def _pipeline(base: Any) -> dict[str, Any]:
    """How the transformer's token vectors become a sentence vector, read from the model folder.

    Raises
    ------
    ModelUnavailableError
        A module other than Transformer → Pooling (mean, CLS or max) → Normalize: not exportable here.
    """
    path = Path(base.path)
    try:
        modules = json.loads((path / "modules.json").read_text())
    except (OSError, ValueError) as exc:
        raise _not_exportable(base, f"no readable modules.json ({exc})") from exc
    kinds = [m.get("type", "").rsplit(".", 1)[-1] for m in modules]
    if not kinds or kinds[0] != "Transformer" or "Pooling" not in kinds or set(kinds) - {"Transformer", "Pooling",
                                                                                        "Normalize"}:
        raise _not_exportable(base, f"modules {' → '.join(kinds) or 'none'}; only Transformer → Pooling "
                                    "[→ Normalize] is supported")
    transformer = path / modules[0].get("path", "")
    pooling = json.loads((path / modules[kinds.index("Pooling")].get("path", "") / "config.json").read_text())
    try:
        modes, dim = pooling_config(pooling)
    except KeyError:
        raise _not_exportable(base, "its pooling config names no embedding dimension") from None
    if modes not in (["mean_tokens"], ["cls_token"], ["max_tokens"]):
        raise _not_exportable(base, f"pooling {modes}; only mean, CLS or max pooling is supported")
    st_config = {}
    for name in ("sentence_bert_config.json",):
        with contextlib.suppress(OSError, ValueError):
            st_config = json.loads((transformer / name).read_text())
    return {"transformer": str(transformer), "pooling": modes[0], "max_seq_length": st_config.get("max_seq_length"),
            "dim": dim}


def _not_exportable(base: Any, why: str) -> ModelUnavailableError:
    return ModelUnavailableError(f"{base.name} cannot be exported for a fast backend: {why}. Use --backend torch "
                                 "(backend='torch'), which runs any sentence-transformers model.")


def _export_onnx(base: Any, out: Path, root: Path | None) -> None:
    """Export the transformer with ``torch.onnx.export(dynamo=True)`` and check it against PyTorch."""
    pipe = _pipeline(base)
    try:
        import onnxruntime  # noqa: F401 - fail early, before the slow export
        import torch
        from transformers import AutoModel, AutoTokenizer
    except ImportError as exc:
        raise ModelUnavailableError(f"the onnx backend needs onnxruntime, onnx and onnxscript ({exc}): "
                                    "pip install 'traitlens[onnx]'") from exc
    try:
        tokenizer = AutoTokenizer.from_pretrained(pipe["transformer"])
        if not getattr(tokenizer, "is_fast", False):
            raise _not_exportable(base, "it has no fast tokenizer (tokenizer.json)")
        model = AutoModel.from_pretrained(pipe["transformer"])
        model.eval()
        max_len = int(pipe["max_seq_length"] or min(tokenizer.model_max_length, 512))
        sample = tokenizer(["Hello world.", "I make friends easily and love big parties."], padding=True,
                           return_tensors="pt")
        names = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in sample]

        class _Tokens(torch.nn.Module):
            def __init__(self, inner: Any) -> None:
                super().__init__()
                self.inner = inner

            def forward(self, input_ids: Any, attention_mask: Any) -> Any:
                return self.inner(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

        class _TokensWithTypes(_Tokens):
            def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:  # type: ignore[override]
                return self.inner(input_ids=input_ids, attention_mask=attention_mask,
                                  token_type_ids=token_type_ids).last_hidden_state

        wrapper = (_TokensWithTypes if "token_type_ids" in names else _Tokens)(model)
        batch, seq = torch.export.Dim("batch"), torch.export.Dim("sequence", min=2, max=max(max_len, 8))
        with warnings.catch_warnings(), contextlib.redirect_stdout(None):
            warnings.simplefilter("ignore")
            torch.onnx.export(wrapper, tuple(sample[n] for n in names), str(out / "model.onnx"),
                              input_names=names, output_names=["token_embeddings"],
                              dynamic_shapes={n: {0: batch, 1: seq} for n in names}, dynamo=True,
                              external_data=False, verbose=False)
        tokenizer.save_pretrained(str(out / "tokenizer"))
        (out / PIPELINE).write_text(json.dumps({**pipe, "transformer": None, "inputs": names,
                                                "max_seq_length": max_len}, indent=1))
    except ModelUnavailableError:
        raise
    except Exception as exc:  # noqa: BLE001 - any exporter failure means the same to the user
        raise _not_exportable(base, f"the ONNX export failed ({type(exc).__name__}: {exc})") from exc
    _check_against_torch(base, OnnxRuntimeEncoder(base, out, "onnx", manifest={}))


def _check_against_torch(base: Any, encoder: Encoder, floor: float = 0.999) -> None:
    """Refuse an export whose vectors differ from PyTorch's (mean cosine below ``floor``) on a few sentences."""
    texts = calibration_texts(24)
    cosine = float(np.mean(np.sum(encoder.encode(texts) * base.encode(texts), axis=1)))
    if cosine < floor:
        raise _not_exportable(base, f"the exported model's vectors differ from PyTorch's (mean cosine {cosine:.4f})")


def down_projections(onnx_path: Path) -> list[str]:
    """Names of the MatMuls that project the feed-forward layer back down (weight rows > columns).

    Their inputs (after GELU) have outliers that int8 cannot hold: quantising them cost .005 of mean
    cosine to fp32 on questionnaire items (all-MiniLM-L6-v2: .9893 → .9935 when left in fp32), so both
    int8 backends keep them in fp32.
    """
    import onnx

    graph = onnx.load(str(onnx_path), load_external_data=False).graph
    shapes = {init.name: tuple(init.dims) for init in graph.initializer}
    return [node.name for node in graph.node if node.op_type == "MatMul" and len(shapes.get(node.input[1], ())) == 2
            and shapes[node.input[1]][0] > shapes[node.input[1]][1]]


def _export_onnx_int8(base: Any, out: Path, root: Path | None) -> None:
    """Dynamic int8 quantisation of the fp32 ONNX export (int8 weights, uint8 activations per batch)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    fp32 = _from_fp32_export(base, out, root)
    try:
        quantize_dynamic(str(fp32 / "model.onnx"), str(out / "model.onnx"), weight_type=QuantType.QInt8,
                         per_channel=True, reduce_range=False, op_types_to_quantize=["MatMul"],
                         nodes_to_exclude=down_projections(fp32 / "model.onnx"))
    except Exception as exc:  # noqa: BLE001
        raise _not_exportable(base, f"int8 quantisation failed ({type(exc).__name__}: {exc})") from exc


def _from_fp32_export(base: Any, out: Path, root: Path | None) -> Path:
    """Make (or reuse) the fp32 ONNX export, copy its tokenizer and pipeline into ``out``; return its folder."""
    fp32 = ensure_export(base, "onnx", root)
    shutil.copytree(fp32 / "tokenizer", out / "tokenizer")
    shutil.copy2(fp32 / PIPELINE, out / PIPELINE)
    return fp32


def _export_openvino_int8(base: Any, out: Path, root: Path | None) -> None:
    """OpenVINO reads the fp32 ONNX export; NNCF quantises it to int8 on :func:`calibration_texts`."""
    try:
        import nncf
        import openvino as ov
    except ImportError as exc:
        raise ModelUnavailableError(f"the openvino-int8 backend needs openvino and nncf ({exc}): "
                                    "pip install 'traitlens[openvino]'") from exc
    fp32 = _from_fp32_export(base, out, root)
    runner = OnnxRuntimeEncoder(base, fp32, "onnx", manifest={})
    feeds = [runner._feeds(runner._tokenize([text])[0]) for text in calibration_texts()]
    try:
        model = ov.Core().read_model(str(fp32 / "model.onnx"))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            logging.getLogger("nncf").setLevel(logging.ERROR)
            quantized = nncf.quantize(model, nncf.Dataset(feeds), model_type=nncf.ModelType.TRANSFORMER,
                                      subset_size=len(feeds), ignored_scope=nncf.IgnoredScope(
                                          names=down_projections(fp32 / "model.onnx"), validate=False))
        ov.save_model(quantized, str(out / "openvino_model.xml"), compress_to_fp16=False)
    except Exception as exc:  # noqa: BLE001
        raise _not_exportable(base, f"OpenVINO int8 quantisation failed ({type(exc).__name__}: {exc})") from exc


def _export_static(base: Any, out: Path, root: Path | None) -> None:
    """Distil a model2vec static model (token vectors, PCA to 256 dimensions) from ``base``."""
    try:
        from model2vec.distill import distill
    except ImportError as exc:
        raise ModelUnavailableError(f"the static backend needs model2vec with its distill extra ({exc}): "
                                    "pip install 'traitlens[static]'") from exc
    _pipeline(base)  # the same checks: a plain Transformer → Pooling model
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            static = distill(model_name=str(base.path), device="cpu", pca_dims=256)
        static.save_pretrained(str(out / "static"))
    except Exception as exc:  # noqa: BLE001
        raise _not_exportable(base, f"model2vec distillation failed ({type(exc).__name__}: {exc})") from exc


_EXPORTERS: dict[str, Callable[[Any, Path, Path | None], None]] = {
    "onnx": _export_onnx,
    "onnx-int8": _export_onnx_int8,
    "openvino-int8": _export_openvino_int8,
    "static": _export_static,
}


# ------------------------------------------------------------------------------------------------ encoders


def _backend_fingerprint(base: Any, backend: str, manifest: dict[str, Any]) -> str:
    files = {name: entry["sha256"] for name, entry in manifest.get("files", {}).items()}
    runtime = _RUNTIME[backend]
    return content_fingerprint({"model": base.fingerprint, "backend": backend, "files": files,
                                runtime: manifest.get("versions", {}).get(runtime, _version(runtime))}, 16)


class ExportedEncoder(Encoder):
    """Base of the exported backends: name, dim, fingerprint and the model they were made from.

    Attributes
    ----------
    base : SentenceTransformerEncoder
        The model the export was made from; explanations (which need gradients or attention) and the
        correlation heads use it.
    backend : str
        The backend name.
    folder : Path
        The export folder.
    """

    def __init__(self, base: Any, folder: Path, backend: str, manifest: dict[str, Any]) -> None:
        self.base = base
        self.backend = backend
        self.folder = Path(folder)
        self.name = base.name
        self.fingerprint = _backend_fingerprint(base, backend, manifest)

    @property
    def model(self) -> Any:
        """The base model's torch ``SentenceTransformer`` (loaded on first use).

        Explanations need gradients and attention, which an exported graph does not give, so they fall
        back to torch through this attribute (``traitlens.explain`` looks for ``encoder.model``).
        """
        return self.base.model

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(name={self.name!r}, backend={self.backend!r}, "
                f"fingerprint={self.fingerprint!r}, dim={self.dim})")


class OnnxRuntimeEncoder(ExportedEncoder):
    """ONNX Runtime (``onnx``, ``onnx-int8``) or OpenVINO (``openvino-int8``) on the exported transformer.

    Texts are tokenised with the model's fast tokenizer (``tokenizers``; no PyTorch import), sorted by
    length and run in batches of 64 (length-bucketed: little padding; one text per run for
    ``onnx-int8``, whose dynamic quantisation would otherwise make a vector depend on its batch mates),
    then pooled as the model's Pooling module says and L2-normalised.
    """

    def __init__(self, base: Any, folder: Path, backend: str, manifest: dict[str, Any]) -> None:
        super().__init__(base, folder, backend, manifest)
        self.pipeline = json.loads((self.folder / PIPELINE).read_text())
        self.dim = int(self.pipeline["dim"])
        self.max_seq_length = int(self.pipeline["max_seq_length"])
        self._tokenizer = _load_tokenizer(str(self.folder / "tokenizer" / "tokenizer.json"), self.max_seq_length)
        self._run = _load_runtime(str(self.folder), backend)
        self.batch_size = _BATCH_SIZES.get(backend, _BATCH_SIZE)

    def _tokenize(self, texts: list[str]) -> list[Any]:
        return self._tokenizer.encode_batch(texts)

    def _feeds(self, encodings: Any) -> dict[str, np.ndarray]:
        if not isinstance(encodings, list):
            encodings = [encodings]
        feeds = {"input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
                 "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64)}
        if "token_type_ids" in self.pipeline["inputs"]:
            feeds["token_type_ids"] = np.array([e.type_ids for e in encodings], dtype=np.int64)
        return {k: v for k, v in feeds.items() if k in self.pipeline["inputs"]}

    def _encode_unique(self, texts: list[str]) -> np.ndarray:
        order = np.argsort([len(t) for t in texts], kind="stable")
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        truncated = 0
        for start in range(0, len(texts), self.batch_size):
            rows = order[start:start + self.batch_size]
            encodings = self._tokenizer.encode_batch([texts[i] for i in rows])
            truncated += sum(1 for e in encodings if e.overflowing)
            feeds = self._feeds(encodings)
            tokens = self._run(feeds)
            out[rows] = _pool(tokens, feeds["attention_mask"], self.pipeline["pooling"])
        if truncated:
            from traitlens.encoders.sentence_transformer import TruncationWarning

            warnings.warn(f"{truncated} text(s) exceed {self.name}'s maximum of {self.max_seq_length} tokens and "
                          "were truncated", TruncationWarning, stacklevel=3)
        return l2_normalize(out)


def _pool(tokens: np.ndarray, mask: np.ndarray, mode: str) -> np.ndarray:
    """Sentence vectors from token vectors: mean over real tokens, the first ([CLS]) token, or the max."""
    if mode == "cls_token":
        return tokens[:, 0]
    weights = mask[..., None].astype(np.float32)
    if mode == "max_tokens":
        return np.where(weights > 0, tokens, -1e9).max(axis=1)
    return (tokens * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)


@lru_cache(maxsize=8)
def _load_tokenizer(path: str, max_length: int) -> Any:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(path)
    tokenizer.enable_truncation(max_length=max_length)
    pad_id = tokenizer.padding["pad_id"] if tokenizer.padding else (tokenizer.token_to_id("[PAD]") or 0)
    pad_token = tokenizer.padding["pad_token"] if tokenizer.padding else "[PAD]"
    tokenizer.enable_padding(pad_id=pad_id, pad_token=pad_token)
    return tokenizer


def _thread_limit() -> int | None:
    """The CPU threads a runtime may use: ``OMP_NUM_THREADS`` when set (as torch reads it), else all.

    Ray sets it to an actor's CPU share, so two one-CPU actors on one machine do not each start a
    thread per core and fight over them.
    """
    value = os.environ.get("OMP_NUM_THREADS", "")
    return int(value) if value.isdigit() and int(value) > 0 else None


@lru_cache(maxsize=8)
def _load_runtime(folder: str, backend: str) -> Callable[[dict[str, np.ndarray]], np.ndarray]:
    """A function feeds → token vectors, for the export in ``folder`` (loaded once per process)."""
    LOG.info("loading the %s backend from %s …", backend, folder)
    if backend == "openvino-int8":
        import openvino as ov

        config = {"INFERENCE_NUM_THREADS": threads} if (threads := _thread_limit()) else {}
        compiled = ov.Core().compile_model(str(Path(folder) / "openvino_model.xml"), "CPU", config)
        output = compiled.output(0)

        def run_openvino(feeds: dict[str, np.ndarray]) -> np.ndarray:
            return compiled(feeds)[output]

        return run_openvino
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if threads := _thread_limit():
        options.intra_op_num_threads = threads
    session = ort.InferenceSession(str(Path(folder) / "model.onnx"), options, providers=["CPUExecutionProvider"])

    def run_onnx(feeds: dict[str, np.ndarray]) -> np.ndarray:
        return session.run(["token_embeddings"], feeds)[0]

    return run_onnx


class StaticEncoder(ExportedEncoder):
    """A model2vec static model distilled from the base model: mean of token vectors, no transformer."""

    def __init__(self, base: Any, folder: Path, backend: str, manifest: dict[str, Any]) -> None:
        super().__init__(base, folder, backend, manifest)
        self._model = _load_static(str(self.folder / "static"))
        self.dim = int(self._model.dim)

    def _encode_unique(self, texts: list[str]) -> np.ndarray:
        return l2_normalize(self._model.encode(texts, batch_size=1024, show_progress_bar=False))


@lru_cache(maxsize=4)
def _load_static(folder: str) -> Any:
    from model2vec import StaticModel

    LOG.info("loading the static backend from %s …", folder)
    return StaticModel.from_pretrained(folder)


_CLASSES: dict[str, type[ExportedEncoder]] = {"onnx": OnnxRuntimeEncoder, "onnx-int8": OnnxRuntimeEncoder,
                                              "openvino-int8": OnnxRuntimeEncoder, "static": StaticEncoder}


def backend_encoder(base: Any, backend: str, root: Path | None = None) -> ExportedEncoder:
    """The ``backend`` encoder of the model ``base``, exporting it once into the cache if needed.

    A cached export that is damaged (manifest check) or fails to load is exported again, once.

    Parameters
    ----------
    base : SentenceTransformerEncoder
    backend : str
        One of :data:`EXPORTED`.
    root : Path, optional
        The backends cache folder (default :func:`backends_dir`).

    Returns
    -------
    ExportedEncoder

    Raises
    ------
    ModelUnavailableError
        The model cannot be exported (suggests torch), or a library is missing.
    """
    folder = ensure_export(base, backend, root)
    manifest = read_manifest(folder, backend, base) or {}
    try:
        return _CLASSES[backend](base, folder, backend, manifest)
    except ModelUnavailableError:
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged file that passed the checksum (e.g. edited manifest)
        LOG.warning("the %s export in %s does not load (%s: %s); exporting it again", backend, folder,
                    type(exc).__name__, exc)
        _load_runtime.cache_clear()
        _load_tokenizer.cache_clear()
        _load_static.cache_clear()
        folder = ensure_export(base, backend, root, force=True)
        manifest = read_manifest(folder, backend, base) or {}
        return _CLASSES[backend](base, folder, backend, manifest)
