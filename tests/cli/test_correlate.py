"""``traitlens correlate``: item pairs, scale tables, their formats, bad item files; fake model and (slow) real one."""

from __future__ import annotations

import io
import json
import os
import re

import pandas as pd
import pytest

from traitlens.cli import app
from traitlens.io.tables import read_parquet_provenance

PAIRS = ["item_a", "item_b", "r"]
SCALES = ["scale_a", "scale_b", "r"]
RELIABILITY = ["scale", "n_items", "alpha", "omega", "note"]

# One row per item × scale: N1 sits in two scales, E3's key is left to infer.
ITEMS = """id,text,scale,key
N1,I get stressed out easily.,Neuroticism,1
N2,I am relaxed most of the time.,Neuroticism,-1
N3,I worry about things.,Neuroticism,1
E1,I am the life of the party.,Extraversion,1
E2,I don't talk a lot.,Extraversion,-1
E3,I start conversations.,Extraversion,
N1,I get stressed out easily.,Anxiety,1
N3,I worry about things.,Anxiety,
"""
IDS = ["N1", "N2", "N3", "E1", "E2", "E3"]


def plain(stderr):
    """A usage error's message without the box around it and its line breaks."""
    return " ".join(re.sub("[│╭╮╰╯─]", " ", stderr).split())


@pytest.fixture
def items(tmp_path):
    path = tmp_path / "items.csv"
    path.write_text(ITEMS)
    return path


def scale_args(path, *more):
    return ["correlate", "-f", str(path), "--column", "text", "--id-column", "id", "--scale-column", "scale",
            "--key-column", "key", "--exemplars", "taxonomy", *more]


def test_pairs_of_texts_given_as_arguments(run, loads):
    texts = ["I plan my days.", "I panic easily.", "I love parties.", "I read poetry."]
    result = run("correlate", *texts, "-F", "csv", "-m", "some/model")
    assert result.exit_code == 0, result.stderr
    frame = pd.read_csv(io.StringIO(result.stdout))
    assert list(frame.columns) == PAIRS
    assert len(frame) == 4 * 3 // 2
    assert list(zip(frame["item_a"], frame["item_b"], strict=True))[:3] == [(texts[0], t) for t in texts[1:]]
    assert frame["r"].between(-1, 1).all()
    assert loads == ["some/model"] and "fake/hash-encoder" in result.stderr


def test_ids_label_the_pairs_and_the_method_reaches_the_api(run, loads, tmp_path):
    path = tmp_path / "items.tsv"
    path.write_text("code\titem\nA\tI plan my days.\nB\tI panic easily.\nC\tI love parties.\n")
    result = run("correlate", "-f", str(path), "-c", "item", "--id-column", "code", "--method", "cosine",
                 "-o", str(tmp_path / "pairs.json"))
    assert result.exit_code == 0, result.stderr
    data = json.loads((tmp_path / "pairs.json").read_text())
    assert set(data) == {"provenance", "results"}
    assert [(r["item_a"], r["item_b"]) for r in data["results"]] == [("A", "B"), ("A", "C"), ("B", "C")]
    assert data["provenance"]["method"] == "cosine" and data["provenance"]["analysis"] == "correlate"


def test_a_csv_without_ids_keeps_the_text_rules(run, loads, tmp_path):
    path = tmp_path / "texts.csv"
    path.write_text("n,text\n1,I plan my days.\n2,  \n3,I panic easily.\n4,I love parties.\n")
    result = run("correlate", "-f", str(path), "-F", "csv", "--method", "cosine")
    assert result.exit_code == 0, result.stderr
    assert len(pd.read_csv(io.StringIO(result.stdout))) == 3
    assert "skipped 1 blank text(s) at line 3" in result.stderr


