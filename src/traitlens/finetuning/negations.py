r"""Polarity pairs: an item and a negated rewording of it, with a negative target correlation.

Observed item correlations teach polarity only through the reversed items a data set happens to
have. The generator adds, for each training item it can negate, the pair (item, negation) with the
target :data:`NEGATION_R` (−.6, about the correlation of an item with a reversed item of the same
content in the shared data sets). Under CoSENT, a ranking loss, only the order matters: the
pair's cosine must fall below those of every pair with a higher observed r.

Rules (first that applies; case of the first letter and final punctuation are kept; ``None`` when
no rule applies or the text is ambiguous):

1. An item that is already negated (one negation, among its first four words, not after a leading
   "when", "if", ...) loses its negation: ``don't``/``do not`` + verb → the verb
   ("I don't talk a lot." → "I talk a lot."), ``am not``/``is not``/``are not`` → ``am``/``is``/``are``,
   ``can't``/``cannot`` → ``can``, ``won't`` → ``will``. Other negations (``never``, ``no``,
   ``nothing``, ``doesn't``, "seldom", ...) are left alone: ``None``.
2. A copula or modal among the first four words gets ``not`` ("I am the life of the party." →
   "I am not the life of the party."; "Am easily disturbed." → "Am not easily disturbed.";
   "I can …" → "I cannot …"; "I'm" → "I'm not").
3. ``I`` + verb → ``I do not`` + verb ("I worry about things." → "I do not worry about things.").
4. A one- or two-word item without a verb is an adjective marker: "Talkative" → "Not talkative".
5. A subject-less IPIP item that starts with a verb (not ending in -s, -ing, -ly, not a
   determiner, pronoun or conjunction) → ``Do not`` + verb ("Worry about things." → "Do not worry
   about things.").

Generated texts that are (by the leakage guard) an item of the data, a held-out item, or an
excluded text are dropped by the caller, so a negation never stands in for a real item.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pandas as pd

__all__ = ["NEGATION_R", "negate", "negation_pairs"]

#: Target correlation of an item with its negation.
NEGATION_R = -0.6

_WORD = re.compile(r"[A-Za-z']+")
_COPULAS = {"am": "am not", "is": "is not", "are": "are not", "was": "was not", "were": "were not",
            "can": "cannot", "could": "could not", "will": "will not", "would": "would not",
            "should": "should not", "must": "must not", "may": "may not", "might": "might not",
            "i'm": "I'm not", "i’m": "I’m not"}
_UNNEGATE = [
    (re.compile(r"\b(do not|don't|don’t)\s+", re.IGNORECASE), ""),
    (re.compile(r"\b(am|is|are|was|were) not\b", re.IGNORECASE), r"\1"),
    (re.compile(r"\b(I'm|I’m) not\b"), r"\1"),
    (re.compile(r"\b(isn't|isn’t)\b", re.IGNORECASE), "is"),
    (re.compile(r"\b(aren't|aren’t)\b", re.IGNORECASE), "are"),
    (re.compile(r"\b(can't|can’t|cannot)\b", re.IGNORECASE), "can"),
    (re.compile(r"\b(won't|won’t)\b", re.IGNORECASE), "will"),
]
_NEGATIVE = re.compile(r"\b(not|no|never|nothing|nobody|none|nowhere|neither|nor|cannot|seldom|rarely|hardly|"
                       r"scarcely|\w+n't|\w+n’t)\b", re.IGNORECASE)
_SUBORDINATORS = {"when", "if", "because", "while", "although", "though", "as", "since", "after", "before",
                  "unless", "whenever", "once"}
_NOT_VERBS = {"the", "a", "an", "my", "your", "his", "her", "our", "their", "its", "it", "this", "that", "these",
              "those", "there", "here", "when", "if", "because", "while", "although", "though", "as", "since",
              "after", "before", "people", "other", "others", "most", "some", "many", "much", "all", "every",
              "each", "any", "one", "someone", "somebody", "everyone", "everybody", "anyone", "in", "on", "at",
              "for", "with", "to", "of", "by", "from", "about", "very", "quite", "too", "more", "less",
              "so", "and", "or", "but", "me", "myself", "you", "he", "she", "we", "they", "what", "who", "how",
              "why", "where", "which", "life", "things", "sometimes", "always", "often", "usually", "generally",
              "easily", "well", "i", "im", "i'm", "i’m", "i've", "i'd", "i'll"}


def _recase(original: str, text: str) -> str:
    """Give ``text`` the case of ``original``'s first letter."""
    if not text:
        return text
    return text[0].upper() + text[1:] if original[:1].isupper() else text[0].lower() + text[1:]


