"""The shared shell of the commands: read input, build the encoder, write the output and its provenance.

Data goes to stdout, progress and messages to stderr. A :class:`~traitlens.errors.TraitlensError`
becomes ``error: ...`` and exit code 1; a usage error (``typer.BadParameter``) exit code 2.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import typer

from traitlens.cache import CachedEncoder, EmbeddingCache
from traitlens.cli.options import EncoderSettings, Output, OutputFormat, TextSource
from traitlens.encoders import Encoder, load_encoder
from traitlens.errors import InputError, TraitlensError
from traitlens.io.tables import (
    SUFFIX_FORMATS,
    atomic_write,
    check_writable,
    format_from_suffix,
    is_stdout,
    output_kind,
    render,
    sidecar_path,
    to_json_envelope,
    wants_sidecar,
    write_table,
)
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
    """Show warnings as ``warning: ...`` lines and log messages on stderr; a :class:`TraitlensError` → exit 1.

    So is an error of the operating system (a folder that cannot be written though it looked writable,
    such as ``/sys``; a full disk): one line naming the file, never a traceback. A closed pipe
    (``traitlens ... | head``) ends the command quietly.
    """
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
        except BrokenPipeError:
            with contextlib.suppress(OSError, ValueError):  # no flush into the closed pipe at exit
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(code=1) from None
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            stderr(f"error: {where}{(exc.strerror or str(exc)).lower()}")
            raise typer.Exit(code=1) from None
        finally:
            logger.removeHandler(handler)
            logger.setLevel(level)


def resolve_format(output: Output) -> str:
    """The format to write: ``--format`` if given (other than table), else from ``--out``'s suffix, else table."""
    if output.fmt is not None and output.fmt is not OutputFormat.table:
        if output.out is not None and not is_stdout(output.out) and output_kind(output.out) == "file":
            implied = SUFFIX_FORMATS.get(Path(output.out).suffix.lower())
            if implied is not None and implied != output.fmt.value:
                warnings.warn(f"{output.out}: writing {output.fmt.value} (--format) to a file named as {implied}",
                              stacklevel=2)
        return output.fmt.value
    if output.out is not None and not is_stdout(output.out):
        return format_from_suffix(output.out)
    return "table"


def print_table(frame: pd.DataFrame, title: str | None = None) -> None:
    """Print ``frame`` as a table on stdout, floats with four decimals, under ``title`` if given."""
    from rich.console import Console
    from rich.table import Table

    data = frame.reset_index() if frame.index.name is not None else frame
    table = Table(show_lines=False, title=title)
    for col in data.columns:
        table.add_column(str(col), justify="right" if pd.api.types.is_numeric_dtype(data[col]) else "left")
    for row in data.itertuples(index=False):
        table.add_row(*[f"{v:z.4f}" if isinstance(v, float) else str(v) for v in row])  # z: never "-0.0000"
    Console(file=sys.stdout, width=200 if not sys.stdout.isatty() else None).print(table)


#: Above this many rows a printed table is plain aligned text instead of a rich table (rich takes about 1 s per
#: 1,000 rows, 9.7 s for 10,000, minutes and gigabytes for the 1.5 million rows of 100,000 texts; plain text
#: streams in chunks, in bounded memory: 0.1 s for 10,000 rows).
PLAIN_TABLE_ROWS = 1_000
#: A plain table on a terminal shows this many rows from the head and from the tail (like pandas' display).
TERMINAL_ROWS = 20
_CHUNK_ROWS = 20_000


def _cells(values: pd.Series) -> pd.Series:
    """The printed form of a column: floats with four decimals, everything else as ``str``."""
    return values.map("{:z.4f}".format) if pd.api.types.is_float_dtype(values) else values.astype(str)


