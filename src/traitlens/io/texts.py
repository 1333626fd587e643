"""Reading and checking the texts to analyse.

Policy (documented in the README):

* blank or whitespace-only texts are **skipped with a warning** that names
  their lines (files) or positions (lists);
* surrounding whitespace is stripped;
* duplicate texts are kept: each occurrence gets its own output rows, the
  text is encoded once, and a warning lists them;
* no text left → :class:`~traitlens.errors.InputError`.
"""

from __future__ import annotations

import json
import warnings
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

from traitlens.errors import InputError
from traitlens.io.sources import read_delimited, read_utf8

SUPPORTED_SUFFIXES = (".txt", ".csv", ".tsv", ".jsonl", ".parquet")


class InputWarning(UserWarning):
    """Input was accepted with a change the user should know about (blank texts skipped, duplicates)."""


def _where(places: Sequence[int], unit: str) -> str:
    shown = ", ".join(map(str, places[:10]))
    return f"{unit}{'s' if len(places) > 1 else ''} {shown}{', …' if len(places) > 10 else ''}"


def prepare_texts(texts: Iterable[object], *, places: Sequence[int] | None = None, unit: str = "position",
                  source: str | None = None) -> list[str]:
    """Validate and clean a list of texts (see the module docstring for the policy).

    Parameters
    ----------
    texts : iterable of str
    places : sequence of int, optional
        Line numbers (or row numbers) of the texts, for messages; default 0-based positions.
    unit : str
        What ``places`` count ("line", "row", "position").
    source : str, optional
        File name for messages.

    Returns
    -------
    list of str
    """
    if isinstance(texts, str):
        raise InputError("texts must be a list of strings, not a single string; wrap it in a list")
    items = list(texts)
    places = list(places) if places is not None else list(range(len(items)))
    prefix = f"{source}: " if source else ""
    kept: list[str] = []
    kept_places: list[int] = []
    blank: list[int] = []
    for item, place in zip(items, places, strict=True):
        if not isinstance(item, str):
            raise InputError(f"{prefix}{unit} {place}: expected a text, got {type(item).__name__} {item!r}")
        stripped = item.strip()
        if stripped:
            kept.append(stripped)
            kept_places.append(place)
        else:
            blank.append(place)
    if blank:
        warnings.warn(f"{prefix}skipped {len(blank)} blank text(s) at {_where(blank, unit)}", InputWarning,
                      stacklevel=2)
    if not kept:
        raise InputError(f"{prefix}no texts to analyse" + (" (all were blank)" if blank else ""))
    counts = Counter(kept)
    dups = [t for t, n in counts.items() if n > 1]
    if dups:
        detail = "; ".join(
            f"{t[:40]!r} at {_where([p for p, k in zip(kept_places, kept, strict=True) if k == t], unit)}"
            for t in dups[:5]
        )
        warnings.warn(f"{prefix}{len(dups)} text(s) occur more than once; each is encoded once and reported once "
                      f"per occurrence: {detail}", InputWarning, stacklevel=2)
    return kept


def read_texts(path: str | Path, column: str | None = None) -> list[str]:
    """Read texts from a file and clean them with :func:`prepare_texts`.

    Parameters
    ----------
    path : str or Path
        ``.txt`` (one text per line), ``.csv``, ``.tsv``, ``.jsonl`` (objects or
        strings, one per line) or ``.parquet``.
    column : str, optional
        Column (or JSON key) holding the texts. Default: ``text`` if present,
        else the only column; required otherwise.

    Returns
    -------
    list of str

    Raises
    ------
    InputError
        Unsupported format, missing file or column, non-UTF-8 bytes, ragged CSV
        rows, bad JSON — each with file and line.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise InputError(f"unsupported file type {suffix or '(none)'!r}; use one of {', '.join(SUPPORTED_SUFFIXES)}",
                         path=path)
    if suffix == ".txt":
        lines = read_utf8(path).splitlines()
        return prepare_texts(lines, places=range(1, len(lines) + 1), unit="line", source=str(path))
    if suffix in {".csv", ".tsv"}:
        table = read_delimited(path)
        name = pick_text_column(column, table.header, path)
        return prepare_texts([r[name] for r in table.rows], places=table.lines, unit="line", source=str(path))
    if suffix == ".jsonl":
        return _read_jsonl(path, column)
    return _read_parquet(path, column)


def pick_text_column(column: str | None, header: Sequence[str], path: Path) -> str:
    """``column`` if the file has it, else ``text``, else the only column (``InputError`` naming the file)."""
    available = ", ".join(map(repr, header))
    if column is not None:
        if column not in header:
            raise InputError(f"missing column {column!r}; the file has {available}", path=path, line=1)
        return column
    if "text" in header:
        return "text"
    if len(header) == 1:
        return header[0]
    raise InputError(f"several columns ({available}) and none is called 'text': choose one with --column",
                     path=path, line=1)


def _read_jsonl(path: Path, column: str | None) -> list[str]:
    texts: list[str] = []
    places: list[int] = []
    key = column or "text"
    for number, line in enumerate(read_utf8(path).splitlines(), start=1):
        if not line.strip():
            texts.append("")
            places.append(number)
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"invalid JSON ({exc.msg})", path=path, line=number, column=exc.colno) from None
        if isinstance(value, dict):
            if key not in value:
                raise InputError(f"missing key {key!r}; this object has {', '.join(map(repr, value)) or 'no keys'}",
                                 path=path, line=number)
            value = value[key]
        if not isinstance(value, str):
            raise InputError(f"expected a text, got {type(value).__name__} {value!r}", path=path, line=number,
                             column=key)
        texts.append(value)
        places.append(number)
    return prepare_texts(texts, places=places, unit="line", source=str(path))


def _read_parquet(path: Path, column: str | None) -> list[str]:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except FileNotFoundError:
        raise InputError("file not found", path=path) from None
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several types for a bad file
        raise InputError(f"not a readable Parquet file ({exc})", path=path) from None
    name = pick_text_column(column, table.column_names, path)
    values = table.column(name).to_pylist()
    for i, value in enumerate(values, start=1):
        if value is not None and not isinstance(value, str):
            raise InputError(f"column {name!r} holds {type(value).__name__} values, expected text", path=path,
                             line=i, column=name)
    return prepare_texts(["" if v is None else v for v in values], places=range(1, len(values) + 1), unit="row",
                         source=str(path))


class LanguageWarning(UserWarning):
    """Some texts do not look like English; the bundled models and exemplars are English."""


_ENGLISH = frozenset(  # function words that are rare outside English
    "i me my am are was the to of and at with for about like often rarely never always usually get have has "
    "feel things people others myself when what it that this very can will would don't not you your".split()
)


def warn_if_not_english(texts: Sequence[str]) -> None:
    """Warn (:class:`LanguageWarning`) about texts that do not look English, naming up to three."""
    odd = []
    for text in texts:
        letters = [c for c in text if c.isalpha()]
        words = [w.strip(".,!?;:'\"").casefold() for w in text.split()]
        non_ascii = sum(not c.isascii() for c in letters) / max(len(letters), 1)
        if non_ascii > 0.3 or (len(words) >= 4 and not _ENGLISH.intersection(words)):
            odd.append(text)
    if odd:
        shown = "; ".join(repr(t[:40]) for t in odd[:3])
        warnings.warn(f"{len(odd)} text(s) may not be English ({shown}); the models and exemplars are English, "
                      "so their scores are less reliable", LanguageWarning, stacklevel=3)
