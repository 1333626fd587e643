from __future__ import annotations

import pytest

from traitlens.constructs.bigfive import BIG_FIVE, canonical_factor, keyed_domain


@pytest.mark.parametrize(("label", "domain"), [
    ("Openness to Experience", "Openness"), ("intellect", "Openness"), ("Neuro", "Neuroticism"),
    (" Extraversion ", "Extraversion"), ("C", "Conscientiousness"), ("Honesty", None), (None, None),
    ("Emotional Stability", None),  # never silently Neuroticism: the key would be wrong
])
def test_canonical_factor(label, domain):
    assert canonical_factor(label) == domain


def test_keyed_domain_knows_the_reversed_label():
    assert keyed_domain("Emotional stability") == ("Neuroticism", -1)
    assert [keyed_domain(name) for name in BIG_FIVE] == [(name, 1) for name in BIG_FIVE]
    assert keyed_domain("Honesty-Humility") == (None, 0)
