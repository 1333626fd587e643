"""``traitlens train-head`` on a tiny dataset with the fake encoder, in seconds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from traitlens.training.head import load_head

from ..datasets.helpers import write_bfi
from ..fakes import FakeEncoder

ROWS = ["1,1,2,3,4,1", "2,2,3,4,5,2", "3,3,4,4,6,1", "4,6,5,2,1,2", "5,2,2,5,5,1", "6,5,6,1,2,2"]


@pytest.fixture
def fake_model(monkeypatch: pytest.MonkeyPatch) -> FakeEncoder:
    encoder = FakeEncoder()
    monkeypatch.setattr("traitlens.cli.train_head.load_model", lambda model, settings: encoder)
    return encoder


def test_train_head_writes_a_head_the_model_can_load(run, tmp_path: Path, fake_model: FakeEncoder):
    data = write_bfi(tmp_path / "data", ROWS)
    figures = tmp_path / "lodo.json"
    figures.write_text(json.dumps([{"held_out": "bfi", "method": "head", "item_r": 0.5}]))
    result = run("train-head", "--data", str(data), "--out", str(tmp_path / "heads"), "--datasets", "bfi",
                 "--seed", "1", "--figures", str(figures))
    assert result.exit_code == 0, result.output
    assert "no holdout item file" in result.stderr
    names = sorted(p.name for p in (tmp_path / "heads").iterdir())
    assert names == ["hash-encoder.json", "hash-encoder.md", "hash-encoder.npz"]
    head = load_head(fake_model, tmp_path / "heads")
    assert head.meta["config"]["seed"] == 1
    assert head.meta["training"]["n_pairs"] == 6
    assert "| bfi | head | 0.500 |" in (tmp_path / "heads" / "hash-encoder.md").read_text()


def test_train_head_rejects_a_missing_data_folder(runner, tmp_path: Path, fake_model: FakeEncoder):
    from traitlens.cli import app

    result = runner.invoke(app, ["train-head", "--data", str(tmp_path / "nope"), "--out", str(tmp_path / "h")])
    assert result.exit_code == 1
    assert "is not a folder" in result.stderr


def test_a_trained_head_is_used_with_correlate_head(run, tmp_path: Path, fake_model: FakeEncoder, monkeypatch):
    """The head of train-head had no way into correlate (only shipped heads were searched)."""
    data = write_bfi(tmp_path / "data", ROWS)
    assert run("train-head", "--data", str(data), "--out", str(tmp_path / "heads"), "--datasets", "bfi").exit_code == 0
    monkeypatch.setattr("traitlens.cli.shell.load_model", lambda model, settings: fake_model)
    texts = ["I panic easily.", "I stay calm.", "I love parties."]
    result = run("correlate", *texts, "--head", str(tmp_path / "heads"), "--format", "json")
    assert result.exit_code == 0, result.output
    envelope = json.loads(result.stdout)
    assert envelope["provenance"]["method"] == "head" and len(envelope["results"]) == 3
    assert envelope["provenance"]["head"]["fingerprint"] == fake_model.fingerprint
    assert "--head THIS_FOLDER" in (tmp_path / "heads" / "hash-encoder.md").read_text()
    wrong = run("correlate", *texts, "--head", str(tmp_path / "heads"), "--method", "cosine")
    assert wrong.exit_code == 2 and "--head is a head for --method head" in " ".join(wrong.stderr.split())


@pytest.mark.parametrize(("setup", "args", "message"), [
    (lambda d: (d / "afile").write_text("x"), ["--out", "{d}/afile"], "--out must be a folder"),
    (lambda d: (d / "afile").write_text("x"), ["--out", "{d}/afile/x"], "cannot create the folder"),
    (lambda d: None, ["--figures", "{d}/nope.json"], "nope.json"),
    (lambda d: (d / "bad.json").write_text("[{"), ["--figures", "{d}/bad.json"], "not valid JSON"),
    (lambda d: (d / "obj.json").write_text('{"a": 1}'), ["--figures", "{d}/obj.json"], "must be a JSON list"),
    (lambda d: None, ["--datasets", "nosuch"], "unknown --datasets nosuch"),
])
def test_train_head_bad_options_fail_before_the_model_loads(runner, tmp_path: Path, monkeypatch, setup, args, message):
    """They had been tracebacks after training (an --out that is a file, a --figures that is not a list ...)."""
    from traitlens.cli import app

    monkeypatch.setattr("traitlens.cli.train_head.load_model", lambda *a: pytest.fail("the model was loaded"))
    data = write_bfi(tmp_path / "data", ROWS)
    setup(tmp_path)
    more = [a.replace("{d}", str(tmp_path)) for a in args]
    base = ["train-head", "--data", str(data), "--out", str(tmp_path / "heads")]
    result = runner.invoke(app, [*base, *more])
    assert result.exit_code == 1 and message in result.stderr and "Traceback" not in result.output
    assert not (tmp_path / "heads").exists()
