"""Word pieces, words and their alignment; truncation; the regex fallback."""

from __future__ import annotations

import numpy as np
import pytest

from traitlens.errors import InputError
from traitlens.explain.tokens import check_text, piece_table, tokenize, word_matrix, word_table


def test_word_pieces_align_to_words(tokenizer):
    text = "Unbelievably, I'm overthinking everything."
    tok = tokenize(text, tokenizer, 256)
    # every word is the exact slice of the text its pieces cover
    assert tok.words == ["Unbelievably", ",", "I", "'", "m", "overthinking", "everything", "."]
    for pos, word in enumerate(tok.word_of):
        if word < 0:
            assert tok.pieces[pos] in ("[CLS]", "[SEP]")
            continue
        piece = tok.pieces[pos].removeprefix("##")
        assert piece.lower() in tok.words[word].lower()
    # several pieces of one word map to that word, in order
    over = [p for p, w in zip(tok.pieces, tok.word_of, strict=True) if w == 5]
    assert len(over) > 1 and "".join(p.removeprefix("##") for p in over) == "overthinking"
    assert list(tok.content) == [i for i in range(len(tok.ids)) if tok.word_of[i] >= 0]


def test_word_sums_keep_piece_sums(tokenizer):
    tok = tokenize("Overthinking is exhausting.", tokenizer, 256)
    values = np.arange(len(tok.ids), dtype=float) + 1
    values[[0, -1]] = 0  # special tokens carry nothing
    words = word_table(tok, values, "text")
    assert words["attribution"].sum() == pytest.approx(values.sum())
    assert words["token"].tolist() == ["Overthinking", "is", "exhausting", "."]
    pieces = piece_table(tok, values, "text")
    assert pieces.groupby("word", sort=False)["attribution"].sum().to_dict() == \
        dict(zip(words["token"], words["attribution"], strict=True))
    # a pieces × pieces matrix with an extra reference row/column collapses to words × words + reference
    n = len(tok.ids)
    matrix = np.ones((n + 1, n + 1))
    rows = word_matrix(tok, matrix, axis=0)
    both = word_matrix(tok, rows, axis=1)
    assert both.shape == (len(tok.spans) + 1, len(tok.spans) + 1)
    assert both[-1, -1] == 1 and both[:-1, -1].sum() == len(tok.content)


def test_without_word_closes_the_gap(tokenizer):
    tok = tokenize("I like to work hard.", tokenizer, 256)
    assert [tok.without_word(i) for i in range(len(tok.spans))] == [
        "like to work hard.", "I to work hard.", "I like work hard.", "I like to hard.", "I like to work.",
        "I like to work hard"]


def test_truncation_explains_the_part_the_model_reads(tokenizer):
    text = " ".join(["calm"] * 40)
    tok = tokenize(text, tokenizer, 12)
    assert tok.truncated and tok.dropped_tokens == 30
    assert tok.text == " ".join(["calm"] * 10) and len(tok.ids) == 12


def test_regex_words_without_a_tokenizer():
    tok = tokenize("I'm calm, mostly.", None, None)
    assert tok.words == ["I", "'", "m", "calm", ",", "mostly", "."]
    assert tok.ids == () and not tok.truncated


@pytest.mark.parametrize("bad", ["", "   \n", None, 3])
def test_empty_or_non_text_is_refused(bad):
    with pytest.raises(InputError, match="text"):
        check_text(bad)


def test_unknown_pieces_are_words_not_special_tokens(tokenizer):
    tok = tokenize("I am 🙂 today", tokenizer, 256)
    assert tok.words == ["I", "am", "🙂", "today"]
    assert "[UNK]" in tok.pieces and tok.word_of[tok.pieces.index("[UNK]")] == 2
    assert [tok.pieces[i] for i, w in enumerate(tok.word_of) if w < 0] == ["[CLS]", "[SEP]"]
