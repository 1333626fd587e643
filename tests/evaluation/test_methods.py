"""Registered evaluation methods: the registry, and the profile method through the harness."""

from __future__ import annotations

import pytest

from traitlens.errors import InputError
from traitlens.evaluation import (
    available_methods,
    available_suites,
    get_method,
    load_suite,
    run_suite,
)

pytestmark = pytest.mark.slow


def test_methods_and_suites_registry():
    assert {"cosine", "keywords"} <= set(available_methods())
    assert available_suites() == ["ipip50", "bfi", "spi", "adjectives", "neo300-facets", "bainbridge",
                                  "ipip50-factors", "bfi-factors", "neo300-facet-r", "neo-pi-r-facet-r"]
    with pytest.raises(InputError, match="unknown method 'nope'"):
        get_method("nope")
    with pytest.raises(InputError, match="unknown suite 'nope'"):
        load_suite("nope")


@pytest.mark.slow
def test_profile_method_in_the_harness(real_encoder, shared_data):

    result = run_suite("ipip50", "profile", real_encoder, data_dir=shared_data, n_boot=0, cache=False)
    m = result.metrics.set_index("metric")["value"]
    assert m["factor_accuracy"] >= 0.74 and m["key_accuracy"] >= 0.74  # measured .76 / .78
    assert m["item_r"] > 0.2 and m["scale_r"] > 0.8  # raw cosine: .13 / .25
    dropped = result.exclusions
    assert (dropped["reason"] == "same text").sum() >= 28  # the IPIP-NEO rewordings of IPIP-50 items
    assert result.provenance["exemplars_excluded"] == len(dropped)
