"""Scales and keys from a long keys table (KeysFile)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from traitlens.datasets import load_responses
from traitlens.datasets.keys import KeysFile, ScaleInput
from traitlens.errors import InputError
from traitlens.io.sources import Table

from .helpers import GOOD_ROWS, write_bfi


def test_keys_naming_an_unknown_item(tmp_path):
    keys = ["A1,x,a one,Agreeableness,-1", "A3,x,a three,Agreeableness,1"]
    with pytest.raises(InputError, match="item 'A3' is not a response column of bfi.csv") as info:
        load_responses("bfi", write_bfi(tmp_path, GOOD_ROWS, keys))
    err = info.value
    assert Path(err.path).name == "bfi_items_keys.csv" and err.line == 3 and err.column == "item"


def test_keys_with_a_bad_key_value(tmp_path):
    keys = ["A1,x,a one,Agreeableness,2"]
    with pytest.raises(InputError, match="key must be 1 or -1, got '2'") as info:
        load_responses("bfi", write_bfi(tmp_path, GOOD_ROWS, keys))
    assert (info.value.line, info.value.column) == (2, "key")


def test_emotional_stability_is_not_a_big_five_domain(tmp_path):
    """A Big Five keys file naming Emotional Stability is an error, never silently Neuroticism."""
    keys = ["A1,x,a one,Agreeableness,-1", "A2,x,a two,Emotional Stability,1"]
    with pytest.raises(InputError, match="scale 'Emotional Stability' is not a Big Five domain") as info:
        load_responses("bfi", write_bfi(tmp_path, GOOD_ROWS, keys))
    assert (Path(info.value.path).name, info.value.line, info.value.column) == ("bfi_items_keys.csv", 3, "factor")


def test_domain_codes_are_renamed_and_other_scales_kept(tmp_path):
    (tmp_path / "keys.csv").write_text("scale,item,key\nNeuro,q_1,1\nIntellect,q_1,-1\nOpen,q_2,1\nIntellect,q_2,1\n")
    reader = KeysFile("keys.csv", item="item", scale="scale", domains=("Neuro", "Open"))
    data = ScaleInput(folder=tmp_path, path=tmp_path / "r.csv", items=["q_1", "q_2"],
                      responses=pd.DataFrame({"q_1": [1.0], "q_2": [2.0]}),
                      text=Table(path=tmp_path / "t.csv", header=[], rows=[], lines=[]))
    scales = reader(data)
    # "Intellect" is a narrow SPI scale here, not Openness: only the listed codes are domains
    assert scales.levels == {"Neuroticism": "factor", "Intellect": "scale", "Openness": "factor"}
    assert scales.keys["Intellect"].to_dict() == {"q_1": -1, "q_2": 1}
    assert scales.item_r is None


def test_item_listed_twice_for_a_scale(tmp_path):
    keys = ["A1,x,a one,Agreeableness,-1", "A1,x,a one again,Agreeableness,-1"]
    with pytest.raises(InputError, match="item 'A1' is listed twice for scale 'Agreeableness'") as info:
        load_responses("bfi", write_bfi(tmp_path, GOOD_ROWS, keys))
    assert (info.value.line, info.value.column) == (3, "item")
