"""``explain``: bad input, the fallback to occlusion, truncation, and the derived scores."""

from __future__ import annotations

import importlib
import warnings

import numpy as np
import pytest

from traitlens import explain
from traitlens.encoders.sentence_transformer import TruncationWarning
from traitlens.errors import InputError
from traitlens.explain import ExplainWarning

from ..fakes import FakeEncoder


@pytest.mark.parametrize("kwargs, message", [
    ({"text": "", "target": "calm"}, "text is empty"),
    ({"text": "I stay calm.", "target": " "}, "target is empty"),
    ({"text": "I stay calm.", "target": "calm", "method": "lime"}, "unknown explanation method 'lime'"),
    ({"text": "I stay calm.", "target": "calm", "score": "vibes"}, "unknown score 'vibes'"),
    ({"text": "I stay calm.", "target": "calm", "steps": 0}, "steps must be a positive integer"),
    ({"text": "I stay calm.", "target": "calm", "layer": -1}, "layer must be a non-negative integer"),
    ({"text": "I stay calm.", "target": "calm", "taxonomy": "bigfive"}, "derived scores only"),
])
def test_bad_input_is_named(kwargs, message):
    with pytest.raises(InputError, match=message):
        explain(**kwargs, model=FakeEncoder(), cache=False)


def test_unknown_target_construct_lists_the_known_ones():
    with pytest.raises(InputError, match=r"unknown target construct 'Grit'.*Neuroticism"):
        explain("I never give up.", "Grit", score="profile", exemplars="taxonomy", model=FakeEncoder(), cache=False)


@pytest.mark.parametrize("method", ["integrated_gradients", "pairs"])
def test_backend_without_gradients_falls_back_to_occlusion(method):
    encoder = FakeEncoder()
    with pytest.warns(ExplainWarning, match="exposes no torch model"):
        e = explain("I like to work hard.", "Stress", method, model=encoder, cache=False)
    assert e.method == "occlusion" and e.pairs is None
    assert "occlusion instead" in e.notes[0] and e.provenance["notes"] == list(e.notes)
    vectors = encoder.encode(["I like to work hard.", "like to work hard.", "Stress"])
    assert e.score == pytest.approx(float(vectors[0] @ vectors[2]))
    assert e.side("text")["attribution"].iloc[0] == pytest.approx(float((vectors[0] - vectors[1]) @ vectors[2]))


@pytest.mark.slow
def test_text_longer_than_the_model_limit_explains_the_part_read(real_encoder, monkeypatch):
    monkeypatch.setattr(real_encoder.model, "max_seq_length", 12)  # a short limit keeps the test fast
    text = "I like quiet evenings at home with a book and tea."
    with pytest.warns(TruncationWarning, match="only the part it reads is explained"):
        e = explain(text, "introverted", "pairs", model=real_encoder, cache=False)
    assert e.provenance["truncated"]["dropped_tokens"] == 2 and e.notes
    assert e.text == "I like quiet evenings at home with a book and"
    assert e.side("text")["token"].tolist() == e.text.split()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TruncationWarning)
        whole = real_encoder.encode([text, "introverted"])
    assert e.score == pytest.approx(float(whole[0] @ whole[1]), abs=1e-5)  # the model reads the same part
    assert e.relative_residual < 0.05


@pytest.mark.slow
@pytest.mark.parametrize("method", ["occlusion", "integrated_gradients", "pairs"])
def test_profile_score_is_the_reported_one(cached_real, method):
    from traitlens import profile

    text = "I worry about everything."
    reported = profile([text], model=cached_real, exemplars="taxonomy")
    neuro = reported[reported.construct == "Neuroticism"]["score"].item()
    e = explain(text, "neuroticism", method, score="profile", exemplars="taxonomy", model=cached_real)
    assert e.target == "Neuroticism" and e.score == pytest.approx(neuro, abs=1e-5)
    if method != "occlusion":
        assert e.relative_residual < 0.02
    if method == "pairs":  # words × the pole's exemplars
        exemplars = set(e.pairs["token_b"]) - {"[ref]"}
        assert e.provenance["explanation"]["pole"] == "high" and len(exemplars) > 3


