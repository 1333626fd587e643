"""``traitlens finetune``: usage errors (exit 2), bad input (exit 1, a message, no traceback), a real run (slow)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import traitlens
from traitlens.cli import app
from traitlens.cli.finetune import _exclusion_texts
from traitlens.errors import InputError

from .test_trainer import TEXTS, tiny_pairs


@pytest.fixture
def invoke():
    runner = CliRunner()
    return lambda *args: runner.invoke(app, ["finetune", *map(str, args)])


@pytest.fixture
def pairs_csv(tmp_path):
    path = tmp_path / "pairs.csv"
    tiny_pairs().to_csv(path, index=False)
    return path


def failed(result, code: int = 1) -> str:
    assert result.exit_code == code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    return result.stderr


@pytest.mark.parametrize("args", [
    ["--out", "m"],
    ["--out", "m", "--pairs", "p.csv", "--responses", "r.csv", "--items", "i.csv"],
    ["--out", "m", "--responses", "r.csv"],
    ["--out", "m", "--pairs", "p.csv", "--items", "i.csv"],
    ["--out", "m", "--pairs", "p.csv", "--overwrite", "--resume"],
    ["--out", "m", "--pairs", "p.csv", "--epochs", "0"],
    ["--out", "m", "--pairs", "p.csv", "--eval-fraction", "0.95"],
    ["--out", "m", "--pairs", "p.csv", "--loss", "mse"],
    ["--pairs", "p.csv"],
])
def test_usage_errors(invoke, args):
    failed(invoke(*args), code=2)


@pytest.mark.parametrize(("body", "words"), [
    ("text_a,text_b,r\na,b,0.1\na,c,1.2\nb,c,0\n", "pairs.csv, line 3, field r: r is 1.2, outside [-1, 1]"),
    ("text_a,text_b,r\na,b,0.1\na,c,\nb,c,0\n", "pairs.csv, line 3, field r: r is missing (empty or NaN)"),
    ("text_a,text_b,r\na,b,0.1\nb,a,0.2\nb,c,0\n", "pairs.csv, line 3, field text_a: the pair ('b', 'a') occurs twice"),
    ("text_a,text_b,r\na,b,0.1\nc,c,0.2\nb,c,0\n", "pairs.csv, line 3, field text_b: text_a and text_b are the same"),
    ("text_a,text_b,r\na,b,0.1\n", "needs at least 3"),
    ("text_a,text_b\na,b\n", "pairs.csv, line 1: missing column 'r'"),
    ("text_a,text_b,r\na,b,0.1,9\n", "pairs.csv, line 2, column 4: row has 4 fields"),
])
def test_bad_pairs_exit_1_with_the_place(invoke, tmp_path, body, words):
    path = tmp_path / "pairs.csv"
    path.write_text(body)
    stderr = failed(invoke("--pairs", path, "--out", tmp_path / "m"))
    assert words in stderr and stderr.startswith("error: ")
    assert not (tmp_path / "m").exists()


def test_bad_responses_exit_1_with_the_place(invoke, tmp_path):
    (tmp_path / "r.csv").write_text("q1,q2,q3\n1,2,3\n2,?,4\n")
    (tmp_path / "i.csv").write_text("item,text\nq1,Alpha\nq2,Beta\nq3,Gamma\n")
    stderr = failed(invoke("--responses", tmp_path / "r.csv", "--items", tmp_path / "i.csv", "--out", tmp_path / "m"))
    assert "r.csv, line 3, field q2: response '?' is not a number" in stderr


def test_missing_file(invoke, tmp_path):
    assert "file not found" in failed(invoke("--pairs", tmp_path / "none.csv", "--out", tmp_path / "m"))


def test_a_base_model_not_available_offline(invoke, pairs_csv, tmp_path):
    stderr = failed(invoke("--pairs", pairs_csv, "--out", tmp_path / "m", "--base", "nobody/no-such-model",
                           "--no-holdout-exclusion"))
    assert "model 'nobody/no-such-model' is not available offline" in stderr


def test_a_missing_extra_names_it(invoke, pairs_csv, tmp_path, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "datasets" else real(name, *a))
    stderr = failed(invoke("--pairs", pairs_csv, "--out", tmp_path / "m"))
    assert "pip install 'traitlens[train]'" in stderr


def test_an_occupied_output_folder(invoke, pairs_csv, tmp_path):
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "keep.txt").write_text("")
    stderr = failed(invoke("--pairs", pairs_csv, "--out", tmp_path / "m", "--no-holdout-exclusion"))
    assert "not empty; pass --overwrite" in stderr


def test_exclusion_default_follows_the_shared_data_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("TRAITLENS_DATA_DIR", raising=False)
    monkeypatch.setattr("traitlens.training.pairs.holdout_texts", lambda folder: ["I worry about things."])
    texts, note = _exclusion_texts(None, tmp_path)
    assert texts == ["I worry about things."] and "excluding the 1" in note
    assert _exclusion_texts(False, tmp_path) == (None, "acceptance-holdout exclusion is off (--no-holdout-exclusion)")
    texts, note = _exclusion_texts(None, tmp_path / "absent")
    assert texts is None and "no shared data folder" in note
    with pytest.raises(InputError, match="does not exist"):
        _exclusion_texts(True, tmp_path / "absent")


def test_exclusion_without_an_item_list(tmp_path, monkeypatch):
    def absent(folder):
        raise InputError("no item file")

    monkeypatch.setattr("traitlens.training.pairs.holdout_texts", absent)
    assert _exclusion_texts(None, tmp_path)[0] is None
    with pytest.raises(InputError, match="cannot be read"):
        _exclusion_texts(True, tmp_path)


@pytest.mark.slow
def test_two_step_finetune_makes_a_model_folder_that_traitlens_loads(invoke, pairs_csv, tmp_path):
    out = tmp_path / "model"
    result = invoke("--pairs", pairs_csv, "--out", out, "--max-steps", 2, "--batch-size", 4, "--eval-fraction", 0.25,
                    "--eval-steps", 2, "--no-holdout-exclusion", "--data-licence", "CC0")
    assert result.exit_code == 0, result.output
    assert "held-out item r of the base model" in result.stderr and "step 2/2" in result.stderr
    assert f"use it with --model {out}" in result.stderr
    names = {p.name for p in out.iterdir()}
    assert {"modules.json", "model.safetensors", "README.md", "training.json", "split.csv"} <= names
    assert ".cache" not in names  # checkpoints removed after a finished run
    record = json.loads((out / "training.json").read_text())
    assert record["training"]["steps"] == 2 and record["settings"]["batch_size"] == 4
    assert record["split"]["heldout_items"] == 2 and record["negations"]["used"] > 0
    assert record["heldout"]["after"]["heldout_pairs"] == 13
    card = (out / "README.md").read_text()
    assert "## Held-out figures" in card and "data licence: CC0" in card
    split = (out / "split.csv").read_text()
    heldout = [line.rsplit(",", 1)[0].strip('"') for line in split.splitlines()[1:] if line.endswith(",heldout")]
    assert len(heldout) == 2
    frame = traitlens.correlate(TEXTS, model=str(out), cache=False)
    assert frame.shape == (8, 8) and frame.attrs["provenance"]["model"]["id"] == "model"
    again = invoke("--pairs", pairs_csv, "--out", out, "--max-steps", 1, "--no-holdout-exclusion")
    assert "pass --overwrite" in failed(again)
