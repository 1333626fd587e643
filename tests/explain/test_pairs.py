"""Token-pair attributions by integrated Jacobians: the pairs add up to the cosine."""

from __future__ import annotations

import numpy as np
import pytest

from traitlens.errors import InputError
from traitlens.explain.explanation import REFERENCE

pytestmark = pytest.mark.slow  # the real bundled model


def test_pairs_sum_to_the_cosine(real_encoder):
    from traitlens import explain

    e = explain("I like to work hard.", "Stress", "pairs", model=real_encoder, cache=False)
    direct = real_encoder.encode(["I like to work hard.", "Stress"])
    assert e.score == pytest.approx(float(direct[0] @ direct[1]), abs=1e-5)
    assert e.pairs["attribution"].sum() + e.residual == pytest.approx(e.score, abs=1e-9)
    assert e.relative_residual < 0.01
    matrix = e.pair_matrix()
    assert list(matrix.index) == ["I", "like", "to", "work", "hard", ".", REFERENCE]
    assert list(matrix.columns) == ["Stress", REFERENCE]
    # word attributions are the rows of the matrix (text side) and its columns (target side)
    np.testing.assert_allclose(e.side("text")["attribution"], matrix.iloc[:-1].sum(axis=1), atol=1e-12)
    np.testing.assert_allclose(e.side("target")["attribution"], matrix.iloc[:, :-1].sum(axis=0), atol=1e-12)
    # a coarse rule at the input embeddings leaves a larger residual: the residual is real integration error
    coarse = explain("I like to work hard.", "Stress", "pairs", layer=0, steps=2, model=real_encoder, cache=False)
    assert abs(coarse.residual) > abs(e.residual)


def test_identical_pair_gives_a_symmetric_matrix(real_encoder):
    from traitlens import explain

    e = explain("I keep my promises.", "I keep my promises.", "pairs", model=real_encoder, cache=False)
    matrix = e.pair_matrix().to_numpy()
    assert e.score == pytest.approx(1.0, abs=1e-5)
    np.testing.assert_allclose(matrix, matrix.T, atol=1e-6)
    assert matrix.sum() == pytest.approx(1.0, abs=0.01)


def test_target_contributions_are_cached(real_encoder):
    from traitlens import explain
    from traitlens.explain.pairs import TARGET_CACHE

    TARGET_CACHE.clear()
    explain("I stay calm.", "relaxed", "pairs", layer=2, steps=4, model=real_encoder, cache=False)
    explain("I stay calm under pressure.", "relaxed", "pairs", layer=2, steps=4, model=real_encoder, cache=False)
    assert TARGET_CACHE.hits == 1


def test_layer_out_of_range(real_encoder):
    from traitlens import explain

    with pytest.raises(InputError, match="layer"):
        explain("I stay calm.", "relaxed", "pairs", layer=7, model=real_encoder, cache=False)