@pytest.mark.slow
def test_assignment_explains_the_assigned_construct(cached_real):
    from traitlens import assign

    text = "I love meeting new people at parties."
    row = assign([text], model=cached_real, exemplars="taxonomy").iloc[0]
    e = explain(text, None, "integrated_gradients", score="assignment", exemplars="taxonomy", model=cached_real)
    assert e.target == row["construct"] and e.score == pytest.approx(row["score"], abs=1e-5)
    assert e.provenance["explanation"]["key"] == row["key"]


@pytest.mark.slow
@pytest.mark.parametrize("method", ["occlusion", "pairs"])
def test_correlation_is_the_profile_predictor(cached_real, method):
    from traitlens import correlate

    a, b = "I panic easily.", "I stay calm under pressure."
    r = correlate([a, b], model=cached_real, method="profile", exemplars="taxonomy").iloc[0, 1]
    e = explain(a, b, method, score="correlation", exemplars="taxonomy", model=cached_real)
    assert e.score == pytest.approx(r, abs=1e-5)
    if method == "pairs":  # words × constructs, summing to r
        assert e.pairs["attribution"].sum() == pytest.approx(r, abs=0.02 * abs(r) + 1e-3)
        assert "Neuroticism" in set(e.pairs["token_b"])
    else:
        assert set(e.tokens["side"]) == {"text", "target"}
        assert np.isfinite(e.tokens["attribution"]).all()


@pytest.mark.slow
def test_correlation_with_the_head_is_explained_by_occlusion(cached_real):
    from traitlens import correlate

    a, b = "I panic easily.", "I stay calm under pressure."
    r = correlate([a, b], model=cached_real, method="head").iloc[0, 1]
    with pytest.warns(ExplainWarning, match="occlusion instead"):
        e = explain(a, b, "pairs", score="correlation", predictor="head", model=cached_real)
    assert e.method == "occlusion" and e.score == pytest.approx(r, abs=1e-6)
    without_panic = correlate(["I easily.", b], model=cached_real, method="head").iloc[0, 1]
    words = e.side("text")
    assert words.loc[words.token == "panic", "attribution"].item() == pytest.approx(r - without_panic, abs=1e-6)
    vectors = cached_real.encode([a, b])
    for method in ("integrated_gradients", "pairs"):
        cosine = explain(a, b, method, score="correlation", predictor="cosine", model=cached_real)
        assert cosine.score == pytest.approx(float(vectors[0] @ vectors[1]), abs=1e-5)
        assert cosine.relative_residual < 0.01
    with pytest.raises(InputError, match="predictor"):
        explain(a, b, predictor="head", model=cached_real)


@pytest.mark.slow
def test_a_pair_explanation_above_the_cost_limit_is_refused_before_any_gradient(real_encoder, monkeypatch):
    """The web service's limit: one 1,990-character pair request had held the model for over ten minutes."""
    from traitlens.explain import pairs
    from traitlens.explain.explainer import WEB_MAX_PAIR_COST

    def never(*args, **kwargs):
        raise AssertionError("the contributions were computed")

    monkeypatch.setattr(pairs, "contributions", never)
    monkeypatch.setattr(importlib.import_module("traitlens.explain.explainer"), "contributions", never)
    long = " ".join(["I like to work hard and finish my tasks on time."] * 8)  # 88 words, 96 pieces
    with pytest.raises(InputError, match=r"too costly here: 16 steps × word pieces² \(text \d+, target 1\)"):
        explain(long, "Stress", method="pairs", model=real_encoder, cache=False, max_pair_cost=WEB_MAX_PAIR_COST)
    with pytest.raises(InputError, match="too costly here: 64 steps"):
        explain("I like to work hard.", "Stress", method="pairs", steps=64, model=real_encoder, cache=False,
                max_pair_cost=64 * 5)
    monkeypatch.undo()
    short = explain("I like to work hard.", "Stress", method="pairs", model=real_encoder, cache=False,
                    max_pair_cost=WEB_MAX_PAIR_COST)
    assert short.method == "pairs"
