"""The shared shell of the commands: read input, build the encoder, write the output and its provenance.

Data goes to stdout, progress and messages to stderr. A :class:`~traitlens.errors.TraitlensError`
becomes ``error: ...`` and exit code 1; a usage error (``typer.BadParameter``) exit code 2.
"""

from __future__ import annotations

import logging
import sys
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import typer

from traitlens.cli.options import EncoderSettings, Output, OutputFormat, TextSource
from traitlens.encoders import Encoder, load_encoder
from traitlens.errors import TraitlensError
from traitlens.io.tables import check_writable, format_from_suffix, render, write_table
from traitlens.provenance import get_provenance, provenance_line

#: What a text command makes of its texts: a table, and a function that draws its figure.
Result = tuple[pd.DataFrame, Callable[[], Any]]
#: ``(texts, encoder) -> Result``: one call of the :mod:`traitlens` API.
Analysis = Callable[[list[str], Encoder], Result]


def stderr(message: str) -> None:
    """Print a message (not data) on stderr."""
    typer.echo(message, err=True)


def _show_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                  file: Any = None, line: str | None = None) -> None:
    stderr(f"warning: {message}")


class _StderrLog(logging.Handler):
    """Shows the package's INFO messages (e.g. "loading model …") on stderr."""

    def emit(self, record: logging.LogRecord) -> None:
        stderr(record.getMessage())


@contextmanager
def reporting() -> Iterator[None]:
    """Show warnings as ``warning: ...`` lines and log messages on stderr; a :class:`TraitlensError` → exit 1."""
    logger = logging.getLogger("traitlens")
    handler, level = _StderrLog(logging.INFO), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        try:
            yield
        except TraitlensError as exc:
            stderr(f"error: {exc}")
            raise typer.Exit(code=1) from None
        finally:
            logger.removeHandler(handler)
            logger.setLevel(level)


def resolve_format(output: Output) -> str:
    """The format to write: ``--format`` if given (other than table), else from ``--out``'s suffix, else table."""
    if output.fmt is not None and output.fmt is not OutputFormat.table:
        return output.fmt.value
    if output.out is not None:
        return format_from_suffix(output.out)
    return "table"


def print_table(frame: pd.DataFrame) -> None:
    """Print ``frame`` as a table on stdout, floats with four decimals."""
    from rich.console import Console
    from rich.table import Table

    data = frame.reset_index() if frame.index.name is not None else frame
    table = Table(show_lines=False)
    for col in data.columns:
        table.add_column(str(col), justify="right" if pd.api.types.is_numeric_dtype(data[col]) else "left")
    for row in data.itertuples(index=False):
        table.add_row(*[f"{v:.4f}" if isinstance(v, float) else str(v) for v in row])
    Console(file=sys.stdout, width=200 if not sys.stdout.isatty() else None).print(table)


def emit(frame: pd.DataFrame, fmt: str, out: Path | None) -> None:
    """Write ``frame`` to ``out`` (atomically, with provenance) or to stdout (provenance line on stderr)."""
    provenance = get_provenance(frame)
    if out is not None:
        path = write_table(frame, out, fmt, provenance)
        stderr(f"wrote {path} ({len(frame)} rows) · {provenance_line(provenance)}")
        return
    if fmt == "table":
        print_table(frame)
        stderr(provenance_line(provenance))
    elif fmt == "parquet":
        raise TraitlensError("parquet output is binary: give a file with --out")
    else:
        sys.stdout.write(render(frame, fmt, provenance).decode("utf-8"))
        stderr(provenance_line(provenance))


def load_model(model: str | None, settings: EncoderSettings) -> Encoder:
    """The encoder of ``--model``, behind the embedding cache of ``settings``."""
    return load_encoder(model, cache=settings.cache, local_files_only=settings.local_files_only or None)


def _read_texts(source: TextSource) -> list[str]:
    from traitlens.examples import EXAMPLE_SENTENCES
    from traitlens.io.texts import read_texts

    if source.example:
        return list(EXAMPLE_SENTENCES)
    if source.file is not None:
        return read_texts(source.file, source.column)
    return list(source.texts or [])


def run_text_command(source: TextSource, output: Output, plot: Path | None, model: str | None,
                     settings: EncoderSettings, analyse: Analysis) -> None:
    """Shell of the text commands: check the arguments and outputs, read the texts, analyse, write, plot.

    Parameters
    ----------
    source, output, settings : option groups
        The command's input, output and encoder options.
    plot : Path, optional
        Where to save the figure.
    model : str, optional
        The ``--model`` option.
    analyse : callable
        ``(texts, encoder) -> (table, draw)``: one call of the :mod:`traitlens` API, and a function
        that draws the figure (called only with ``--plot``).

    Raises
    ------
    typer.BadParameter
        Usage errors (exit code 2), before any work.
    typer.Exit
        Code 1 on bad input or an unavailable model, with the message on stderr.
    """
    from traitlens.plot import FIGURE_SUFFIXES, save_figure

    if sum([bool(source.texts), source.file is not None, source.example]) != 1:
        raise typer.BadParameter("give texts as arguments, or --file PATH, or --example (exactly one of them)")
    if plot is not None and plot.suffix.lower() not in FIGURE_SUFFIXES:
        raise typer.BadParameter(f"--plot must end in {', '.join(FIGURE_SUFFIXES)}", param_hint="--plot")
    if source.column is not None and source.file is None:
        raise typer.BadParameter("--column needs --file", param_hint="--column")
    with reporting():
        fmt = resolve_format(output)
        for target in (output.out, plot):
            if target is not None:
                check_writable(target)
        texts = _read_texts(source)
        result, draw = analyse(texts, load_model(model, settings))
        emit(result, fmt, output.out)
        if plot is not None:
            save_figure(draw(), plot)
            stderr(f"wrote {plot}")
