"""Response files through the shared CSV reader: physical line numbers, ragged rows, headers, speed path."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from traitlens.constructs.exemplars import wulff_exemplars
from traitlens.datasets import load_responses
from traitlens.errors import InputError
from traitlens.io.sources import read_delimited, read_frame

KEYS = "item,sapa_item_id,text,factor,key\nA1,x,a one,Agreeableness,-1\nA2,x,a two,Agreeableness,1\n"


def bfi_folder(root: Path, responses: str) -> Path:
    """A ``psych_bfi`` folder with the given ``bfi.csv`` text (items A1, A2) under ``root``."""
    folder = root / "psych_bfi"
    folder.mkdir()
    (folder / "bfi.csv").write_bytes(responses.encode())
    (folder / "bfi_items_keys.csv").write_text(KEYS)
    return root


def test_quoted_multiline_fields_keep_real_line_numbers(tmp_path):
    responses = 'row,A1,A2,note\n1,1,2,"two\nlines"\n2,2,3,plain\n3,7,3,"x"\n'
    with pytest.raises(InputError, match="response 7 is outside the response scale 1–6") as info:
        load_responses("bfi", bfi_folder(tmp_path, responses))
    assert (info.value.line, info.value.column) == (5, "A1")  # data row 3 starts on line 5
    frame = read_frame(tmp_path / "psych_bfi" / "bfi.csv")
    assert frame.lines == [2, 4, 5]
    assert frame.data["note"].tolist() == ["two\nlines", "plain", "x"]


def test_crlf_and_blank_lines(tmp_path):
    responses = "row,A1,A2\r\n\r\n1,1,2\r\n   \r\n2,2,3\r\n3,3,9\r\n"
    with pytest.raises(InputError) as info:
        load_responses("bfi", bfi_folder(tmp_path, responses))
    assert (info.value.line, info.value.column) == (6, "A2")
    assert read_frame(tmp_path / "psych_bfi" / "bfi.csv").lines == [3, 5, 6]


@pytest.mark.parametrize(
    ("responses", "line", "column", "fields"),
    [
        ("row,A1,A2\n1,1,2\n2,2\n3,3,3\n", 3, 3, 2),  # pandas alone would fill the short row with NaN
        ("row,A1,A2\n1,1,2,5\n2,2,2\n", 2, 4, 4),  # ... and read this first row's extra field as an index
        ('row,A1,A2\n1,"a\nb",2\n2,2,2,2\n', 4, 4, 4),  # with quotes: the csv module's records
    ],
)
def test_ragged_rows_name_line_and_column(tmp_path, responses, line, column, fields):
    with pytest.raises(InputError, match=f"row has {fields} fields but the header has 3") as info:
        load_responses("bfi", bfi_folder(tmp_path, responses))
    assert (Path(info.value.path).name, info.value.line, info.value.column) == ("bfi.csv", line, column)


@pytest.mark.parametrize(
    ("header", "message", "column"),
    [("row,A1,A1", "duplicate column name 'A1'", 3), ("row,,A2", "empty column name", 2)],
)
def test_bad_header(tmp_path, header, message, column):
    with pytest.raises(InputError, match=message) as info:
        load_responses("bfi", bfi_folder(tmp_path, f"{header}\n1,1,2\n"))
    assert (info.value.line, info.value.column) == (1, column)


def test_header_names_are_stripped_like_read_delimited(tmp_path):
    path = tmp_path / "r.tsv"
    path.write_text(" a \tb\n1\t2\n")
    assert list(read_frame(path).data.columns) == read_delimited(path).header == ["a", "b"]


def test_other_unicode_line_breaks_are_not_record_breaks(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("a,b\n1,x\x0by\n2,z\u2028w\n3,v\n", newline="")
    frame = read_frame(path)
    assert frame.lines == read_delimited(path).lines == [2, 3, 4]
    assert frame.data["b"].tolist() == ["x\x0by", "z\u2028w", "v"]


@pytest.mark.parametrize(
    ("folder", "file", "separator"),
    [("openpsychometrics_big5_2012", "data.csv", "\t"), ("sapa_spi135", "spi.csv", ",")],
)
def test_fast_path_on_the_real_files_equals_pandas(shared_data, folder, file, separator):
    path = shared_data / folder / file
    frame = read_frame(path, separator)
    pd.testing.assert_frame_equal(frame.data, pd.read_csv(path, sep=separator))
    assert frame.lines == list(range(2, len(frame.data) + 2))


def test_quoted_real_file_lines_agree_between_the_two_outputs(shared_data):
    path = shared_data / "wulff_ipip_scales" / "ipip_scales_items.csv"
    assert read_frame(path).lines == read_delimited(path).lines


def test_wulff_exemplars_name_the_real_line(tmp_path):
    folder = tmp_path / "wulff_ipip_scales"
    folder.mkdir()
    (folder / "ipip_scales_items.csv").write_text(
        'instrument,construct,item,key,alpha\nNEO,Anxiety,"Worry\nabout things.",1,0.8\nNEO,Anxiety,Panic.,one,0.8\n'
    )
    with pytest.raises(InputError, match="key 'one' is not a number") as info:
        wulff_exemplars(tmp_path, {"Anxiety"})
    assert (info.value.line, info.value.column) == (4, "key")


def test_unterminated_quote_names_the_line_the_row_starts_on(tmp_path):
    with pytest.raises(InputError, match="malformed CSV in the row starting on this line") as info:
        load_responses("bfi", bfi_folder(tmp_path, 'row,A1,A2\n1,1,2\n2,"2,3\n3,3,3\n'))
    assert info.value.line == 3
