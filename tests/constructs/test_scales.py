"""Scale collections: reading, validation, warnings, weights."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from traitlens.constructs.scales import ScaleWarning, key_value, load_scales, reference_texts
from traitlens.errors import InputError

ROWS = [
    ("anx", "Anxiety", "Worry about things.", 1),
    ("anx", "Anxiety", "Am relaxed most of the time.", -1),
    ("neu", "Neuroticism", "Worry about things.", 1),
    ("neu", "Neuroticism", "Panic easily.", 1),
    ("ord", "Orderliness", "Like order.", 1),
    ("ord", "Orderliness", "Leave a mess in my room.", -1),
]


def frame(rows: list[tuple] = ROWS) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["scale", "label", "text", "key"])


def test_frame_round_trip_and_shared_items():
    c = load_scales(frame())
    assert c.scales == ["anx", "neu", "ord"]
    assert c.labels.to_dict() == {"anx": "Anxiety", "neu": "Neuroticism", "ord": "Orderliness"}
    assert len(c.items) == 5  # "Worry about things." is shared by two scales and counted once
    assert c.keyed


def test_weights_signed_and_unsigned():
    c = load_scales(frame())
    unsigned, signed = c.weights(), c.weights(signed=True)
    assert unsigned.shape == (3, 5)
    assert unsigned.sum(axis=1).tolist() == [2, 2, 2]
    assert signed[0].tolist() == [1, -1, 0, 0, 0]
    assert signed[2].tolist() == [0, 0, 0, 1, -1]


def test_csv_and_yaml(tmp_path: Path):
    path = tmp_path / "s.csv"
    frame().to_csv(path, index=False)
    assert load_scales(path).frame.equals(load_scales(frame()).frame)
    yml = tmp_path / "s.yaml"
    yml.write_text("scales:\n" + "".join(
        f"  - scale: {s}\n    label: {s.upper()}\n    items:\n      - {{text: item {s} 1, key: 1}}\n"
        f"      - {{text: item {s} 2, key: -1}}\n" for s in ("a", "b", "c")))
    c = load_scales(yml)
    assert c.scales == ["a", "b", "c"] and c.frame["key"].tolist() == [1, -1] * 3


def test_builtin_inventory():
    c = load_scales("ipip50")
    assert len(c.scales) == 5 and len(c.items) == 50
    assert c.labels["Extraversion"] == "Extraversion"


def test_duplicate_scale_id_with_another_label_names_the_line(tmp_path: Path):
    rows = [*ROWS, ("anx", "Worry", "Fret a lot.", 1)]
    path = tmp_path / "s.csv"
    frame(rows).to_csv(path, index=False)
    with pytest.raises(InputError, match="line 8.*duplicate scale id"):
        load_scales(path)


@pytest.mark.parametrize(("rows", "message"), [
    ([*ROWS[:4]], "at least 3 scales"),
    ([*ROWS, ("x", "", "Text.", 1)], "empty label"),
    ([*ROWS, ("anx", "Anxiety", "Worry about things.", 1)], "listed twice"),
    ([*ROWS, ("x", "X", "Text.", 2)], "key '2'"),
])
def test_bad_input(rows, message):
    with pytest.raises(InputError, match=message):
        load_scales(frame(rows))


def test_missing_column():
    with pytest.raises(InputError, match="missing column 'label'"):
        load_scales(frame().drop(columns="label"))


def test_single_item_and_missing_keys_warn():
    rows = [(s, s, f"{s} text", np.nan) for s in ("a", "b")] + [("c", "c", "c1", 1), ("c", "c", "c2", "")]
    with pytest.warns(ScaleWarning) as record:
        c = load_scales(frame(rows))
    messages = " ".join(str(w.message) for w in record)
    assert "single item" in messages and "no key" in messages
    assert c.frame["key"].isna().sum() == 3


def test_no_warning_for_a_clean_collection():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_scales(frame())


def test_reference_texts_are_unique_builtin_items():
    texts = reference_texts()
    assert len(texts) == len(set(texts)) > 300


def test_an_inventory_object_reads_like_its_name():
    from traitlens.constructs.inventory import load_inventory

    assert load_scales(load_inventory("bfi")).frame.equals(load_scales("bfi").frame)


@pytest.mark.parametrize(("cell", "key"), [
    ("1", 1.0), ("+1", 1.0), (" 1.0 ", 1.0), ("1e0", 1.0), ("-1", -1.0), ("-1.00", -1.0), (-1, -1.0), (1.0, 1.0),
])
def test_key_value_reads_any_number_equal_to_plus_or_minus_one(cell, key):
    assert key_value(cell) == key


@pytest.mark.parametrize("cell", ["", "  ", "0", "0.0", "nan", None, float("nan")])
def test_key_value_of_an_unknown_key_is_nan(cell):
    assert np.isnan(key_value(cell))


@pytest.mark.parametrize("cell", ["R", "reverse", "+", "-", "2", "-0.5", "inf"])
def test_key_value_refuses_what_is_not_a_key(cell):
    with pytest.raises(ValueError, match="is not \\+1, -1 or empty"):
        key_value(cell)


def test_scale_names_that_differ_only_in_case_are_warned_about():
    rows = [("Grit", "Grit", "I never give up.", 1), ("Grit", "Grit", "I finish what I start.", 1),
            ("grit", "Grit", "I quit easily.", -1), ("anx", "Anxiety", "I worry.", 1),
            ("anx", "Anxiety", "I panic.", 1), ("ord", "Order", "I like order.", 1), ("ord", "Order", "I tidy.", 1)]
    with pytest.warns(ScaleWarning, match=r"1 scale name\(s\) differ only in case and are kept apart: 'Grit' / 'grit'"):
        collection = load_scales(pd.DataFrame(rows, columns=["scale", "label", "text", "key"]))
    assert len(collection.scales) == 4


def test_an_inventory_file_loads_as_scales_named_by_their_ids(tmp_path):
    """`--inventory mybfi.csv` had failed in jingle-jangle, map and relabel ("missing column 'label'")."""
    from traitlens.constructs.inventory import load_inventory

    csv = tmp_path / "mine.csv"
    csv.write_text("item,text,scale,key\nd1,I love dogs.,Dogs,1\nd2,Dogs scare me.,Dogs,-1\nc1,I adore cats.,Cats,1\n"
                   "c2,Cats annoy me.,Cats,-1\nb1,I feed birds.,Birds,1\nb2,Birds are noisy.,Birds,-1\n")
    yaml = tmp_path / "mine.yaml"
    yaml.write_text("name: pets\nitems:\n" + "".join(
        f"  - {{item: {i}, text: {t}, scales: {{{s}: {k}}}}}\n"
        for i, t, s, k in [("d1", "I love dogs.", "Dogs", 1), ("d2", "Dogs scare me.", "Dogs", -1),
                           ("c1", "I adore cats.", "Cats", 1), ("c2", "Cats annoy me.", "Cats", -1),
                           ("b1", "I feed birds.", "Birds", 1), ("b2", "Birds are noisy.", "Birds", -1)]))
    for path in (csv, yaml):
        collection = load_scales(path)
        expected = load_inventory(path).frame
        assert sorted(collection.scales) == ["Birds", "Cats", "Dogs"]
        assert collection.labels.to_dict() == {s: s for s in collection.scales}
        assert collection.frame["key"].tolist() == expected["key"].tolist()
