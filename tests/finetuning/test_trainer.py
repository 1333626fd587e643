"""The fine-tune: settings, the extra, the base model, the output folder (fast); two real steps (slow)."""

from __future__ import annotations

import dataclasses
import importlib.util
import itertools
import json
import shutil

import numpy as np
import pandas as pd
import pytest

import traitlens
from traitlens.encoders.sentence_transformer import fingerprint_folder
from traitlens.errors import InputError, ModelUnavailableError, TraitlensError
from traitlens.finetuning import FinetuneSettings, check_training_extra, finetune, heldout_figures
from traitlens.finetuning.card import model_card

from ..fakes import FakeEncoder

TEXTS = ["I am the life of the party.", "I don't talk a lot.", "I feel comfortable around people.",
         "I get stressed out easily.", "I am relaxed most of the time.", "I worry about things.",
         "I have a vivid imagination.", "I am always prepared."]


def tiny_pairs() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame([(a, b, round(float(rng.uniform(-0.5, 0.6)), 2)) for a, b in itertools.combinations(TEXTS, 2)],
                        columns=["text_a", "text_b", "r"])


@pytest.mark.parametrize(("settings", "words"), [
    ({"epochs": 0}, "epochs must be > 0"),
    ({"batch_size": 1}, "batch size must be at least 2"),
    ({"lr": 0}, "learning rate"),
    ({"max_steps": 0}, "max steps"),
    ({"max_minutes": 0}, "max minutes"),
    ({"eval_fraction": 1.0}, "eval fraction"),
    ({"patience": 0}, "patience"),
    ({"negation_r": -2}, "negation r"),
    ({"loss": "mse"}, "unknown loss 'mse'"),
])
def test_settings_are_checked(settings, words):
    with pytest.raises(InputError, match=words):
        FinetuneSettings(**settings).check()


def test_a_missing_extra_is_named(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "accelerate" else real(name, *a))
    with pytest.raises(TraitlensError, match=r"needs the optional dependencies accelerate.*traitlens\[train\]"):
        check_training_extra()


def test_a_base_model_not_available_offline_is_said_so(tmp_path):
    out = tmp_path / "model"
    with pytest.raises(ModelUnavailableError, match="'nobody/no-such-model' is not available offline"):
        finetune(tiny_pairs(), out, base="nobody/no-such-model")
    assert not out.exists()


def test_an_output_folder_that_is_not_a_finetune_is_never_replaced(tmp_path):
    out = tmp_path / "model"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match="not empty; pass --overwrite"):
        finetune(tiny_pairs(), out)
    with pytest.raises(InputError, match="not an earlier traitlens fine-tune"):
        finetune(tiny_pairs(), out, overwrite=True)
    with pytest.raises(InputError, match="nothing to resume"):
        finetune(tiny_pairs(), out, resume=True)
    assert (out / "notes.txt").read_text() == "mine"
    (tmp_path / "file").write_text("")
    with pytest.raises(InputError, match="not a folder"):
        finetune(tiny_pairs(), tmp_path / "file")


def test_too_few_items_after_the_exclusion(tmp_path):
    with pytest.raises(InputError, match="2 item\\(s\\) are left"):
        finetune(tiny_pairs().head(0).pipe(lambda f: pd.concat([f, tiny_pairs()])), tmp_path / "m",
                 exclude_texts=TEXTS[:6], guard_encoder=FakeEncoder())


