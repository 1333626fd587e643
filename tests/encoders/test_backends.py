"""Backends: names, fingerprints, the export cache (complete or absent, damaged → again), and (slow) fidelity."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from traitlens.encoders import BACKENDS, load_encoder
from traitlens.encoders import backends as B
from traitlens.errors import InputError, ModelUnavailableError

from ..fakes import FakeEncoder

slow = pytest.mark.slow


def test_backend_names():
    assert BACKENDS == ("torch", "onnx", "onnx-int8", "openvino-int8", "static")
    assert B.check_backend(None) == "torch" and B.check_backend(" ONNX-int8 ") == "onnx-int8"
    with pytest.raises(InputError, match="unknown backend 'fast'"):
        load_encoder(backend="fast")


def test_an_encoder_instance_is_used_as_is():
    fake = FakeEncoder()
    assert load_encoder(fake, backend="onnx", cache=False) is fake


def test_fingerprints_differ_by_backend_and_by_exported_bytes():
    base = SimpleNamespace(fingerprint="base0001", name="m")
    manifest = {"files": {"model.onnx": {"sha256": "aa", "size": 1}}, "versions": {"onnxruntime": "1"}}
    onnx = B._backend_fingerprint(base, "onnx", manifest)
    assert onnx != B._backend_fingerprint(base, "onnx-int8", manifest)
    changed = {**manifest, "files": {"model.onnx": {"sha256": "bb", "size": 1}}}
    assert onnx != B._backend_fingerprint(base, "onnx", changed)
    assert onnx != B._backend_fingerprint(SimpleNamespace(fingerprint="base0002", name="m"), "onnx", manifest)
    newer = {**manifest, "versions": {"onnxruntime": "2"}}
    assert onnx != B._backend_fingerprint(base, "onnx", newer)


def _fake_export(base, out: Path, root) -> None:
    (out / "weights.bin").write_bytes(b"\x01" * 64)


def test_export_is_atomic_checked_and_redone_when_damaged(tmp_path, monkeypatch):
    calls = []

    def exporter(base, out, root):
        calls.append(out)
        _fake_export(base, out, root)

    monkeypatch.setitem(B._EXPORTERS, "onnx", exporter)
    base = SimpleNamespace(fingerprint="f00d", name="m")
    folder = B.ensure_export(base, "onnx", tmp_path)
    assert folder == tmp_path / "f00d-onnx" and len(calls) == 1
    assert B.read_manifest(folder, "onnx", base)["files"]["weights.bin"]["size"] == 64
    assert B.ensure_export(base, "onnx", tmp_path) == folder and len(calls) == 1  # cached
    (folder / "weights.bin").write_bytes(b"\x02" * 64)  # same size, other bytes
    assert B.read_manifest(folder, "onnx", base) is None
    B.ensure_export(base, "onnx", tmp_path)
    assert len(calls) == 2 and (folder / "weights.bin").read_bytes() == b"\x01" * 64
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".f00d-onnx.tmp")] == []


def test_a_failed_export_leaves_nothing(tmp_path, monkeypatch):
    def failing(base, out, root):
        (out / "half.bin").write_bytes(b"x")
        raise B._not_exportable(base, "the ONNX export failed (boom)")

    monkeypatch.setitem(B._EXPORTERS, "onnx", failing)
    base = SimpleNamespace(fingerprint="dead", name="m")
    with pytest.raises(ModelUnavailableError, match="--backend torch"):
        B.ensure_export(base, "onnx", tmp_path)
    assert not (tmp_path / "dead-onnx").exists()
    assert not list(tmp_path.glob(".dead-onnx.tmp-*"))


def test_a_model_with_other_modules_cannot_be_exported(tmp_path):
    (tmp_path / "1_Pooling").mkdir()
    (tmp_path / "1_Pooling" / "config.json").write_text(json.dumps({"word_embedding_dimension": 8,
                                                                     "pooling_mode_mean_tokens": True}))
    (tmp_path / "modules.json").write_text(json.dumps([
        {"path": "", "type": "sentence_transformers.models.Transformer"},
        {"path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"path": "2_Dense", "type": "sentence_transformers.models.Dense"}]))
    base = SimpleNamespace(fingerprint="abc", name="org/dense-model", path=tmp_path)
    with pytest.raises(ModelUnavailableError, match=r"Dense.*Use --backend torch"):
        B._pipeline(base)


def test_pooling_modes():
    tokens = np.array([[[1.0, 0.0], [3.0, 2.0], [100.0, 100.0]]])
    mask = np.array([[1, 1, 0]])
    np.testing.assert_allclose(B._pool(tokens, mask, "mean_tokens"), [[2.0, 1.0]])
    np.testing.assert_allclose(B._pool(tokens, mask, "cls_token"), [[1.0, 0.0]])
    np.testing.assert_allclose(B._pool(tokens, mask, "max_tokens"), [[3.0, 2.0]])


def test_calibration_texts_are_distinct_and_fixed():
    texts = B.calibration_texts()
    assert len(texts) == 300 == len(set(texts)) and texts == B.calibration_texts()


# ------------------------------------------------------------------ the real bundled model (slow)


@pytest.fixture(scope="module")
def export_root(tmp_path_factory):
    return tmp_path_factory.mktemp("backends")


@pytest.fixture(scope="module")
def texts():
    return [f"{s} {v} {o}." for s in ("I", "My sister") for v in ("love", "avoid", "worry about")
            for o in ("crowded parties", "tidy desks", "abstract poetry", "helping strangers")]


@slow
def test_onnx_matches_torch_and_has_its_own_fingerprint(real_encoder, export_root, texts):
    onnx = B.backend_encoder(real_encoder, "onnx", export_root)
    assert onnx.fingerprint != real_encoder.fingerprint and onnx.dim == real_encoder.dim
    cosine = np.sum(onnx.encode(texts) * real_encoder.encode(texts), axis=1)
    assert cosine.min() > 0.9999


@slow
def test_onnx_int8_is_close_and_independent_of_batch_mates(real_encoder, export_root, texts):
    int8 = B.backend_encoder(real_encoder, "onnx-int8", export_root)
    fp32 = B.backend_encoder(real_encoder, "onnx", export_root)
    assert len({int8.fingerprint, fp32.fingerprint, real_encoder.fingerprint}) == 3
    vectors = int8.encode(texts)
    assert np.mean(np.sum(vectors * real_encoder.encode(texts), axis=1)) > 0.99
    alone = np.vstack([int8.encode([t]) for t in texts[:4]])
    np.testing.assert_array_equal(alone, vectors[:4])


@slow
def test_a_corrupted_export_is_made_again(real_encoder, export_root, texts):
    fp32 = B.backend_encoder(real_encoder, "onnx", export_root)
    model = fp32.folder / "model.onnx"
    data = bytearray(model.read_bytes())
    data[len(data) // 2: len(data) // 2 + 64] = b"\0" * 64
    model.write_bytes(bytes(data))
    B._load_runtime.cache_clear()
    again = B.backend_encoder(real_encoder, "onnx", export_root)
    assert again.fingerprint == fp32.fingerprint  # the same recipe gives the same bytes
    assert np.sum(again.encode(texts[:2]) * real_encoder.encode(texts[:2]), axis=1).min() > 0.9999
