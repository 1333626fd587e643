from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest

from traitlens import EXAMPLE_SENTENCES, load_taxonomy
from traitlens.encoders import DEFAULT_MODEL, SentenceTransformerEncoder, TruncationWarning, load_encoder, resolve_model
from traitlens.encoders.sentence_transformer import _dim_from_folder, bundled_model_path, fingerprint_folder
from traitlens.errors import InputError, ModelUnavailableError


def test_encode_dedupes_and_keeps_order(fake_encoder):
    out = fake_encoder.encode(["b", "a", "b", "c", "a"])
    assert fake_encoder.seen == ["b", "a", "c"]
    assert fake_encoder.calls == 1
    np.testing.assert_array_equal(out[0], out[2])
    np.testing.assert_array_equal(out[1], out[4])
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1, atol=1e-6)
    assert out.dtype == np.float32


def test_encode_rejects_single_string_and_non_text(fake_encoder):
    with pytest.raises(InputError, match="single string"):
        fake_encoder.encode("abc")
    with pytest.raises(InputError, match=r"texts\[1\] is int"):
        fake_encoder.encode(["a", 3])


def test_default_model_resolves_to_bundled_package():
    name, path = resolve_model(None)
    assert name == DEFAULT_MODEL
    assert path == bundled_model_path()
    assert resolve_model("all-MiniLM-L6-v2") == (name, path)


def test_missing_hub_model_offline_is_a_clear_error():
    with pytest.raises(ModelUnavailableError, match="not available offline"):
        resolve_model("sentence-transformers/no-such-model-xyz", local_files_only=True)
    with pytest.raises(ModelUnavailableError, match="not available offline"):
        resolve_model("paraphrase-nothing-v9")  # HF_HUB_OFFLINE=1 from conftest


def test_missing_local_path_is_a_clear_error(tmp_path):
    with pytest.raises(ModelUnavailableError, match="does not exist"):
        resolve_model(str(tmp_path / "nowhere" / "model"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelUnavailableError, match="not a sentence-transformers model"):
        resolve_model(str(tmp_path / "empty"))


def test_fingerprint_tracks_weights_not_docs(tmp_path):
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    (folder / "model.safetensors").write_bytes(b"\x00" * 64)
    first = fingerprint_folder(folder)
    (folder / "README.md").write_text("docs")
    assert fingerprint_folder(folder) == first
    (folder / "model.safetensors").write_bytes(b"\x01" * 64)
    assert fingerprint_folder(folder) != first


def test_dim_from_folder_matches_model(real_encoder):
    assert _dim_from_folder(real_encoder.path) == 384
    assert real_encoder.model.get_embedding_dimension() == 384


@pytest.mark.slow
def test_values_equal_sentence_transformers_cosine(real_encoder):
    """traitlens' table equals sentence-transformers' own encode + cos_sim within 1e-5."""
    from sentence_transformers import SentenceTransformer, util

    import traitlens

    model = SentenceTransformer(str(bundled_model_path()), device="cpu")
    keywords = load_taxonomy("bigfive-keywords").keyword_table()["keyword"].tolist()
    expected = util.cos_sim(model.encode(list(EXAMPLE_SENTENCES)), model.encode(keywords)).numpy()
    frame = traitlens.similarity(EXAMPLE_SENTENCES, model=real_encoder, cache=False)
    got = frame["similarity"].to_numpy().reshape(len(EXAMPLE_SENTENCES), len(keywords))
    np.testing.assert_allclose(got, expected, atol=1e-5)


@pytest.mark.slow
def test_local_folder_and_fingerprint_of_copy(real_encoder, tmp_path):
    copy = tmp_path / "my-minilm"
    shutil.copytree(real_encoder.path, copy)
    enc = SentenceTransformerEncoder(copy)
    assert enc.name == "my-minilm"
    assert enc.fingerprint == real_encoder.fingerprint  # same files, same fingerprint
    np.testing.assert_allclose(enc.encode(["hello"]), real_encoder.encode(["hello"]), atol=1e-6)
    config = json.loads((copy / "config_sentence_transformers.json").read_text())
    config["note"] = "changed"
    (copy / "config_sentence_transformers.json").write_text(json.dumps(config))
    assert fingerprint_folder(Path(copy)) != real_encoder.fingerprint


@pytest.mark.slow
def test_truncation_warning(real_encoder):
    """Our warning, and not the tokenizer's own ("... will result in indexing errors", which is not so here)."""
    import logging

    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logging.getLogger("transformers").addHandler(handler)
    real_encoder.model.tokenizer.deprecation_warnings.clear()  # the tokenizer says it once per instance
    long_text = " ".join(["personality"] * 400)
    try:
        with pytest.warns(TruncationWarning, match="exceed .* maximum of 256 tokens"):
            real_encoder.encode([long_text, "short"])
    finally:
        logging.getLogger("transformers").removeHandler(handler)
    assert not [r for r in records if "Token indices sequence length" in r.getMessage()]
    with warnings.catch_warnings():
        warnings.simplefilter("error", TruncationWarning)
        real_encoder.encode(["a short sentence"])


def test_load_encoder_wraps_in_cache(fake_encoder, tmp_path):
    from traitlens.cache import CachedEncoder

    assert isinstance(load_encoder(fake_encoder, cache=tmp_path), CachedEncoder)
    assert load_encoder(fake_encoder, cache=False) is fake_encoder


@pytest.mark.parametrize("config", [
    {"word_embedding_dimension": 384, "pooling_mode_cls_token": False, "pooling_mode_mean_tokens": True},
    {"embedding_dimension": 384, "pooling_mode": "mean", "include_prompt": True},  # newer sentence-transformers
])
def test_pooling_config_reads_both_layouts(config, tmp_path):
    """A folder fine-tuned with a newer sentence-transformers writes the second layout; the fast backends
    had refused it ("pooling []")."""
    from traitlens.encoders.base import pooling_config
    from traitlens.encoders.sentence_transformer import _dim_from_folder

    assert pooling_config(config) == (["mean_tokens"], 384)
    (tmp_path / "1_Pooling").mkdir()
    (tmp_path / "1_Pooling" / "config.json").write_text(json.dumps(config))
    (tmp_path / "modules.json").write_text(json.dumps([
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}]))
    assert _dim_from_folder(tmp_path) == 384


def test_pooling_config_names_other_modes_and_needs_a_dimension():
    from traitlens.encoders.base import pooling_config

    assert pooling_config({"embedding_dimension": 8, "pooling_mode": "lasttoken"}) == (["lasttoken"], 8)
    with pytest.raises(KeyError):
        pooling_config({"pooling_mode": "mean"})
