"""Reading and checking the texts to analyse.

Policy (documented in the README):

* blank or whitespace-only texts are **skipped with a warning** that names
  their lines (files) or positions (lists);
* surrounding whitespace is stripped;
* duplicate texts are kept: each occurrence gets its own output rows, the
  text is encoded once, and a warning lists them;
* a text longer than :data:`MAX_TEXT_CHARS` characters is cut to that length
  before anything else sees it, and marked: ``<first MAX_TEXT_CHARS characters>
  […cut: N characters in all]``. The models read at most a few hundred tokens
  (all-MiniLM-L6-v2: 256, the largest supported: 512), and
  ``MAX_TEXT_CHARS`` = 10 characters per token × 512 tokens is more than any
  of them reads, so the vectors are those of the full text; the cut keeps a
  50 MB line from being tokenised in full (minutes, gigabytes) and from being
  echoed into every output row. One warning names the cut texts;
* texts with no letter or digit (only emoji, symbols or punctuation) are kept
  with a warning: the models read emoji as the unknown token ``[UNK]``, so
  such texts get near-identical, meaningless scores;
* no text left → :class:`~traitlens.errors.InputError`;
* more than :data:`MAX_TEXTS` texts in one list → :class:`~traitlens.errors.InputError`: one
  in-memory run holds every vector and output row at once (about 1.2 GB for 100,000 texts, measured
  with 384-d vectors), so bigger inputs are streamed in chunks instead (``--file BIG --out
  OUT.parquet``, :func:`traitlens.streaming.stream_file`), in bounded memory.

A list returned by :func:`prepare_texts` is a :class:`PreparedTexts`; preparing
it again returns it unchanged, so a text read from a file and then passed to
the API is checked (and warned about) once.
"""

from __future__ import annotations

import json
import re
import threading
import warnings
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from traitlens.errors import InputError
from traitlens.io.sources import read_delimited, read_utf8

SUPPORTED_SUFFIXES = (".txt", ".csv", ".tsv", ".jsonl", ".parquet")

#: Characters per token allowed for in :data:`MAX_TEXT_CHARS` (English averages about 4; WordPiece
#: splits long words and symbols into more tokens, not fewer).
CHARS_PER_TOKEN = 10
#: The longest input any supported model reads, in tokens (BERT-family ``max_seq_length`` ≤ 512).
MAX_MODEL_TOKENS = 512
#: Texts are cut to this many characters before tokenising (see the module docstring).
MAX_TEXT_CHARS = CHARS_PER_TOKEN * MAX_MODEL_TOKENS
#: Most texts one in-memory run accepts (keeps a run within about 2 GB; bigger inputs are streamed).
MAX_TEXTS = 100_000


class PreparedTexts(list[str]):
    """Texts that :func:`prepare_texts` has checked and cleaned (passing them again changes nothing)."""

    language_checked = False


class InputWarning(UserWarning):
    """Input was accepted with a change the user should know about (blank texts skipped, duplicates)."""


def _shorten(text: str, limit: int = 80) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis (for messages)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _where(places: Sequence[int], unit: str) -> str:
    shown = ", ".join(map(str, places[:10]))
    return f"{unit}{'s' if len(places) > 1 else ''} {shown}{', …' if len(places) > 10 else ''}"


