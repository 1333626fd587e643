"""Reading user files with errors that name the file, line and column.

Shared by every loader (texts, taxonomies, inventories): strict UTF-8
decoding, delimited files with ragged-row detection, YAML with line numbers
per node, and a helper that turns pydantic validation errors into
:class:`~traitlens.errors.InputError` pointing at the offending line.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from traitlens.errors import InputError


def read_utf8(path: str | Path) -> str:
    """Read a text file as strict UTF-8 (a BOM is allowed), naming line and column of the first bad byte."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError("file not found", path=path) from None
    except IsADirectoryError:
        raise InputError("is a folder, expected a file", path=path) from None
    except OSError as exc:
        raise InputError(f"cannot read file ({exc.strerror})", path=path) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        raise InputError(
            f"not valid UTF-8 (byte 0x{data[exc.start]:02x}); save the file as UTF-8",
            path=path,
            line=line,
            column=column,
        ) from None


@dataclass(frozen=True)
class Table:
    """Rows of a delimited file with the 1-based line number each row starts on."""

    path: Path
    header: list[str]
    rows: list[dict[str, str]]
    lines: list[int]

    def require(self, *columns: str) -> None:
        """Raise :class:`InputError` naming the first of ``columns`` that the header lacks."""
        for column in columns:
            if column not in self.header:
                raise InputError(
                    f"missing column {column!r}; the file has {', '.join(map(repr, self.header)) or 'no columns'}",
                    path=self.path,
                    line=1,
                )


def read_delimited(path: str | Path, delimiter: str | None = None) -> Table:
    """Read a CSV/TSV file with a header row; a row with a different number of fields is an error.

    Parameters
    ----------
    path : str or Path
        The file. ``.tsv`` / ``.tab`` files are tab-separated unless ``delimiter`` is given.
    delimiter : str, optional
        Field separator; default from the suffix (comma, or tab for .tsv).
    """
    path = Path(path)
    text = read_utf8(path)
    if delimiter is None:
        delimiter = "\t" if path.suffix.lower() in {".tsv", ".tab"} else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise InputError("the file is empty (expected a header row)", path=path, line=1) from None
    except csv.Error as exc:
        raise InputError(f"malformed header ({exc})", path=path, line=1) from None
    header = [h.strip() for h in header]
    seen: set[str] = set()
    for i, name in enumerate(header, start=1):
        if not name:
            raise InputError("empty column name in the header", path=path, line=1, column=i)
        if name in seen:
            raise InputError(f"duplicate column name {name!r}", path=path, line=1, column=i)
        seen.add(name)
    rows: list[dict[str, str]] = []
    lines: list[int] = []
    start = reader.line_num + 1
    try:
        for fields in reader:
            if not fields or all(not f.strip() for f in fields) and len(fields) <= 1:
                start = reader.line_num + 1
                continue  # blank line
            if len(fields) != len(header):
                raise InputError(
                    f"row has {len(fields)} fields but the header has {len(header)}",
                    path=path,
                    line=start,
                    column=min(len(fields), len(header)) + 1,
                )
            rows.append(dict(zip(header, fields, strict=True)))
            lines.append(start)
            start = reader.line_num + 1
    except csv.Error as exc:
        raise InputError(f"malformed CSV ({exc})", path=path, line=reader.line_num) from None
    return Table(path=path, header=header, rows=rows, lines=lines)


def load_yaml_with_lines(path: str | Path) -> tuple[Any, dict[tuple[Any, ...], int]]:
    """Parse a YAML file; return the data and a map from key path (``("factors", 0, "name")``) to line.

    Raises
    ------
    InputError
        The file is not valid YAML (with the line and column of the error).
    """
    path = Path(path)
    text = read_utf8(path)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError(
            f"invalid YAML: {problem}",
            path=path,
            line=None if mark is None else mark.line + 1,
            column=None if mark is None else mark.column + 1,
        ) from None
    lines: dict[tuple[Any, ...], int] = {}
    scalars = yaml.SafeLoader("")

    def walk(node: yaml.Node | None, key: tuple[Any, ...]) -> Any:
        if node is None:
            return None
        lines[key] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            out: dict[Any, Any] = {}
            for knode, vnode in node.value:
                k = scalars.construct_object(knode)
                if k in out:
                    raise InputError(f"duplicate key {k!r}", path=path, line=knode.start_mark.line + 1,
                                     column=knode.start_mark.column + 1)
                out[k] = walk(vnode, (*key, k))
                lines[(*key, k)] = knode.start_mark.line + 1  # the key's line, where a user looks
            return out
        if isinstance(node, yaml.SequenceNode):
            return [walk(child, (*key, i)) for i, child in enumerate(node.value)]
        return scalars.construct_object(node, deep=True)

    return walk(root, ()), lines


def line_of(lines: Mapping[tuple[Any, ...], int], loc: tuple[Any, ...]) -> int | None:
    """The line of the deepest existing prefix of ``loc`` in a :func:`load_yaml_with_lines` map."""
    for cut in range(len(loc), -1, -1):
        if loc[:cut] in lines:
            return lines[loc[:cut]]
    return None


def validation_error(path: Path, exc: Any, lines: Mapping[tuple[Any, ...], int] | None = None,
                     row_lines: Mapping[int, int] | None = None) -> InputError:
    """Turn the first error of a pydantic ``ValidationError`` into an :class:`InputError` with file/line/field.

    Parameters
    ----------
    path : Path
        The file being validated.
    exc : pydantic.ValidationError
        The error.
    lines : mapping, optional
        Key path → line map from :func:`load_yaml_with_lines`.
    row_lines : mapping, optional
        For tabular sources: index of the first ``loc`` element → line.
    """
    err = exc.errors()[0]
    loc = tuple(err.get("loc", ()))
    field = ".".join(str(p) for p in loc) or None
    line = None
    if lines is not None:
        line = line_of(lines, loc)
    elif row_lines is not None and loc and isinstance(loc[0], int):
        line = row_lines.get(loc[0])
    message = err.get("msg", "invalid value")
    if err.get("type") == "missing":
        message = "required field is missing"
    elif "input" in err and err.get("type") not in {"value_error"}:
        message = f"{message} (got {err['input']!r})"
    return InputError(message, path=path, line=line, column=field)
