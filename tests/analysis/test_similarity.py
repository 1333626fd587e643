from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from traitlens.analysis.similarity import aggregate_similarity, cosine_matrix, occurrences, similarity_frame
from traitlens.errors import InputError


def test_cosine_matrix_matches_numpy():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((4, 7)), rng.standard_normal((3, 7))
    expected = np.array([[x @ y / np.linalg.norm(x) / np.linalg.norm(y) for y in b] for x in a])
    np.testing.assert_allclose(cosine_matrix(a, b), expected, atol=1e-12)
    assert cosine_matrix(np.zeros((1, 7)), b).tolist() == [[0.0, 0.0, 0.0]]


def test_similarity_frame_layout():
    keywords = pd.DataFrame({"factor": ["F", "F", "G"], "facet": [None, None, None], "keyword": ["a", "b", "c"]})
    tv = np.array([[1.0, 0.0], [0.0, 1.0]])
    kv = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 2.0]])
    frame = similarity_frame(["s1", "s2"], cosine_matrix(tv, kv), keywords)
    assert list(frame.columns) == ["sentence", "factor", "keyword", "similarity"]
    assert frame["sentence"].tolist() == ["s1"] * 3 + ["s2"] * 3
    np.testing.assert_allclose(frame["similarity"], [1, 2**-0.5, 0, 0, 2**-0.5, 1])


def test_aggregate_long_and_wide():
    keywords = pd.DataFrame({"factor": ["F", "F", "G"], "keyword": ["a", "b", "c"]})
    frame = similarity_frame(["s1", "s2"], cosine_matrix(np.eye(2), np.array([[1.0, 0], [0, 1.0], [1.0, 1.0]])),
                             keywords)
    long = aggregate_similarity(frame)
    assert list(long.columns) == ["sentence", "factor", "mean", "max"]
    row = long[(long.sentence == "s1") & (long.factor == "F")].iloc[0]
    assert row["mean"] == pytest.approx(0.5) and row["max"] == pytest.approx(1.0)
    wide = aggregate_similarity(frame, stats="max", wide=True)
    assert list(wide.columns) == ["F", "G"] and list(wide.index) == ["s1", "s2"]
    assert wide.loc["s2", "G"] == pytest.approx(2**-0.5)
    both = aggregate_similarity(frame, wide=True)
    assert "F (mean)" in both.columns and "G (max)" in both.columns
    with pytest.raises(InputError, match="stats must be"):
        aggregate_similarity(frame, stats="mode")
    with pytest.raises(InputError, match="the taxonomy has no facets: aggregate by factor"):
        aggregate_similarity(frame, by="facet")
    with pytest.raises(InputError, match="by must be 'factor' or 'facet'"):
        aggregate_similarity(frame, by="keyword")


def test_similarity_frame_checks_shapes():
    keywords = pd.DataFrame({"factor": ["F"], "keyword": ["a"]})
    with pytest.raises(InputError, match="2 texts"):
        similarity_frame(["s1", "s2"], np.zeros((1, 1)), keywords)
    with pytest.raises(InputError, match="keywords"):
        similarity_frame(["s1"], np.zeros((1, 2)), keywords)


def test_aggregate_keeps_one_row_per_occurrence_of_a_duplicate_text():
    keywords = pd.DataFrame({"factor": ["F", "F", "G"], "keyword": ["a", "b", "c"]})
    texts = ["s1", "s2", "s1", "s1"]
    vectors = np.array([[1.0, 0], [0, 1.0], [1.0, 0], [1.0, 0]])
    frame = similarity_frame(texts, cosine_matrix(vectors, np.array([[1.0, 0], [0, 1.0], [1.0, 1.0]])), keywords)
    long = aggregate_similarity(frame)
    assert list(long["sentence"]) == ["s1", "s1", "s2", "s2", "s1", "s1", "s1", "s1"]
    assert list(long["factor"]) == ["F", "G"] * 4
    wide = aggregate_similarity(frame, stats="mean", wide=True)
    assert list(wide.index) == texts and wide.index.name == "sentence"
    assert wide.iloc[0].tolist() == wide.iloc[3].tolist()
    assert list(occurrences(frame)) == [0] * 3 + [1] * 3 + [2] * 3 + [3] * 3
    # a table filtered to one factor still splits into occurrences
    only_g = frame[frame.factor == "G"]
    assert list(aggregate_similarity(only_g, stats="max")["sentence"]) == texts
    # adjacent duplicates are two occurrences, not one
    twice = similarity_frame(["x", "x"], cosine_matrix(vectors[:2], np.eye(2)), keywords.iloc[:2])
    assert len(aggregate_similarity(twice)) == 2