def cut_text(text: str, limit: int = MAX_TEXT_CHARS) -> str:
    """``text`` if it has at most ``limit`` characters, else its first ``limit`` and a marker naming its length."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]} […cut: {len(text):,} characters in all]"


_PUNCT = re.compile(r"[^\w\s]")
_SPACE = re.compile(r"\s+")
_LEADING_IM = re.compile(r"^i m ")
_LEADING_I = re.compile(r"^i ")


def normalise_text(text: str) -> str:
    """Lower-case, drop punctuation, collapse whitespace, and drop a leading "I" ("I'm" → "am").

    IPIP-NEO items are written without the subject ("Am the life of the party."), the IPIP-50
    markers with it ("I am the life of the party."); both normalise to the same text.

    Examples
    --------
    >>> normalise_text("I  Worry about things!") == normalise_text("worry about things.")
    True
    """
    out = _SPACE.sub(" ", _PUNCT.sub(" ", text.casefold().replace("’", "'").replace("'", " "))).strip()
    return _LEADING_I.sub("", _LEADING_IM.sub("am ", out + " ")).strip()


def has_word_characters(text: str) -> bool:
    """Whether ``text`` has a letter or digit (emoji, symbols and punctuation alone have none)."""
    return any(c.isalnum() for c in text)


def prepare_texts(texts: Iterable[object], *, places: Sequence[int] | None = None, unit: str = "position",
                  source: str | None = None) -> PreparedTexts:
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
    PreparedTexts
        A list of str; passing it to :func:`prepare_texts` again returns it as it is.
    """
    if isinstance(texts, PreparedTexts):
        return texts
    if isinstance(texts, str):
        raise InputError("texts must be a list of strings, not a single string; wrap it in a list")
    if isinstance(texts, bytes | dict) or not isinstance(texts, Iterable):
        raise InputError(f"texts must be a list of strings, got {type(texts).__name__} {_shorten(repr(texts))}")
    items = list(texts)
    if len(items) > MAX_TEXTS:
        where = f"{source}: " if source else ""
        raise InputError(f"{where}{len(items):,} texts are more than one in-memory run takes ({MAX_TEXTS:,}, "
                         "about 2 GB); stream them in chunks instead: --file PATH --out OUT.parquet on the command "
                         "line, traitlens.streaming.stream_file in Python (or split the input)")
    places = list(places) if places is not None else list(range(len(items)))
    prefix = f"{source}: " if source else ""
    if len(places) != len(items):
        raise InputError(f"{len(items)} texts but {len(places)} places")
    kept = PreparedTexts()
    kept_places: list[int] = []
    blank: list[int] = []
    cut: list[int] = []
    wordless: list[int] = []
    for item, place in zip(items, places, strict=True):
        if not isinstance(item, str):
            raise InputError(f"{prefix}{unit} {place}: expected a text, got {type(item).__name__} "
                             f"{_shorten(repr(item))}")
        stripped = item.strip()
        if not stripped:
            blank.append(place)
            continue
        if len(stripped) > MAX_TEXT_CHARS:
            stripped = cut_text(stripped)
            cut.append(place)
        elif not has_word_characters(stripped):
            wordless.append(place)
        kept.append(stripped)
        kept_places.append(place)
    if cut:
        warnings.warn(f"{prefix}{len(cut)} text(s) longer than {MAX_TEXT_CHARS:,} characters were cut to that "
                      f"length, more than the model reads (at {_where(cut, unit)}); outputs show the cut text "
                      "with a '[…cut: N characters in all]' marker", InputWarning, stacklevel=2)
    if wordless:
        warnings.warn(f"{prefix}{len(wordless)} text(s) have no letter or digit (only emoji, symbols or "
                      f"punctuation) at {_where(wordless, unit)}: the model reads them as unknown tokens, so "
                      "their scores are near-identical and mean little", InputWarning, stacklevel=2)
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


