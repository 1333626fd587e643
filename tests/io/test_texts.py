from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

from traitlens.errors import InputError
from traitlens.io.texts import (
    MAX_TEXT_CHARS,
    InputWarning,
    LanguageWarning,
    PreparedTexts,
    cut_text,
    detect_language,
    prepare_texts,
    read_texts,
    warn_if_not_english,
)


def test_txt_one_per_line_blank_skipped_with_warning(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("I like to work hard.\n\n   \nI enjoy being active.  \n")
    with pytest.warns(InputWarning, match=r"skipped 2 blank text\(s\) at lines 2, 3"):
        assert read_texts(path) == ["I like to work hard.", "I enjoy being active."]


def test_duplicates_are_kept_and_reported(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("a\nb\na\n")
    with pytest.warns(InputWarning, match=r"'a' at lines 1, 3"):
        assert read_texts(path) == ["a", "b", "a"]


def test_csv_tsv_jsonl_parquet(tmp_path):
    (tmp_path / "a.csv").write_text('id,text\n1,"Hello, world"\n2,"# not a comment"\n')
    assert read_texts(tmp_path / "a.csv") == ["Hello, world", "# not a comment"]
    (tmp_path / "a.tsv").write_text("id\titem\n1\tx\n")
    assert read_texts(tmp_path / "a.tsv", column="item") == ["x"]
    (tmp_path / "a.jsonl").write_text(json.dumps({"text": "x"}) + "\n" + json.dumps("y") + "\n")
    assert read_texts(tmp_path / "a.jsonl") == ["x", "y"]
    pd.DataFrame({"sentence": ["p", "q"]}).to_parquet(tmp_path / "a.parquet")
    assert read_texts(tmp_path / "a.parquet") == ["p", "q"]


def test_empty_inputs(tmp_path):
    (tmp_path / "e.txt").write_text("")
    with pytest.raises(InputError, match="no texts to analyse"):
        read_texts(tmp_path / "e.txt")
    (tmp_path / "b.txt").write_text("\n \n")
    with pytest.raises(InputError, match=r"all were blank"), pytest.warns(InputWarning):
        read_texts(tmp_path / "b.txt")
    with pytest.raises(InputError, match="no texts"):
        prepare_texts([])


def test_non_utf8_names_line_and_column(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("first line\nnaïve text\n".encode("latin-1"))
    with pytest.raises(InputError, match=r"latin1\.txt, line 2, column 3: not valid UTF-8"):
        read_texts(path)


def test_missing_column_lists_available(tmp_path):
    (tmp_path / "a.csv").write_text("id,item\n1,x\n")
    with pytest.raises(InputError, match=r"line 1: missing column 'text'; the file has 'id', 'item'"):
        read_texts(tmp_path / "a.csv", column="text")
    with pytest.raises(InputError, match="choose one with --column"):
        read_texts(tmp_path / "a.csv")


def test_ragged_csv_row(tmp_path):
    (tmp_path / "r.csv").write_text("id,text\n1,a\n2,b,c\n3,d\n")
    with pytest.raises(InputError, match=r"r\.csv, line 3, column 3: row has 3 fields but the header has 2"):
        read_texts(tmp_path / "r.csv")


def test_bad_jsonl_and_unsupported(tmp_path):
    (tmp_path / "j.jsonl").write_text('{"text": "ok"}\n{"text": oops}\n')
    with pytest.raises(InputError, match=r"line 2, column 10: invalid JSON"):
        read_texts(tmp_path / "j.jsonl")
    (tmp_path / "j2.jsonl").write_text('{"text": 5}\n')
    with pytest.raises(InputError, match=r"line 1, field text: expected a text, got int"):
        read_texts(tmp_path / "j2.jsonl")
    (tmp_path / "x.docx").write_text("x")
    with pytest.raises(InputError, match="unsupported file type"):
        read_texts(tmp_path / "x.docx")


def test_prepare_texts_rejects_non_strings():
    with pytest.raises(InputError, match="position 1: expected a text, got int"):
        prepare_texts(["a", 1])
    with pytest.raises(InputError, match="single string"):
        prepare_texts("abc")


def test_giant_texts_are_cut_before_tokenising_with_one_warning(tmp_path):
    path = tmp_path / "giant.txt"
    with open(path, "w") as fh:
        fh.write("short text\n")
        fh.write("word " * 2_000_000 + "\n")  # one 10 MB line
        fh.write("x" * (MAX_TEXT_CHARS + 1) + "\n")
        fh.write("y" * MAX_TEXT_CHARS + "\n")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        texts = read_texts(path)
    cut = [w for w in caught if "were cut" in str(w.message)]
    assert len(cut) == 1 and "2 text(s)" in str(cut[0].message) and "lines 2, 3" in str(cut[0].message)
    assert texts[0] == "short text" and texts[3] == "y" * MAX_TEXT_CHARS
    assert texts[1].startswith("word word") and texts[1].endswith("[…cut: 9,999,999 characters in all]")
    assert len(texts[1]) < MAX_TEXT_CHARS + 40 and texts[2].startswith("x" * MAX_TEXT_CHARS + " […cut")


def test_cut_text_reads_the_same_to_the_model(fake_encoder):
    assert cut_text("abc", 5) == "abc" and cut_text("abcdefg", 5) == "abcde […cut: 7 characters in all]"
    assert MAX_TEXT_CHARS >= 10 * 256, "at least 10 characters per token of all-MiniLM-L6-v2's 256"


@pytest.mark.slow
def test_a_cut_text_has_the_vector_of_the_full_text(real_encoder):
    full = " ".join(["I enjoy long walks and talking to strangers at parties."] * 400)  # ~23,000 characters
    cut = prepare_texts([full])[0]
    assert len(cut) < len(full)
    np.testing.assert_allclose(real_encoder.encode([cut]), real_encoder.encode([full]), atol=1e-6)


def test_emoji_only_texts_get_a_warning():
    with pytest.warns(InputWarning, match=r"2 text\(s\) have no letter or digit .* positions 1, 2") as caught:
        texts = prepare_texts(["I like parties", "😀😀😀", "🎉 !!"])
    assert texts == ["I like parties", "😀😀😀", "🎉 !!"]
    assert sum("no letter" in str(w.message) for w in caught) == 1


def test_prepared_texts_are_checked_once():
    with pytest.warns(InputWarning) as caught:
        first = prepare_texts(["a b", "a b", "  "])
    assert isinstance(first, PreparedTexts) and len(caught) == 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert prepare_texts(first) is first


def test_language_warning_uses_a_detector_and_warns_once():
    english = ["Avoid difficult reading material.", "Make friends easily.", "Am the life of the party.",
               "Don't talk a lot.", "Cheat to get ahead.", "Zorro"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warn_if_not_english(english)
    texts = prepare_texts(english + ["Ich gehe sehr gern auf Partys.", "Je suis souvent très inquiet."])
    with pytest.warns(LanguageWarning, match=r"2 text\(s\) may not be English .*\(de\).*\(fr\)"):
        warn_if_not_english(texts)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warn_if_not_english(texts)  # the same prepared list: not again
    assert detect_language("Zorro") is None and detect_language("Lubię poznawać nowych ludzi.")[0] == "pl"