def print_plain_table(frame: pd.DataFrame, title: str | None = None, *, summarise: bool | None = None) -> None:
    """Print ``frame`` on stdout as plain aligned columns (floats with four decimals), streamed in chunks.

    Parameters
    ----------
    frame : DataFrame
    title : str, optional
    summarise : bool, optional
        Print only the first and last :data:`TERMINAL_ROWS` rows and a line saying how many were left
        out, as pandas' display does. Default: when stdout is a terminal (a pipe or file gets every row).
    """
    data = frame.reset_index() if frame.index.name is not None else frame
    if summarise is None:
        summarise = sys.stdout.isatty()
    skipped = 0
    if summarise and len(data) > 2 * TERMINAL_ROWS:
        skipped = len(data) - 2 * TERMINAL_ROWS
        data = pd.concat([data.iloc[:TERMINAL_ROWS], data.iloc[-TERMINAL_ROWS:]])
    numeric = {name: pd.api.types.is_numeric_dtype(data[name]) and not pd.api.types.is_bool_dtype(data[name])
               for name in data.columns}
    widths = {name: len(str(name)) for name in data.columns}
    for start in range(0, len(data), _CHUNK_ROWS):  # first pass: the column widths, chunk by chunk
        for name in data.columns:
            cells = _cells(data[name].iloc[start:start + _CHUNK_ROWS])
            if len(cells):
                widths[name] = max(widths[name], int(cells.str.len().max()))
    head = "  ".join(str(n).rjust(widths[n]) if numeric[n] else str(n).ljust(widths[n]) for n in data.columns)
    head = head.rstrip()
    sys.stdout.write("\n".join([*([title] if title else []), head, "-" * len(head)]) + "\n")
    for start in range(0, len(data), _CHUNK_ROWS):  # second pass: write, chunk by chunk
        lines: pd.Series | None = None
        for name in data.columns:
            cells = _cells(data[name].iloc[start:start + _CHUNK_ROWS])
            cells = cells.str.rjust(widths[name]) if numeric[name] else cells.str.ljust(widths[name])
            lines = cells if lines is None else lines + "  " + cells
        if lines is not None and len(lines):
            text = list(lines.str.rstrip())
            if skipped and start == 0:
                text.insert(TERMINAL_ROWS, f"… {skipped:,} more rows …")
            sys.stdout.write("\n".join(text) + "\n")
    sys.stdout.flush()


def print_any_table(frame: pd.DataFrame, title: str | None = None) -> None:
    """A rich table up to :data:`PLAIN_TABLE_ROWS` rows, else :func:`print_plain_table` (saying so on stderr)."""
    if len(frame) > PLAIN_TABLE_ROWS:
        shown = f"the first and last {TERMINAL_ROWS} shown; " if sys.stdout.isatty() else ""
        stderr(f"{len(frame):,} rows: printed as plain text ({shown}--out PATH.csv writes a file)")
        print_plain_table(frame, title=title)
    else:
        print_table(frame, title=title)


def _to_stdout(out: Path | None) -> Path | None:
    """``--out -`` is standard output: None."""
    return None if is_stdout(out) else out


def emit(frame: pd.DataFrame, fmt: str, out: Path | None) -> None:
    """Write ``frame`` to ``out`` (atomically, with provenance) or to stdout (provenance line on stderr)."""
    provenance = get_provenance(frame)
    out = _to_stdout(out)
    if out is not None:
        path = write_table(frame, out, fmt, provenance)
        stderr(f"wrote {path} ({len(frame)} rows) · {provenance_line(provenance)}")
        return
    if fmt == "table":
        print_any_table(frame)
        stderr(provenance_line(provenance))
    elif fmt == "parquet":
        raise TraitlensError("parquet output is binary: give a file with --out")
    else:
        sys.stdout.write(render(frame, fmt, provenance).decode("utf-8"))
        stderr(provenance_line(provenance))


def load_model(model: str | None, settings: EncoderSettings) -> Encoder:
    """The encoder of ``--model``, behind the embedding cache of ``settings``.

    With ``--no-cache`` the encoder sits behind a cache that is off (``EmbeddingCache(enabled=False)``),
    so that an API function given it (whose ``cache=`` defaults to the user cache) does not cache it.
    """
    encoder = load_encoder(model, cache=settings.cache, local_files_only=settings.local_files_only or None,
                           backend=settings.backend.value)
    if settings.no_cache and not isinstance(encoder, CachedEncoder):
        encoder = CachedEncoder(encoder, EmbeddingCache(enabled=False))
    return encoder


