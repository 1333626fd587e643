"""Streaming a file in chunks into Parquet: same rows as one call, bounded work per chunk, resume."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import traitlens
from traitlens.errors import InputError
from traitlens.io.tables import read_parquet_provenance
from traitlens.streaming import PinnedEncoder, count_texts, iter_chunks, stream_file, work_folder

from .fakes import FakeEncoder

TEXTS = [f"I {verb} {thing} most days." for verb in ("plan", "enjoy", "avoid", "dread")
         for thing in ("parties", "details", "deadlines", "arguments", "new ideas")]


def similarity_chunk(texts, encoder):
    return traitlens.similarity(texts, model=encoder, cache=False)


@pytest.fixture
def text_file(tmp_path):
    path = tmp_path / "in.txt"
    lines = [*TEXTS[:7], "   ", *TEXTS[7:], TEXTS[0]]  # a blank line and a repeated text
    path.write_text("\n".join(lines) + "\n")
    return path


def test_chunks_give_the_rows_of_one_call(text_file, tmp_path):
    out = tmp_path / "out.parquet"
    summary = stream_file(text_file, out, similarity_chunk, FakeEncoder(), chunk_size=4, progress=False)
    whole = traitlens.similarity([*TEXTS, TEXTS[0]], model=FakeEncoder(), cache=False)
    streamed = pd.read_parquet(out)
    pd.testing.assert_frame_equal(streamed.reset_index(drop=True), whole.reset_index(drop=True))
    assert summary.rows == len(whole) and summary.texts == len(TEXTS) + 1 and summary.chunks == 6
    assert pq.ParquetFile(out).metadata.num_row_groups == 6
    provenance = read_parquet_provenance(out)
    assert provenance["taxonomy"]["name"] == "bigfive-keywords"
    assert provenance["streaming"]["chunks"] == 6
    assert not work_folder(out).exists()


def test_keywords_are_encoded_once_not_per_chunk(text_file, tmp_path):
    inner = FakeEncoder()
    stream_file(text_file, tmp_path / "o.parquet", similarity_chunk, inner, chunk_size=4, progress=False)
    keywords = set(traitlens.similarity(["x"], model=FakeEncoder(), cache=False)["keyword"])
    assert sum(text in keywords for text in inner.seen) == len(keywords)


def test_pinned_encoder_returns_the_inner_vectors():
    inner = FakeEncoder()
    pinned = PinnedEncoder(inner)
    first = pinned.encode(["a", "b", "k"])
    pinned.pin_all_but(["a", "b"])
    assert set(pinned.pinned) == {"k"}
    again = pinned.encode(["c", "k", "a"])
    np.testing.assert_array_equal(again[1], first[2])
    np.testing.assert_allclose(again, FakeEncoder().encode(["c", "k", "a"]))
    assert inner.seen.count("k") == 1


def test_an_interrupted_run_resumes_without_redoing_or_losing_rows(text_file, tmp_path):
    out = tmp_path / "out.parquet"
    calls: list[list[str]] = []

    def crashing(texts, encoder):
        if len(calls) == 3:
            raise KeyboardInterrupt
        calls.append(texts)
        return similarity_chunk(texts, encoder)

    with pytest.raises(KeyboardInterrupt):
        stream_file(text_file, out, crashing, FakeEncoder(), chunk_size=4, progress=False)
    assert not out.exists() and len(list(work_folder(out).glob("part-*.parquet"))) == 3

    resumed: list[list[str]] = []

    def counting(texts, encoder):
        resumed.append(texts)
        return similarity_chunk(texts, encoder)

    summary = stream_file(text_file, out, counting, FakeEncoder(), chunk_size=4, resume=True, progress=False)
    assert summary.skipped_chunks == 3 and len(resumed) == 3
    assert not set(map(tuple, resumed)) & set(map(tuple, calls))
    uninterrupted = tmp_path / "whole.parquet"
    stream_file(text_file, uninterrupted, similarity_chunk, FakeEncoder(), chunk_size=4, progress=False)
    pd.testing.assert_frame_equal(pd.read_parquet(out), pd.read_parquet(uninterrupted))
    assert read_parquet_provenance(out)["streaming"]["resumed"] is True


def test_resume_refuses_other_settings(text_file, tmp_path):
    out = tmp_path / "out.parquet"

    def crashing(texts, encoder):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        stream_file(text_file, out, crashing, FakeEncoder(), chunk_size=4, progress=False)
    with pytest.raises(InputError, match="cannot resume"):
        stream_file(text_file, out, similarity_chunk, FakeEncoder(), chunk_size=5, resume=True, progress=False)
    # without --resume the old parts are discarded and the run starts over
    summary = stream_file(text_file, out, similarity_chunk, FakeEncoder(), chunk_size=5, progress=False)
    assert summary.skipped_chunks == 0 and out.exists()


def test_parquet_csv_and_jsonl_inputs(tmp_path):
    pq.write_table(pa.table({"id": list(range(len(TEXTS))), "text": TEXTS}), tmp_path / "in.parquet")
    (tmp_path / "in.csv").write_text("id,item\n" + "".join(f'{i},"{t}"\n' for i, t in enumerate(TEXTS)))
    (tmp_path / "in.jsonl").write_text("".join(json.dumps({"text": t}) + "\n" for t in TEXTS))
    whole = traitlens.similarity(TEXTS, model=FakeEncoder(), cache=False)
    for name, column in (("in.parquet", None), ("in.csv", "item"), ("in.jsonl", None)):
        out = tmp_path / f"{name}.out.parquet"
        stream_file(tmp_path / name, out, similarity_chunk, FakeEncoder(), column=column, chunk_size=6,
                    progress=False)
        assert pd.read_parquet(out)["similarity"].tolist() == whole["similarity"].tolist(), name
        assert count_texts(tmp_path / name) == len(TEXTS)


def test_bad_lines_are_named(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "fine"}\n{"text": \n')
    with pytest.raises(InputError, match="line 2"):
        list(iter_chunks(path, None, 10))
    with pytest.raises(InputError, match="chunk size"):
        stream_file(path, tmp_path / "o.parquet", similarity_chunk, FakeEncoder(), chunk_size=0, progress=False)


def test_the_api_keeps_the_caching_the_caller_chose(text_file, tmp_path, monkeypatch):
    """The chunk function's default cache=True must not wrap the pinned encoder in the user cache
    (--no-cache and --cache-dir had been ignored when streaming)."""
    monkeypatch.setenv("TRAITLENS_CACHE_DIR", str(tmp_path / "default-cache"))

    def chunk(texts, encoder):  # as the CLI calls the API: the cache argument left at its default
        return traitlens.similarity(texts, model=encoder)

    stream_file(text_file, tmp_path / "o.parquet", chunk, FakeEncoder(), chunk_size=4, progress=False)
    assert not (tmp_path / "default-cache").exists()


def test_blank_lines_of_a_csv_are_no_records_as_in_memory(tmp_path):
    """A one-column CSV with blank lines had failed when streamed ('0 fields') but not in memory."""
    from traitlens.io.texts import read_texts

    path = tmp_path / "blanks.csv"
    path.write_text("text\nAlpha is kind.\n\nBeta is calm.\n\nGamma is loud.\n\n")
    streamed = [t for texts, _, _ in iter_chunks(path, None, 2) for t in texts]
    assert streamed == read_texts(path) == ["Alpha is kind.", "Beta is calm.", "Gamma is loud."]
    assert [p for _, places, _ in iter_chunks(path, None, 10) for p in places] == [2, 4, 6]


@pytest.mark.parametrize("content", ["a,text\n1,fine\n2,x,extra\n", "", "a,text\n", "a,b\n1,2\n"])
def test_bad_input_leaves_no_work_folder(tmp_path, content):
    path = tmp_path / "in.csv"
    path.write_text(content)
    out = tmp_path / "o.parquet"
    with pytest.raises(InputError):
        stream_file(path, out, similarity_chunk, FakeEncoder(), chunk_size=1, progress=False)
    assert not work_folder(out).exists() and not out.exists()
