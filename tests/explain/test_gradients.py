"""Integrated gradients: completeness, and the score it starts from."""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.slow  # the real bundled model


def test_completeness_of_integrated_gradients(real_encoder):
    from traitlens import explain

    e = explain("I like to work hard.", "Stress", "integrated_gradients", model=real_encoder, cache=False)
    direct = real_encoder.encode(["I like to work hard.", "Stress"])
    assert e.score == pytest.approx(float(direct[0] @ direct[1]), abs=1e-5)
    total = e.side("text")["attribution"].sum()
    # completeness: the attributions add up to score - baseline score, up to the reported residual
    assert e.residual == pytest.approx(e.score - e.baseline - total, abs=1e-12)
    assert abs(e.residual) < 0.01 * abs(e.score - e.baseline)
    # the residual shrinks with more steps (it is integration error, not a constant)
    coarse = explain("I like to work hard.", "Stress", "integrated_gradients", steps=2, model=real_encoder, cache=False)
    assert abs(coarse.residual) > abs(e.residual)


def test_identical_pair_integrated_gradients(real_encoder):
    from traitlens import explain

    e = explain("I keep my promises.", "I keep my promises.", "integrated_gradients", model=real_encoder, cache=False)
    assert e.score == pytest.approx(1.0, abs=1e-5)
    text, target = e.side("text")["attribution"].to_numpy(), e.side("target")["attribution"].to_numpy()
    np.testing.assert_allclose(text, target, atol=1e-6)  # both sides are the same computation