def _read_texts(source: TextSource) -> list[str]:
    from traitlens.examples import EXAMPLE_SENTENCES
    from traitlens.io.texts import prepare_texts, read_texts

    # prepared once here: the API calls of a command then check (and warn about) them no second time
    if source.example:
        return prepare_texts(list(EXAMPLE_SENTENCES))
    if source.file is not None:
        return read_texts(source.file, source.column)
    return prepare_texts(list(source.texts or []))


def check_text_source(source: TextSource, plot: Path | None) -> None:
    """Usage checks of a text command: one source of texts, ``--column`` only with ``--file``, ``--plot``'s suffix.

    Raises
    ------
    typer.BadParameter
        A usage error (exit code 2), before any work.
    """
    from traitlens.plot import FIGURE_SUFFIXES

    if sum([bool(source.texts), source.file is not None, source.example]) != 1:
        raise typer.BadParameter("give texts as arguments, or --file PATH, or --example (exactly one of them)")
    if plot is not None and plot.suffix.lower() not in FIGURE_SUFFIXES:
        raise typer.BadParameter(f"--plot must end in {', '.join(FIGURE_SUFFIXES)}", param_hint="--plot")
    if source.column is not None and source.file is None:
        raise typer.BadParameter("--column needs --file", param_hint="--column")
    refuse_folder(source.file)


def refuse_folder(path: Path | None) -> None:
    """Bad input (exit 1, before anything else is checked): ``--file`` names a folder."""
    if path is not None and path.is_dir():
        stderr(f"error: {path}: is a folder, expected a file")
        raise typer.Exit(code=1)


def companion_path(out: Path, name: str) -> Path:
    """Where a companion table of ``out`` goes: ``pairs.csv`` and ``scales`` → ``pairs.scales.csv``."""
    return out.with_name(f"{out.stem}.{name}{out.suffix}")


def check_not_inputs(outputs: Sequence[Path | None], inputs: Sequence[Path | None]) -> None:
    """Refuse an output that is one of the input files (``--out items.csv`` for ``--file items.csv``).

    Writing the result would replace the user's data; links are followed (two names of one file are one file).

    Raises
    ------
    InputError
        Naming the output and the input it would replace.
    """
    def same(a: Path, b: Path) -> bool:
        try:
            return a.exists() and b.exists() and os.path.samefile(a, b)
        except OSError:
            return False

    for target in outputs:
        if target is None or is_stdout(target) or output_kind(target) == "stream":
            continue
        for source in inputs:
            if source is not None and same(Path(target).expanduser(), Path(source).expanduser()):
                raise InputError(f"the output would replace the input file {source}; write to another path",
                                 path=target)


def check_outputs(fmt: str, out: Path | None, plot: Path | None, companions: Sequence[str] = (),
                  inputs: Sequence[Path | None] = ()) -> None:
    """Fail before any work if the outputs of :func:`emit_tables` cannot be written.

    Parameters
    ----------
    fmt : str
        The resolved format (:func:`resolve_format`).
    out, plot : Path, optional
        ``--out`` and ``--plot``.
    companions : sequence of str
        Names of the companion tables that will be written besides the main one.
    inputs : sequence of Path
        The files the command reads: no output may be one of them (:func:`check_not_inputs`).

    Raises
    ------
    TraitlensError
        Parquet (or CSV of several tables) without ``--out``; a target that cannot be created or
        replaced (see :func:`~traitlens.io.tables.check_writable`).
    """
    out = _to_stdout(out)
    if out is None and fmt == "parquet":
        raise TraitlensError("parquet output is binary: give a file with --out")
    if out is None and fmt == "csv" and companions:
        raise TraitlensError(f"csv output of several tables (the main one, {', '.join(companions)}) needs files: give "
                             "--out PATH.csv, or use --format json or table")
    files = [] if out is None else [out]
    if out is not None and fmt in {"csv", "parquet"} and companions and output_kind(out) == "stream":
        raise TraitlensError(f"{out} is a device or pipe: {fmt} output of several tables (the main one, "
                             f"{', '.join(companions)}) writes each to a file of its own beside --out; give "
                             f"--out PATH.{fmt} in a folder, or use --format json to send them all in one stream")
    if out is not None and fmt in {"csv", "parquet"}:
        files += [companion_path(out, name) for name in companions]
    if fmt == "csv":
        files += [sidecar_path(path) for path in files if wants_sidecar(path)]
    targets = [*files, *([] if plot is None else [plot])]
    check_not_inputs(targets, inputs)
    for target in targets:
        check_writable(target)


