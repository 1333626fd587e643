"""Fitting a head: deterministic, starts from the profile predictor, records its data; leave-out pairs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from traitlens.training.fit import HeadConfig, fit_head, leave_out_pairs, model_card

from ..fakes import FakeEncoder


def _pairs() -> pd.DataFrame:
    texts = ["I panic easily.", "I stay calm.", "I love parties.", "I keep quiet.", "I am tidy.", "I am messy."]
    rows = []
    for i in range(len(texts)):
        for j in range(i + 1, len(texts)):
            rows.append(("toy", f"i{i}", f"i{j}", texts[i], texts[j], -0.5 if (i + j) % 2 else 0.4))
    frame = pd.DataFrame(rows, columns=["dataset", "item_a", "item_b", "text_a", "text_b", "r"])
    frame.attrs = {"datasets": ["toy"], "excluded_items": 0, "excluded_pairs": 0, "excluded": []}
    return frame


def test_fit_is_deterministic_and_records_its_data():
    encoder = FakeEncoder()
    config = HeadConfig(max_steps=60, validation=0.0)
    a = fit_head(_pairs(), encoder, None, config=config)
    b = fit_head(_pairs(), encoder, None, config=config)
    np.testing.assert_array_equal(a.weight, b.weight)
    assert a.weight.shape == (105, 35)
    assert a.model_fingerprint == encoder.fingerprint
    assert a.meta["training"]["n_pairs"] == 15 and a.meta["steps"] == 60
    assert "Leave-one-dataset-out" in model_card(a, [{"held_out": "x", "method": "head", "item_r": 0.5}])


def test_leave_out_pairs_drops_the_scored_dataset(shared_data: Path):
    from traitlens.datasets import load_responses

    bfi = load_responses("bfi", shared_data)
    pairs = leave_out_pairs(shared_data, list(bfi.item_text), datasets=("bfi", "adjectives", "big5"))
    assert pairs.attrs["left_out"] == ["bfi"]
    assert set(pairs["dataset"]) == {"adjectives", "big5"}
    assert pairs.attrs["excluded_items"] >= 25


def test_head_name_is_the_model_name_or_the_adapter_name():
    from traitlens.training.fit import head_name

    assert head_name(FakeEncoder(name="sentence-transformers/all-MiniLM-L6-v2")) == "all-MiniLM-L6-v2"
    assert head_name(FakeEncoder(name="sentence-transformers/all-MiniLM-L6-v2+all-MiniLM-L6-v2-traitlens")) == \
        "all-MiniLM-L6-v2-traitlens"
