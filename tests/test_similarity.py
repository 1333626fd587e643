from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import traitlens
from traitlens.analysis.similarity import aggregate_similarity, cosine_matrix, similarity_frame
from traitlens.errors import InputError
from traitlens.io.texts import InputWarning


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
    frame = similarity_frame(["s1", "s2"], tv, keywords, kv)
    assert list(frame.columns) == ["sentence", "factor", "keyword", "similarity"]
    assert frame["sentence"].tolist() == ["s1"] * 3 + ["s2"] * 3
    np.testing.assert_allclose(frame["similarity"], [1, 2**-0.5, 0, 0, 2**-0.5, 1])


def test_aggregate_long_and_wide():
    keywords = pd.DataFrame({"factor": ["F", "F", "G"], "keyword": ["a", "b", "c"]})
    frame = similarity_frame(["s1", "s2"], np.eye(2), keywords, np.array([[1.0, 0], [0, 1.0], [1.0, 1.0]]))
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
    with pytest.raises(InputError, match="by must be"):
        aggregate_similarity(frame, by="facet")


def test_api_reference_layout_and_provenance(fake_encoder):
    frame = traitlens.similarity(traitlens.EXAMPLE_SENTENCES, model=fake_encoder)
    assert frame.shape == (75, 4)
    assert list(frame.columns) == ["sentence", "factor", "keyword", "similarity"]
    assert frame["sentence"].iloc[0] == "I like to work hard." and frame["keyword"].iloc[0] == "Creativity"
    prov = frame.attrs["provenance"]
    assert prov["model"] == {"id": fake_encoder.name, "fingerprint": fake_encoder.fingerprint, "dim": 16}
    assert prov["taxonomy"]["name"] == "bigfive-keywords"
    assert prov["traitlens_version"] == traitlens.__version__
    v = fake_encoder.encode(["I like to work hard.", "Creativity"])
    assert frame["similarity"].iloc[0] == pytest.approx(float(v[0] @ v[1]), abs=1e-6)


def test_api_encodes_texts_and_keywords_in_one_batch(fake_encoder):
    traitlens.similarity(["Creativity", "x", "x"], model=fake_encoder, cache=False)
    assert fake_encoder.calls == 1
    assert len(fake_encoder.seen) == 16  # 'x' once, 'Creativity' once (it is also a keyword)


def test_duplicates_reported_once_per_occurrence(fake_encoder):
    with pytest.warns(InputWarning, match="more than once"):
        frame = traitlens.similarity(["a", "b", "a"], model=fake_encoder)
    assert frame["sentence"].tolist()[::15] == ["a", "b", "a"]
    assert len(frame) == 45


def test_single_text_gives_a_frame(fake_encoder):
    frame = traitlens.similarity(["only one"], model=fake_encoder)
    assert isinstance(frame, pd.DataFrame) and len(frame) == 15


def test_facet_column_appears_for_facet_taxonomies(tmp_path, fake_encoder):
    path = tmp_path / "t.yaml"
    path.write_text("name: t\nfactors:\n  - name: A\n    facets:\n      - name: A1\n        keywords: [x]\n")
    frame = traitlens.similarity(["s"], taxonomy=path, model=fake_encoder)
    assert list(frame.columns) == ["sentence", "factor", "facet", "keyword", "similarity"]
    assert frame.attrs["provenance"]["taxonomy"]["name"] == "t"
