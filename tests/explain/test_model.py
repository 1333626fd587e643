"""Finding the torch model behind an encoder; replaced forward passes stay in their own thread."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from traitlens.cache import CachedEncoder, EmbeddingCache
from traitlens.errors import InputError
from traitlens.explain.model import TorchForward, gauss_legendre, torch_model

from ..fakes import FakeEncoder


def test_no_torch_model_behind_a_fake_or_cached_fake(tmp_path):
    assert torch_model(FakeEncoder()) is None
    assert torch_model(CachedEncoder(FakeEncoder(), EmbeddingCache(tmp_path))) is None


def test_gauss_legendre_integrates_polynomials_exactly():
    nodes, weights = gauss_legendre(4)
    assert weights.sum() == pytest.approx(1.0)
    assert (weights * nodes**7).sum() == pytest.approx(1 / 8)  # exact up to degree 2 * 4 - 1
    with pytest.raises(InputError, match="steps"):
        gauss_legendre(0)


@pytest.mark.slow
def test_replaced_forward_reproduces_the_encoder_and_leaves_other_threads_alone(real_encoder, tmp_path):
    import torch

    model = torch_model(CachedEncoder(real_encoder, EmbeddingCache(tmp_path)))
    assert model is real_encoder.model
    fwd = TorchForward(model)
    ids = torch.tensor([model.tokenizer("I stay calm.")["input_ids"]])
    expected = real_encoder.encode(["I stay calm.", "Stress"])
    for layer in ("input", 0, 3, fwd.n_layers):
        states = fwd.capture(ids, layer)
        with torch.no_grad():
            again = fwd.embed(ids, layer, states).numpy()[0]
        np.testing.assert_allclose(again, expected[0], atol=1e-5)
    with pytest.raises(InputError, match="layer"):
        fwd.module(fwd.n_layers + 1)
    # while this thread's hook replaces layer 3 by zeros, another thread's encode is untouched
    seen = {}
    zeros = torch.zeros_like(fwd.capture(ids, 3))
    with fwd._replaced(fwd.module(3), zeros, {}):
        worker = threading.Thread(target=lambda: seen.update(v=real_encoder.encode(["Stress"])[0]))
        worker.start()
        worker.join()
    np.testing.assert_allclose(seen["v"], expected[1], atol=1e-5)
