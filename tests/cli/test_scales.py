"""``traitlens jingle-jangle`` and ``traitlens factors``: columns, options, bad input (fake model); real data (slow)."""

from __future__ import annotations

import io
import json
import re
import shutil
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


def test_factors_keys_option_switches_the_membership_signs(run, loads):
    keyed = json.loads(run("factors", "--inventory", "bfi", "--n-factors", "2", "--format", "json").stdout)
    free = run("factors", "--inventory", "bfi", "--n-factors", "2", "--format", "json", "--no-keys")
    assert free.exit_code == 0, free.stderr
    assert keyed["provenance"]["signs"] == "keys" and json.loads(free.stdout)["provenance"]["signs"] == "inferred keys"
    bare = run("factors", "--inventory", "bfi", "--n-factors", "2", "--format", "json", "--no-keys", "--no-infer-keys")
    assert bare.exit_code == 0, bare.stderr
    assert json.loads(bare.stdout)["provenance"]["signs"] == "contrast"


def test_jingle_jangle_content_option(run, loads, scales):
    def content(*extra: str) -> dict:
        result = run("jingle-jangle", "--file", str(scales), "--all", "--format", "json", *extra)
        assert result.exit_code == 0, result.stderr
        return json.loads(result.stdout)

    assert content()["provenance"]["content"]["method"] == "pairwise"  # auto with the percentile rule
    assert content("--rule", "difference")["provenance"]["content"]["method"] == "mean"
    pairwise, mean = content("--content", "pairwise"), content("--content", "mean")
    assert mean["provenance"]["content"]["method"] == "mean"
    a = pd.DataFrame(pairwise["results"]).set_index(["scale_a", "scale_b"])["content_similarity"]
    b = pd.DataFrame(mean["results"]).set_index(["scale_a", "scale_b"])["content_similarity"]
    assert not np.allclose(a.sort_index(), b.sort_index())  # two different measures
    assert run("jingle-jangle", "--file", str(scales), "--content", "median").exit_code == 2


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


# traitlens relabel, short-form and map (fake model), then one real-model run of each (slow).
def plot_data(html: str) -> tuple[list[dict], dict]:
    """The traces and layout that a saved Plotly HTML file draws (parsed, not string-matched)."""
    from html.parser import HTMLParser

    class Scripts(HTMLParser):
        def __init__(self):
            super().__init__()
            self.inside, self.scripts = False, []

        def handle_starttag(self, tag, attrs):
            self.inside = tag == "script"

        def handle_data(self, data):
            if self.inside and "Plotly.newPlot(" in data:
                self.scripts.append(data)

    parser = Scripts()
    parser.feed(html)
    (script,) = parser.scripts
    rest = script[script.index("Plotly.newPlot(") + len("Plotly.newPlot("):]
    rest = rest[rest.index(",") + 1:].lstrip()  # past the div id
    decoder = json.JSONDecoder()
    data, end = decoder.raw_decode(rest)
    layout, _ = decoder.raw_decode(rest[end:].lstrip().lstrip(",").lstrip())
    return data, layout


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run in ``tmp_path``, so that relative output paths land there."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_relabel_one_row_per_scale_and_a_summary(run, loads, scales):
    result = run("relabel", "--file", str(scales), "--n-clusters", "2", "--format", "json")
    assert result.exit_code == 0, result.stderr
    envelope = json.loads(result.stdout)
    frame = pd.DataFrame(envelope["results"])
    assert list(frame.columns) == ["scale", "label", "new_label", "cluster", "fit"]
    assert sorted(frame["scale"]) == ["anx", "neu", "ord", "tidy"]
    assert frame["cluster"].nunique() == 2
    assert frame.groupby("cluster")["new_label"].nunique().eq(1).all()  # one label per cluster …
    assert frame.groupby("new_label")["cluster"].nunique().eq(1).all()  # … and a distinct one
    assert set(frame["new_label"]) <= {"Anxiety", "Neuroticism", "Orderliness", "Tidiness"}
    summary = envelope["provenance"]["relabel"]
    assert summary["n_clusters"] == 2 and summary["criterion"] == "given"
    assert summary["n_labels_before"] == 4 and summary["n_labels_after"] == 2
    before, after = summary["fallacies_before"], summary["fallacies_after"]
    assert (f"relabel: 4 labels → 2 (hierarchical: 2 clusters as given, silhouette "
            f"{summary['silhouette']:.3f}); jangles {before['jangle']} → {after['jangle']}, jingles "
            f"{before['jingle']} → {after['jingle']}") in result.stderr