def test_items_repeated_across_scales_are_paired_once(run, loads, items, tmp_path):
    out = tmp_path / "pairs.csv"
    result = run(*scale_args(items, "-o", str(out)))
    assert result.exit_code == 0, result.stderr
    pairs = pd.read_csv(out)
    assert list(pairs.columns) == PAIRS and len(pairs) == 6 * 5 // 2
    assert list(dict.fromkeys([*pairs["item_a"], *pairs["item_b"]])) == IDS
    assert not (pairs["item_a"] == pairs["item_b"]).any()


def test_csv_out_writes_three_files_each_with_a_sidecar(run, loads, items, tmp_path):
    result = run(*scale_args(items, "-o", str(tmp_path / "pairs.csv")))
    assert result.exit_code == 0, result.stderr
    scales = pd.read_csv(tmp_path / "pairs.scales.csv")
    reliability = pd.read_csv(tmp_path / "pairs.reliability.csv", keep_default_na=False)
    assert list(scales.columns) == SCALES
    assert [tuple(r) for r in scales[["scale_a", "scale_b"]].itertuples(index=False)] == [
        ("Neuroticism", "Extraversion"), ("Neuroticism", "Anxiety"), ("Extraversion", "Anxiety")]
    assert list(reliability.columns) == RELIABILITY
    assert reliability.set_index("scale")["n_items"].to_dict() == {"Neuroticism": 3, "Extraversion": 3,
                                                                   "Anxiety": 2}
    assert "omega needs at least three" in reliability.set_index("scale").loc["Anxiety", "note"]
    for name in ("pairs.csv", "pairs.scales.csv", "pairs.reliability.csv"):
        meta = json.loads((tmp_path / f"{name}.meta.json").read_text())
        assert meta["data"] == name and meta["provenance"]["model"]["id"] == "fake/hash-encoder"
        assert f"wrote {tmp_path / name}" in result.stderr
    assert not list(tmp_path.glob(".*.tmp"))


def test_parquet_out_writes_three_files_with_provenance(run, loads, items, tmp_path):
    result = run(*scale_args(items, "-o", str(tmp_path / "p.parquet")))
    assert result.exit_code == 0, result.stderr
    for name, columns in [("p.parquet", PAIRS), ("p.scales.parquet", SCALES), ("p.reliability.parquet", RELIABILITY)]:
        assert list(pd.read_parquet(tmp_path / name).columns) == columns
        assert read_parquet_provenance(tmp_path / name)["analysis"] == "predict_scales"


@pytest.mark.parametrize("to_file", [False, True])
def test_json_is_one_envelope_with_scales_and_reliability(run, loads, items, tmp_path, to_file):
    args = scale_args(items, "-o", str(tmp_path / "r.json")) if to_file else scale_args(items, "-F", "json")
    result = run(*args)
    assert result.exit_code == 0, result.stderr
    data = json.loads((tmp_path / "r.json").read_text() if to_file else result.stdout)
    assert list(data) == ["provenance", "results", "scales", "reliability"]
    assert len(data["results"]) == 15 and list(data["results"][0]) == PAIRS
    assert len(data["scales"]) == 3 and list(data["scales"][0]) == SCALES
    assert [r["scale"] for r in data["reliability"]] == ["Neuroticism", "Extraversion", "Anxiety"]
    assert list(data["reliability"][0]) == RELIABILITY
    assert data["reliability"][2]["omega"] is None  # two items: NaN → null
    assert not to_file or list(tmp_path.glob("r.*")) == [tmp_path / "r.json"]