def test_heldout_figures_correlate_cosines_with_r():
    encoder = FakeEncoder()
    pairs = tiny_pairs()
    vectors = encoder.encode(TEXTS)
    index = {t: i for i, t in enumerate(TEXTS)}
    cos = np.array([vectors[index[a]] @ vectors[index[b]] for a, b in zip(pairs["text_a"], pairs["text_b"],
                                                                         strict=True)])
    pairs["r"] = 0.5 * cos + 0.1
    pairs["both_heldout"] = [i % 2 == 0 for i in range(len(pairs))]
    figures = heldout_figures(encoder.encode, pairs)
    assert figures["heldout_item_r"] == pytest.approx(1.0)
    assert figures["heldout_both_item_r"] == pytest.approx(1.0) and figures["heldout_both_pairs"] == 14
    assert figures["heldout_mean_cosine"] == pytest.approx(cos.mean())
    empty = heldout_figures(encoder.encode, pairs.head(0))
    assert empty["heldout_pairs"] == 0 and np.isnan(empty["heldout_item_r"])


def record(**changes):
    base = {
        "traitlens_version": "0.1.0", "created": "2026-01-01T00:00:00+00:00",
        "base": {"id": "sentence-transformers/all-MiniLM-L6-v2", "fingerprint": "abc", "licence": "apache-2.0"},
        "data": {"source": "pairs file p.csv", "input_pairs": 28, "input_items": 8},
        "exclusion": {"applied": True, "what": "acceptance-holdout items", "texts": 10, "items_dropped": 1,
                      "pairs_dropped": 7},
        "split": {"eval_fraction": 0.25, "seed": 0, "train_items": 5, "heldout_items": 2, "train_pairs": 10,
                  "heldout_pairs": 11, "heldout_pairs_both_items": 1, "guard_dropped_items": 0, "pairs_in_neither": 0},
        "negations": {"training_items": 5, "generated": 5, "dropped_as_real_items": 0, "dropped_by_guard": 0,
                      "used": 5, "target_r": -0.6},
        "settings": FinetuneSettings().__dict__,
        "training": {"monitored_pairs": "pairs with a held-out item (11)", "steps": 2, "planned_steps": 2,
                     "epochs": 0.5, "steps_per_epoch": 4, "best_step": 2, "stop": "planned steps",
                     "train_loss": 1.5, "evaluations": [], "eval_steps": 1, "elapsed_s": 75.0, "device": "cpu"},
        "heldout": {"before": {"heldout_item_r": 0.1, "heldout_pairs": 11, "heldout_both_item_r": None,
                               "heldout_both_pairs": 1, "heldout_mean_cosine": 0.3},
                    "after": {"heldout_item_r": 0.2, "heldout_pairs": 11, "heldout_both_item_r": None,
                              "heldout_both_pairs": 1, "heldout_mean_cosine": 0.25}},
    }
    base.update(changes)
    return base


def test_model_card_names_base_data_licences_split_settings_figures_and_time():
    card = model_card(record())
    assert card.startswith("---\nlibrary_name: sentence-transformers\nlicense: apache-2.0\n")
    for words in ("`sentence-transformers/all-MiniLM-L6-v2`", "licence: apache-2.0", "pairs file p.csv",
                  "data licence: not stated", "1 item(s) and 7 pair(s) dropped", "2 of 7 items",
                  "| batch_size | 32 |", "| item r, pairs with a held-out item (n = 11) | 0.100 | 0.200 |",
                  "| – | – |", "time: 1 min 15 s on cpu", "stopped by: planned steps", "5 (item, negated item) pairs"):
        assert words in card, words
    bare = model_card(record(heldout={"before": {}, "after": {}}, base={"id": "x", "fingerprint": "f",
                                                                       "licence": None}))
    assert "No items were held out" in bare and "license:" not in bare and "not stated in the base model" in bare