def test_relabel_auto_and_community_report_their_criterion(run, loads, scales, tmp_path):
    out = tmp_path / "relabel.csv"
    result = run("relabel", "--file", str(scales), "--out", str(out))
    assert result.exit_code == 0, result.stderr
    frame = pd.read_csv(out)
    assert len(frame) == 4 and "by max mean silhouette" in result.stderr
    meta = json.loads((tmp_path / "relabel.csv.meta.json").read_text())
    assert meta["provenance"]["relabel"]["n_clusters"] == frame["cluster"].nunique()
    community = run("relabel", "--file", str(scales), "--method", "community", "--format", "csv")
    assert community.exit_code == 0, community.stderr
    assert len(pd.read_csv(io.StringIO(community.stdout))) == 4
    assert "by Louvain modularity, modularity" in community.stderr


@pytest.mark.parametrize(("args", "code", "message"), [
    (["--n-clusters", "many"], 2, "neither a number nor 'auto'"),
    (["--n-clusters", "0"], 2, "give at least 1"),
    (["--method", "community", "--n-clusters", "2"], 2, "finds its own cluster count"),
    (["--n-clusters", "5"], 1, "n_clusters must be between 1 and 4"),
    (["--out", "relabel.txt"], 1, "cannot tell the format from the suffix"),
])
def test_relabel_bad_options(run, loads, here, scales, args, code, message):
    result = run("relabel", "--file", str(scales), *args)
    assert result.exit_code == code and message in plain(result.stderr)
    assert not Path("relabel.txt").exists()


BAD_FILES = {"two scales": (SCALES.splitlines()[:5], "at least 3 scales"),
             "empty label": ([*SCALES.splitlines(), "x,,Fret.,1,A"], "line 10"),
             "no label column": ([line.split(",", 2)[0] + "," + line.split(",", 2)[2]
                                  for line in SCALES.splitlines()], "missing column 'label'")}


@pytest.mark.parametrize(("command", "bad"), [
    (command, bad) for command in (["relabel"], ["short-form"], ["map", "--out", "m.html"]) for bad in BAD_FILES
    if not (command == ["short-form"] and bad == "two scales")  # a short form of one or two scales is fine
])
def test_scale_commands_bad_files_exit_1_and_write_nothing(run, loads, here, tmp_path, command, bad):
    rows, message = BAD_FILES[bad]
    path = tmp_path / "bad.csv"
    path.write_text("\n".join(rows) + "\n")
    out = tmp_path / "out.csv"
    args = [*command, "--file", str(path)]
    result = run(*(args if command[0] == "map" else [*args, "--out", str(out)]))
    assert result.exit_code == 1 and message in result.stderr
    assert not out.exists() and not Path("m.html").exists()


@pytest.mark.parametrize("command", [["relabel"], ["short-form"], ["map", "--out", "m.html"]])
def test_scale_commands_unknown_inventory(run, loads, here, command):
    result = run(*command, "--inventory", "no-such-inventory")
    assert result.exit_code == 1 and "unknown inventory 'no-such-inventory'" in result.stderr


@pytest.mark.parametrize("command", [["relabel"], ["short-form"], ["map", "--out", "m.html"]])
def test_scale_commands_need_one_source(run, loads, here, scales, command):
    assert run(*command).exit_code == 2
    assert run(*command, "--file", str(scales), "--inventory", "ipip50").exit_code == 2


