"""Texts from an uploaded file: the project's readers for CSV/TSV/TXT/JSONL/Parquet, openpyxl for XLSX.

The upload is written to a private temporary folder under a fixed name (only its suffix comes from
the client) and read with :func:`traitlens.io.texts.read_texts`, so the rules and messages are those of
``traitlens … --file``; messages name the uploaded file, not the temporary one.
"""

from __future__ import annotations

import tempfile
from pathlib import Path, PurePath

from traitlens.errors import InputError
from traitlens.io.sources import read_delimited
from traitlens.io.texts import SUPPORTED_SUFFIXES, pick_text_column, prepare_texts, read_texts

#: What can be uploaded.
UPLOAD_SUFFIXES = (*SUPPORTED_SUFFIXES, ".xlsx")


def _xlsx(path: Path, column: str | None, name: str) -> tuple[list[str], str, list[str]]:
    """Texts of one column of the first sheet of a workbook (header in row 1)."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken or foreign file
        raise InputError(f"not a readable .xlsx workbook ({type(exc).__name__}: {exc})", path=name) from None
    try:
        rows = list(book.worksheets[0].iter_rows(values_only=True)) if book.worksheets else []
    finally:
        book.close()
    if not rows:
        raise InputError("the first sheet is empty; put a header in row 1 and one text per row", path=name)
    header = ["" if v is None else str(v).strip() for v in rows[0]]
    chosen = pick_text_column(column, [h for h in header if h], Path(name))
    index = header.index(chosen)
    cells = ["" if index >= len(r) or r[index] is None else str(r[index]) for r in rows[1:]]
    texts = prepare_texts(cells, places=range(2, len(rows) + 1), unit="row", source=name)
    return texts, chosen, [h for h in header if h]


def read_upload(name: str, data: bytes, column: str | None = None) -> tuple[list[str], str, list[str]]:
    """The texts of an uploaded file.

    Parameters
    ----------
    name : str
        The client's file name (only its suffix is used, and in messages).
    data : bytes
        The file's content.
    column : str, optional
        The column (or JSON key) with the texts; default ``text`` or the only column.

    Returns
    -------
    texts : list of str
        Clean texts (blank ones skipped with an ``InputWarning``).
    column : str
        The column read (``"text"`` for one-text-per-line files).
    columns : list of str
        The file's columns (for a tabular file), so a client can offer a choice.

    Raises
    ------
    InputError
        An unsupported suffix, or any problem of the file, naming the uploaded file and line.
    """
    shown = PurePath(name or "upload").name
    suffix = PurePath(shown).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        raise InputError(f"unsupported file type {suffix or '(none)'!r}; upload one of {', '.join(UPLOAD_SUFFIXES)}",
                         path=shown)
    with tempfile.TemporaryDirectory(prefix="traitlens-upload-") as folder:
        path = Path(folder) / f"upload{suffix}"
        path.write_bytes(data)
        if suffix == ".xlsx":
            return _xlsx(path, column, shown)
        try:
            columns = read_delimited(path).header if suffix in {".csv", ".tsv"} else []
            chosen = pick_text_column(column, columns, path) if columns else (column or "text")
            return read_texts(path, column, source=shown), chosen, columns
        except InputError as exc:
            raise InputError(str(exc).replace(str(path), shown)) from None
