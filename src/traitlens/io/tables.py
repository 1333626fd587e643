"""Writing result tables with their provenance, atomically.

Formats:

* ``csv`` — plain CSV; written to a file, a sidecar ``PATH.meta.json`` holds the provenance
  (no comment lines: texts may contain ``#``) and the SHA-256 of the CSV it describes. The
  sidecar is renamed into place just before the CSV, so a run killed between the two renames
  leaves the old CSV with a new sidecar, which the digest shows;
* ``json`` — ``{"provenance": {...}, "results": [{row}, ...]}``;
* ``parquet`` — provenance as JSON in the schema metadata key ``traitlens``;
* ``table`` — a human-readable table (stdout only).

Where the output goes (:func:`output_kind`):

* a regular file (or a new path) is written to a temporary file in the target folder and
  renamed into place, so an interrupted or failed write never leaves a half-written file;
* a symbolic link is followed: the temporary file is renamed onto the real target, and the link
  stays a link;
* a device, FIFO or socket (``/dev/null``, ``/dev/stdout``, a named pipe) is written straight
  through — it is never replaced by a regular file, and no ``.meta.json`` sidecar is written
  next to it;
* ``-`` means standard output (handled by the CLI, see :func:`is_stdout`).
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import io
import json
import math
import os
import stat
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pandas as pd

from traitlens.errors import InputError

FORMATS = ("table", "csv", "json", "parquet")
PARQUET_META_KEY = b"traitlens"
#: File suffix → the format it names.
SUFFIX_FORMATS = {".csv": "csv", ".json": "json", ".parquet": "parquet", ".pq": "parquet"}


def is_stdout(path: str | Path | None) -> bool:
    """Whether ``path`` is ``-``, which stands for standard output."""
    return path is not None and str(path) == "-"


def output_kind(path: str | Path) -> str:
    """``"stdout"`` for ``-``; ``"stream"`` for a device, FIFO or socket; else ``"file"``.

    A stream is written straight through. Symbolic links are followed (a link to ``/dev/null`` is a stream).
    """
    if is_stdout(path):
        return "stdout"
    try:
        mode = os.stat(Path(path).expanduser()).st_mode
    except OSError:  # missing, or a dangling link: a new regular file
        return "file"
    return "file" if stat.S_ISREG(mode) or stat.S_ISDIR(mode) else "stream"


def real_target(path: str | Path) -> Path:
    """The path a write really goes to: ``path`` with symbolic links followed (also a dangling link's target)."""
    path = Path(path).expanduser()
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def check_writable(path: str | Path) -> Path:
    """Fail early (before any work) if ``path`` cannot be created, replaced or written to.

    A symbolic link is checked at its real target; a device or FIFO must be writable.

    Raises
    ------
    InputError
        The folder does not exist, is not a folder, or is not writable; or the path is a folder.
    """
    if is_stdout(path):
        return Path("-")
    path = Path(path).expanduser()
    if output_kind(path) == "stream":
        if not os.access(path, os.W_OK):
            raise InputError("cannot write here: permission denied", path=path)
        return path
    target = real_target(path)
    folder = target.parent if str(target.parent) else Path(".")
    if target.is_dir():
        raise InputError("output path is a folder; give a file name", path=path)
    if not folder.is_dir():
        raise InputError(f"cannot write here: folder {folder} does not exist", path=path)
    if not os.access(folder, os.W_OK | os.X_OK) or (target.exists() and not os.access(target, os.W_OK)):
        raise InputError("cannot write here: permission denied", path=path)
    return path


def check_folder_creatable(folder: str | Path) -> Path:
    """Fail early if ``folder`` is not a writable folder and cannot be made one (for outputs that are folders).

    The nearest part of the path that exists must be a folder this process may write into.

    Raises
    ------
    InputError
        That part is a file, or is not writable.
    """
    folder = Path(folder).expanduser()
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise InputError(f"cannot create the folder: {existing} is a file", path=folder)
    if not os.access(existing, os.W_OK | os.X_OK):
        raise InputError(f"cannot write here: permission denied in {existing}", path=folder)
    return folder


@contextlib.contextmanager
def atomic_write(path: str | Path) -> Iterator[BinaryIO]:
    """Open ``path`` for binary writing so that readers never see a half-written file.

    A regular file (or a new path) gets a temporary file next to it, renamed onto it on success
    (onto the real target of a symbolic link, which stays a link); a device or FIFO is opened and
    written straight through (see the module docstring).
    """
    path = check_writable(path)
    if output_kind(path) == "stdout":
        sys.stdout.flush()
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    if output_kind(path) == "stream":
        with open(path, "wb") as fh:
            yield fh
        return
    target = real_target(path)
    remove_stale_temporaries(target)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)
        raise


