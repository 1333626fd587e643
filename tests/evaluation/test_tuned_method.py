"""The harness's ``tuned`` method only scores a suite with an adapter that never saw its items."""

from __future__ import annotations

import os

import pandas as pd
import pytest

from traitlens.encoders.adapted import ADAPTER_FILE, write_adapter
from traitlens.engine import CORRELATION_METHODS, item_correlations
from traitlens.errors import InputError
from traitlens.evaluation.methods import (
    ADAPTER_DIR_ENV,
    MethodContext,
    adapter_search_dirs,
    get_method,
    unseen_adapter,
    unseen_adapters,
)

from ..fakes import FakeEncoder

SCORED = ["I am the life of the party.", "I panic easily.", "I like order."]


FAKE_FINGERPRINT = FakeEncoder().fingerprint


def adapter_folder(root, name, texts, base_fingerprint=FAKE_FINGERPRINT):
    folder = root / name
    folder.mkdir(parents=True)
    write_adapter(folder / ADAPTER_FILE, {"0": ([[1.0]], [[1.0]], 1.0)}, base_id="fake",
                  base_fingerprint=base_fingerprint, rank=1, alpha=1.0, name=name)
    pd.DataFrame({"text": texts, "split": ["train"] * (len(texts) - 1) + ["heldout"]}).to_csv(folder / "split.csv",
                                                                                            index=False)
    return folder


def test_an_adapter_that_saw_a_scored_item_or_a_rewording_is_never_picked(tmp_path):
    guard = FakeEncoder()
    adapter_folder(tmp_path, "lodo-big", ["I talk a lot.", "I am the life of the party!", "I worry.", "a", "b"])
    clean = adapter_folder(tmp_path, "lodo-small", ["I talk a lot.", "I worry.", "I am tidy."])
    folder, notes = unseen_adapter(SCORED, guard, tmp_path)
    assert folder == clean  # the larger one saw a scored item (same normalised text) in its held-out part
    assert notes == ["lodo-big: trained on 1 scored item(s) or rewordings"]
    adapter_folder(tmp_path / "only", "x", ["I panic easily", "I worry."])
    assert unseen_adapter(SCORED, guard, tmp_path / "only") == (None, ["x: trained on 1 scored item(s) or rewordings"])
    assert unseen_adapter(SCORED, guard, tmp_path / "absent") == (None, [])


def test_only_adapters_of_the_scored_model_are_candidates_and_every_search_folder_is_searched(tmp_path, monkeypatch):
    guard = FakeEncoder()
    other = adapter_folder(tmp_path / "one", "lodo-other-model", ["I talk a lot.", "I worry.", "x", "y"],
                           base_fingerprint="0123456789abcdef")
    mine = adapter_folder(tmp_path / "two", "lodo-mine", ["I talk a lot.", "I worry."])
    assert unseen_adapter(SCORED, guard, [tmp_path / "one", tmp_path / "two"])[0] == other  # no filter: largest
    folder, _ = unseen_adapter(SCORED, guard, [tmp_path / "one", tmp_path / "two"], base_fingerprint=guard.fingerprint)
    assert folder == mine
    monkeypatch.setenv(ADAPTER_DIR_ENV, os.pathsep.join([str(tmp_path / "one"), str(tmp_path / "two")]))
    assert adapter_search_dirs() == [tmp_path / "one", tmp_path / "two"]
    ctx = MethodContext(encoder=FakeEncoder(), scored_texts=SCORED, guard_encoder=FakeEncoder())
    method = get_method("tuned")
    with pytest.raises(InputError):  # the fake encoder cannot merge an adapter; the picked folder is recorded first
        method.item_correlations(SCORED, ctx)
    assert method.adapters[id(ctx)] == [mine]


def test_each_search_folder_gives_one_member_of_the_scored_ensemble(tmp_path, monkeypatch):
    guard = FakeEncoder()
    first = adapter_folder(tmp_path / "seed0", "lodo-a", ["I talk a lot.", "I worry."])
    adapter_folder(tmp_path / "seed0", "lodo-b", ["I am tidy.", "I worry."])  # smaller: not this folder's pick
    adapter_folder(tmp_path / "seed1", "all", [*SCORED, "I worry."])  # saw the scored items: no member here
    third = adapter_folder(tmp_path / "seed2", "lodo-a", ["I talk a lot.", "I worry.", "I am tidy."])
    monkeypatch.setenv(ADAPTER_DIR_ENV, os.pathsep.join(str(tmp_path / d) for d in ("seed0", "seed1", "seed2")))
    members, notes = unseen_adapters(SCORED, guard, base_fingerprint=guard.fingerprint)
    assert members == [first, third]
    assert notes == ["all: trained on 3 scored item(s) or rewordings"]
    ctx = MethodContext(encoder=FakeEncoder(), scored_texts=SCORED, guard_encoder=guard)
    method = get_method("tuned")
    with pytest.raises(InputError):  # the fake encoder cannot merge an adapter; the members are recorded first
        method.item_correlations(SCORED, ctx)
    assert method.adapters[id(ctx)] == [first, third]


def test_the_harness_refuses_tuned_without_an_unseen_adapter(tmp_path, monkeypatch):
    monkeypatch.setenv(ADAPTER_DIR_ENV, str(tmp_path))
    adapter_folder(tmp_path, "all", [*SCORED, "I worry."])
    ctx = MethodContext(encoder=FakeEncoder(), scored_texts=SCORED, guard_encoder=FakeEncoder())
    with pytest.raises(InputError, match="cannot be scored honestly.*all: trained on 3 scored item"):
        get_method("tuned").item_correlations(SCORED, ctx)


def test_tuned_needs_an_adapter_for_the_model():
    assert "tuned" in CORRELATION_METHODS
    with pytest.raises(InputError, match="sentence-transformers model on the torch backend"):
        item_correlations(SCORED, FakeEncoder(), "tuned")