@pytest.mark.slow
def test_two_steps_without_evaluation_or_negations_then_resume(tmp_path):
    settings = FinetuneSettings(max_steps=2, batch_size=4, eval_fraction=0.0, negations=False, loss="cosent", seed=1,
                                keep_checkpoints=True)
    out = tmp_path / "m"
    result = finetune(tiny_pairs(), out, settings=settings, data={"licence": "CC0"})
    rec = json.loads((out / "training.json").read_text())
    assert rec["training"]["steps"] == 2 and rec["training"]["best_step"] is None
    assert rec["training"]["stop"] == "planned steps" and rec["training"]["monitored_pairs"] is None
    assert rec["heldout"] == {"before": {}, "after": {}} and rec["negations"] == {"used": 0}
    assert rec["split"]["heldout_items"] == 0 and rec["data"]["licence"] == "CC0"
    assert result.record["settings"]["loss"] == "cosent"
    assert sorted(p.name for p in (out / ".cache" / "checkpoints").iterdir()) == ["checkpoint-1", "checkpoint-2"]
    weights = next(out.glob("*.safetensors"))
    assert weights.stat().st_mode & 0o777 == 0o644, "the model folder is readable to others, as a shared model"
    fingerprint = fingerprint_folder(out)
    frame = traitlens.correlate(TEXTS[:3], model=out, method="cosine", cache=False)
    assert frame.attrs["provenance"]["model"]["fingerprint"] == fingerprint and frame.shape == (3, 3)
    assert frame.attrs["provenance"]["model"]["fine_tuned_from"]["id"] == rec["base"]["id"]  # not just "m"
    # resuming needs the same data and settings; from the last checkpoint nothing is left to do
    with pytest.raises(InputError, match="cannot resume"):
        finetune(tiny_pairs().assign(r=0.1), out, settings=settings, resume=True)
    with pytest.raises(InputError, match="already made all 2 steps"):
        finetune(tiny_pairs(), out, settings=settings, resume=True)
    cut = out / ".cache" / "checkpoints" / "checkpoint-2"  # as if killed while checkpoint-2 was being saved:
    (cut / "trainer_state.json").unlink()  # it is written last; an earlier file is cut short
    (cut / "optimizer.pt").write_bytes(b"cut short")
    again = finetune(tiny_pairs(), out, settings=dataclasses.replace(settings, keep_checkpoints=False), resume=True)
    assert again.record["training"]["steps"] == 2 and not (out / ".cache").exists()
    assert fingerprint_folder(out) != "" and traitlens.correlate(TEXTS[:2], model=out, cache=False).shape == (2, 2)


def test_data_that_cannot_be_split_leaves_no_output_folder(tmp_path):
    """The folder is made only once the data is checked and split (an impossible split had left it empty)."""
    out = tmp_path / "new" / "m"
    with pytest.raises(InputError):
        finetune(tiny_pairs(), out, settings=FinetuneSettings(max_steps=1, eval_fraction=0.9))
    assert not out.exists()


def test_a_resumed_run_records_every_evaluation_and_where_it_resumed(tmp_path):
    """Its training.json had listed only the evaluations after the resume (the best step among the lost)."""
    settings = FinetuneSettings(max_steps=4, batch_size=4, eval_fraction=0.3, eval_steps=1, patience=10,
                                negations=False, seed=2, keep_checkpoints=True)
    out = tmp_path / "m"
    finetune(tiny_pairs(), out, settings=settings)
    whole = json.loads((out / "training.json").read_text())["training"]
    assert [e["step"] for e in whole["evaluations"]] == [1, 2, 3, 4] and whole["resumed_from_step"] is None
    kept = sorted((out / ".cache" / "checkpoints").glob("checkpoint-*"), key=lambda c: int(c.name.rsplit("-", 1)[1]))
    for later in kept[1:]:  # as if interrupted after the earliest checkpoint kept (the best and the last are)
        shutil.rmtree(later)
    step = int(kept[0].name.rsplit("-", 1)[1])
    assert step < 4
    again = finetune(tiny_pairs(), out, settings=settings, resume=True).record["training"]
    assert [e["step"] for e in again["evaluations"]] == [1, 2, 3, 4] and again["resumed_from_step"] == step
    assert again["evaluations"][:step] == whole["evaluations"][:step]
    assert f"resumed from the checkpoint at step {step}" in (out / "README.md").read_text()