def read_texts(path: str | Path, column: str | None = None, *, source: str | None = None) -> list[str]:
    """Read texts from a file and clean them with :func:`prepare_texts`.

    Parameters
    ----------
    path : str or Path
        ``.txt`` (one text per line), ``.csv``, ``.tsv``, ``.jsonl`` (objects or
        strings, one per line) or ``.parquet``.
    column : str, optional
        Column (or JSON key) holding the texts. Default: ``text`` if present,
        else the only column; required otherwise.
    source : str, optional
        The name the warnings give the file (default its path; an upload's temporary copy has the
        client's name).

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
    label = source or str(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise InputError(f"unsupported file type {suffix or '(none)'!r}; use one of {', '.join(SUPPORTED_SUFFIXES)}",
                         path=path)
    if suffix == ".txt":
        lines = read_utf8(path).splitlines()
        return prepare_texts(lines, places=range(1, len(lines) + 1), unit="line", source=label)
    if suffix in {".csv", ".tsv"}:
        table = read_delimited(path)
        name = pick_text_column(column, table.header, path)
        return prepare_texts([r[name] for r in table.rows], places=table.lines, unit="line", source=label)
    if suffix == ".jsonl":
        return _read_jsonl(path, column, label)
    return _read_parquet(path, column, label)


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


def json_line_text(line: str, key: str, path: Path, number: int) -> str:
    """The text of one JSON Lines line: a string, or the ``key`` of an object ("" for a blank line).

    Raises
    ------
    InputError
        Invalid JSON, a missing key, or a value that is not a string (with file, line and column).
    """
    if not line.strip():
        return ""
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
        raise InputError(f"expected a text, got {type(value).__name__} {value!r:.80}", path=path, line=number,
                         column=key)
    return value


def _read_jsonl(path: Path, column: str | None, label: str) -> list[str]:
    key = column or "text"
    lines = read_utf8(path).splitlines()
    texts = [json_line_text(line, key, path, number) for number, line in enumerate(lines, start=1)]
    return prepare_texts(texts, places=list(range(1, len(lines) + 1)), unit="line", source=label)


def _read_parquet(path: Path, column: str | None, label: str) -> list[str]:
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
                         source=label)


class LanguageWarning(UserWarning):
    """Some texts do not look like English; the bundled models and exemplars are English."""


#: At most this many texts (evenly spread) are looked at by :func:`warn_if_not_english`.
LANGUAGE_SAMPLE = 5_000
#: A text is flagged when the detector names another language with at least this probability.
LANGUAGE_MIN_PROBABILITY = 0.7
_IDENTIFIER: list[Any] = []
_IDENTIFIER_LOCK = threading.Lock()


def _identifier() -> Any:
    """py3langid's identifier with normalised probabilities, loaded once per process (about 0.4 s)."""
    with _IDENTIFIER_LOCK:
        if not _IDENTIFIER:
            from py3langid import langid

            _IDENTIFIER.append(langid.LanguageIdentifier.from_model_file(langid.MODEL_FILE, norm_probs=True))
        return _IDENTIFIER[0]


def detect_language(text: str) -> tuple[str, float] | None:
    """The language of ``text`` by py3langid (ISO 639-1 code, probability), or None when it is too short to tell.

    Too short: fewer than three words with letters and fewer than six letters outside ASCII (scripts
    written without spaces). On one or two words the detector guesses (``"Zorro"`` → Basque).
    """
    words = sum(any(c.isalpha() for c in w) for w in text.split())
    if words < 3 and sum(c.isalpha() and not c.isascii() for c in text) < 6:
        return None
    code, probability = _identifier().classify(text[:MAX_TEXT_CHARS])
    return str(code), float(probability)


def warn_if_not_english(texts: Sequence[str]) -> None:
    """Warn once (:class:`LanguageWarning`) about texts that are not English, naming up to three.

    A text is flagged when py3langid (Lui & Baldwin 2012, langid.py) names a language other than
    English with probability ≥ :data:`LANGUAGE_MIN_PROBABILITY`; texts too short to tell are not
    (:func:`detect_language`). At most :data:`LANGUAGE_SAMPLE` texts, evenly spread, are looked at.
    A :class:`PreparedTexts` list is checked only the first time.
    """
    if getattr(texts, "language_checked", False):
        return
    if isinstance(texts, PreparedTexts):
        texts.language_checked = True
    step = max(1, len(texts) // LANGUAGE_SAMPLE)
    sample = texts[::step]
    odd: list[tuple[str, str]] = []
    for text in sample:
        found = detect_language(text)
        if found is not None and found[0] != "en" and found[1] >= LANGUAGE_MIN_PROBABILITY:
            odd.append((text, found[0]))
    if odd:
        shown = "; ".join(f"{t[:40]!r} ({code})" for t, code in odd[:3])
        of = f" of {len(sample):,} looked at" if step > 1 else ""
        warnings.warn(f"{len(odd)} text(s){of} may not be English ({shown}); the models and exemplars are English, "
                      "so their scores are less reliable", LanguageWarning, stacklevel=3)
