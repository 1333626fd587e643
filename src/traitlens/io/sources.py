"""Reading user files with errors that name the file, line and column.

Shared by every loader (texts, taxonomies, inventories, response data, exemplars):
strict UTF-8 decoding; one delimited-file reader with two outputs, string cells
(:func:`read_delimited`) or a typed pandas frame for large files (:func:`read_frame`),
both with ragged-row detection and the physical line of every row; YAML with line
numbers per node; and a helper that turns pydantic validation errors into
:class:`~traitlens.errors.InputError` pointing at the offending line.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
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


#: Characters that ``str.splitlines`` treats as line breaks but CSV readers do not.
_OTHER_BREAKS = "\v\f\x1c\x1d\x1e\x85\u2028\u2029"


def _require(path: Path, header: Sequence[str], columns: Sequence[str]) -> None:
    for column in columns:
        if column not in header:
            raise InputError(
                f"missing column {column!r}; the file has {', '.join(map(repr, header)) or 'no columns'}",
                path=path,
                line=1,
            )


@dataclass(frozen=True)
class Table:
    """Rows of a delimited file (all cells as strings) with the 1-based line number each row starts on."""

    path: Path
    header: list[str]
    rows: list[dict[str, str]]
    lines: list[int]

    def require(self, *columns: str) -> None:
        """Raise :class:`InputError` naming the first of ``columns`` that the header lacks."""
        _require(self.path, self.header, columns)


@dataclass(frozen=True)
class Frame:
    """A delimited file parsed by pandas (typed columns) with the 1-based line number each row starts on."""

    path: Path
    data: pd.DataFrame
    lines: list[int]

    def require(self, *columns: str) -> None:
        """Raise :class:`InputError` naming the first of ``columns`` that the header lacks."""
        _require(self.path, list(self.data.columns), columns)


def _delimiter(path: Path, delimiter: str | None) -> str:
    if delimiter is not None:
        return delimiter
    return "\t" if path.suffix.lower() in {".tsv", ".tab"} else ","


def _records(text: str, delimiter: str, path: Path) -> Iterator[tuple[int, list[str]]]:
    """The line each non-blank record starts on, and its fields (quoted fields may span lines)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    start = 1
    try:
        for fields in reader:
            if is_record(fields):
                yield start, fields
            start = reader.line_num + 1
    except csv.Error as exc:
        raise InputError(f"malformed CSV in the row starting on this line ({exc})", path=path, line=start) from None


def _header(first: tuple[int, list[str]] | None, path: Path) -> list[str]:
    """The first record's fields as column names: stripped, none empty, none twice."""
    if first is None:
        raise InputError("the file is empty (expected a header row)", path=path, line=1)
    line, fields = first
    header = [h.strip() for h in fields]
    seen: set[str] = set()
    for i, name in enumerate(header, start=1):
        if not name:
            raise InputError("empty column name in the header", path=path, line=line, column=i)
        if name in seen:
            raise InputError(f"duplicate column name {name!r}", path=path, line=line, column=i)
        seen.add(name)
    return header


def _table(text: str, delimiter: str, path: Path) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """The header, and the data records (as :func:`_records`), each checked to have a field per column."""
    records = _records(text, delimiter, path)
    header = _header(next(records, None), path)

    def body() -> Iterator[tuple[int, list[str]]]:
        for line, fields in records:
            check_width(len(fields), header, path, line)
            yield line, fields

    return header, body()


def _layout(text: str, delimiter: str, path: Path) -> tuple[list[str], list[int]]:
    """The header and the line each data record starts on (as :func:`_records`), every record checked for width.

    Without quotes every line is one record, so splitting lines is exact and several times faster.
    """
    if '"' in text or any(c in text for c in _OTHER_BREAKS):
        header, body = _table(text, delimiter, path)
        return header, [line for line, _ in body]
    rows = enumerate(text.splitlines(), start=1)
    header = _header(next(((line, row.split(delimiter)) for line, row in rows if delimiter in row or row.strip()),
                          None), path)
    delimiters = len(header) - 1
    lines = []
    for line, row in rows:  # the lines after the header
        n = row.count(delimiter)
        if n != delimiters:
            if not n and not row.strip():
                continue  # blank line
            check_width(n + 1, header, path, line)
        lines.append(line)
    return header, lines


def is_record(fields: list[str]) -> bool:
    """Whether a parsed CSV line is a record: a blank line (no field, or one blank field) is none."""
    return bool(fields) and (len(fields) > 1 or bool(fields[0].strip()))


def check_width(width: int, header: list[str], path: Path, line: int) -> None:
    """A record must have a field per column: else an error naming the line and the first missing/extra column."""
    if width != len(header):
        raise InputError(
            f"row has {width} fields but the header has {len(header)}",
            path=path,
            line=line,
            column=min(width, len(header)) + 1,
        )