def test_scale_prior_flag_reaches_the_scale_tables(run, loads, items, tmp_path, monkeypatch):
    from traitlens.training import scale_prior

    from ..fakes import FakeEncoder

    fake = FakeEncoder()
    path = tmp_path / "priors.json"
    scale_prior.write_priors([scale_prior.ScalePrior(fake.name, fake.fingerprint, "profile", 0.2)], path, {})
    monkeypatch.setattr(scale_prior, "PRIOR_FILE", path)
    got = {}
    for flag in ("--scale-prior", "--no-scale-prior"):
        result = run(*scale_args(items, "--method", "profile", "-F", "json", flag))
        assert result.exit_code == 0, result.stderr
        got[flag] = json.loads(result.stdout)
    assert got["--scale-prior"]["provenance"]["within_scale_shift"] == 0.2
    assert got["--no-scale-prior"]["provenance"]["within_scale_shift"] == 0.0
    assert got["--scale-prior"]["results"] == got["--no-scale-prior"]["results"]  # item pairs never change
    alphas = [[row["alpha"] for row in got[flag]["reliability"]] for flag in ("--scale-prior", "--no-scale-prior")]
    assert all(a > b for a, b in zip(*alphas, strict=True))


def test_table_prints_three_titled_tables(run, loads, items):
    result = run(*scale_args(items))
    assert result.exit_code == 0, result.stderr
    titles = ["Predicted item correlations", "Predicted scale correlations", "Predicted reliability"]
    positions = [result.stdout.index(title) for title in titles]
    assert positions == sorted(positions)
    assert "alpha" in result.stdout and "omega" in result.stdout and "E3" in result.stdout
    assert "traitlens 0.1.0" in result.stderr


def test_large_tables_print_as_plain_text(run, loads, items, monkeypatch):
    monkeypatch.setattr("traitlens.cli.shell.PLAIN_TABLE_ROWS", 10)
    result = run(*scale_args(items))
    assert result.exit_code == 0, result.stderr
    assert "15 rows: printed as plain text" in result.stderr
    lines = result.stdout.splitlines()
    assert lines[:2] == ["Predicted item correlations", "item_a  item_b        r"]
    assert set(lines[2]) == {"-"} and lines[3].startswith("N1      N2    ")
    assert "┃ scale_a" in result.stdout  # the small tables stay rich tables


@pytest.mark.parametrize(("more", "message"), [
    (["-F", "csv"], "csv output of several tables (the main one, scales, reliability) needs files"),
    (["-F", "parquet"], "parquet output is binary: give a file with --out"),
])
def test_tables_that_need_files_fail_before_any_work(runner, loads, items, more, message):
    result = runner.invoke(app, scale_args(items, *more))
    assert result.exit_code == 1
    assert message in result.stderr and loads == [] and result.stdout == ""


