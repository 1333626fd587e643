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


#: Labels of the reversed pole of a domain: a scale so named measures the domain with the opposite key.
_REVERSED = {"emotional stability": "Neuroticism"}


def keyed_domain(label: object) -> tuple[str | None, int]:
    """The Big Five domain a scale label measures and the key of that scale relative to the domain.

    Unlike :func:`canonical_factor`, this knows the reversed labels: "Emotional Stability" is
    Neuroticism keyed -1. Returns ``(None, 0)`` for a label that is not a Big Five domain.

    Examples
    --------
    >>> keyed_domain("Emotional Stability"), keyed_domain("Intellect"), keyed_domain("Honesty")
    (('Neuroticism', -1), ('Openness', 1), (None, 0))
    """
    if isinstance(label, str) and label.strip().casefold() in _REVERSED:
        return _REVERSED[label.strip().casefold()], -1
    domain = canonical_factor(label)
    return (domain, 1) if domain is not None else (None, 0)