def read_delimited(path: str | Path, delimiter: str | None = None) -> Table:
    """Read a CSV/TSV file with a header row; a row with a different number of fields is an error.

    Parameters
    ----------
    path : str or Path
        The file (strict UTF-8). ``.tsv`` / ``.tab`` files are tab-separated unless ``delimiter`` is given.
    delimiter : str, optional
        Field separator; default from the suffix (comma, or tab for .tsv).

    Returns
    -------
    Table
        Every cell as a string; blank lines are skipped and ``lines`` are physical lines (a quoted
        field may span several).

    Raises
    ------
    InputError
        Not UTF-8, no header, an empty or repeated column name, a row with another number of fields
        than the header, or malformed quoting; the message names the file, line and column.
    """
    path = Path(path)
    text = read_utf8(path)
    header, body = _table(text, _delimiter(path, delimiter), path)
    rows: list[dict[str, str]] = []
    lines: list[int] = []
    for line, fields in body:
        rows.append(dict(zip(header, fields, strict=True)))
        lines.append(line)
    return Table(path=path, header=header, rows=rows, lines=lines)


def read_frame(path: str | Path, delimiter: str | None = None) -> Frame:
    """Read a CSV/TSV file with pandas (typed columns, fast for large files), checked like :func:`read_delimited`.

    Parameters
    ----------
    path, delimiter
        As for :func:`read_delimited`.

    Returns
    -------
    Frame
        The frame as :func:`pandas.read_csv` parses it (its default missing-value strings, e.g. empty
        or ``NA``, are ``NaN``), with the stripped header names as columns and the physical line of
        each row.

    Raises
    ------
    InputError
        As :func:`read_delimited`: the message names the file, line and column.
    """
    path = Path(path)
    text = read_utf8(path)
    delimiter = _delimiter(path, delimiter)
    header, lines = _layout(text, delimiter, path)
    try:
        data = pd.read_csv(io.StringIO(text), sep=delimiter)
    except pd.errors.ParserError as exc:
        raise InputError(f"malformed file ({exc})", path=path) from None
    if data.shape != (len(lines), len(header)):
        raise InputError(f"pandas reads {data.shape[0]} rows × {data.shape[1]} columns, but the file has "
                         f"{len(lines)} rows × {len(header)} columns (unusual quoting?)", path=path)
    data.columns = pd.Index(header)
    return Frame(path=path, data=data, lines=lines)


#: Most YAML nodes :func:`load_yaml_with_lines` builds, counting every expansion of an alias (a "billion
#: laughs" file of nested aliases would otherwise expand exponentially).
MAX_YAML_NODES = 1_000_000


def load_yaml_with_lines(path: str | Path) -> tuple[Any, dict[tuple[Any, ...], int]]:
    """Parse a YAML file; return the data and a map from key path (``("factors", 0, "name")``) to line.

    Raises
    ------
    InputError
        The file is not valid YAML (with the line and column of the error), has a value that safe
        YAML cannot build (an unknown ``!!tag``, bad ``!!binary``), a key that is a list or mapping,
        nests too deeply, or expands (through aliases) to more than :data:`MAX_YAML_NODES` nodes.
    """
    path = Path(path)
    text = read_utf8(path)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except RecursionError:
        raise InputError("the YAML nests too deeply", path=path) from None
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
    budget = [MAX_YAML_NODES]

    def scalar(node: yaml.Node) -> Any:
        try:
            return scalars.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, TypeError, OverflowError) as exc:
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise InputError(f"invalid YAML value: {problem}", path=path, line=node.start_mark.line + 1,
                             column=node.start_mark.column + 1) from None

    def walk(node: yaml.Node | None, key: tuple[Any, ...]) -> Any:
        if node is None:
            return None
        budget[0] -= 1
        if budget[0] < 0:
            raise InputError(f"the YAML expands to more than {MAX_YAML_NODES:,} values (aliases repeated too "
                             "often?)", path=path, line=node.start_mark.line + 1)
        lines[key] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            out: dict[Any, Any] = {}
            for knode, vnode in node.value:
                if not isinstance(knode, yaml.ScalarNode):
                    raise InputError("a key must be a plain value, not a list or mapping", path=path,
                                     line=knode.start_mark.line + 1, column=knode.start_mark.column + 1)
                k = scalar(knode)
                if k in out:
                    raise InputError(f"duplicate key {k!r}", path=path, line=knode.start_mark.line + 1,
                                     column=knode.start_mark.column + 1)
                out[k] = walk(vnode, (*key, k))
                lines[(*key, k)] = knode.start_mark.line + 1  # the key's line, where a user looks
            return out
        if isinstance(node, yaml.SequenceNode):
            return [walk(child, (*key, i)) for i, child in enumerate(node.value)]
        return scalar(node)

    try:
        return walk(root, ()), lines
    except RecursionError:
        raise InputError("the YAML nests too deeply (or an alias refers to itself)", path=path) from None


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
    return InputError(error_message(err), path=path, line=line, column=field)


def error_message(err: Mapping[str, Any]) -> str:
    """The words of one pydantic error: the validator's own message, or pydantic's plus the bad value."""
    if err.get("type") == "missing":
        return "required field is missing"
    message = str(err.get("ctx", {}).get("error", err.get("msg", "invalid value")))
    if err.get("type") != "value_error" and "input" in err:
        message = f"{message} (got {err['input']!r})"
    return message
