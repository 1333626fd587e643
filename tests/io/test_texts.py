from __future__ import annotations

import json

import pandas as pd
import pytest

from traitlens.errors import InputError
from traitlens.io.texts import InputWarning, prepare_texts, read_texts


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
