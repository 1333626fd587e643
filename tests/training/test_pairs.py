"""Training pairs: one row per unordered pair, exclusion through the leakage guard, splits by item."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from traitlens.errors import InputError
from traitlens.training.pairs import (
    PAIR_COLUMNS,
    holdout_texts,
    item_split,
    pair_items,
    shared_item_pairs,
    split_pairs,
)

from ..datasets.helpers import GOOD_ROWS, write_bfi
from ..fakes import FakeEncoder


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return write_bfi(tmp_path / "data", GOOD_ROWS)


def test_one_row_per_unordered_pair_with_observed_r(data_dir: Path):
    pairs = shared_item_pairs(data_dir, datasets=("bfi",))
    assert list(pairs.columns) == PAIR_COLUMNS
    assert len(pairs) == 6
    assert not (pairs["item_a"] == pairs["item_b"]).any()
    assert len({frozenset(p) for p in zip(pairs["item_a"], pairs["item_b"], strict=True)}) == 6
    assert pairs["r"].between(-1, 1).all()
    row = pairs[(pairs["item_a"] == "A1") & (pairs["item_b"] == "A2")].iloc[0]
    assert (row["text_a"], row["text_b"]) == ("a one", "a two")
    assert row["r"] == pytest.approx(np.corrcoef([1, 2, 3, 6], [2, 3, 4, 5])[0, 1])
    assert pairs.attrs["excluded_items"] == 0 and pairs.attrs["excluded_pairs"] == 0


def test_exclusion_drops_every_pair_of_an_excluded_item(data_dir: Path):
    pairs = shared_item_pairs(data_dir, datasets=("bfi",), exclude_texts=["A ONE!"], guard_encoder=FakeEncoder())
    assert len(pairs) == 3
    assert "A1" not in set(pairs["item_a"]) | set(pairs["item_b"])
    assert pairs.attrs["excluded_items"] == 1
    assert pairs.attrs["excluded_pairs"] == 3
    assert pairs.attrs["excluded"] == ["bfi:A1"]


def test_unknown_dataset_is_an_input_error(data_dir: Path):
    with pytest.raises(InputError, match="unknown datasets"):
        shared_item_pairs(data_dir, datasets=("nope",))


def test_item_split_splits_items_not_pairs():
    items = [f"i{k}" for k in range(50)] * 2
    train, validation = item_split(items, fraction=0.2, seed=3)
    assert len(validation) == 10 and len(train) == 40
    assert not set(train) & set(validation)
    assert set(train) | set(validation) == set(items)
    assert item_split(items, 0.2, 3) == (train, validation)
    assert item_split(items, 0.2, 4) != (train, validation)
    with pytest.raises(InputError):
        item_split(items, 1.0)


def test_no_pair_crosses_the_split(shared_data: Path):
    pairs = shared_item_pairs(shared_data, datasets=("bfi", "adjectives"))
    train, validation = split_pairs(pairs, fraction=0.3, seed=0)
    train_items = set(np.concatenate(pair_items(train)))
    validation_items = set(np.concatenate(pair_items(validation)))
    assert train_items and validation_items
    assert not train_items & validation_items
    assert len(train) + len(validation) < len(pairs)


def test_holdout_texts_reads_only_the_item_text_column(tmp_path: Path):
    folder = tmp_path / ("hold" + "out")
    folder.mkdir()
    (folder / "mapping2.csv").write_text("variable,item_text,keyed\nX1,I like tea.,1\nX2, ,1\nX3,I hate tea.,-1\n")
    assert holdout_texts(tmp_path / "data") == ["I like tea.", "I hate tea."]
    with pytest.raises(InputError):
        holdout_texts(tmp_path / "elsewhere" / "data")
