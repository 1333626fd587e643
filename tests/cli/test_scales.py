"""``traitlens jingle-jangle`` and ``traitlens factors``: columns, options, bad input (fake model); real data (slow)."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from traitlens.analysis.jinglejangle import JINGLE_JANGLE_COLUMNS

SCALES = """scale,label,text,key,inventory
anx,Anxiety,Worry about things.,1,A
anx,Anxiety,Am relaxed most of the time.,-1,A
neu,Neuroticism,Worry about things.,1,B
neu,Neuroticism,Panic easily.,1,B
ord,Orderliness,Like order.,1,A
ord,Orderliness,Leave a mess in my room.,-1,A
tidy,Tidiness,Like order.,1,B
tidy,Tidiness,Keep things tidy.,1,B
"""


def plain(stderr: str) -> str:
    return " ".join(re.sub("[│╭╮╰╯─]", " ", stderr).split())


@pytest.fixture
def scales(tmp_path: Path) -> Path:
    path = tmp_path / "scales.csv"
    path.write_text(SCALES)
    return path


def test_jingle_jangle_all_pairs_columns_and_thresholds(run, loads, scales):
    result = run("jingle-jangle", "--file", str(scales), "--all", "--format", "json", "--rule", "difference")
    assert result.exit_code == 0, result.stderr
    envelope = json.loads(result.stdout)
    frame = pd.DataFrame(envelope["results"])
    assert list(frame.columns) == JINGLE_JANGLE_COLUMNS
    assert len(frame) == 6  # 4 scales → 6 unordered pairs
    assert set(frame["type"]) <= {"jingle", "jangle", "none"}
    assert frame["content_similarity"].is_monotonic_decreasing
    flagged = (frame["content_similarity"] - frame["label_similarity"]).abs() >= 0.2
    assert ((frame["type"] != "none") == flagged).all()
    assert envelope["provenance"]["thresholds"] == {"rule": "difference", "difference": 0.2}


def test_jingle_jangle_without_all_writes_only_flagged_pairs(run, loads, scales):
    everything = pd.read_csv(io.StringIO(run("jingle-jangle", "--file", str(scales), "--all", "--format",
                                             "csv").stdout))
    flagged = pd.read_csv(io.StringIO(run("jingle-jangle", "--file", str(scales), "--format", "csv").stdout))
    assert len(flagged) == (everything["type"] != "none").sum()
    assert (flagged["type"] != "none").all()


def test_jingle_jangle_plot(run, loads, scales, tmp_path):
    plot = tmp_path / "map.html"
    result = run("jingle-jangle", "--file", str(scales), "--format", "csv", "--plot", str(plot))
    assert result.exit_code == 0, result.stderr
    assert "Scales: content similarity" in plot.read_text()


def test_jingle_jangle_needs_one_source(run, loads, scales):
    result = run("jingle-jangle")
    assert result.exit_code == 2 and "exactly one of --file and --inventory" in plain(result.stderr)
    result = run("jingle-jangle", "--file", str(scales), "--inventory", "ipip50")
    assert result.exit_code == 2


@pytest.mark.parametrize(("extra", "message"), [
    ("anx,Worry,Fret.,1,A\n", "duplicate scale id"),
    ("x,,Fret.,1,A\n", "empty label"),
])
def test_jingle_jangle_bad_file_exits_1_with_the_line(run, loads, tmp_path, extra, message):
    path = tmp_path / "bad.csv"
    path.write_text(SCALES + extra)
    result = run("jingle-jangle", "--file", str(path))
    assert result.exit_code == 1
    assert "line 10" in result.stderr and message in result.stderr


def test_jingle_jangle_too_few_scales(run, loads, tmp_path):
    path = tmp_path / "two.csv"
    path.write_text("\n".join(SCALES.splitlines()[:5]) + "\n")
    result = run("jingle-jangle", "--file", str(path))
    assert result.exit_code == 1 and "at least 3 scales" in result.stderr


def test_factors_rows_per_item_and_factor(run, loads):
    result = run("factors", "--inventory", "ipip50", "--n-factors", "3", "--method", "cosine", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    frame = pd.read_csv(io.StringIO(result.stdout))
    assert list(frame.columns) == ["item", "factor", "loading"]
    assert len(frame) == 150 and frame["item"].iloc[0] == "E1"
    assert sorted(frame["factor"].unique()) == ["F1", "F2", "F3"]
    assert "3 factors (parallel analysis:" in result.stderr and "NMI" in result.stderr


def test_factors_default_method_is_membership_and_an_unknown_one_is_a_usage_error(run, loads):
    result = run("factors", "--inventory", "bfi", "--n-factors", "2", "--format", "json")
    assert result.exit_code == 0, result.stderr
    envelope = json.loads(result.stdout)
    assert envelope["provenance"]["method"] == "membership"
    assert envelope["provenance"]["factors"]["parallel_analysis"]["dim"] == 35
    bad = run("factors", "--inventory", "bfi", "--method", "contrast")
    assert bad.exit_code == 2 and "not a factor method" in plain(bad.stderr)


def test_factors_bad_counts(run, loads):
    assert run("factors", "--inventory", "ipip50", "--n-factors", "many").exit_code == 2
    result = run("factors", "--inventory", "ipip50", "--n-factors", "45", "--method", "cosine")
    assert result.exit_code == 1 and "n_factors must be between 1 and" in result.stderr


@pytest.mark.slow
def test_jingle_jangle_on_the_ipip_scales_finds_the_shared_item_jangles(run, shared_data, tmp_path):
    """Real model, real data: the 212 different-label pairs sharing half their items are mostly flagged."""
    raw = pd.read_csv(shared_data / "wulff_ipip_scales" / "ipip_scales_items.csv")
    table = pd.DataFrame({"scale": raw["instrument"] + ": " + raw["construct"], "label": raw["construct"],
                          "text": raw["item"], "key": raw["key"].replace(0, np.nan)})
    path = tmp_path / "ipip.csv"
    table.to_csv(path, index=False)
    out = tmp_path / "pairs.csv"
    result = run("jingle-jangle", "--file", str(path), "--all", "--out", str(out))
    assert result.exit_code == 0, result.stderr
    pairs = pd.read_csv(out)
    items = table.groupby("scale")["text"].apply(set)
    shared = [len(items[a] & items[b]) >= 0.5 * min(len(items[a]), len(items[b]))
              for a, b in zip(pairs["scale_a"], pairs["scale_b"], strict=True)]
    different = (pairs["label_a"] != pairs["label_b"]).to_numpy()
    truth = np.array(shared) & different
    assert truth.sum() == 212
    recall = (pairs["type"][truth] == "jangle").mean()
    flagged = (pairs["type"][different] == "jangle").mean()
    assert recall >= 0.80 and flagged <= 0.05
