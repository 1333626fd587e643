"""Occlusion against a direct re-encode of each text with one word removed."""

from __future__ import annotations

import numpy as np
import pytest

from traitlens.explain.objectives import similarity_objective
from traitlens.explain.occlusion import occlusion, occlusion_vectors
from traitlens.explain.tokens import tokenize

from ..fakes import FakeEncoder


def test_occlusion_is_the_fall_of_the_score_on_deleting_a_word():
    encoder = FakeEncoder(dim=32)
    tok = tokenize("I like to work hard.", None, None)
    target = encoder.encode(["Stress"])[0]
    before = encoder.calls
    [(full, variants)] = occlusion_vectors(encoder, [tok])
    assert encoder.calls == before + 1  # the text and all its variants in one batch
    attr, score = occlusion(full, variants, similarity_objective(target))
    manual = ["like to work hard.", "I to work hard.", "I like work hard.", "I like to hard.", "I like to work.",
              "I like to work hard"]
    direct = encoder.encode(["I like to work hard.", *manual]) @ target
    assert score == pytest.approx(direct[0])
    np.testing.assert_allclose(attr, direct[0] - direct[1:], atol=1e-6)


@pytest.mark.slow
def test_occlusion_matches_a_direct_reencode_with_the_real_model(real_encoder):
    from traitlens import explain

    e = explain("I panic when deadlines approach.", "anxious", model=real_encoder, cache=False)
    words = e.side("text")
    vectors = real_encoder.encode(["I panic when deadlines approach.", "I when deadlines approach.", "anxious"])
    full, without_panic = vectors[0] @ vectors[2], vectors[1] @ vectors[2]
    assert e.score == pytest.approx(full, abs=1e-6)
    assert words.loc[words.token == "panic", "attribution"].item() == pytest.approx(full - without_panic, abs=1e-6)
    assert words["attribution"].idxmax() == words.index[words.token == "panic"][0]  # the word that carries it
