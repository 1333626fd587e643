"""Pairs files, pairs from responses, duplicates and the item split (fast: no model, fake guard encoder)."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from traitlens.errors import InputError
from traitlens.finetuning import (
    PairWarning,
    check_pairs,
    exclude_items,
    merge_duplicate_pairs,
    pairs_from_responses,
    read_pairs,
    split_items,
)

from ..fakes import FakeEncoder

TEXTS = ["I am the life of the party.", "I don't talk a lot.", "I feel comfortable around people.",
         "I get stressed out easily.", "I am relaxed most of the time.", "I worry about things."]


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def all_pairs(texts=TEXTS, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame([(a, b, float(rng.uniform(-0.5, 0.6))) for a, b in itertools.combinations(texts, 2)],
                        columns=["text_a", "text_b", "r"])


def test_read_pairs_strips_texts_and_keeps_other_columns(tmp_path):
    path = write(tmp_path / "pairs.csv", "text_a,text_b,r,dataset\n a , b ,0.5,x\na,c,-0.25,x\nb,c,0,y\n")
    pairs = read_pairs(path)
    assert pairs[["text_a", "text_b"]].values.tolist() == [["a", "b"], ["a", "c"], ["b", "c"]]
    assert pairs["r"].tolist() == [0.5, -0.25, 0.0] and pairs["dataset"].tolist() == ["x", "x", "y"]
    assert pairs.attrs["source"] == str(path)


def test_read_pairs_reads_tsv(tmp_path):
    pairs = read_pairs(write(tmp_path / "pairs.tsv", "text_a\ttext_b\tr\na\tb\t.1\na\tc\t.2\nb\tc\t.3\n"))
    assert len(pairs) == 3


@pytest.mark.parametrize(("body", "line", "column", "words"), [
    ("a,b,1.5\na,c,0\nb,c,0\n", 2, "r", "r is 1.5, outside [-1, 1]"),
    ("a,b,0.1\na,c,-1.01\nb,c,0\n", 3, "r", "outside [-1, 1]"),
    ("a,b,0.1\na,c,\nb,c,0\n", 3, "r", "r is missing (empty or NaN)"),
    ("a,b,0.1\na,c,NaN\nb,c,0\n", 3, "r", "r is missing (empty or NaN)"),
    ("a,b,0.1\na,c,inf\nb,c,0\n", 3, "r", "r is inf, not a finite number"),
    ("a,b,0.1\na,c,high\nb,c,0\n", 3, "r", "r is 'high', not a number"),
    ("a,b,0.1\na,c,0.2\nb,a,0.3\n", 4, "text_a", "occurs twice (first on line 2)"),
    ("a,b,0.1\na,c,0.2\na,b,0.1\n", 4, "text_a", "occurs twice"),
    ("a,b,0.1\nc, c ,0.2\nb,c,0.3\n", 3, "text_b", "same text ('c')"),
    ("a,b,0.1\n ,c,0.2\nb,c,0.3\n", 3, "text_a", "text_a is blank"),
])
def test_bad_pairs_name_file_line_and_column(tmp_path, body, line, column, words):
    path = write(tmp_path / "pairs.csv", "text_a,text_b,r\n" + body)
    with pytest.raises(InputError) as info:
        read_pairs(path)
    error = info.value
    assert (error.path, error.line, error.column) == (str(path), line, column)
    assert words in str(error)


def test_pairs_in_other_case_or_punctuation_are_warned_about(tmp_path):
    """The item split takes them for one item: a self pair in other words, a pair given twice in other words."""
    from traitlens.finetuning.data import PairWarning

    path = write(tmp_path / "pairs.csv", "text_a,text_b,r\nI like cats.,i like cats!,0.9\n"
                 "I like cats.,I like dogs.,0.3\nI Like Cats.,I like dogs.,-0.5\nb,c,0.3\n")
    with pytest.warns(PairWarning) as caught:
        read_pairs(path)
    messages = [str(w.message) for w in caught]
    assert any("1 pair(s) join an item with itself in other case, punctuation or spacing (first on line 2" in m
               for m in messages)
    assert any("1 pair(s) repeat another pair once case, punctuation and spacing are ignored (first on line 4, "
               "like line 3)" in m for m in messages)


def test_missing_column_is_named(tmp_path):
    path = write(tmp_path / "pairs.csv", "text_a,text_b,corr\na,b,0.1\n")
    with pytest.raises(InputError, match="missing column 'r'") as info:
        read_pairs(path)
    assert info.value.line == 1


def test_fewer_than_three_items(tmp_path):
    with pytest.raises(InputError, match="2 distinct item"):
        read_pairs(write(tmp_path / "pairs.csv", "text_a,text_b,r\na,b,0.1\n"))


def test_check_pairs_on_a_frame_names_the_pair():
    frame = pd.DataFrame({"text_a": ["a", "a", "b"], "text_b": ["b", "c", "c"], "r": [0.1, 2.0, 0.3]})
    with pytest.raises(InputError, match=r"^pair 1: r is 2, outside"):
        check_pairs(frame)
    with pytest.raises(InputError, match="missing column 'text_b'"):
        check_pairs(frame.drop(columns="text_b"))
    with pytest.raises(InputError, match="pair 2: text_b is not a text \\(got 7\\)"):
        check_pairs(frame.assign(r=0.1, text_b=["b", "c", 7]))
    with pytest.raises(InputError, match="must be a pandas DataFrame"):
        check_pairs([("a", "b", 0.1)])


def responses_files(tmp_path, responses: str, items: str = "item,text\nq1,Alpha\nq2,Beta\nq3,Gamma\n"):
    return write(tmp_path / "responses.csv", responses), write(tmp_path / "items.csv", items)


def test_pairs_from_responses_are_pairwise_complete_correlations(tmp_path):
    rng = np.random.default_rng(1)
    data = pd.DataFrame(rng.integers(1, 6, size=(40, 3)).astype(float), columns=["q1", "q2", "q3"])
    data.iloc[3, 1] = np.nan
    data.insert(0, "person", range(40))
    responses, items = responses_files(tmp_path, data.to_csv(index=False))
    with pytest.warns(PairWarning, match="'person'"):
        pairs = pairs_from_responses(responses, items)
    expected = data[["q1", "q2", "q3"]].corr()
    assert pairs[["item_a", "item_b"]].values.tolist() == [["q1", "q2"], ["q1", "q3"], ["q2", "q3"]]
    assert pairs[["text_a", "text_b"]].values.tolist()[0] == ["Alpha", "Beta"]
    for row in pairs.itertuples():
        assert row.r == pytest.approx(expected.loc[row.item_a, row.item_b])
    assert pairs["n"].tolist() == [39, 40, 39]
    assert pairs.attrs["n_persons"] == 40 and pairs.attrs["n_items"] == 3


def test_a_non_numeric_response_names_line_and_column(tmp_path):
    responses, items = responses_files(tmp_path, "q1,q2,q3\n1,2,3\n2,3,4\n3,x,5\n")
    with pytest.raises(InputError, match="response 'x' is not a number") as info:
        pairs_from_responses(responses, items)
    assert (info.value.line, info.value.column) == (4, "q2")


def test_an_infinite_response_names_line_and_column(tmp_path):
    """It had been read as a number, and every pair of its item dropped as 'no variance'."""
    responses, items = responses_files(tmp_path, "q1,q2,q3\n1,2,3\n2,3,inf\n3,4,5\n")
    with pytest.raises(InputError, match="response 'inf' is not a finite number") as info:
        pairs_from_responses(responses, items)
    assert (info.value.line, info.value.column) == (3, "q3")


def test_items_without_a_response_column(tmp_path):
    responses, items = responses_files(tmp_path, "q1,q2\n1,2\n2,3\n3,1\n")
    with pytest.raises(InputError, match="1 item\\(s\\) of .* have no column in the responses: 'q3'"):
        pairs_from_responses(responses, items)


@pytest.mark.parametrize(("items", "line", "words"), [
    ("item,text\nq1,Alpha\nq1,Beta\nq3,Gamma\n", 3, "listed twice"),
    ("item,text\nq1,Alpha\nq2,Alpha\nq3,Gamma\n", 3, "same text"),
    ("item,text\nq1,Alpha\nq2,\nq3,Gamma\n", 3, "blank"),
])
def test_bad_item_files(tmp_path, items, line, words):
    responses, items_path = responses_files(tmp_path, "q1,q2,q3\n1,2,3\n2,3,4\n3,1,5\n", items)
    with pytest.raises(InputError, match=words) as info:
        pairs_from_responses(responses, items_path)
    assert info.value.line == line


def test_item_file_needs_its_columns(tmp_path):
    responses, items = responses_files(tmp_path, "q1,q2,q3\n1,2,3\n", "id,wording\nq1,Alpha\n")
    with pytest.raises(InputError, match="missing column 'item'"):
        pairs_from_responses(responses, items)


def test_pairs_without_a_correlation_are_left_out_with_a_warning(tmp_path):
    items = "item,text\nq1,Alpha\nq2,Beta\nq3,Gamma\nq4,Delta\n"
    responses, items_path = responses_files(tmp_path, "q1,q2,q3,q4\n1,2,3,3\n2,3,1,3\n3,1,2,3\n", items)
    with pytest.warns(PairWarning, match="3 item pair\\(s\\) have no correlation"):
        pairs = pairs_from_responses(responses, items_path)
    assert len(pairs) == 3 and "Delta" not in set(pairs["text_b"])


def test_merge_duplicate_pairs_averages_in_fisher_z():
    frame = pd.DataFrame({"text_a": ["a", "b", "a"], "text_b": ["b", "a", "c"], "r": [0.2, 0.6, 0.1],
                          "dataset": ["x", "y", "x"]})
    merged = merge_duplicate_pairs(frame)
    assert len(merged) == 2
    ab = merged[(merged["text_a"] == "a") & (merged["text_b"] == "b")].iloc[0]
    assert ab["r"] == pytest.approx(np.tanh((np.arctanh(0.2) + np.arctanh(0.6)) / 2))
    assert ab["n_sources"] == 2 and ab["dataset"] == "x+y"
    check_pairs(merged)  # no duplicates left


def test_split_holds_out_items_and_no_training_pair_touches_them():
    pairs = check_pairs(all_pairs(TEXTS + ["Am the life of the party", "I have a vivid imagination."]))
    split = split_items(pairs, 0.3, seed=3, guard_encoder=False)
    held = set(split.heldout_items)
    assert held and not held & set(split.train_items)
    assert not (set(split.train["text_a"]) | set(split.train["text_b"])) & held
    assert all((a in held) or (b in held) for a, b in zip(split.heldout["text_a"], split.heldout["text_b"],
                                                          strict=True))
    assert len(split.train) + len(split.heldout) + split.crossing == len(pairs)
    # an item and its rewording (same normalised text) fall on the same side
    same = {"I am the life of the party.", "Am the life of the party"}
    assert same <= held or not same & held
    assert split.record()["heldout_items"] == len(held)


def test_split_with_no_eval_fraction_trains_on_everything():
    pairs = check_pairs(all_pairs())
    split = split_items(pairs, 0.0, guard_encoder=False)
    assert split.heldout_items == [] and len(split.train) == len(pairs) and split.heldout.empty


def test_split_guard_drops_rewordings_of_heldout_items():
    class Twins(FakeEncoder):
        """Every text has the same vector: everything is a rewording of everything."""

        def _encode_unique(self, texts):
            return np.ones((len(texts), self.dim)) / np.sqrt(self.dim)

    pairs = check_pairs(all_pairs())
    with pytest.raises(InputError, match="no training pair is left"):
        split_items(pairs, 0.2, guard_encoder=Twins())
    split = split_items(pairs, 0.2, guard_encoder=FakeEncoder())
    assert split.guard_dropped == []


def test_split_rejects_a_bad_fraction():
    with pytest.raises(InputError, match="in \\[0, 1\\)"):
        split_items(check_pairs(all_pairs()), 1.0, guard_encoder=False)


def test_exclude_items_drops_the_items_and_their_pairs():
    pairs = check_pairs(all_pairs())
    kept, dropped = exclude_items(pairs, ["i worry about things"], FakeEncoder())
    assert len(dropped) == 1 and dropped["reason"].iloc[0] == "same text"
    assert "I worry about things." not in set(kept["text_a"]) | set(kept["text_b"])
    assert len(kept) == len(pairs) - 5
