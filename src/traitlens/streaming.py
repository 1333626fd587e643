"""Streaming big files: read in chunks, score each chunk, write Parquet as it goes, resume after a crash.

``traitlens profile|similarity --file BIG --out OUT.parquet`` runs here. Memory stays bounded by the
chunk, whatever the size of the input:

1. the input (``.txt``, ``.csv``/``.tsv``, ``.jsonl``, ``.parquet``) is read ``chunk_size`` texts at a
   time (Parquet by record batches, the others line by line) and cleaned by the one text policy
   (:func:`traitlens.io.texts.prepare_texts`: blanks skipped, giant texts cut, with warnings naming
   the lines);
2. each chunk is scored by one call of the API function (the encoder removes duplicate texts within the
   chunk and sorts the rest by length into batches, so little padding is computed; the embedding cache,
   if on, removes repeats across chunks). The texts every chunk needs again (keywords, pole exemplars)
   are encoded once and kept in memory (:class:`PinnedEncoder`);
3. each scored chunk is written at once as its own Parquet file ``part-NNNNNN.parquet`` (temporary name,
   then renamed) into the work folder ``.OUT.parquet.parts/`` beside the output, which also holds
   ``state.json`` (input size and modification time, the settings and the chunk size);
4. at the end the parts are copied, one row group each, into a temporary file that is renamed onto
   ``OUT.parquet``; then the work folder is removed. The output carries provenance like every other
   traitlens Parquet file (schema metadata key ``traitlens``), plus a ``streaming`` record.

An interrupted run leaves the work folder. ``--resume`` checks that input, settings and chunk size are
unchanged and skips every chunk whose part is complete, so no row is computed twice, none is missing,
and none is duplicated. Without ``--resume`` an old work folder is discarded and the run starts over.
A progress bar (texts, rate, ETA) goes to stderr.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from traitlens.encoders.base import Encoder
from traitlens.errors import InputError
from traitlens.io.sources import check_width, is_record
from traitlens.io.tables import PARQUET_META_KEY, check_writable, json_ready
from traitlens.io.texts import SUPPORTED_SUFFIXES, json_line_text, pick_text_column, prepare_texts

#: Texts per chunk: about 20 s of int8 work, a few hundred MB of output rows at 30 constructs.
DEFAULT_CHUNK_SIZE = 20_000
STATE = "state.json"
_STATE_FORMAT = 1

#: ``(texts, encoder) -> frame``: one API call for one chunk.
ChunkAnalysis = Callable[[list[str], Encoder], pd.DataFrame]


class PinnedEncoder(Encoder):
    """An encoder that keeps, in memory, the vectors of texts that every chunk asks for again.

    The first chunk's call encodes everything; afterwards :meth:`pin_all_but` keeps the vectors of the
    texts that were not that chunk's own (keywords, exemplars), and later calls encode only the rest.
    Same name, fingerprint and dim as the wrapped encoder, so provenance is unchanged. The inner encoder
    has the caching the caller chose (``--no-cache``, ``--cache-dir``): the API must not wrap this one in
    the default cache (``cache_chosen``).
    """

    cache_chosen = True

    def __init__(self, inner: Encoder) -> None:
        self.inner = inner
        self.name, self.fingerprint, self.dim = inner.name, inner.fingerprint, inner.dim
        self.pinned: dict[str, np.ndarray] = {}
        self._first: dict[str, np.ndarray] | None = {}

    def _encode_unique(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in texts if t not in self.pinned]
        fresh = self.inner.encode(missing) if missing else np.zeros((0, self.dim), np.float32)
        found = dict(zip(missing, fresh, strict=True))
        if self._first is not None:  # the first chunk: remember everything it asked for
            self._first.update(found)
        return np.stack([self.pinned[t] if t in self.pinned else found[t] for t in texts])

    def pin_all_but(self, own: list[str]) -> None:
        """After the first chunk: keep the vectors of every text it encoded that is not in ``own``."""
        if self._first is None:
            return
        mine = set(own)
        self.pinned = {t: v for t, v in self._first.items() if t not in mine}
        self._first = None


@dataclass(frozen=True)
class StreamSummary:
    """What a streaming run did."""

    out: Path
    rows: int
    texts: int
    chunks: int
    skipped_chunks: int
    seconds: float


# ------------------------------------------------------------------------------------------------- reading


def count_texts(path: Path) -> int | None:
    """Number of input records (rows, lines) for the progress bar, without holding the file in memory."""
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        return pq.ParquetFile(path).metadata.num_rows
    lines = 0
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 24), b""):
            lines += block.count(b"\n")
    if path.stat().st_size and not _ends_with_newline(path):
        lines += 1
    return lines - 1 if suffix in {".csv", ".tsv"} else lines


def _ends_with_newline(path: Path) -> bool:
    with open(path, "rb") as fh:
        fh.seek(-1, os.SEEK_END)
        return fh.read(1) == b"\n"


def iter_chunks(path: Path, column: str | None, chunk_size: int) -> Iterator[tuple[list[str], list[int], str]]:
    """Yield ``(raw texts, places, unit)`` of ``chunk_size`` input records at a time.

    Raises
    ------
    InputError
        Unsupported suffix, missing file or column, bad JSON or CSV, non-UTF-8 bytes (with the line).
    """
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise InputError(f"unsupported file type {suffix or '(none)'!r}; use one of {', '.join(SUPPORTED_SUFFIXES)}",
                         path=path)
    if not path.is_file():
        raise InputError("file not found", path=path)
    if suffix == ".parquet":
        yield from _parquet_chunks(path, column, chunk_size)
        return
    texts: list[str] = []
    places: list[int] = []
    for text, place in _line_records(path, column, suffix):
        texts.append(text)
        places.append(place)
        if len(texts) == chunk_size:
            yield texts, places, "line"
            texts, places = [], []
    if texts:
        yield texts, places, "line"


def _line_records(path: Path, column: str | None, suffix: str) -> Iterator[tuple[str, int]]:
    try:
        with open(path, encoding="utf-8", newline="" if suffix in {".csv", ".tsv"} else None) as fh:
            if suffix == ".txt":
                for number, line in enumerate(fh, start=1):
                    yield line.rstrip("\r\n"), number
            elif suffix == ".jsonl":
                key = column or "text"
                for number, line in enumerate(fh, start=1):
                    yield json_line_text(line, key, path, number), number
            else:
                reader = csv.reader(fh, delimiter="\t" if suffix == ".tsv" else ",")
                header = next(reader, None)
                if header is None:
                    raise InputError("the file is empty", path=path)
                index = header.index(pick_text_column(column, header, path))
                start = reader.line_num + 1
                for row in reader:
                    if not is_record(row):  # a blank line (as a file read whole)
                        start = reader.line_num + 1
                        continue
                    check_width(len(row), header, path, start)
                    yield row[index], start
                    start = reader.line_num + 1
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 ({exc.reason} at byte {exc.start} of a block)", path=path) from None


def _parquet_chunks(path: Path, column: str | None, chunk_size: int) -> Iterator[tuple[list[str], list[int], str]]:
    import pyarrow.parquet as pq

    try:
        file = pq.ParquetFile(path)
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several types for a bad file
        raise InputError(f"not a readable Parquet file ({exc})", path=path) from None
    name = pick_text_column(column, file.schema_arrow.names, path)
    row = 1
    for batch in file.iter_batches(batch_size=chunk_size, columns=[name]):
        values = batch.column(0).to_pylist()
        for i, value in enumerate(values):
            if value is not None and not isinstance(value, str):
                raise InputError(f"column {name!r} holds {type(value).__name__} values, expected text", path=path,
                                 line=row + i, column=name)
        yield ["" if v is None else v for v in values], list(range(row, row + len(values))), "row"
        row += len(values)


# ------------------------------------------------------------------------------------------------- writing


def work_folder(out: Path) -> Path:
    """The folder of an unfinished run's parts: ``.OUT.parquet.parts`` beside ``out``."""
    return out.with_name(f".{out.name}.parts")


