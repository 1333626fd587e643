"""Fuzz targets: every parser of user input, fed arbitrary bytes (or structures built from them).

Each target takes ``bytes`` and returns normally, or raises one of the project's documented error
types (:data:`DOCUMENTED`: :class:`~traitlens.errors.TraitlensError` and its subclasses
``InputError``, ``ModelUnavailableError``, ``CacheUnavailableError``). Any other exception is a bug.
Warnings are ignored (they are documented behaviour). Used by ``tests/reliability/test_fuzz.py``
(hypothesis, bounded) and ``benchmarks/fuzz.py`` (atheris or hypothesis, timed).

Structured targets (``*_struct``) build a well-formed file from the bytes (rows, YAML mappings,
Parquet tables with random column types), so the fuzzer gets past the format's syntax into the
validation; raw targets write the bytes as they are.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from traitlens.errors import TraitlensError

#: Exception types a parser may raise for bad input.
DOCUMENTED: tuple[type[BaseException], ...] = (TraitlensError,)


@dataclass(frozen=True)
class Target:
    """A parser under test: ``parse(path)`` reads the file the bytes were written to."""

    name: str
    suffix: str
    parse: Callable[[Path], Any]
    build: Callable[[bytes], bytes] | None = None  # bytes → a well-formed file (structured targets)


@contextlib.contextmanager
def _scratch() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="traitlens-fuzz-") as folder:
        yield Path(folder)


class _Bytes:
    """Reads small integers and strings from fuzz bytes (like atheris' FuzzedDataProvider, without it)."""

    ALPHABET = ["a", "b", " ", ",", "\t", '"', "'", "\n", "\r", "#", ":", "-", "1", "0", "+", "é", "😀", "\x00",
                "\u2028", "\x85", "[", "]", "{", "}", "&", "*", "!", "|", ">", "%", "@", "`", "\\", "\ufeff",
                "nan", "NA", "text", "key", "item", "scale", "label", "factor", "facet", "name", "keywords"]

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def byte(self) -> int:
        if self.pos >= len(self.data):
            return 0
        self.pos += 1
        return self.data[self.pos - 1]

    def int(self, n: int) -> int:
        return self.byte() % n if n else 0

    def text(self, max_parts: int = 6) -> str:
        return "".join(self.ALPHABET[self.int(len(self.ALPHABET))] for _ in range(self.int(max_parts + 1)))


def _rows_csv(data: bytes, delimiter: str = ",") -> bytes:
    """A header of known and random column names, then rows of random cells (quoted by csv)."""
    import csv

    src = _Bytes(data)
    names = ["text", "item", "key", "factor", "facet", "scale", "label", "name", "keywords", "definition",
             "inventory", "domain", "description"]
    header = [names[src.int(len(names))] if src.int(4) else src.text() for _ in range(1 + src.int(6))]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n" if src.int(2) else "\r\n")
    writer.writerow(header)
    for _ in range(src.int(12)):
        width = len(header) if src.int(8) else src.int(len(header) + 2)
        writer.writerow([src.text() if src.int(3) else ["1", "-1", "+1", "0", "", "x", "2.5"][src.int(7)]
                         for _ in range(width)])
    return out.getvalue().encode("utf-8")


def _yaml_doc(data: bytes, kind: str) -> bytes:
    """A YAML mapping shaped like a taxonomy, inventory or scale file, with random values and gaps."""
    import yaml

    src = _Bytes(data)

    def value(depth: int = 0) -> Any:
        choice = src.int(9 if depth < 3 else 5)
        if choice == 0:
            return None
        if choice == 1:
            return src.int(5) - 2
        if choice == 2:
            return [None, True, 1.5, float("nan"), "", " "][src.int(6)]
        if choice <= 4:
            return src.text()
        if choice <= 6:
            return [value(depth + 1) for _ in range(src.int(4))]
        keys = ["name", "text", "key", "keys", "items", "factors", "facets", "keywords", "scale", "label",
                "scales", "description", "definition", "id", "factor", "facet", "inventory"]
        return {keys[src.int(len(keys))]: value(depth + 1) for _ in range(src.int(5))}

    if kind == "taxonomy":
        doc: Any = {"name": value(), "factors": [
            {"name": value(2) if src.int(3) else src.text(), "keywords": [src.text() for _ in range(src.int(4))],
             **({"facets": [{"name": src.text(), "keywords": [src.text()]} for _ in range(src.int(3))]}
                if src.int(2) else {})} for _ in range(src.int(6))]}
    elif kind == "inventory":
        doc = {"name": value(), "items": [
            {"id": value(2) if src.int(4) == 0 else f"i{src.int(20)}",
             "text": src.text() if src.int(5) else value(2),
             "factor": ["E", "N", "Extraversion", src.text()][src.int(4)],
             "key": [1, -1, "+1", 0, "x", None][src.int(6)]}
            for _ in range(src.int(8))]}
    else:
        doc = {"name": value(), "scales": [
            {"scale": f"s{src.int(6)}", "label": src.text() if src.int(4) else value(2),
             "items": [{"text": src.text(), "key": [1, -1, 0, None, "x"][src.int(5)]} for _ in range(src.int(4))]}
            for _ in range(src.int(6))]}
    if src.int(4) == 0:
        doc = value()
    return yaml.safe_dump(doc, allow_unicode=bool(src.int(2))).encode("utf-8")


def _jsonl(data: bytes) -> bytes:
    src = _Bytes(data)
    lines = []
    for _ in range(src.int(8)):
        choice = src.int(6)
        value: Any = [src.text(), {"text": src.text()}, {"other": 1}, 5, None, {"text": [1]}][choice]
        lines.append(json.dumps(value, ensure_ascii=bool(src.int(2))) if src.int(6) else src.text())
    return "\n".join(lines).encode("utf-8")


def _parquet(data: bytes) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    src = _Bytes(data)
    n = src.int(6)
    columns = {}
    for i in range(1 + src.int(3)):
        name = ["text", "other", src.text() or f"c{i}"][src.int(3)]
        kind = src.int(5)
        if kind == 0:
            values: list[Any] = [src.text() if src.int(4) else None for _ in range(n)]
        elif kind == 1:
            values = [src.int(100) for _ in range(n)]
        elif kind == 2:
            values = [[src.text()] for _ in range(n)]
        elif kind == 3:
            values = [src.int(2) == 1 for _ in range(n)]
        else:
            values = [src.text().encode() for _ in range(n)]
        columns[name] = values
    buffer = io.BytesIO()
    pq.write_table(pa.table(columns), buffer)
    return buffer.getvalue()


def _xlsx(data: bytes) -> bytes:
    from openpyxl import Workbook

    src = _Bytes(data)
    book = Workbook()
    sheet = book.active
    for _ in range(src.int(6)):
        sheet.append([[src.text(), src.int(9), None, 1.5, True][src.int(5)] for _ in range(1 + src.int(3))])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _texts(path: Path, column: str | None = None) -> Any:
    from traitlens.io.texts import read_texts

    return read_texts(path, column)


def _frame(path: Path) -> Any:
    from traitlens.io.sources import read_frame

    return read_frame(path)


def _delimited(path: Path) -> Any:
    from traitlens.io.sources import read_delimited

    return read_delimited(path)


def _taxonomy(path: Path) -> Any:
    from traitlens.constructs.taxonomy import load_taxonomy

    return load_taxonomy(path).keyword_table()


def _inventory(path: Path) -> Any:
    from traitlens.constructs.inventory import load_inventory

    inventory = load_inventory(path)
    return inventory.items, inventory.scales()


def _scales(path: Path) -> Any:
    from traitlens.constructs.scales import load_scales

    return load_scales(path).frame


def _upload(path: Path) -> Any:
    from traitlens.web.uploads import read_upload

    return read_upload(path.name, path.read_bytes())


def _payload(path: Path) -> Any:
    """An API payload: JSON decoded into Python values, passed as ``texts`` to :func:`traitlens.similarity`."""
    import traitlens

    from ..fakes import FakeEncoder

    try:
        texts = json.loads(path.read_bytes())
    except (ValueError, RecursionError):
        texts = path.read_bytes().decode("utf-8", "replace").splitlines()
    return traitlens.similarity(texts, model=FakeEncoder(), cache=False)


def _payload_build(data: bytes) -> bytes:
    src = _Bytes(data)
    items: list[Any] = [src.text() if src.int(5) else [None, 1, 2.5, [], {}, True, ""][src.int(7)]
                        for _ in range(src.int(6))]
    return json.dumps(items if src.int(6) else items[0] if items else "one string").encode()


def _optional(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def targets() -> dict[str, Target]:
    """Every target by name (targets of modules that are not there, e.g. the web package, are left out)."""
    found = [
        Target("texts.txt", ".txt", _texts),
        Target("texts.csv", ".csv", _texts),
        Target("texts.csv_struct", ".csv", _texts, _rows_csv),
        Target("texts.tsv_struct", ".tsv", _texts, lambda d: _rows_csv(d, "\t")),
        Target("texts.jsonl", ".jsonl", _texts),
        Target("texts.jsonl_struct", ".jsonl", _texts, _jsonl),
        Target("texts.parquet", ".parquet", _texts),
        Target("texts.parquet_struct", ".parquet", _texts, _parquet),
        Target("sources.read_delimited", ".csv", _delimited),
        Target("sources.read_frame", ".csv", _frame),
        Target("sources.read_frame_struct", ".csv", _frame, _rows_csv),
        Target("taxonomy.yaml", ".yaml", _taxonomy),
        Target("taxonomy.yaml_struct", ".yaml", _taxonomy, lambda d: _yaml_doc(d, "taxonomy")),
        Target("taxonomy.csv_struct", ".csv", _taxonomy, _rows_csv),
        Target("inventory.yaml_struct", ".yaml", _inventory, lambda d: _yaml_doc(d, "inventory")),
        Target("inventory.csv_struct", ".csv", _inventory, _rows_csv),
        Target("api.payload", ".json", _payload),
        Target("api.payload_struct", ".json", _payload, _payload_build),
    ]
    if _optional("traitlens.constructs.scales"):
        found += [Target("scales.yaml_struct", ".yaml", _scales, lambda d: _yaml_doc(d, "scales")),
                  Target("scales.csv_struct", ".csv", _scales, _rows_csv)]
    if _optional("traitlens.web.uploads") and _optional("openpyxl"):
        found += [Target("upload.xlsx", ".xlsx", _upload), Target("upload.xlsx_struct", ".xlsx", _upload, _xlsx)]
    return {t.name: t for t in found}


def run_target(target: Target, data: bytes) -> None:
    """Feed ``data`` to ``target``; documented errors are swallowed, anything else propagates."""
    with _scratch() as folder:
        path = folder / f"input{target.suffix}"
        try:
            payload = target.build(data) if target.build is not None else data
        except Exception:  # noqa: BLE001 - a builder that cannot build from these bytes: nothing to test
            return
        path.write_bytes(payload)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                target.parse(path)
            except DOCUMENTED:
                pass


def crash_signature(exc: BaseException) -> str:
    """``Type: message`` and the innermost traitlens frame, to tell crashes apart."""
    import traceback

    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "traitlens" in f.filename]
    where = f" at {os.path.basename(frames[-1].filename)}:{frames[-1].lineno}" if frames else ""
    return f"{type(exc).__name__}{where}: {str(exc)[:160]}"