def emit_tables(main: pd.DataFrame, companions: Mapping[str, pd.DataFrame], fmt: str, out: Path | None,
                titles: Mapping[str, str] | None = None) -> None:
    """Write a table and its companion tables (e.g. item pairs, scale pairs, reliabilities) in one format.

    A printed table (``table`` on stdout) of more than :data:`PLAIN_TABLE_ROWS` rows is plain aligned
    text (:func:`print_plain_table`), summarised on a terminal.
    ``out`` ``-`` is stdout. Otherwise, without companions, this is :func:`emit`; with them:

    * ``csv`` / ``parquet`` (``--out`` required): ``out`` holds ``main``, ``companion_path(out, name)``
      each companion, every file with its own provenance (the CSV sidecar ``PATH.meta.json``);
    * ``json`` (to ``out`` or stdout): one envelope ``{"provenance": ..., "results": [main rows],
      name: [companion rows], ...}`` with the provenance of ``main``;
    * ``table`` (stdout): one titled table after the other; the provenance line on stderr.

    Parameters
    ----------
    main : DataFrame
        The main table; its ``attrs["provenance"]`` is the provenance of a JSON envelope.
    companions : mapping of str to DataFrame
        Name (file-name part, JSON key, default title) → table, in output order.
    fmt : {"table", "csv", "json", "parquet"}
    out : Path, optional
    titles : mapping of str to str, optional
        Titles of the printed tables: ``"results"`` for ``main``, else the companion names.
    """
    titles = dict(titles or {})
    provenance = get_provenance(main)
    out = _to_stdout(out)
    if fmt == "table" and out is None:
        for name, frame in {"results": main, **companions}.items():
            print_any_table(frame, title=titles.get(name, name) if companions else None)
        stderr(provenance_line(provenance))
        return
    if not companions:
        emit(main, fmt, out)
        return
    if fmt == "json":
        envelope = to_json_envelope(main, provenance)
        for name, frame in companions.items():
            envelope[name] = to_json_envelope(frame, {})["results"]
        payload = (json.dumps(envelope, ensure_ascii=False, indent=1, allow_nan=False) + "\n").encode()
        if out is None:
            sys.stdout.write(payload.decode("utf-8"))
            stderr(provenance_line(provenance))
            return
        with atomic_write(out) as fh:
            fh.write(payload)
        counts = ", ".join(f"{len(frame)} {name}" for name, frame in companions.items())
        stderr(f"wrote {out} ({len(main)} rows; {counts}) · {provenance_line(provenance)}")
        return
    if out is None:
        raise TraitlensError(f"{fmt} output of several tables needs files: give --out")
    for name, frame in {"results": main, **companions}.items():
        path = write_table(frame, out if name == "results" else companion_path(out, name), fmt,
                           get_provenance(frame) or provenance)
        stderr(f"wrote {path} ({len(frame)} rows) · {provenance_line(provenance)}")


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
    from traitlens.plot import save_figure

    check_text_source(source, plot)
    with reporting():
        fmt = resolve_format(output)
        check_not_inputs([output.out, plot], [source.file])
        for target in (output.out, plot):
            if target is not None:
                check_writable(target)
        texts = _read_texts(source)
        result, draw = analyse(texts, load_model(model, settings))
        emit(result, fmt, output.out)
        if plot is not None:
            save_figure(draw(), plot)
            stderr(f"wrote {plot}")
