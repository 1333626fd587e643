"""The negation generator: rules, skipped texts, pairs."""

from __future__ import annotations

import pytest

from traitlens.finetuning import NEGATION_R, negate, negation_pairs


@pytest.mark.parametrize(("text", "negated"), [
    ("I am the life of the party.", "I am not the life of the party."),
    ("Am easily disturbed.", "Am not easily disturbed."),
    ("I'm easily distracted", "I'm not easily distracted"),
    ("I can think of many ways to get out of a jam", "I cannot think of many ways to get out of a jam"),
    ("I am someone who is talkative", "I am not someone who is talkative"),
    ("I worry about things.", "I do not worry about things."),
    ("I need a push to get started", "I do not need a push to get started"),
    ("I often feel blue.", "I do not often feel blue."),
    ("Worry about things.", "Do not worry about things."),
    ("Like a leisurely lifestyle.", "Do not like a leisurely lifestyle."),
    ("Have a vivid imagination.", "Do not have a vivid imagination."),
    ("Talkative", "Not talkative"),
    ("Well organized", "Not well organized"),
    ("I don't talk a lot.", "I talk a lot."),
    ("Don't talk a lot.", "Talk a lot."),
    ("Am not interested in abstract ideas.", "Am interested in abstract ideas."),
    ("I can't stand noise", "I can stand noise"),
])
def test_negate(text, negated):
    assert negate(text) == negated


@pytest.mark.parametrize("text", [
    "Seldom feel blue.",  # a negative adverb: ambiguous
    "I never get angry.",
    "When I'm in pain, I can't seem to keep it out of my mind",  # negation in a subordinate clause
    "I usually end up deliberating about issues even when they do not affect me personally",
    "Being in a tense emotional situation scares me",
    "The conditions of my life are excellent",
    "If I do not have enough time, I do not worry about it",
    "",
])
def test_texts_the_rules_do_not_cover(text):
    assert negate(text) is None


def test_negation_pairs():
    pairs = negation_pairs(["I worry about things.", "Seldom feel blue.", "I worry about things.", "Talkative"])
    assert pairs.values.tolist() == [["I worry about things.", "I do not worry about things.", NEGATION_R],
                                     ["Talkative", "Not talkative", NEGATION_R]]
    assert negation_pairs(["Talkative"], r=-0.8)["r"].tolist() == [-0.8]
    assert list(negation_pairs([]).columns) == ["text_a", "text_b", "r"]
