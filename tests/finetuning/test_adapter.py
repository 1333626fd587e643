"""``traitlens finetune --lora-rank``: options, the peft check, and a real LoRA run that loads without peft (slow)."""

from __future__ import annotations

import importlib.util
import json

import numpy as np
import pytest
from typer.testing import CliRunner

import traitlens
from traitlens.api import auto_correlation_method
from traitlens.cli import app
from traitlens.encoders import load_encoder
from traitlens.encoders.adapted import ADAPTER_FILE, read_adapter
from traitlens.encoders.sentence_transformer import SentenceTransformerEncoder
from traitlens.errors import InputError, TraitlensError
from traitlens.finetuning import FinetuneSettings, finetune
from traitlens.finetuning.adapter import check_peft

from .test_cli import failed
from .test_trainer import TEXTS, tiny_pairs


@pytest.fixture
def invoke():
    runner = CliRunner()
    return lambda *args: runner.invoke(app, ["finetune", *map(str, args)])


@pytest.mark.parametrize("args", [
    ["--lora-alpha", "8"],
    ["--lora-rank", "0"],
    ["--lora-rank", "300"],
    ["--lora-rank", "4", "--resume"],
])
def test_lora_usage_errors(invoke, args):
    failed(invoke("--out", "m", "--pairs", "p.csv", *args), code=2)


@pytest.mark.parametrize(("settings", "words"), [
    ({"lora_rank": 0}, "LoRA rank"), ({"lora_rank": 4, "lora_alpha": -1.0}, "LoRA alpha"),
    ({"lora_rank": 4, "lora_dtype": "int8"}, "adapter dtype"),
])
def test_lora_settings_are_checked(settings, words):
    with pytest.raises(InputError, match=words):
        FinetuneSettings(**settings).check()
    assert FinetuneSettings(lora_rank=4).alpha == 8.0 and FinetuneSettings(lora_rank=4, lora_alpha=3).alpha == 3.0


def test_a_missing_peft_is_named_with_its_extra(monkeypatch, invoke, tmp_path):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "peft" else real(name, *a))
    with pytest.raises(TraitlensError, match=r"traitlens\[train\]"):
        check_peft()
    path = tmp_path / "p.csv"
    tiny_pairs().to_csv(path, index=False)
    assert "pip install" in failed(invoke("--pairs", path, "--out", tmp_path / "m", "--lora-rank", 4))
    with pytest.raises(TraitlensError, match="needs peft"):
        finetune(tiny_pairs(), tmp_path / "m2", settings=FinetuneSettings(lora_rank=4))


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("peft") is None, reason="peft (train extra) is not installed")
def test_three_lora_steps_write_an_adapter_folder_that_loads_without_peft(invoke, tmp_path, monkeypatch):
    path = tmp_path / "p.csv"
    tiny_pairs().to_csv(path, index=False)
    out = tmp_path / "adapter"
    result = invoke("--pairs", path, "--out", out, "--max-steps", 3, "--batch-size", 4, "--eval-fraction", 0.25,
                    "--eval-steps", 1, "--lr", "1e-3", "--lora-rank", 2, "--no-holdout-exclusion")
    assert result.exit_code == 0, result.output
    assert "LoRA adapter of rank 2 on 36 linear layers" in result.stderr
    names = {p.name for p in out.iterdir()}
    assert names == {ADAPTER_FILE, "README.md", "training.json", "split.csv"}  # no full model, no checkpoints
    record = json.loads((out / "training.json").read_text())
    adapter = record["adapter"]
    assert adapter["rank"] == 2 and adapter["alpha"] == 4.0 and adapter["dtype"] == "float16"
    assert adapter["fidelity"]["max_abs_cosine_diff"] < 1e-3  # float16 factors, merged with plain torch
    assert record["training"]["best_step"] in {1, 2, 3} and (out / ADAPTER_FILE).stat().st_size < 400_000
    assert "## Adapter" in (out / "README.md").read_text()
    loaded = read_adapter(out)
    base = SentenceTransformerEncoder()
    assert loaded.base_fingerprint == base.fingerprint and loaded.checksum == adapter["checksum"]
    # the folder is a model everywhere; auto means tuned for it; provenance names the adapter
    monkeypatch.setitem(__import__("sys").modules, "peft", None)  # using it must not need peft
    encoder = load_encoder(out, cache=False)
    assert auto_correlation_method(encoder) == "tuned"
    frame = traitlens.correlate(TEXTS[:4], model=encoder, method="cosine", cache=False)
    prov = frame.attrs["provenance"]
    assert prov["model"]["adapter"]["name"] == "adapter" and prov["model"]["adapter"]["checksum"] == loaded.checksum
    assert prov["model"]["fingerprint"] != base.fingerprint
    plain = traitlens.correlate(TEXTS[:4], method="cosine", cache=False).to_numpy()
    assert not np.allclose(frame.to_numpy(), plain, atol=1e-4)