def _split_end(text: str) -> tuple[str, str]:
    """The text without its final punctuation, and that punctuation."""
    match = re.search(r"[.!?;:]+$", text)
    return (text[: match.start()], match.group()) if match else (text, "")


def _unnegate(text: str) -> str | None:
    negatives = list(_NEGATIVE.finditer(text))
    if len(negatives) != 1 or text.split(" ")[0].lower().strip(",") in _SUBORDINATORS:
        return None
    if len(text[: negatives[0].start()].split()) > 3:  # a negation deep in the item may sit in a subordinate clause
        return None
    for pattern, replacement in _UNNEGATE:
        new, n = pattern.subn(replacement, text, count=1)
        if n:
            new = re.sub(r"\s{2,}", " ", new).strip()
            return _recase(text, new) if new else None
    return None


def negate(text: str) -> str | None:
    """A negated rewording of an item, or ``None`` when the rules do not cover it (see the module docstring).

    Parameters
    ----------
    text : str

    Returns
    -------
    str or None

    Examples
    --------
    >>> negate("I am the life of the party.")
    'I am not the life of the party.'
    >>> negate("Worry about things.")
    'Do not worry about things.'
    >>> negate("I don't talk a lot.")
    'I talk a lot.'
    >>> negate("Talkative")
    'Not talkative'
    >>> negate("Seldom feel blue.") is None
    True
    """
    text = " ".join(str(text).split())
    if not text:
        return None
    if _NEGATIVE.search(text):
        return _unnegate(text)
    body, end = _split_end(text)
    words = body.split(" ")
    lowered = [w.lower().strip(",") for w in words]
    for i, word in enumerate(lowered[:4]):
        if word in _COPULAS:
            negated = _COPULAS[word]
            if word.startswith("i"):  # I'm → I'm not
                replacement = negated
            else:
                replacement = negated if words[i].islower() else negated[0].upper() + negated[1:]
            return " ".join([*words[:i], replacement, *words[i + 1:]]) + end
    first = lowered[0]
    if first == "i" and len(words) > 1:
        verb = lowered[1]
        if verb in _NOT_VERBS or verb.endswith("ing") or (verb.endswith("ed") and not verb.endswith("eed")):
            if verb not in {"often", "usually", "always", "generally", "easily", "sometimes"}:
                return None
        if verb in {"have", "had"} and len(words) > 2 and lowered[2] in {"been", "never", "got"}:
            return None
        return " ".join([words[0], "do not", *words[1:]]) + end
    if len(words) <= 2 and not first.endswith("ing"):
        if len(words) == 1 or not _looks_like_verb(first):
            return "Not " + body[0].lower() + body[1:] + end if body[:1].isupper() else "not " + body + end
    if len(words) > 1 and _looks_like_verb(first):
        return ("Do not " if body[:1].isupper() else "do not ") + body[0].lower() + body[1:] + end
    return None


def _looks_like_verb(word: str) -> bool:
    """A first word that can be an imperative-form verb of a subject-less IPIP item."""
    if word in _NOT_VERBS or not _WORD.fullmatch(word):
        return False
    if word.endswith(("ing", "ly", "ous", "ful", "ive", "able", "ible", "al")):
        return False
    if word.endswith("ed") and not word.endswith("eed"):
        return False
    return not word.endswith("s") or word.endswith(("ss", "us"))


def negation_pairs(texts: Iterable[str], r: float = NEGATION_R) -> pd.DataFrame:
    """The pairs (item, its negation) of every text :func:`negate` covers.

    Parameters
    ----------
    texts : iterable of str
        Items (training items only: negating a held-out item would show it to the model).
    r : float
        Target correlation of each pair.

    Returns
    -------
    DataFrame
        ``text_a, text_b, r``; one row per negated text, none for texts the rules do not cover.
    """
    rows = []
    for text in dict.fromkeys(texts):
        negated = negate(text)
        if negated and negated.strip() != text.strip():
            rows.append((text, negated, float(r)))
    return pd.DataFrame(rows, columns=["text_a", "text_b", "r"])
