"""Writing result tables with their provenance, atomically.

Formats:

* ``csv`` — plain CSV; written to a file, a sidecar ``PATH.meta.json`` holds the provenance
  (no comment lines: texts may contain ``#``);
* ``json`` — ``{"provenance": {...}, "results": [{row}, ...]}``;
* ``parquet`` — provenance as JSON in the schema metadata key ``traitlens``;
* ``table`` — a human-readable table (stdout only).

Files are written to a temporary file in the target folder and renamed into
place, so an interrupted or failed write never leaves a half-written file.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pandas as pd

from traitlens.errors import InputError

FORMATS = ("table", "csv", "json", "parquet")
PARQUET_META_KEY = b"traitlens"


def check_writable(path: str | Path) -> Path:
    """Fail early (before any work) if ``path`` cannot be created or replaced.

    Raises
    ------
    InputError
        The folder does not exist, is not a folder, or is not writable; or the path is a folder.
    """
    path = Path(path).expanduser()
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise InputError("output path is a folder; give a file name", path=path)
    if not folder.is_dir():
        raise InputError(f"cannot write here: folder {folder} does not exist", path=path)
    if not os.access(folder, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise InputError("cannot write here: permission denied", path=path)
    return path


@contextlib.contextmanager
def atomic_write(path: str | Path) -> Iterator[BinaryIO]:
    """Open a temporary file next to ``path`` for binary writing; rename it onto ``path`` on success."""
    path = check_writable(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)
        raise


def _jsonable(value: Any) -> Any:
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if value is pd.NA or value is None:
        return None
    return value


def to_json_envelope(frame: pd.DataFrame, provenance: dict[str, Any]) -> dict[str, Any]:
    """``{"provenance": ..., "results": [...]}`` with NaN as null; the index is kept if it is named."""
    data = frame.reset_index() if frame.index.name is not None else frame
    records = [{str(k): _jsonable(v) for k, v in row.items()} for row in data.to_dict(orient="records")]
    return {"provenance": provenance, "results": records}


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    data = frame.reset_index() if frame.index.name is not None else frame
    return data.to_csv(index=False).encode("utf-8")


def _parquet_bytes(frame: pd.DataFrame, provenance: dict[str, Any]) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    data = frame.reset_index() if frame.index.name is not None else frame
    table = pa.Table.from_pandas(data, preserve_index=False)
    meta = dict(table.schema.metadata or {})
    meta[PARQUET_META_KEY] = json.dumps(provenance, ensure_ascii=False).encode()
    buffer = io.BytesIO()
    pq.write_table(table.replace_schema_metadata(meta), buffer)
    return buffer.getvalue()


def render(frame: pd.DataFrame, fmt: str, provenance: dict[str, Any]) -> bytes:
    """Serialise ``frame`` in ``fmt`` (``csv``, ``json`` or ``parquet``)."""
    writers: dict[str, Callable[[], bytes]] = {
        "csv": lambda: _csv_bytes(frame),
        "json": lambda: (json.dumps(to_json_envelope(frame, provenance), ensure_ascii=False, indent=1) + "\n").encode(),
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
        Default from the suffix (``.csv``, ``.json``, ``.parquet``/``.pq``).
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
    payload = render(frame, fmt, provenance)
    check_writable(path)
    if fmt == "csv":
        check_writable(sidecar_path(path))
    with atomic_write(path) as fh:
        fh.write(payload)
    if fmt == "csv":
        with atomic_write(sidecar_path(path)) as fh:
            fh.write((json.dumps({"provenance": provenance, "data": path.name}, indent=1) + "\n").encode())
    return path


def sidecar_path(path: Path) -> Path:
    """``data.csv`` → ``data.csv.meta.json``."""
    return path.with_name(path.name + ".meta.json")


def format_from_suffix(path: Path) -> str:
    """Output format implied by a file suffix."""
    suffix = path.suffix.lower()
    by_suffix = {".csv": "csv", ".json": "json", ".parquet": "parquet", ".pq": "parquet"}
    if suffix not in by_suffix:
        raise InputError(f"cannot tell the format from the suffix {suffix or '(none)'!r}; use --format or one of "
                         f"{', '.join(by_suffix)}", path=path)
    return by_suffix[suffix]


def read_parquet_provenance(path: str | Path) -> dict[str, Any]:
    """Provenance stored in a Parquet file written by :func:`write_table`."""
    import pyarrow.parquet as pq

    meta = pq.read_schema(path).metadata or {}
    return json.loads(meta[PARQUET_META_KEY]) if PARQUET_META_KEY in meta else {}
