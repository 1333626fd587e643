"""The model card (``README.md``) of a fine-tuned model folder, from the run record (``training.json``)."""

from __future__ import annotations

import math
from typing import Any

__all__ = ["model_card"]


def _number(value: Any, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else (f"{minutes} min {secs:02d} s" if minutes else f"{secs} s")


def model_card(record: dict[str, Any]) -> str:
    """Markdown model card: base model, data, licences, item split, hyper-parameters, held-out figures, time.

    Parameters
    ----------
    record : dict
        The run record that :func:`traitlens.finetuning.finetune` writes to ``training.json``.

    Returns
    -------
    str
    """
    base, data, split = record["base"], record["data"], record["split"]
    settings, training, exclusion = record["settings"], record["training"], record["exclusion"]
    negations, heldout = record["negations"], record["heldout"]
    licence = base.get("licence") or "not stated in the base model folder"
    data_licence = data.get("licence") or "not stated (give --data-licence)"
    lines = [
        "---",
        "library_name: sentence-transformers",
        *([f"license: {base['licence']}"] if base.get("licence") else []),
        f"base_model: {base['id']}",
        "tags: [sentence-transformers, sentence-similarity, personality, psychometrics, traitlens]",
        "---",
        "",
        f"# {base['id']} fine-tuned on item correlations (traitlens)",
        "",
        "A sentence-transformers model whose cosine similarities between questionnaire items are trained to",
        "follow the items' observed (signed) correlations. Use the folder like any model:",
        "",
        "```bash",
        "traitlens correlate --model THIS_FOLDER --file items.csv",
        "```",
        "",
        "```python",
        "import traitlens",
        'traitlens.correlate(["I panic easily.", "I stay calm under pressure."], model="THIS_FOLDER")',
        "```",
        "",
        f"Made by traitlens {record['traitlens_version']} on {record['created']}.",
        "",
        *_adapter_section(record.get("adapter")),
        "## Base model",
        "",
        f"- id: `{base['id']}`",
        f"- fingerprint (traitlens, SHA-256 of weights and configuration): `{base['fingerprint']}`",
        f"- licence: {licence}",
        "",
        "## Data",
        "",
        *[f"- {key}: {value}" for key, value in data.items() if key not in {"licence", "input_pairs", "input_items"}],
        f"- input: {_number(data['input_pairs'])} item pairs of {_number(data['input_items'])} distinct items",
        f"- data licence: {data_licence}",
        f"- exclusion ({exclusion['what']}): " + (
            f"{_number(exclusion['items_dropped'])} item(s) and {_number(exclusion['pairs_dropped'])} pair(s) dropped "
            f"as one of {_number(exclusion['texts'])} texts or a rewording (leakage guard: same normalised text, or "
            "cosine ≥ .90 under all-MiniLM-L6-v2)" if exclusion["applied"] else "none by the fine-tune itself"),
        "- polarity: " + (
            f"{_number(negations['used'])} (item, negated item) pairs with target r = {negations['target_r']} "
            f"({_number(negations['generated'])} generated from {_number(negations['training_items'])} training "
            f"items; {_number(negations['dropped_as_real_items'])} dropped as real items, "
            f"{_number(negations['dropped_by_guard'])} as rewordings of held-out or excluded items)"
            if settings["negations"] else "no negation pairs"),
        "",
        "## Licences",
        "",
        f"The weights derive from the base model ({licence}) and from the training data ({data_licence});",
        "use the model under the terms of both.",
        "",
        "## Item split",
        "",
        f"{_number(split['heldout_items'])} of {_number(split['heldout_items'] + split['train_items'])} items "
        f"(share {split['eval_fraction']}, seed {split['seed']}; items of equal normalised text together) were held "
        "out: training saw only pairs of two training items "
        f"({_number(split['train_pairs'])}); the {_number(split['heldout_pairs'])} pairs with a held-out item "
        f"({_number(split['heldout_pairs_both_items'])} with both) measure the model. "
        f"{_number(split['guard_dropped_items'])} training item(s) were dropped as rewordings of held-out items "
        f"(with {_number(split['pairs_in_neither'])} pairs in neither set). The split is in `split.csv`.",
        "",
        "## Hyper-parameters",
        "",
        "| setting | value |",
        "|---|---|",
        *[f"| {key} | {value} |" for key, value in settings.items()],
        f"| steps per epoch | {training['steps_per_epoch']} |",
        f"| evaluation every | {training['eval_steps'] or '–'} steps |",
        "",
        "## Held-out figures",
        "",
        "Held-out item r: Pearson's r between the cosine of a pair's embeddings and its observed correlation.",
        "",
    ]
    if heldout.get("before"):
        before, after = heldout["before"], heldout["after"]
        lines += [
            "| figure | base model | fine-tuned |",
            "|---|---|---|",
            f"| item r, pairs with a held-out item (n = {_number(before['heldout_pairs'])}) | "
            f"{_number(before['heldout_item_r'])} | {_number(after['heldout_item_r'])} |",
            f"| item r, pairs of two held-out items (n = {_number(before['heldout_both_pairs'])}) | "
            f"{_number(before['heldout_both_item_r'])} | {_number(after['heldout_both_item_r'])} |",
            f"| mean cosine of those pairs | {_number(before['heldout_mean_cosine'])} | "
            f"{_number(after['heldout_mean_cosine'])} |",
            "",
        ]
    else:
        lines += ["No items were held out (or too few pairs): no held-out figures, no early stopping.", ""]
    lines += [
        "## Training",
        "",
        f"- steps: {training['steps']} of {training['planned_steps']} planned ({training['epochs']:.2f} epochs); "
        f"stopped by: {training['stop']}",
        f"- evaluations during training (early stopping, best checkpoint) used the {training['monitored_pairs']}"
        if training.get("monitored_pairs") else "- no evaluations during training",
        f"- best step (the weights written): {training['best_step'] if training['best_step'] is not None else 'last'}",
        f"- mean training loss: {_number(training['train_loss'], 4)}",
        f"- time: {_duration(training['elapsed_s'])} on {training['device']}",
        *([f"- resumed from the checkpoint at step {training['resumed_from_step']}: the loss and the time are "
           "those of the steps after it"] if training.get("resumed_from_step") is not None else []),
        "",
        "`training.json` holds the full record, including every evaluation.",
        "",
    ]
    return "\n".join(lines)


def _adapter_section(adapter: dict[str, Any] | None) -> list[str]:
    """Lines about a LoRA adapter run (``--lora-rank``): what the folder holds and how it loads."""
    if not adapter:
        return []
    fidelity = adapter.get("fidelity") or {}
    return [
        "## Adapter",
        "",
        f"This folder holds a low-rank (LoRA) adapter, not a full model: `{adapter['file']}` "
        f"({_number(adapter['bytes'])} bytes, checksum `{adapter['checksum']}`), rank {adapter['rank']}, "
        f"alpha {_number(float(adapter['alpha']), 1)}, on {adapter['modules']} linear layers "
        f"({_number(adapter['trainable_parameters'])} parameters, stored as {adapter['dtype']}). traitlens merges "
        "`W += (alpha / rank) · B A` into the base model's weights when it loads the folder (no peft needed), "
        "so `--model THIS_FOLDER` works as above; the base model must be the one below (same fingerprint).",
        f"Exported factors merged with plain torch reproduce the trained model's embeddings within "
        f"{_number(fidelity.get('max_abs_embedding_diff'), 6)} (cosines within "
        f"{_number(fidelity.get('max_abs_cosine_diff'), 6)}) on {fidelity.get('texts', '–')} held-out texts.",
        "",
    ]