def _part(folder: Path, index: int) -> Path:
    return folder / f"part-{index:06d}.parquet"


def _input_record(path: Path) -> dict[str, Any]:
    stat = path.stat()
    return {"path": str(path.resolve()), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def _prepare_work(folder: Path, state: dict[str, Any], resume: bool) -> set[int]:
    """Create or check the work folder; return the indices of finished chunks (resume) or none."""
    if folder.exists() and resume:
        try:
            old = json.loads((folder / STATE).read_text())
        except (OSError, ValueError):
            old = None
        if old != state:
            raise InputError(f"cannot resume: {folder} belongs to a run with another input, settings or chunk size "
                             "(or has no state). Run again without --resume to start over.")
        done = set()
        for part in folder.glob("part-*.parquet"):
            try:
                import pyarrow.parquet as pq

                pq.read_metadata(part)
                done.add(int(part.stem.split("-")[1]))
            except Exception:  # noqa: BLE001 - an unreadable part is redone
                part.unlink(missing_ok=True)
        return done
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    (folder / STATE).write_text(json.dumps(state, indent=1))
    return set()


def _write_part(frame: pd.DataFrame, path: Path, meta: dict[str, Any]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    data = frame.reset_index() if frame.index.name is not None else frame
    table = pa.Table.from_pandas(data, preserve_index=False)
    table = table.replace_schema_metadata({PARQUET_META_KEY: json.dumps(json_ready(meta), ensure_ascii=False).encode()})
    tmp = path.with_name(f".{path.name}.tmp")
    pq.write_table(table, tmp)
    os.replace(tmp, path)


def _merge(folder: Path, n_chunks: int, out: Path, streaming: dict[str, Any]) -> int:
    """Copy the parts, in order, as row groups into one file; rename it onto ``out``. Returns the row count."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    parts = [p for p in (_part(folder, i) for i in range(n_chunks)) if p.exists()]
    if not parts:
        raise InputError("no text to score: every line of the input is blank")
    schemas = [pq.read_schema(p) for p in parts]
    schema = pa.unify_schemas([s.remove_metadata() for s in schemas], promote_options="permissive")
    first = json.loads(schemas[0].metadata[PARQUET_META_KEY])
    provenance = {**first.get("provenance", {}), "streaming": streaming}
    schema = schema.with_metadata({PARQUET_META_KEY: json.dumps(json_ready(provenance), ensure_ascii=False).encode()})
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    rows = 0
    try:
        with pq.ParquetWriter(tmp, schema) as writer:
            for part in parts:
                table = pq.read_table(part).replace_schema_metadata(None).cast(schema.remove_metadata())
                writer.write_table(table, row_group_size=max(len(table), 1))
                rows += len(table)
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return rows


# --------------------------------------------------------------------------------------------------- run


def stream_file(path: str | Path, out: str | Path, analyse: ChunkAnalysis, encoder: Encoder, *,
                column: str | None = None, chunk_size: int = DEFAULT_CHUNK_SIZE, resume: bool = False,
                settings: dict[str, Any] | None = None, progress: bool = True) -> StreamSummary:
    """Score a big file chunk by chunk into one Parquet file (see the module docstring).

    Parameters
    ----------
    path : str or Path
        Input file (``.txt``, ``.csv``, ``.tsv``, ``.jsonl``, ``.parquet``).
    out : str or Path
        Output ``.parquet`` file, replaced atomically at the end.
    analyse : callable
        ``(texts, encoder) -> frame`` for one chunk (an API call); the frame's ``attrs["provenance"]``
        becomes the file's provenance.
    encoder : Encoder
        The encoder (wrapped here in a :class:`PinnedEncoder`).
    column : str, optional
        Column / JSON key of the texts.
    chunk_size : int
        Input records per chunk.
    resume : bool
        Continue an interrupted run with the same input, settings and chunk size.
    settings : dict, optional
        What identifies the run besides input and chunk size (command, taxonomy, model fingerprint...);
        a resumed run must have the same.
    progress : bool
        Show a progress bar on stderr.

    Returns
    -------
    StreamSummary

    Raises
    ------
    InputError
        Bad input (with file and line), an output that cannot be written, or a resume that does not match.
    """
    path, out = Path(path), Path(out).expanduser()
    if chunk_size < 1:
        raise InputError(f"chunk size must be at least 1; got {chunk_size}")
    check_writable(out)
    started = time.perf_counter()
    folder = work_folder(out)
    state = {"format": _STATE_FORMAT, "input": _input_record(path), "column": column, "chunk_size": chunk_size,
             "model": encoder.fingerprint, "settings": settings or {}}
    done = _prepare_work(folder, state, resume)
    pinned = PinnedEncoder(encoder)
    total = count_texts(path)
    bar = _progress(total, progress)
    n_chunks = texts_scored = skipped = 0
    try:
        for index, (raw, places, unit) in enumerate(iter_chunks(path, column, chunk_size)):
            n_chunks = index + 1
            if index in done:
                skipped += 1
                bar.update(len(raw))
                continue
            if any(t.strip() for t in raw):
                texts = prepare_texts(raw, places=places, unit=unit, source=str(path))
                frame = analyse(texts, pinned)
                pinned.pin_all_but(texts)
                _write_part(frame, _part(folder, index),
                            {"provenance": frame.attrs.get("provenance", {}), "chunk": index, "texts": len(texts)})
                texts_scored += len(texts)
            bar.update(len(raw))
        streaming = {"input": str(path), "chunk_size": chunk_size, "chunks": n_chunks,
                     "resumed_chunks": skipped, "resumed": bool(resume and skipped)}
        rows = _merge(folder, n_chunks, out, streaming)
    except InputError:  # bad input: the file must change, so the chunks done cannot be resumed
        shutil.rmtree(folder, ignore_errors=True)
        raise
    finally:
        bar.close()
    shutil.rmtree(folder, ignore_errors=True)
    return StreamSummary(out=out, rows=rows, texts=texts_scored, chunks=n_chunks, skipped_chunks=skipped,
                         seconds=time.perf_counter() - started)


def _progress(total: int | None, enabled: bool) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, unit=" texts", unit_scale=True, file=sys.stderr, disable=not enabled,
                desc="scoring", dynamic_ncols=True, mininterval=0.5)
