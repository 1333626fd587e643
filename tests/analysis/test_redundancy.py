"""Near-duplicates and short forms on hand-made correlation matrices."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from traitlens.analysis.redundancy import composite_correlation, near_duplicates, short_form
from traitlens.errors import InputError


def test_near_duplicates_threshold_and_order():
    s = np.array([[1, .95, .91, .2], [.95, 1, .5, .1], [.91, .5, 1, .3], [.2, .1, .3, 1]])
    out = near_duplicates(s, ["a", "b", "c", "d"], 0.9)
    assert out.to_dict("records") == [{"item_a": "a", "item_b": "b", "similarity": .95, "same_text": False},
                                      {"item_a": "a", "item_b": "c", "similarity": .91, "same_text": False}]
    with pytest.raises(InputError, match="threshold"):
        near_duplicates(s, ["a", "b", "c", "d"], 2)


def test_near_duplicates_flag_one_text_whatever_the_similarity():
    s = np.array([[1, .95, .91, .2], [.95, 1, .5, .1], [.91, .5, 1, .3], [.2, .1, .3, 1]])
    out = near_duplicates(s, ["a", "b", "c", "d"], 0.93, same_text=["x", "y", "z", "x"])
    assert out.to_dict("records") == [{"item_a": "a", "item_b": "b", "similarity": .95, "same_text": False},
                                      {"item_a": "a", "item_b": "d", "similarity": .2, "same_text": True}]
    with pytest.raises(InputError, match="same_text has 2 entries for 4 items"):
        near_duplicates(s, ["a", "b", "c", "d"], 0.9, same_text=["x", "y"])


def one_factor(loadings: np.ndarray) -> np.ndarray:
    r = np.outer(loadings, loadings)
    np.fill_diagonal(r, 1)
    return r


def test_short_form_keeps_the_highest_loading_items_with_keys():
    lam = np.array([.8, -.7, .3, .2, -.6])  # reverse-keyed items load negatively; keys make them central
    r = one_factor(lam)
    items = [f"i{j}" for j in range(5)]
    members = pd.DataFrame({"item": items, "scale": "S", "key": [1, -1, 1, 1, -1]})
    table, summary = short_form(r, items, members, k=3)
    assert table.loc[table["kept"], "item"].tolist() == ["i0", "i1", "i4"]
    assert table["rank"].tolist() == [1, 2, 3, 4, 5]
    keys = np.array([1, -1, 1, 1, -1.0])
    short = keys * np.array([1, 1, 0, 0, 1])
    assert summary["r_short_full"].iloc[0] == pytest.approx(composite_correlation(r, short, keys))
    assert 0.85 < summary["r_short_full"].iloc[0] < 1


def test_composite_correlation_of_a_scale_with_itself_is_one():
    r = one_factor(np.array([.5, .6, .7]))
    assert composite_correlation(r, np.ones(3), np.ones(3)) == pytest.approx(1)


def test_short_form_bad_input():
    r = one_factor(np.array([.5, .6]))
    members = pd.DataFrame({"item": ["a", "x"], "scale": "S", "key": [1, 1]})
    with pytest.raises(InputError, match="'x'"):
        short_form(r, ["a", "b"], members)
    with pytest.raises(InputError, match="k must be"):
        short_form(r, ["a", "b"], members.iloc[:1], k=0)