# Three scales of 5 items; items d1 and d2 say the same thing (near-duplicates, cosine 1).
SHORT = """scale,label,item,text,key
anx,Anxiety,a1,Worry about things.,1
anx,Anxiety,a2,Am relaxed most of the time.,-1
anx,Anxiety,a3,Panic easily.,1
anx,Anxiety,a4,Seldom feel blue.,-1
anx,Anxiety,d1,Get stressed out easily.,1
ord,Orderliness,o1,Like order.,1
ord,Orderliness,o2,Leave a mess in my room.,-1
ord,Orderliness,o3,Keep things tidy.,1
ord,Orderliness,o4,Follow a schedule.,1
ord,Orderliness,d2,Get stressed out easily.,1
soc,Sociability,s1,Talk to a lot of people at parties.,1
soc,Sociability,s2,Keep in the background.,-1
soc,Sociability,s3,Start conversations.,1
soc,Sociability,s4,Don't talk a lot.,-1
soc,Sociability,s5,Feel comfortable around people.,1
"""


@pytest.fixture
def short(tmp_path: Path) -> Path:
    path = tmp_path / "short.csv"
    path.write_text(SHORT)
    return path


def test_short_form_keeps_the_top_k_by_centrality(run, loads, short, tmp_path):
    from ..fakes import FakeEncoder

    out = tmp_path / "short_out.csv"
    result = run("short-form", "--file", str(short), "--k", "2", "--method", "cosine", "--out", str(out))
    assert result.exit_code == 0, result.stderr
    table = pd.read_csv(out)
    assert list(table.columns) == ["scale", "item", "key", "centrality", "rank", "kept"]
    assert len(table) == 15 and table.groupby("scale")["kept"].sum().eq(2).all()
    # An independent computation: mean keyed cosine (the cosine predictor) with the scale's other items.
    source = pd.read_csv(io.StringIO(SHORT))
    vectors = FakeEncoder().encode(source["text"].tolist())
    r = vectors @ vectors.T
    for scale, rows in source.groupby("scale"):
        index, keys = rows.index.to_numpy(), rows["key"].to_numpy(float)
        sub = r[np.ix_(index, index)] * np.outer(keys, keys)
        centrality = pd.Series((sub.sum(axis=1) - 1) / (len(index) - 1), index=rows["item"])
        got = table[table["scale"] == scale].set_index("item")
        np.testing.assert_allclose(got["centrality"], centrality[got.index], atol=1e-5)
        assert set(got.index[got["kept"]]) == set(centrality.nlargest(2).index)
        assert got["rank"].tolist() == [1, 2, 3, 4, 5]
    scales = pd.read_csv(tmp_path / "short_out.scales.csv")
    assert list(scales.columns) == ["scale", "n_items", "n_kept", "r_short_full"]
    assert scales["n_items"].tolist() == [5, 5, 5] and scales["n_kept"].tolist() == [2, 2, 2]
    for row in scales.itertuples():  # the composite formula, computed here
        rows = source[source["scale"] == row.scale]
        kept = table[(table["scale"] == row.scale) & table["kept"]]["item"]
        full = np.zeros(15)
        full[rows.index] = rows["key"]
        part = np.where(source["item"].isin(kept) & (source["scale"] == row.scale), full, 0)
        rr = r.copy()  # d1 and d2 are one text: the encoder gives them one vector, r = 1
        expected = part @ rr @ full / np.sqrt((part @ rr @ part) * (full @ rr @ full))
        assert row.r_short_full == pytest.approx(expected, abs=1e-5)
    duplicates = pd.read_csv(tmp_path / "short_out.duplicates.csv")
    assert duplicates[["item_a", "item_b"]].values.tolist() == [["d1", "d2"]]
    assert duplicates["similarity"].iloc[0] == pytest.approx(1.0)
    assert "short form: 6 of 15 item × scale rows kept (k = 2, 3 scales)" in result.stderr
    assert "1 near-duplicate item pairs (cosine ≥ 0.90 or the same text)" in result.stderr
    assert json.loads((tmp_path / "short_out.duplicates.csv.meta.json").read_text())["provenance"][
        "analysis"] == "short_form"


