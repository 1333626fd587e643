"""Tokens and words of a text: word pieces with their character spans, grouped into words.

Attributions are computed per word piece (the model's tokens) and reported per word by summing the
pieces of each word, so sums — and with them completeness — are kept. A word is what the
tokenizer's pre-tokenizer calls one (for BERT-style tokenizers: a run of letters/digits, or one
punctuation mark); each word's text is the slice of the input it spans. Without a tokenizer (a
backend with no torch model) words are found by the same rule with a regular expression.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from traitlens.errors import InputError

_WORD = re.compile(r"\w+|[^\w\s]")


@dataclass(frozen=True)
class Tokenized:
    """A text cut into word pieces and words.

    Attributes
    ----------
    text : str
        The text explained (the part the model reads, when the input was truncated).
    ids : tuple of int
        Token ids including special tokens (empty without a tokenizer).
    pieces : tuple of str
        Token strings, special tokens included.
    word_of : tuple of int
        Word index of each piece; -1 for special tokens.
    spans : tuple of (int, int)
        Character span of each word in ``text``.
    truncated : bool
        Whether the input was longer than the model reads (then ``text`` is the part it reads).
    dropped_tokens : int
        Word pieces cut off by truncation.
    """

    text: str
    ids: tuple[int, ...]
    pieces: tuple[str, ...]
    word_of: tuple[int, ...]
    spans: tuple[tuple[int, int], ...]
    truncated: bool = False
    dropped_tokens: int = 0

    @property
    def words(self) -> list[str]:
        """The text of each word."""
        return [self.text[a:b] for a, b in self.spans]

    @property
    def content(self) -> np.ndarray:
        """Positions of the pieces that belong to a word (not special tokens)."""
        return np.array([i for i, w in enumerate(self.word_of) if w >= 0], dtype=np.int64)

    def without_word(self, index: int) -> str:
        """The text with word ``index`` removed (runs of spaces left by the cut closed up)."""
        return self.without_words([index])

    def without_words(self, indices: Sequence[int]) -> str:
        """The text with the words ``indices`` removed (cut right to left, spaces closed up each time)."""
        text = self.text
        for index in sorted(set(indices), reverse=True):
            a, b = self.spans[index]
            left, right = text[:a].rstrip(" "), text[b:].lstrip(" ")
            glue = " " if left and right and not re.match(r"[^\w\s]", right) else ""
            text = left + glue + right
        return text


def check_text(text: object, name: str = "text") -> str:
    """Validate one text: a string with something other than whitespace in it."""
    if not isinstance(text, str):
        raise InputError(f"{name} must be a string; got {type(text).__name__}")
    if not text.strip():
        raise InputError(f"{name} is empty: there is nothing to explain")
    return text.strip()


def tokenize(text: str, tokenizer: Any | None, max_length: int | None) -> Tokenized:
    """Cut ``text`` into pieces and words, truncated to ``max_length`` tokens as the model would.

    Parameters
    ----------
    text : str
    tokenizer : Hugging Face fast tokenizer or None
        None → words by regular expression, no pieces.
    max_length : int, optional
        The model's maximum sequence length (special tokens included).
    """
    if tokenizer is None:
        spans = tuple((m.start(), m.end()) for m in _WORD.finditer(text))
        return Tokenized(text, (), tuple(text[a:b] for a, b in spans), tuple(range(len(spans))), spans)
    full = tokenizer(text, add_special_tokens=True, truncation=False, return_offsets_mapping=True,
                     verbose=False)  # the explanation notes a cut itself
    enc = tokenizer(text, add_special_tokens=True, truncation=max_length is not None, max_length=max_length,
                    return_offsets_mapping=True, return_special_tokens_mask=True)
    ids = list(enc["input_ids"])
    offsets = [tuple(o) for o in enc["offset_mapping"]]
    is_special = [bool(m) for m in enc["special_tokens_mask"]]  # [CLS], [SEP]; an [UNK] in the text is a word
    dropped = len(full["input_ids"]) - len(ids)
    cut = text
    if dropped > 0:
        ends = [b for (a, b), s in zip(offsets, is_special, strict=True) if not s and b > a]
        cut = text[: max(ends)] if ends else ""
    word_ids = enc.word_ids() if hasattr(enc, "word_ids") else None
    word_of: list[int] = []
    spans: list[tuple[int, int]] = []
    last_word: object = object()
    for pos, (special, (a, b)) in enumerate(zip(is_special, offsets, strict=True)):
        if special or b <= a:
            word_of.append(-1)
            continue
        key = word_ids[pos] if word_ids is not None else None
        # a new word when the pre-tokenizer says so, or (without word ids) when there is a gap before it
        new = key != last_word if key is not None else not spans or a > spans[-1][1]
        if new:
            spans.append((a, b))
        else:
            spans[-1] = (spans[-1][0], b)
        last_word = key
        word_of.append(len(spans) - 1)
    pieces = tuple(tokenizer.convert_ids_to_tokens(ids))
    return Tokenized(cut, tuple(int(i) for i in ids), pieces, tuple(word_of), tuple(spans),
                     truncated=dropped > 0, dropped_tokens=max(dropped, 0))


def word_table(tok: Tokenized, piece_values: np.ndarray, side: str) -> pd.DataFrame:
    """Sum per-piece attributions over the pieces of each word: ``side, position, token, start, end, attribution``."""
    values = np.zeros(len(tok.spans))
    for pos, word in enumerate(tok.word_of):
        if word >= 0:
            values[word] += piece_values[pos]
    return pd.DataFrame({
        "side": side, "position": np.arange(len(tok.spans)), "token": tok.words,
        "start": [a for a, _ in tok.spans], "end": [b for _, b in tok.spans], "attribution": values,
    })


def piece_table(tok: Tokenized, piece_values: np.ndarray, side: str) -> pd.DataFrame:
    """Per-piece attributions of content pieces: ``side, position, token, word, attribution``."""
    content = tok.content
    return pd.DataFrame({
        "side": side, "position": content, "token": [tok.pieces[i] for i in content],
        "word": [tok.words[tok.word_of[i]] for i in content], "attribution": piece_values[content],
    })


def word_matrix(tok: Tokenized, piece_matrix: np.ndarray, axis: int) -> np.ndarray:
    """Sum the rows (``axis=0``) or columns (``axis=1``) of a per-piece matrix over the pieces of each word.

    Rows/columns of special pieces are dropped; trailing extra rows/columns (the reference) are kept.
    """
    n = len(tok.ids)
    groups = np.zeros((len(tok.spans), n))
    for pos, word in enumerate(tok.word_of):
        if word >= 0:
            groups[word, pos] = 1.0
    extra = piece_matrix.shape[axis] - n
    if extra < 0:
        raise ValueError("matrix smaller than the token count")
    block = np.zeros((len(tok.spans) + extra, n + extra))
    block[: len(tok.spans), :n] = groups
    block[len(tok.spans):, n:] = np.eye(extra)
    return block @ piece_matrix if axis == 0 else piece_matrix @ block.T