def test_an_unwritable_companion_fails_before_any_work(runner, loads, items, tmp_path):
    (tmp_path / "pairs.scales.csv").mkdir()
    result = runner.invoke(app, scale_args(items, "-o", str(tmp_path / "pairs.csv")))
    assert result.exit_code == 1 and "pairs.scales.csv: output path is a folder" in result.stderr
    assert loads == [] and not (tmp_path / "pairs.csv").exists()


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_several_tables_to_a_pipe_fail_before_any_work(runner, loads, items, tmp_path, fmt):
    """The companions of a FIFO (or /dev/null) would be regular files beside it (``/dev/null.scales``)."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    result = runner.invoke(app, scale_args(items, "-F", fmt, "-o", str(fifo)))
    assert result.exit_code == 1 and f"{fifo} is a device or pipe: {fmt} output of several tables" in result.stderr
    assert loads == [] and sorted(p.name for p in tmp_path.iterdir()) == sorted(["pipe", items.name])


@pytest.mark.parametrize("name", ["items.csv", "link.csv", "items.reliability.csv"])
def test_an_output_onto_the_input_file_fails_before_any_work(runner, loads, items, tmp_path, name):
    """--out the item file itself, a link to it, or a companion path that is the input: the data would be lost."""
    (tmp_path / "link.csv").symlink_to(items)
    if name == "items.reliability.csv":
        items = items.rename(tmp_path / name)
        (tmp_path / "link.csv").unlink()
        out = tmp_path / "items.csv"
    else:
        out = tmp_path / name
    before = items.read_bytes()
    result = runner.invoke(app, scale_args(items, "-o", str(out)))
    assert result.exit_code == 1 and f"the output would replace the input file {items}" in result.stderr
    assert loads == [] and items.read_bytes() == before


BAD_FILES = {
    # name: (file, extra options, message after "{path}, ")
    "missing text column": ("id,item\nA,x\n", ["-c", "text", "--id-column", "id"], "line 1: missing column 'text'"),
    "missing id column": ("text\nx\n", ["--id-column", "code"], "line 1: missing column 'code'"),
    "missing key column": ("text,scale\nx,S\n", ["--scale-column", "scale", "--key-column", "key"],
                           "line 1: missing column 'key'"),
    "empty text": ("id,text\nA,x\nB,  \n", ["--id-column", "id"],
                   "line 3, column 2: empty text in column 'text'"),
    "empty id": ("id,text\nA,x\n,y\n", ["--id-column", "id"], "line 3, column 1: empty item id"),
    "empty scale": ("text,scale\nx,S\ny,\n", ["--scale-column", "scale"], "line 3, column 2: empty scale"),
    "bad key": ("text,scale,key\nx,S,1\ny,S,2\n", ["--scale-column", "scale", "--key-column", "key"],
                "line 3, column 3: key '2' is not +1, -1 or empty"),
    "id with two texts": ("id,text,scale\nA,x,S\nB,y,S\nA,z,T\n", ["--id-column", "id", "--scale-column", "scale"],
                          "line 4, column 2: item 'A' has another text here than on line 2"),
    "id twice without scales": ("id,text\nA,x\nA,x\n", ["--id-column", "id"],
                                "line 3, column 1: item id 'A' is listed twice (first on line 2)"),
    "item twice in a scale": ("text,scale\nx,S\ny,S\nx,S\n", ["--scale-column", "scale"],
                              "line 4, column 2: item 'x' is listed twice in scale 'S' (first on line 2)"),
    "repeated text without ids": ("n,text\n1,x\n2,y\n3,x\n", [], "line 4, column 2: the text 'x' repeats line 2"),
    "ragged row": ("id,text\nA,x\nB,y,z\n", ["--id-column", "id"], "line 3, column 3: row has 3 fields"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_item_files_exit_1_naming_file_line_and_column(runner, loads, tmp_path, case):
    content, options, message = BAD_FILES[case]
    path = tmp_path / "items.csv"
    path.write_text(content)
    result = runner.invoke(app, ["correlate", "-f", str(path), *options])
    assert result.exit_code == 1, result.output
    assert f"error: {path}, {message}" in result.stderr
    assert loads == [] and result.stdout == ""


@pytest.mark.parametrize(("args", "message"), [
    (["a", "b", "a"], "argument 3 repeats argument 1 ('a')"),
    (["only one"], "correlations need at least two items; got 1"),
])
def test_bad_texts_exit_1(runner, loads, args, message):
    result = runner.invoke(app, ["correlate", *args])
    assert result.exit_code == 1 and message in result.stderr and loads == []


def test_unknown_method_is_a_usage_error_before_any_work(runner, loads, items):
    result = runner.invoke(app, ["correlate", "-f", str(items), "--method", "telepathy", "-o", "never.csv"])
    assert result.exit_code == 2
    assert ("'telepathy' is not a correlation method; choose from auto, head, profile, cosine, tuned"
            in plain(result.stderr))
    assert loads == []


def test_methods_are_looked_up_when_the_command_runs(runner, loads, monkeypatch):
    monkeypatch.setattr("traitlens.api.CORRELATION_CHOICES", ("cosine",))
    result = runner.invoke(app, ["correlate", "a", "b", "--method", "profile"])
    assert result.exit_code == 2 and "choose from cosine" in plain(result.stderr) and loads == []


@pytest.mark.parametrize(("args", "message"), [
    (["a", "b", "--id-column", "id"], "--id-column needs --file with a .csv or .tsv table"),
    (["-f", "x.txt", "--scale-column", "s"], "--scale-column needs --file with a .csv or .tsv table"),
    (["-f", "x.csv", "--key-column", "k"], "--key-column needs --scale-column"),
    (["a", "b", "--plot", "h.pdf"], "--plot must end in"),
    (["a", "b", "-c", "text"], "--column needs --file"),
])
def test_usage_errors_exit_2(runner, loads, args, message):
    result = runner.invoke(app, ["correlate", *args])
    assert result.exit_code == 2 and message in plain(result.stderr) and loads == []


def test_plot_of_items_and_of_scales(run, loads, items, tmp_path):
    (tmp_path / "six.csv").write_text("".join(ITEMS.splitlines(keepends=True)[:7]))
    result = run("correlate", "-f", str(tmp_path / "six.csv"), "--id-column", "id", "--exemplars", "taxonomy",
                 "-F", "csv", "--plot", str(tmp_path / "items.html"))
    assert result.exit_code == 0, result.stderr
    html = (tmp_path / "items.html").read_text()
    assert "N2: I am relaxed most of the time." in html and "Predicted correlations of 6 items" in html
    assert "hash-encoder" in html  # the provenance footer
    result = run(*scale_args(items, "-o", str(tmp_path / "p.csv"), "--plot", str(tmp_path / "scales.html")))
    assert result.exit_code == 0, result.stderr
    assert "Predicted correlations of 3 scales" in (tmp_path / "scales.html").read_text()


@pytest.mark.slow
def test_real_model_items_and_scales(runner, tmp_path):
    path = tmp_path / "items.csv"
    path.write_text(ITEMS)
    result = runner.invoke(app, ["correlate", "-f", str(path), "--id-column", "id", "--scale-column", "scale",
                                 "--key-column", "key", "-o", str(tmp_path / "p.csv"),
                                 "--plot", str(tmp_path / "s.html")])
    assert result.exit_code == 0, result.output
    pairs = pd.read_csv(tmp_path / "p.csv")
    assert list(pairs.columns) == PAIRS and len(pairs) == 15
    r = pairs.set_index(["item_a", "item_b"])["r"]
    assert r["E1", "E2"] < 0 and r["E2", "E3"] < 0  # quiet vs the life of the party, vs starting conversations
    reliability = pd.read_csv(tmp_path / "p.reliability.csv").set_index("scale")
    assert reliability.loc["Extraversion", "alpha"] > 0
    meta = json.loads((tmp_path / "p.csv.meta.json").read_text())
    # the default (auto) is the shipped ensemble of adapters + their heads: provenance names every adapted model
    assert meta["provenance"]["method"] == "tuned"
    names = ["all-MiniLM-L6-v2-traitlens", "all-MiniLM-L6-v2-traitlens-distill", "all-MiniLM-L6-v2-traitlens-s1",
             "all-MiniLM-L6-v2-traitlens-s2"]
    model = meta["provenance"]["model"]
    assert model["id"] == "sentence-transformers/all-MiniLM-L6-v2+" + ",".join(names)
    assert [a["name"] for a in meta["provenance"]["adapter"]] == names
    assert [a["checksum"] for a in meta["provenance"]["adapter"]] == [m["adapter"]["checksum"]
                                                                     for m in model["ensemble"]]
    assert "Predicted correlations of 3 scales" in (tmp_path / "s.html").read_text()


def test_a_text_file_is_warned_about_once_naming_its_lines(run, loads, tmp_path):
    """The reader warns with file lines; the API must not repeat the warning with positions."""
    path = tmp_path / "texts.csv"
    path.write_text("text\nI like parties.\n😊😊\nI worry.\n")
    result = run("correlate", "--file", str(path), "--column", "text")
    assert result.exit_code == 0, result.stderr
    warned = [line for line in result.stderr.splitlines() if "no letter or digit" in line]
    assert len(warned) == 1 and "at line 3" in warned[0]
