"""Provenance records: which traitlens, model and taxonomy produced an output.

Every table traitlens returns carries ``frame.attrs["provenance"]``; every file
it writes stores the same record (Parquet metadata, a JSON envelope, a CSV
sidecar ``PATH.meta.json``), and every figure shows it.
"""

from __future__ import annotations

import datetime as dt
import platform
from typing import Any

import pandas as pd

from traitlens import __version__
from traitlens.encoders.base import Encoder


def make_provenance(encoder: Encoder | None = None, **extra: Any) -> dict[str, Any]:
    """Build a provenance record.

    Parameters
    ----------
    encoder : Encoder, optional
        The encoder whose vectors the output is based on.
    **extra
        Further fields, e.g. ``taxonomy={"name": ..., "fingerprint": ...}``, ``analysis="similarity"``.

    Returns
    -------
    dict
        ``traitlens_version``, ``created`` (UTC, ISO 8601), ``python``, ``model``
        (``id``, ``fingerprint``, ``dim``; ``adapter`` for an adapted model, ``fine_tuned_from`` for a
        ``traitlens finetune`` folder) and the extra fields.
    """
    record: dict[str, Any] = {
        "traitlens_version": __version__,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
    }
    if encoder is not None:
        record["model"] = {"id": encoder.name, "fingerprint": encoder.fingerprint, "dim": int(encoder.dim)}
        inner = getattr(encoder, "inner", encoder)
        adapter = getattr(inner, "adapter", None)  # encoders.adapted.AdaptedEncoder
        if adapter is not None and hasattr(adapter, "record"):
            record["model"]["adapter"] = adapter.record()
        base = getattr(inner, "base", None)  # a folder written by `traitlens finetune`: the model it started from
        if isinstance(base, dict):
            record["model"]["fine_tuned_from"] = base
    record.update(extra)
    return record


def get_provenance(frame: pd.DataFrame) -> dict[str, Any]:
    """The provenance record attached to ``frame`` (empty dict if none)."""
    return dict(frame.attrs.get("provenance", {}))


def provenance_line(record: dict[str, Any]) -> str:
    """One-line human summary, e.g. for figure footers and CLI messages."""
    parts = [f"traitlens {record.get('traitlens_version', '?')}"]
    model = record.get("model")
    if model:
        parts.append(f"model {model['id']} ({model['fingerprint']})")
    taxonomy = record.get("taxonomy")
    if taxonomy:
        parts.append(f"taxonomy {taxonomy['name']} ({taxonomy.get('fingerprint', '?')})")
    inventory = record.get("inventory")
    if inventory:
        parts.append(f"inventory {inventory['name']}")
    for key in ("scales", "items"):  # the scale collection or item set an analysis read
        source = record.get(key)
        if isinstance(source, dict) and source.get("name"):
            parts.append(f"{key} {source['name']}" + (f" ({source['fingerprint']})" if source.get("fingerprint")
                                                      else ""))
    return " · ".join(parts)
