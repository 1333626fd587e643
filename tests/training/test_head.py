"""The correlation head: shapes, symmetry, unit diagonal, refusal of a foreign model, shipped heads, the API."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import traitlens
from traitlens.errors import InputError
from traitlens.training.head import CorrelationHead, available_heads, head_features, load_head

from ..fakes import FakeEncoder


def _head(encoder: FakeEncoder, p: int = 105, k: int = 35, seed: int = 0) -> CorrelationHead:
    weight = np.random.default_rng(seed).standard_normal((p, k))
    return CorrelationHead(weight=weight, scale=1.5, bias=0.05, blocks=("contrast", "high", "low"),
                           model_name=encoder.name, model_fingerprint=encoder.fingerprint, meta={"steps": 3})


def test_prediction_is_symmetric_bounded_with_unit_diagonal(fake_encoder: FakeEncoder):
    head = _head(fake_encoder)
    matrix = head.predict(np.random.default_rng(1).standard_normal((7, 105)))
    assert matrix.shape == (7, 7)
    np.testing.assert_allclose(matrix, matrix.T)
    np.testing.assert_allclose(np.diag(matrix), 1.0)
    assert (np.abs(matrix) <= 1).all()
    with pytest.raises(InputError, match="expects 105 features"):
        head.predict(np.zeros((3, 10)))


def test_refuses_a_model_it_was_not_trained_for(tmp_path: Path, fake_encoder: FakeEncoder):
    _head(fake_encoder).save(tmp_path, "fake")
    other = FakeEncoder(dim=16, name="another/model")
    with pytest.raises(InputError, match="trained on fake/hash-encoder"):
        load_head(other, tmp_path / "fake.json")
    with pytest.raises(InputError, match="no correlation head for another/model"):
        load_head(other, tmp_path)


def test_save_and_load_round_trip(tmp_path: Path, fake_encoder: FakeEncoder):
    head = _head(fake_encoder)
    head.save(tmp_path, "fake")
    loaded = load_head(fake_encoder, tmp_path)
    np.testing.assert_allclose(loaded.weight, head.weight, rtol=1e-6)
    assert (loaded.scale, loaded.bias, loaded.blocks, loaded.meta) == (1.5, 0.05, head.blocks, {"steps": 3})


def test_head_features_join_profile_blocks_and_embeddings():
    class P:
        contrast = np.ones((2, 3))
        high = np.full((2, 3), 2.0)
        low = np.array([[np.nan, 1, 1], [1, 1, 1]])

    features = head_features([P(), P()], np.array([[3.0, 4.0], [1.0, 0.0]]), ("contrast", "low", "embedding"))
    assert features.shape == (2, 3 + 3 + 3 + 3 + 2)
    assert features[0, 6] == 0  # NaN (unipolar) → 0
    np.testing.assert_allclose(features[:, -2:], [[0.6, 0.8], [1.0, 0.0]])
    with pytest.raises(InputError, match="unknown head feature blocks"):
        head_features([P()], None, ("nope",))


def test_shipped_heads_name_their_base_model():
    heads = available_heads()
    assert {h.model_name for h in heads} >= {"sentence-transformers/all-MiniLM-L6-v2"}
    for head in heads:
        assert head.weight.nbytes <= 400_000
        assert head.meta["training"]["excluded_items"] >= 0
        assert head.weight.shape == (105, 35)


def test_correlate_with_the_head(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fake_encoder: FakeEncoder):
    texts = ["I panic easily.", "I stay calm under pressure.", "I love parties.", "I keep my room tidy."]
    with pytest.raises(InputError, match="no correlation head for fake/hash-encoder"):
        traitlens.correlate(texts, fake_encoder, method="head", cache=False)
    _head(fake_encoder).save(tmp_path, "fake")
    monkeypatch.setattr("traitlens.training.head._shipped_folder", lambda: tmp_path)
    frame = traitlens.correlate(texts, fake_encoder, method="head", cache=False)
    assert frame.shape == (4, 4)
    np.testing.assert_allclose(np.diag(frame.to_numpy()), 1.0)
    assert frame.attrs["provenance"]["predictor"] == "head"
    tidy = traitlens.correlate(texts, fake_encoder, method="head", tidy=True, cache=False)
    assert len(tidy) == 6
    scales = traitlens.predict_scales(pd.DataFrame({"text": texts, "scale": ["N", "N", "E", "E"],
                                                    "key": [1, -1, 1, 1]}), fake_encoder, method="head", cache=False)
    assert scales.scale_correlations.shape == (2, 2)


def test_the_shipped_head_signs_a_reversed_item(real_encoder):
    frame = traitlens.correlate(["I panic easily.", "I am relaxed most of the time.", "I worry about things."],
                                real_encoder, method="head", cache=False)
    r = frame.to_numpy()
    assert r[0, 1] < 0 < r[0, 2]
