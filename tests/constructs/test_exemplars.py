from __future__ import annotations

import pandas as pd
import pytest

from traitlens.constructs.exemplars import (
    INVENTORY_FAMILIES,
    UnipolarWarning,
    construct_exemplars,
    exemplar_pool,
    exemplar_source,
)
from traitlens.constructs.taxonomy import load_taxonomy
from traitlens.errors import InputError


def test_pool_leaves_the_scored_inventory_family_out():
    full = exemplar_pool()
    without = exemplar_pool(exclude_inventory="ipip-neo-120")
    assert not set(without["source"]) & INVENTORY_FAMILIES["ipip-neo-120"]
    assert len(without) < len(full) and set(full["key"]) == {-1, 1}


def test_factor_exemplars_include_facet_descriptors_and_mapped_pool_items():
    tax = load_taxonomy("bigfive-facets")
    own = construct_exemplars(tax, "factor", None)
    openness = tax.factors[[f.name for f in tax.factors].index("Openness")]
    expected = len(openness.high) + len(openness.low) + sum(len(c.high) + len(c.low) for c in openness.facets)
    assert (own["construct"] == "Openness").sum() == expected
    pool = pd.DataFrame({"text": ["I read poetry.", "x"], "factor": ["Openness", "Honesty"], "facet": [None, None],
                         "key": [1, 1]})
    mapped = construct_exemplars(tax, "factor", exemplar_source(pool))
    assert "I read poetry." in set(mapped[mapped["construct"] == "Openness"]["text"])
    assert "x" not in set(mapped["text"])  # not a construct of the taxonomy


def test_constructs_without_evidence_fall_back_to_unipolar(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text("name: t\nfactors:\n  - name: Tidiness\n    definition: Keeps things in order.\n"
                    "    keywords: [tidy]\n")
    with pytest.warns(UnipolarWarning):
        frame = construct_exemplars(load_taxonomy(path), "factor", None)
    assert set(frame["text"]) == {"tidy", "Keeps things in order.", "Tidiness"} and set(frame["key"]) == {1}
    assert frame.attrs["unipolar"] == ["Tidiness"]
    with pytest.raises(InputError, match="level must be"):
        construct_exemplars(load_taxonomy(path), "domain", None)
