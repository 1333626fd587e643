"""Canonical Big Five domain names and the aliases found in inventories and taxonomies."""

from __future__ import annotations

BIG_FIVE: tuple[str, ...] = ("Openness", "Conscientiousness", "Extraversion", "Agreeableness", "Neuroticism")

_ALIASES = {
    "o": "Openness", "open": "Openness", "openness": "Openness", "openness to experience": "Openness",
    "intellect": "Openness", "intellect/imagination": "Openness",
    "c": "Conscientiousness", "consc": "Conscientiousness", "conscientiousness": "Conscientiousness",
    "e": "Extraversion", "extra": "Extraversion", "extraversion": "Extraversion", "surgency": "Extraversion",
    "a": "Agreeableness", "agree": "Agreeableness", "agreeableness": "Agreeableness",
    "n": "Neuroticism", "neuro": "Neuroticism", "neuroticism": "Neuroticism",
}


def canonical_factor(name: object) -> str | None:
    """Map a factor name or code to one of :data:`BIG_FIVE`, or None if it is not a Big Five domain.

    "Emotional Stability" is *not* mapped: it is Neuroticism with the opposite key,
    and silently equating them is the classic keying trap.

    Examples
    --------
    >>> canonical_factor("Openness to Experience"), canonical_factor("Neuro"), canonical_factor("Honesty")
    ('Openness', 'Neuroticism', None)
    """
    if not isinstance(name, str):
        return None
    return _ALIASES.get(name.strip().casefold())
