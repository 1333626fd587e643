"""Bainbridge et al. (2022): keys from the first item, levels, and the pairs file."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from traitlens import psychometrics as pm
from traitlens.datasets import load_bainbridge_pairs


def test_bainbridge_pairs_file(shared_data):
    pairs = load_bainbridge_pairs(shared_data)
    assert len(pairs) == 87_153 == 418 * 417 // 2
    assert list(pairs.columns) == [
        "variable_1", "variable_2", "empirical_r", "pairwise_n", "empirical_r_se",
        "synthetic_r_surveybot3000", "synthetic_r_all_mpnet_base_v2",
    ]
    r = pairs[["empirical_r", "synthetic_r_surveybot3000", "synthetic_r_all_mpnet_base_v2"]].corr()
    assert round(r.loc["empirical_r", "synthetic_r_surveybot3000"], 2) == 0.67  # 0.6742
    assert round(r.loc["empirical_r", "synthetic_r_all_mpnet_base_v2"], 2) == 0.19  # 0.1874


def test_bainbridge_pairs_equal_our_raw_item_correlations(load, shared_data):
    data = load("bainbridge")
    pairs = load_bainbridge_pairs(shared_data)
    r = data.item_correlations()
    rows = r.index.get_indexer(pairs["variable_1"])
    cols = r.columns.get_indexer(pairs["variable_2"])
    assert (rows >= 0).all() and (cols >= 0).all()
    assert np.abs(r.to_numpy()[rows, cols] - pairs["empirical_r"].to_numpy()).max() <= 5e-6  # 5 decimals
    n = pm.pairwise_n(data.responses).to_numpy()[rows, cols]
    assert (n == pairs["pairwise_n"].to_numpy()).all()


def test_bainbridge_scales_levels_and_derived_keys(load, shared_data):
    data = load("bainbridge")
    levels = pd.Series(data.scale_levels).value_counts().to_dict()
    assert levels == {"facet": 83, "factor": 21, "scale": 9}
    table = pd.read_csv(shared_data / "bainbridge_pilot" / "scales.csv")
    assert list(data.scales) == list(table["scale"])
    first_keys = {s: int(k.iloc[0]) for s, k in data.scales.items()}
    assert first_keys == dict(zip(table["scale"], table["keyed"].astype(int), strict=True))
    # Parent scales hold all their facets' items.
    assert len(data.scales["Big_Five_Inventory_2_extraversion"]) == 12
    assert len(data.scales["Big_Five_Inventory_2_extraversion_sociability"]) == 4
    # Keys derived from the sign of each item's r with the first item: every scale's mean keyed
    # inter-item correlation is positive (113 of 113).
    r = data.item_correlations()
    positive = 0
    for keys in data.scales.values():
        sub = r.loc[keys.index, keys.index].to_numpy() * np.outer(keys, keys)
        positive += sub[np.triu_indices(len(keys), 1)].mean() > 0
    assert positive == len(data.scales) == 113


def test_bainbridge_derived_keys_agree_with_official_ipip_neo_120(load, shared_data):
    """Independent check: the IPIP-NEO-120 items' official keys (173 of 178 matched memberships agree)."""
    data = load("bainbridge")
    official = pd.read_csv(shared_data / "ipip_neo_120" / "ipip_neo_120_items_keys.csv")

    def norm(text: str) -> str:
        return re.sub(r"^i ", "", text.lower().strip().rstrip("."))

    key_of = dict(zip(official["text"].map(norm), official["key"], strict=True))
    agree = disagree = 0
    for scale, keys in data.scales.items():
        if not scale.startswith("International_Personality_Item_Pool_120"):
            continue
        for item, key in keys.items():
            text = norm(data.item_text[item])
            if text in key_of:
                agree += key == key_of[text]
                disagree += key != key_of[text]
    # The 5 disagreements: two modesty items inside agreeableness (weak r with its first item,
    # "I trust others") and three items of the adventurousness facet, whose first item is itself
    # reverse-worded but marked keyed = 1 in scales.csv.
    assert (agree, disagree) == (173, 5)
