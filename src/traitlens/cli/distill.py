"""``traitlens distill``: make the static (model2vec) backend of a model, once, into the cache folder."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from traitlens.cli.options import ModelOpt, OfflineOpt
from traitlens.cli.shell import reporting, stderr

ForceOpt = Annotated[bool, typer.Option("--force", help="Distil again even if the cache folder has it.")]


def distill_cmd(model: ModelOpt = None, local_files_only: OfflineOpt = False, force: ForceOpt = False) -> None:
    """Distil a model2vec static model from --model (offline) for --backend static; print where it is."""
    from traitlens.encoders import SentenceTransformerEncoder
    from traitlens.encoders.backends import backend_encoder, ensure_export

    with reporting():
        started = time.perf_counter()
        base = SentenceTransformerEncoder(model, local_files_only=local_files_only or None)
        if force:
            ensure_export(base, "static", force=True)
        encoder = backend_encoder(base, "static")
        typer.echo(f"{encoder.folder}")
        stderr(f"static backend of {base.name}: {encoder.dim} dimensions, fingerprint {encoder.fingerprint} "
               f"({time.perf_counter() - started:.1f} s); use it with --backend static")
