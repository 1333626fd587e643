"""LoRA fine-tuning (``traitlens finetune --lora-rank R``): add a peft adapter, keep its best state, export it.

Training needs ``peft`` (the ``train`` extra); using the result does not: :func:`export_adapter` writes
the low-rank factors ``A``, ``B`` and the scaling of every adapted layer to the ``.npz`` format of
:mod:`traitlens.encoders.adapted`, which merges ``W += scaling · B A`` into the base weights with
plain torch at load time.

Adapted layers (:func:`lora_targets`): every ``torch.nn.Linear`` inside the transformer's layers
(attention projections, attention output, feed-forward in and out), not the pooler, which mean
pooling never uses.
"""

from __future__ import annotations

import importlib.util
import re
from typing import Any

import numpy as np

from traitlens.errors import TraitlensError

__all__ = ["add_lora", "check_peft", "export_adapter", "lora_factors", "lora_targets", "restore_lora",
           "snapshot_lora"]

_ADAPTER = "default"
_LAYER = re.compile(r"(^|\.)layers?\.\d+\.")


def check_peft() -> None:
    """Raise a :class:`TraitlensError` naming the extra when ``peft`` (needed to TRAIN an adapter) is missing."""
    if importlib.util.find_spec("peft") is None:
        raise TraitlensError("training a LoRA adapter (--lora-rank) needs peft, which is not installed: "
                             "pip install 'traitlens[train]' (or pip install peft); using an adapter does not")


def lora_targets(transformer: Any) -> list[str]:
    """Names of the linear layers inside the transformer's layers (``encoder.layer.N.…``)."""
    import torch

    return [name for name, module in transformer.named_modules()
            if isinstance(module, torch.nn.Linear) and _LAYER.search(name)]


def add_lora(model: Any, rank: int, alpha: float, dropout: float = 0.0) -> list[str]:
    """Add a fresh LoRA adapter of rank ``rank`` to a ``SentenceTransformer``; return the adapted module names.

    Only the adapter's factors are trainable afterwards (``peft`` freezes the base weights).
    """
    check_peft()
    from peft import LoraConfig, inject_adapter_in_model

    transformer = model[0].auto_model
    targets = lora_targets(transformer)
    if not targets:
        raise TraitlensError(f"no linear layers found to adapt in {type(transformer).__name__}")
    config = LoraConfig(r=rank, lora_alpha=alpha, lora_dropout=dropout, target_modules=targets, bias="none")
    # peft's own injection (transformers' add_adapter pins a peft version of its own choosing)
    inject_adapter_in_model(config, transformer, adapter_name=_ADAPTER)
    for name, parameter in transformer.named_parameters():
        parameter.requires_grad = "lora_" in name
    return targets


def _lora_layers(transformer: Any) -> dict[str, Any]:
    return {name: module for name, module in transformer.named_modules()
            if hasattr(module, "lora_A") and _ADAPTER in getattr(module, "lora_A", {})}


def snapshot_lora(model: Any) -> dict[str, tuple[Any, Any]]:
    """A detached copy of every adapted layer's ``(A, B)`` (to keep the best state during training)."""
    return {name: (layer.lora_A[_ADAPTER].weight.detach().clone(), layer.lora_B[_ADAPTER].weight.detach().clone())
            for name, layer in _lora_layers(model[0].auto_model).items()}


def restore_lora(model: Any, snapshot: dict[str, tuple[Any, Any]]) -> None:
    """Put a :func:`snapshot_lora` back into the model."""
    import torch

    layers = _lora_layers(model[0].auto_model)
    with torch.no_grad():
        for name, (a, b) in snapshot.items():
            layers[name].lora_A[_ADAPTER].weight.copy_(a)
            layers[name].lora_B[_ADAPTER].weight.copy_(b)


def lora_factors(model: Any) -> dict[str, tuple[np.ndarray, np.ndarray, float]]:
    """``module name (as in the base transformer) → (A, B, scaling)`` of a model with a peft LoRA adapter."""
    out = {}
    for name, layer in _lora_layers(model[0].auto_model).items():
        a = layer.lora_A[_ADAPTER].weight.detach().cpu().float().numpy()
        b = layer.lora_B[_ADAPTER].weight.detach().cpu().float().numpy()
        out[name] = (a, b, float(layer.scaling[_ADAPTER]))
    if not out:
        raise TraitlensError("the model has no LoRA adapter to export")
    return out


def export_adapter(model: Any, path: Any, *, base_id: str, base_fingerprint: str, rank: int, alpha: float,
                   name: str, dtype: str = "float16", training: dict[str, Any] | None = None) -> str:
    """Write the model's LoRA factors in the format of :mod:`traitlens.encoders.adapted`; return the checksum."""
    from traitlens.encoders.adapted import write_adapter

    return write_adapter(path, lora_factors(model), base_id=base_id, base_fingerprint=base_fingerprint, rank=rank,
                         alpha=alpha, name=name, dtype=dtype, training=training)
