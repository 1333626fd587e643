"""Texts from uploaded files: the project's readers, openpyxl for XLSX, messages that name the upload."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from traitlens.errors import InputError
from traitlens.web.uploads import read_upload


def workbook(rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_txt_tsv_and_jsonl():
    assert read_upload("a.txt", b"one\n\ntwo\n")[0] == ["one", "two"]
    assert read_upload("a.tsv", b"id\ttext\n1\tI plan.\n") == (["I plan."], "text", ["id", "text"])
    assert read_upload("a.jsonl", b'{"text": "x y"}\n{"text": "z"}\n', "text")[0] == ["x y", "z"]


def test_xlsx_numbers_and_blanks():
    data = workbook([("text", "n"), ("I worry.", 1), (None, 2), (42, 3)])
    with pytest.warns(UserWarning, match="book.xlsx: skipped 1 blank text"):
        texts, column, columns = read_upload("book.xlsx", data)
    assert (texts, column, columns) == (["I worry.", "42"], "text", ["text", "n"])


@pytest.mark.parametrize(("name", "data", "message"), [
    ("empty.xlsx", workbook([]), "empty.xlsx: the first sheet is empty"),
    ("broken.xlsx", b"not a zip", "broken.xlsx: not a readable .xlsx workbook"),
    ("two.xlsx", workbook([("a", "b"), ("x", "y")]), "none is called 'text'"),
    ("missing.xlsx", workbook([("text",), ("x",)]), "missing column 'wording'"),
    ("bad.csv", b"text\n\xff\xfe\n", "bad.csv"),
    ("x.pdf", b"%PDF", "unsupported file type '.pdf'"),
])
def test_problems_name_the_uploaded_file(name, data, message):
    column = "wording" if name == "missing.xlsx" else None
    with pytest.raises(InputError) as error:
        read_upload(name, data, column)
    assert message in str(error.value)
    assert "traitlens-upload-" not in str(error.value)  # never the server's temporary path


def test_only_the_suffix_of_the_client_name_is_used(tmp_path):
    texts, _, _ = read_upload("../../etc/passwd.txt", b"hello\n")
    assert texts == ["hello"]
    with pytest.raises(InputError, match="passwd.txt"):
        read_upload("../../etc/passwd.txt", b"")