def test_short_form_json_envelope_holds_all_three_tables(run, loads, short):
    result = run("short-form", "--file", str(short), "--k", "3", "--method", "cosine", "--format", "json",
                 "--duplicate-threshold", "0.5")
    assert result.exit_code == 0, result.stderr
    envelope = json.loads(result.stdout)
    assert len(envelope["results"]) == 15 and len(envelope["scales"]) == 3
    assert all(row["similarity"] >= 0.5 for row in envelope["duplicates"])
    record = envelope["provenance"]["short_form"]
    assert record["k"] == 3 and record["duplicate_threshold"] == 0.5 and envelope["provenance"]["items"] == "short.csv"
    table = run("short-form", "--file", str(short), "--k", "3", "--method", "cosine")
    assert table.exit_code == 0 and "near-duplicate item pairs" in table.stdout and "r(short, full)" in table.stdout


def test_short_form_on_an_inventory_with_the_default_predictor(run, loads):
    result = run("short-form", "--inventory", "bfi", "--k", "3", "--format", "json")
    assert result.exit_code == 0, result.stderr
    envelope = json.loads(result.stdout)
    frame = pd.DataFrame(envelope["results"])
    assert len(frame) == 25 and frame["kept"].sum() == 15
    assert envelope["provenance"]["predictor"] == "profile"  # no head is shipped for the fake model


@pytest.mark.parametrize(("args", "code", "message"), [
    (["--k", "5"], 1, "k=5 would keep every item of scale 'anx' (5 items) and 2 more scale(s)"),
    (["--k", "0"], 2, "--k"),
    (["--duplicate-threshold", "1.5"], 2, "--duplicate-threshold"),
    (["--method", "nope"], 2, "not a correlation method"),
    (["--format", "csv"], 1, "csv output of several tables"),
    (["--format", "parquet"], 1, "parquet output is binary"),
])
def test_short_form_bad_options(run, loads, short, args, code, message):
    result = run("short-form", "--file", str(short), *args)
    assert result.exit_code == code and message in plain(result.stderr)


def test_short_form_single_item_scale(run, loads, tmp_path):
    path = tmp_path / "one.csv"
    path.write_text(SHORT + "lone,Lonely,l1,Feel alone.,1\n")
    out = tmp_path / "one_out.json"
    result = run("short-form", "--file", str(path), "--k", "2", "--out", str(out))
    assert result.exit_code == 1 and "scale 'lone' has a single item: nothing to shorten" in result.stderr
    assert not out.exists()


def test_map_html_has_hover_texts_and_provenance(run, loads, scales, tmp_path):
    out = tmp_path / "map.html"
    result = run("map", "--file", str(scales), "--out", str(out))
    assert result.exit_code == 0, result.stderr
    data, layout = plot_data(out.read_text())
    assert sorted(trace["name"] for trace in data) == ["Anxiety", "Neuroticism", "Orderliness", "Tidiness"]
    hover = " ".join(text for trace in data for text in trace["hovertext"])
    assert all(f"<b>{scale}</b>" in hover for scale in ["anx", "neu", "ord", "tidy"])
    assert layout["meta"]["provenance"]["map"] == {"method": "pca", "level": "scale", "seed": 0,
                                                   "center": "reference"}
    assert layout["meta"]["provenance"]["scales"]["n_scales"] == 4
    assert "Map of 4 scales" in layout["title"]["text"]
    assert "fake/hash-encoder" in layout["annotations"][-1]["text"]  # the provenance footer
    assert f"wrote {out}" in plain(result.stderr)


