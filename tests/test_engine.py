from __future__ import annotations

import numpy as np
import pytest

from traitlens.analysis.similarity import cosine_matrix
from traitlens.constructs.exemplars import construct_exemplars, exemplar_source
from traitlens.constructs.taxonomy import load_taxonomy
from traitlens.engine import bipolar, keyword_similarity, label_similarity


def test_keyword_similarity_is_one_batch_and_exact(fake_encoder):
    tax = load_taxonomy("bigfive-keywords")
    run = keyword_similarity(["a text", "another"], tax, fake_encoder)
    assert fake_encoder.calls == 1 and run.similarity.shape == (2, 15)
    v = fake_encoder.encode(["a text", *run.keywords["keyword"]])
    np.testing.assert_allclose(run.similarity[0], cosine_matrix(v[:1], v[1:])[0], atol=1e-7)
    assert run.provenance["taxonomy"] == {"name": tax.name, "fingerprint": tax.fingerprint}


def test_label_similarity_columns_are_construct_names(fake_encoder):
    tax = load_taxonomy("bigfive-facets")
    frame = label_similarity(["x"], tax, "facet", fake_encoder)
    assert frame.shape == (1, 30) and list(frame.columns) == [c.name for f in tax.factors for c in f.facets]


def test_bipolar_matches_a_direct_computation(fake_encoder):
    tax = load_taxonomy("bigfive")
    run = bipolar(["I plan ahead."], tax, "factor", fake_encoder, None)
    assert fake_encoder.calls == 1
    ex = construct_exemplars(tax, "factor", None)
    x = fake_encoder.encode(ex["text"].tolist()).astype(float)
    c = x.mean(axis=0)
    xc = (x - c) / np.linalg.norm(x - c, axis=1, keepdims=True)
    t = fake_encoder.encode(["I plan ahead."])[0] - c
    t /= np.linalg.norm(t)
    rows = (ex["construct"] == "Conscientiousness").to_numpy()
    high = xc[rows & (ex["key"] == 1).to_numpy()].mean(axis=0)
    low = xc[rows & (ex["key"] == -1).to_numpy()].mean(axis=0)
    j = run.profile.column("Conscientiousness")
    assert run.profile.high[0, j] == pytest.approx(t @ high / np.linalg.norm(high), abs=1e-6)
    assert run.profile.low[0, j] == pytest.approx(t @ low / np.linalg.norm(low), abs=1e-6)
    prov = run.provenance
    assert prov["level"] == "factor" and prov["exemplars"]["sources"] == ["taxonomy"]
    assert prov["exemplars"]["n"] == len(ex) and prov["unipolar"] == []


def test_builtin_pool_maps_items_to_constructs(fake_encoder):
    tax = load_taxonomy("bigfive-facets")
    pool = exemplar_source("builtin")
    factors = construct_exemplars(tax, "factor", pool)
    facets = construct_exemplars(tax, "facet", pool)
    assert set(factors["construct"]) == {f.name for f in tax.factors}
    assert set(facets["construct"]) == {c.name for f in tax.factors for c in f.facets}
    assert len(factors) > len(construct_exemplars(tax, "factor", None)) + 300
    assert set(factors["key"]) == {-1, 1}