def remove_stale_temporaries(target: Path) -> list[Path]:
    """Delete the temporary files that writers of ``target`` left when they were killed; return them.

    A temporary file is named ``.<name>.<pid>.<random>.tmp``; it is stale when no process ``pid``
    is alive (a live process with that id, even an unrelated one, keeps it: never delete what a
    running writer may still rename).
    """
    removed = []
    for candidate in target.parent.glob(f".{glob.escape(target.name)}.*.tmp"):
        pid = candidate.name[len(target.name) + 2:].split(".", 1)[0]
        if not pid.isdigit() or _alive(int(pid)):
            continue
        with contextlib.suppress(FileNotFoundError):
            candidate.unlink()
            removed.append(candidate)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    return True


def wants_sidecar(path: str | Path) -> bool:
    """Whether a CSV written to ``path`` gets a ``.meta.json`` sidecar: only regular files (never devices, pipes)."""
    return output_kind(path) == "file"


def json_ready(value: Any) -> Any:
    """``value`` as plain JSON data (strict JSON has no NaN or infinity).

    NaN and infinite floats become null, numpy scalars plain numbers, ``pd.NA`` null; dicts, lists
    and tuples are converted throughout.
    """
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value + 0.0 if math.isfinite(value) else None  # + 0.0: -0.0 is written as 0.0
    if value is pd.NA:
        return None
    return value


def to_json_envelope(frame: pd.DataFrame, provenance: dict[str, Any]) -> dict[str, Any]:
    """``{"provenance": ..., "results": [...]}`` with NaN as null; the index is kept if it is named."""
    data = frame.reset_index() if frame.index.name is not None else frame
    records = [{str(k): json_ready(v) for k, v in row.items()} for row in data.to_dict(orient="records")]
    return {"provenance": json_ready(provenance), "results": records}


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    write_csv(frame, buffer)
    return buffer.getvalue()


#: Rows per chunk when a CSV is written (bounded memory for tables of millions of rows).
CSV_CHUNK_ROWS = 50_000


def write_csv(frame: pd.DataFrame, fh: BinaryIO) -> None:
    """Write ``frame`` as UTF-8 CSV to ``fh`` in chunks of :data:`CSV_CHUNK_ROWS` rows (the index if named)."""
    data = frame.reset_index() if frame.index.name is not None else frame
    if not len(data):
        fh.write(data.to_csv(index=False).encode("utf-8"))
    for start in range(0, len(data), CSV_CHUNK_ROWS):
        chunk = data.iloc[start:start + CSV_CHUNK_ROWS]
        floats = [c for c in chunk.columns if pd.api.types.is_float_dtype(chunk[c])]
        if floats:  # -0.0 (a clipped score, a zero loading) is written as 0.0
            chunk = chunk.copy()
            chunk[floats] = chunk[floats] + 0.0
        fh.write(chunk.to_csv(index=False, header=start == 0).encode("utf-8"))


def _parquet_bytes(frame: pd.DataFrame, provenance: dict[str, Any]) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    data = frame.reset_index() if frame.index.name is not None else frame
    table = pa.Table.from_pandas(data, preserve_index=False)
    meta = dict(table.schema.metadata or {})
    meta[PARQUET_META_KEY] = json.dumps(json_ready(provenance), ensure_ascii=False).encode()
    buffer = io.BytesIO()
    pq.write_table(table.replace_schema_metadata(meta), buffer)
    return buffer.getvalue()