def test_map_of_items_by_mds(run, loads, scales, tmp_path):
    out = tmp_path / "items.html"
    result = run("map", "--file", str(scales), "--level", "item", "--method", "mds", "--out", str(out))
    assert result.exit_code == 0, result.stderr
    data, layout = plot_data(out.read_text())
    assert sorted(trace["name"] for trace in data) == ["anx", "neu", "ord", "tidy"]  # coloured by scale
    assert sum(len(trace["hovertext"]) for trace in data) == 8  # one point per item × scale row
    hover = " ".join(text for trace in data for text in trace["hovertext"])
    for text in pd.read_csv(io.StringIO(SCALES))["text"]:
        assert text in hover
    assert layout["meta"]["provenance"]["map"]["method"] == "mds"


def test_map_heatmap_is_scale_by_scale(run, loads, scales, tmp_path):
    out = tmp_path / "heat.html"
    result = run("map", "--file", str(scales), "--heatmap", "--out", str(out))
    assert result.exit_code == 0, result.stderr
    data, layout = plot_data(out.read_text())
    (trace,) = data
    assert trace["type"] == "heatmap" and len(trace["x"]) == 4 and len(trace["y"]) == 4
    assert "content similarity" in layout["title"]["text"]
    assert layout["meta"]["provenance"]["analysis"] == "jingle_jangle"


@pytest.mark.parametrize(("args", "code", "message"), [
    (["--out", "map.txt"], 1, "--out must end in .html, .png, .svg"),
    (["--out", "no/such/folder/map.html"], 1, "does not exist"),
    (["--heatmap", "--level", "item", "--out", "map.html"], 2, "drop --level item"),
    ([], 2, "--out"),
    (["--out", "map.html", "--method", "tsne"], 2, "--method"),
])
def test_map_bad_options(run, loads, here, scales, args, code, message):
    result = run("map", "--file", str(scales), *args)
    assert result.exit_code == code and message in plain(result.stderr)
    assert not Path("map.txt").exists() and not Path("map.html").exists()


@pytest.mark.slow
@pytest.mark.skipif(not (shutil.which("chromium") or shutil.which("google-chrome")), reason="needs Chromium")
def test_map_png_and_svg(run, loads, scales, tmp_path):
    png, svg = tmp_path / "map.png", tmp_path / "heat.svg"
    assert run("map", "--file", str(scales), "--out", str(png)).exit_code == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert run("map", "--file", str(scales), "--heatmap", "--out", str(svg)).exit_code == 0
    assert "<svg" in svg.read_text()[:500]


@pytest.mark.slow
def test_relabel_short_form_and_map_with_the_real_model(run, tmp_path):
    """Real model, built-in inventories: each command end to end."""
    out = tmp_path / "relabel.json"
    result = run("relabel", "--inventory", "ipip-neo-300", "--out", str(out))
    assert result.exit_code == 0, result.stderr
    envelope = json.loads(out.read_text())
    frame = pd.DataFrame(envelope["results"])
    assert len(frame) == 35 and frame["new_label"].nunique() == envelope["provenance"]["relabel"]["n_clusters"]
    assert envelope["provenance"]["relabel"]["n_labels_before"] == 35

    out = tmp_path / "short.json"
    result = run("short-form", "--inventory", "ipip50", "--k", "4", "--out", str(out))
    assert result.exit_code == 0, result.stderr
    envelope = json.loads(out.read_text())
    table = pd.DataFrame(envelope["results"])
    assert len(table) == 50 and table["kept"].sum() == 20
    kept = table[table["kept"]].groupby("scale")["centrality"].min()
    dropped = table[~table["kept"]].groupby("scale")["centrality"].max()
    assert (kept >= dropped).all()
    # above sqrt(k / n), the r(short, full) of uncorrelated items; measured .73-.77 (head predictor)
    assert pd.DataFrame(envelope["scales"])["r_short_full"].between(np.sqrt(4 / 10), 1).all()

    out = tmp_path / "items.html"
    result = run("map", "--inventory", "ipip50", "--level", "item", "--out", str(out))
    assert result.exit_code == 0, result.stderr
    data, _ = plot_data(out.read_text())
    assert sum(len(trace["hovertext"]) for trace in data) == 50
    hover = [text for trace in data for text in trace["hovertext"]]
    assert "<b>E1</b> (Extraversion)<br>I am the life of the party." in hover


