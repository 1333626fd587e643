"""The big-file path of ``similarity`` and ``profile``: ``--file IN --out OUT.parquet`` streamed or on Ray."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import typer

from traitlens.cli import shell
from traitlens.cli.options import EncoderSettings, Engine, Output, Scaling, TextSource
from traitlens.cli.shell import check_text_source, reporting, resolve_format, stderr
from traitlens.encoders import Encoder
from traitlens.provenance import provenance_line

#: ``(texts, encoder) -> frame``: the command's API call on one chunk.
ChunkAnalysis = Callable[[list[str], Encoder], pd.DataFrame]


def wants_file_job(source: TextSource, output: Output, scaling: Scaling) -> bool:
    """Whether this call is a big-file job (``--file`` into ``--out PATH.parquet``), checking its usage.

    Raises
    ------
    typer.BadParameter
        ``--resume`` or ``--engine ray`` without ``--file`` and a Parquet ``--out`` (exit code 2).
    """
    if source.file is not None and output.out is not None and resolve_format(output) == "parquet":
        return True
    for flag, given in (("--resume", scaling.resume), ("--engine ray", scaling.engine is Engine.ray)):
        if given:
            raise typer.BadParameter(f"{flag} needs --file and --out PATH.parquet", param_hint=flag.split()[0])
    return False


def run_file_job(source: TextSource, output: Output, plot: Path | None, model: str | None,
                 settings: EncoderSettings, scaling: Scaling, analysis: str, options: dict[str, Any],
                 analyse: ChunkAnalysis) -> None:
    """Stream ``--file`` into ``--out`` chunk by chunk (local engine), or score it on Ray (``--engine ray``).

    Parameters
    ----------
    analysis : str
        The API function's name (``similarity``, ``profile``), for the Ray actors.
    options : dict
        Its keyword arguments besides texts and model, for the Ray actors.
    analyse : callable
        ``(texts, encoder) -> frame`` for one chunk, for the local engine.
    """
    check_text_source(source, plot)
    if plot is not None:
        raise typer.BadParameter("--plot draws the whole table in memory: leave it out when streaming --file to "
                                 "--out PATH.parquet", param_hint="--plot")
    assert source.file is not None and output.out is not None
    with reporting():
        shell.check_not_inputs([output.out], [source.file])
        if scaling.engine is Engine.ray:
            from traitlens.distributed import run_file

            summary = run_file(source.file, output.out, analysis, column=source.column, address=scaling.address,
                               workers=scaling.workers, model=model, backend=settings.backend.value,
                               cache=settings.cache, **options)
            stderr(f"wrote {summary['out']} ({summary['rows']:,} rows; Ray, {scaling.workers} workers, "
                   f"{summary['seconds']:.1f} s) · {provenance_line(summary['provenance'])}")
            return
        from traitlens.io.tables import read_parquet_provenance
        from traitlens.streaming import stream_file

        encoder = shell.load_model(model, settings)
        record = {"analysis": analysis, "options": {k: str(v) for k, v in options.items()},
                  "backend": settings.backend.value}
        done = stream_file(source.file, output.out, analyse, encoder, column=source.column,
                           chunk_size=scaling.chunk_size, resume=scaling.resume, settings=record)
        resumed = f", {done.skipped_chunks} resumed" if done.skipped_chunks else ""
        stderr(f"wrote {done.out} ({done.rows:,} rows from {done.texts:,} texts, {done.chunks} chunks{resumed}, "
               f"{done.seconds:.1f} s) · {provenance_line(read_parquet_provenance(done.out))}")