def render(frame: pd.DataFrame, fmt: str, provenance: dict[str, Any]) -> bytes:
    """Serialise ``frame`` in ``fmt`` (``csv``, ``json`` or ``parquet``)."""
    writers: dict[str, Callable[[], bytes]] = {
        "csv": lambda: _csv_bytes(frame),
        "json": lambda: (json.dumps(to_json_envelope(frame, provenance), ensure_ascii=False, indent=1,
                                    allow_nan=False) + "\n").encode(),
        "parquet": lambda: _parquet_bytes(frame, provenance),
    }
    if fmt not in writers:
        raise InputError(f"format must be one of {', '.join(writers)} for files; got {fmt!r}")
    return writers[fmt]()


def write_table(frame: pd.DataFrame, path: str | Path, fmt: str | None = None,
                provenance: dict[str, Any] | None = None) -> Path:
    """Write ``frame`` to ``path`` atomically, with provenance (see the module docstring).

    Parameters
    ----------
    frame : DataFrame
    path : str or Path
    fmt : {"csv", "json", "parquet"}, optional
        Default from the suffix (``.csv``, ``.json``, ``.parquet``/``.pq``); required for a device
        or FIFO without one.
    provenance : dict, optional
        Default ``frame.attrs["provenance"]``.

    Returns
    -------
    Path
        The written file.
    """
    path = Path(path).expanduser()
    fmt = fmt or format_from_suffix(path)
    if fmt == "table":
        fmt = format_from_suffix(path)
    provenance = provenance if provenance is not None else dict(frame.attrs.get("provenance", {}))
    payload = render(frame, fmt, provenance) if fmt != "csv" else None  # CSV is streamed (checked here first)
    if fmt not in {"csv", "json", "parquet"}:
        raise InputError(f"format must be one of csv, json, parquet for files; got {fmt!r}")
    check_writable(path)
    sidecar = fmt == "csv" and wants_sidecar(path)
    if sidecar:
        check_writable(sidecar_path(path))
    with atomic_write(path) as fh:
        if payload is not None:
            fh.write(payload)
            return path
        digest = _Sha256Writer(fh)
        write_csv(frame, digest)
        if sidecar:  # renamed into place just before the CSV, naming the digest of the data it describes
            with atomic_write(sidecar_path(path)) as meta:
                body = {"provenance": json_ready(provenance), "data": path.name, "sha256": digest.hexdigest()}
                meta.write((json.dumps(body, indent=1) + "\n").encode())
    return path


class _Sha256Writer:
    """Passes bytes on to a binary file and keeps their SHA-256."""

    def __init__(self, fh: BinaryIO) -> None:
        self.fh = fh
        self.digest = hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        return self.fh.write(data)

    def hexdigest(self) -> str:
        return self.digest.hexdigest()


def sidecar_path(path: Path) -> Path:
    """``data.csv`` → ``data.csv.meta.json``."""
    return path.with_name(path.name + ".meta.json")


def format_from_suffix(path: Path) -> str:
    """Output format implied by a file suffix (``csv`` for a device or FIFO without a known suffix)."""
    suffix = Path(path).suffix.lower()
    by_suffix = SUFFIX_FORMATS
    if suffix not in by_suffix and output_kind(path) == "stream":
        return "csv"  # /dev/null, /dev/stdout, a named pipe: CSV unless --format says otherwise
    if suffix not in by_suffix:
        raise InputError(f"cannot tell the format from the suffix {suffix or '(none)'!r}; use --format or one of "
                         f"{', '.join(by_suffix)}", path=path)
    return by_suffix[suffix]


def read_parquet_provenance(path: str | Path) -> dict[str, Any]:
    """Provenance stored in a Parquet file written by :func:`write_table`."""
    import pyarrow.parquet as pq

    meta = pq.read_schema(path).metadata or {}
    return json.loads(meta[PARQUET_META_KEY]) if PARQUET_META_KEY in meta else {}