def test_factors_reads_an_item_file_without_keys_or_scales(run, loads, tmp_path):
    texts = ["I am the life of the party.", "I keep in the background.", "I talk to a lot of people.",
             "I get stressed out easily.", "I am relaxed most of the time.", "I worry about things."]
    unkeyed = tmp_path / "items.csv"
    unkeyed.write_text("item,scale,text\n" + "".join(f"i{n},{'EN'[n // 3]},{t}\n" for n, t in enumerate(texts)))
    got = run("factors", "--file", str(unkeyed), "--n-factors", "2", "--format", "json")
    assert got.exit_code == 0, got.stderr
    envelope = json.loads(got.stdout)
    assert envelope["provenance"]["signs"] == "inferred keys"
    assert {r["item"] for r in envelope["results"]} == {f"i{n}" for n in range(6)}
    keyed = tmp_path / "keyed.csv"  # scales and keys but no ids: the texts are the ids
    keyed.write_text("text,scale,key\n" + "".join(f"{t},{'EN'[n // 3]},{'-1' if n in (1, 4) else '1'}\n"
                                                   for n, t in enumerate(texts)))
    got = run("factors", "--file", str(keyed), "--n-factors", "2", "--format", "json")
    assert got.exit_code == 0, got.stderr
    envelope = json.loads(got.stdout)
    assert envelope["provenance"]["signs"] == "keys"
    assert {r["item"] for r in envelope["results"]} == set(texts)
    bare = tmp_path / "texts.csv"
    bare.write_text("text\n" + "".join(f"{t}\n" for t in texts))
    textonly = run("factors", "--file", str(bare), "--n-factors", "2", "--format", "json")
    assert textonly.exit_code == 0, textonly.stderr
    assert json.loads(textonly.stdout)["provenance"]["signs"] == "contrast"
    bad = tmp_path / "bad.csv"
    bad.write_text("text,key\n" + "".join(f"{t},{'2' if n == 3 else '1'}\n" for n, t in enumerate(texts)))
    wrong = run("factors", "--file", str(bad), "--n-factors", "2")
    assert wrong.exit_code != 0
    assert "line 5" in plain(wrong.stderr) and "key" in plain(wrong.stderr)


@pytest.mark.parametrize(("content", "message"), [
    ("text\nI am happy.\nI worry a lot.\nI am happy.\n",
     "line 4, field text: the text is listed twice (first on line 2)"),
    ("item,text\na,I am happy.\nb,I worry a lot.\na,I like parties.\n",
     "line 4, field text: item 'a' has another text than on line 2"),
    ("item,text\na,I am happy.\nb,I worry a lot.\na,I am happy.\n", "line 4, field item: item 'a' is listed twice"),
    ("text,scale\nI am happy.,W\nI worry a lot.,N\nI am happy.,W\n",
     "line 4, field text: the text is listed twice in scale 'W' (first on line 2)"),
    ("item,text\na,I am happy.\n ,I worry a lot.\n", "line 3, field item: blank item"),
])
def test_factors_refuses_an_item_file_that_lists_an_item_twice(run, loads, tmp_path, content, message):
    """A repeated row had been dropped without a word (and an id with two texts kept only the first)."""
    path = tmp_path / "items.csv"
    path.write_text(content)
    result = run("factors", "--file", str(path))
    assert result.exit_code == 1 and message in plain(result.stderr) and loads == []


def test_factors_reads_one_text_in_two_scales_as_one_item(run, loads, tmp_path):
    path = tmp_path / "items.csv"
    path.write_text("text,scale\nI am happy.,W\nI am happy.,P\nI worry a lot.,N\nI panic easily.,N\nI smile.,P\n")
    result = run("factors", "--file", str(path), "--n-factors", "1", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert sorted({r["item"] for r in json.loads(result.stdout)["results"]}) == sorted(
        ["I am happy.", "I worry a lot.", "I panic easily.", "I smile."])
