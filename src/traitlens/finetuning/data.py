"""Training data of a fine-tune: item pairs with observed correlations, checked, and split by ITEM.

Pairs come from a pairs file (``text_a, text_b, r``), from person-level responses plus an item
file (pairwise-complete correlations of every item pair), or from a frame (e.g. the shared data's
:func:`traitlens.training.pairs.shared_item_pairs`). Every source goes through
:func:`check_pairs`: no blank text, ``r`` a number in [-1, 1], no pair twice (in either order), no
item paired with itself, at least three items. Errors name the file, line and column.

The validation split holds out ITEMS, never pairs: a pair's two items also occur in other pairs,
so a random pair split would show the model the held-out items. Items are grouped by their
normalised text (:func:`traitlens.evaluation.leakage.normalise_text`: "I am talkative." and
"Am talkative" are one item), a share of the groups is held out, training keeps only the pairs of
two training items, and a training item that the leakage guard finds to be a rewording of a
held-out item (cosine ≥ .90 under the default model) is dropped with its pairs.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from traitlens.encoders import Encoder
from traitlens.errors import InputError
from traitlens.evaluation.leakage import exclude_overlaps, normalise_text
from traitlens.io.sources import read_frame
from traitlens.training.pairs import item_split

__all__ = [
    "MIN_ITEMS",
    "PAIR_COLUMNS",
    "ItemSplit",
    "PairWarning",
    "check_pairs",
    "exclude_items",
    "merge_duplicate_pairs",
    "pairs_from_responses",
    "read_pairs",
    "split_items",
]

#: The columns every pairs table has (others, e.g. ``dataset``, ``item_a``, ``item_b``, are kept).
PAIR_COLUMNS = ["text_a", "text_b", "r"]
#: Fewer distinct items than this cannot be split into training and held-out items.
MIN_ITEMS = 3


class PairWarning(UserWarning):
    """Pairs were accepted with a change the user should know about (columns ignored, pairs without r)."""


def _where(path: Path | None, lines: Sequence[int] | None, row: int, column: str) -> dict[str, object]:
    """``path``/``line``/``column`` of :class:`InputError` for the ``row``-th pair (none for a frame)."""
    if path is None:
        return {}
    return {"path": path, "line": None if lines is None else lines[row], "column": column}


def _row_name(path: Path | None, row: int) -> str:
    return "" if path is not None else f"pair {row}: "


def check_pairs(frame: pd.DataFrame, *, path: Path | None = None, lines: Sequence[int] | None = None) -> pd.DataFrame:
    """Check a pairs table and return a clean copy (texts stripped, ``r`` as float).

    Parameters
    ----------
    frame : DataFrame
        Columns ``text_a, text_b, r`` (others are kept as they are).
    path : Path, optional
        The file the pairs come from, for messages.
    lines : sequence of int, optional
        The file line of each row, for messages.

    Returns
    -------
    DataFrame
        The pairs with a fresh index.

    Raises
    ------
    InputError
        A missing column, a blank text, an ``r`` that is empty, not a number or outside [-1, 1], the
        same text on both sides (a self pair), a pair that occurs twice (in either order), or fewer
        than three distinct items; with file, line and column where known.
    """
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"pairs must be a pandas DataFrame with columns {', '.join(PAIR_COLUMNS)}; "
                         f"got {type(frame).__name__}")
    missing = [c for c in PAIR_COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(f"missing column {missing[0]!r}; the pairs have "
                         f"{', '.join(map(repr, map(str, frame.columns))) or 'no columns'} (needed: text_a, text_b, r)",
                         path=path, line=1 if path is not None else None)
    out = frame.reset_index(drop=True).copy()
    for column in ("text_a", "text_b"):
        values = out[column].tolist()
        for row, value in enumerate(values):
            if not isinstance(value, str) or not value.strip():
                what = "blank" if value is None or isinstance(value, str) or pd.isna(value) else \
                    f"not a text (got {value!r})"
                raise InputError(f"{_row_name(path, row)}{column} is {what}", **_where(path, lines, row, column))
        out[column] = [v.strip() for v in values]
    r = pd.to_numeric(out["r"], errors="coerce").to_numpy(dtype=float)
    for row, value in enumerate(r):
        if not math.isfinite(value):
            raw = out["r"].iloc[row]
            if raw is None or str(raw).strip() == "":
                shown = "empty"
            elif isinstance(raw, float | np.floating) and math.isnan(raw):
                shown = "missing (empty or NaN)"
            elif isinstance(raw, int | float | np.number):
                shown = f"{float(raw)}, not a finite number"
            else:
                shown = f"{str(raw)!r}, not a number"
            raise InputError(f"{_row_name(path, row)}r is {shown}; every pair needs a correlation in [-1, 1]",
                             **_where(path, lines, row, "r"))
        if not -1.0 <= value <= 1.0:
            raise InputError(f"{_row_name(path, row)}r is {value:g}, outside [-1, 1]", **_where(path, lines, row, "r"))
    out["r"] = r
    seen: dict[tuple[str, str], int] = {}
    near: dict[tuple[str, str], int] = {}
    rewordings: list[int] = []
    repeats: list[tuple[int, int]] = []
    for row, (a, b) in enumerate(zip(out["text_a"], out["text_b"], strict=True)):
        if a == b:
            raise InputError(f"{_row_name(path, row)}text_a and text_b are the same text ({a!r}): an item cannot be "
                             "paired with itself", **_where(path, lines, row, "text_b"))
        # the item split tells items apart with case, punctuation and spacing ignored: say where that joins them
        na, nb = normalise_text(a), normalise_text(b)
        if na == nb:
            rewordings.append(row)
        else:
            loose = (na, nb) if na < nb else (nb, na)
            if loose in near:
                repeats.append((row, near[loose]))
            near.setdefault(loose, row)
        key = (a, b) if a < b else (b, a)
        if key in seen:
            first = seen[key]
            where = f"line {lines[first]}" if path is not None and lines is not None else f"pair {first}"
            raise InputError(f"{_row_name(path, row)}the pair ({a!r}, {b!r}) occurs twice (first on {where}); give "
                             "each pair of items once", **_where(path, lines, row, "text_a"))
        seen[key] = row
    _warn_rewordings(out, rewordings, repeats, path, lines)
    n_items = len(set(out["text_a"]) | set(out["text_b"]))
    if n_items < MIN_ITEMS:
        raise InputError(f"the pairs name {n_items} distinct item(s); a fine-tune needs at least {MIN_ITEMS} "
                         "(to hold some out)", path=path)
    return out


def _warn_rewordings(out: pd.DataFrame, rewordings: list[int], repeats: list[tuple[int, int]], path: Path | None,
                     lines: Sequence[int] | None) -> None:
    """Warn once about pairs of an item with itself reworded, once about pairs repeated in other words.

    "In other words" is case, punctuation and spacing (:func:`normalise_text`): the item split takes
    such texts for one item.
    """
    def place(row: int) -> str:
        return f"line {lines[row]}" if path is not None and lines is not None else f"pair {row}"

    if rewordings:
        row = rewordings[0]
        warnings.warn(f"{path or 'pairs'}: {len(rewordings)} pair(s) join an item with itself in other case, "
                      f"punctuation or spacing (first on {place(row)}: {out['text_a'][row]!r}, "
                      f"{out['text_b'][row]!r}); the item split takes them for one item", PairWarning, stacklevel=3)
    if repeats:
        row, first = repeats[0]
        warnings.warn(f"{path or 'pairs'}: {len(repeats)} pair(s) repeat another pair once case, punctuation and "
                      f"spacing are ignored (first on {place(row)}, like {place(first)}); both are kept",
                      PairWarning, stacklevel=3)


def read_pairs(path: str | Path) -> pd.DataFrame:
    """Read and check a pairs file (CSV, or TSV by suffix) with columns ``text_a, text_b, r``.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    DataFrame
        As :func:`check_pairs`; ``attrs["source"]`` is the path.

    Raises
    ------
    InputError
        See :func:`check_pairs`, and the reading errors of :func:`traitlens.io.sources.read_frame`.
    """
    source = read_frame(path)
    source.require(*PAIR_COLUMNS)
    data = source.data.copy()
    for column in ("text_a", "text_b"):  # keep texts as texts (a numeric-looking item stays a string)
        data[column] = [v if isinstance(v, str) else (None if pd.isna(v) else str(v)) for v in data[column]]
    pairs = check_pairs(data, path=source.path, lines=source.lines)
    pairs.attrs["source"] = str(source.path)
    return pairs


def _read_items(path: Path) -> tuple[dict[str, str], dict[str, int]]:
    """Item id → text and item id → line, from a file with columns ``item, text``."""
    source = read_frame(path)
    source.require("item", "text")
    texts: dict[str, str] = {}
    where: dict[str, int] = {}
    by_text: dict[str, str] = {}
    for row, (item, text) in enumerate(zip(source.data["item"], source.data["text"], strict=True)):
        line = source.lines[row]
        if pd.isna(item) or not str(item).strip():
            raise InputError("item id is blank", path=source.path, line=line, column="item")
        key = str(item).strip()
        if key.endswith(".0") and isinstance(item, float):  # pandas read a numeric id as float
            key = key[:-2]
        if not isinstance(text, str) or not text.strip():
            raise InputError(f"the text of item {key!r} is blank", path=source.path, line=line, column="text")
        if key in texts:
            raise InputError(f"item {key!r} is listed twice (first on line {where[key]})", path=source.path,
                             line=line, column="item")
        text = text.strip()
        if text in by_text:
            raise InputError(f"items {by_text[text]!r} and {key!r} have the same text {text!r} (line "
                             f"{where[by_text[text]]}); give each item once", path=source.path, line=line,
                             column="text")
        texts[key], where[key], by_text[text] = text, line, key
    return texts, where


def pairs_from_responses(responses: str | Path, items: str | Path) -> pd.DataFrame:
    """Item pairs with their pairwise-complete correlations, from person-level responses.

    Parameters
    ----------
    responses : str or Path
        CSV/TSV, one row per person, one numeric column per item (named by item id); empty cells are
        missing responses. Columns that are not items of ``items`` (e.g. a person id) are ignored with a
        warning.
    items : str or Path
        CSV/TSV with columns ``item`` (the id, as in the responses' header) and ``text``.

    Returns
    -------
    DataFrame
        ``item_a, item_b, text_a, text_b, r, n`` (``n``: persons who answered both), checked by
        :func:`check_pairs`. Pairs without a correlation (fewer than two joint responses, or no
        variance) are left out with a warning. ``attrs``: ``source``, ``n_persons``, ``n_items``.

    Raises
    ------
    InputError
        A non-numeric response (file, line, column), an item without a response column, no item
        columns, or the errors of :func:`check_pairs`.
    """
    from traitlens.psychometrics import item_correlations, pairwise_n

    texts, item_lines = _read_items(Path(items))
    source = read_frame(responses)
    data = source.data
    columns = [str(c) for c in data.columns]
    absent = [item for item in texts if item not in columns]
    if absent:
        shown = ", ".join(map(repr, absent[:5])) + (" …" if len(absent) > 5 else "")
        raise InputError(f"{len(absent)} item(s) of {items} have no column in the responses: {shown}",
                         path=source.path, line=1)
    ignored = [c for c in columns if c not in texts]
    if ignored:
        shown = ", ".join(map(repr, ignored[:5])) + (" …" if len(ignored) > 5 else "")
        warnings.warn(f"{source.path}: {len(ignored)} column(s) are not items of {items} and are ignored: {shown}",
                      PairWarning, stacklevel=2)
    ids = [c for c in columns if c in texts]
    frame = data[ids].copy()
    frame.columns = ids
    for item in ids:
        column = frame[item]
        numbers = column if pd.api.types.is_numeric_dtype(column) else pd.to_numeric(column, errors="coerce")
        bad = (column.notna() & numbers.isna()) | np.isinf(numbers.to_numpy(dtype=float))
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            what = "not a finite number" if np.isinf(float(numbers.iloc[row])) else "not a number"
            raise InputError(f"response {str(column.iloc[row])!r} is {what}", path=source.path,
                             line=source.lines[row], column=item)
        frame[item] = numbers
    if len(ids) < MIN_ITEMS:
        raise InputError(f"the responses have {len(ids)} item column(s); a fine-tune needs at least {MIN_ITEMS}",
                         path=source.path, line=1)
    matrix = item_correlations(frame).to_numpy(dtype=float)
    counts = pairwise_n(frame).to_numpy(dtype=float)
    a, b = np.triu_indices(len(ids), k=1)
    ids_array = np.asarray(ids, dtype=object)
    text_array = np.asarray([texts[i] for i in ids], dtype=object)
    pairs = pd.DataFrame({"item_a": ids_array[a], "item_b": ids_array[b], "text_a": text_array[a],
                          "text_b": text_array[b], "r": matrix[a, b], "n": counts[a, b].astype(int)})
    undefined = ~np.isfinite(pairs["r"].to_numpy())
    if undefined.any():
        shown = ", ".join(f"({x}, {y})" for x, y in pairs.loc[undefined, ["item_a", "item_b"]].head(3).to_numpy())
        warnings.warn(f"{source.path}: {int(undefined.sum())} item pair(s) have no correlation (fewer than two "
                      f"joint responses, or no variance) and are left out: {shown}"
                      f"{' …' if undefined.sum() > 3 else ''}", PairWarning, stacklevel=2)
        pairs = pairs[~undefined].reset_index(drop=True)
    if pairs.empty:
        raise InputError("no item pair has a correlation (too few joint responses or no variance)", path=source.path)
    pairs = check_pairs(pairs, path=None)
    pairs.attrs.update({"source": f"{source.path} + {Path(items)}", "n_persons": int(len(frame)),
                        "n_items": len(ids)})
    return pairs


def merge_duplicate_pairs(frame: pd.DataFrame) -> pd.DataFrame:
    """Merge pairs of the same two texts (in either order) into one, averaging r in Fisher's z.

    For sources that legitimately observe a pair twice (the same items in two data sets);
    :func:`check_pairs` refuses duplicates. Returns ``text_a, text_b, r, n_sources`` (and
    ``dataset`` joined with ``+`` when the frame has one).

    Parameters
    ----------
    frame : DataFrame
        Columns ``text_a, text_b, r``.

    Returns
    -------
    DataFrame
    """
    a = frame["text_a"].astype(str).str.strip()
    b = frame["text_b"].astype(str).str.strip()
    first = np.where(a <= b, a, b)
    second = np.where(a <= b, b, a)
    z = np.arctanh(np.clip(frame["r"].to_numpy(dtype=float), -0.999999, 0.999999))
    work = pd.DataFrame({"text_a": first, "text_b": second, "z": z})
    aggregations: dict[str, tuple[str, str | object]] = {"z": ("z", "mean"), "n_sources": ("z", "size")}
    if "dataset" in frame.columns:
        work["dataset"] = frame["dataset"].astype(str).to_numpy()
        aggregations["dataset"] = ("dataset", lambda s: "+".join(dict.fromkeys(s)))
    merged = work.groupby(["text_a", "text_b"], sort=False).agg(**aggregations).reset_index()
    merged["r"] = np.tanh(merged.pop("z"))
    merged.attrs = dict(frame.attrs)
    return merged


def exclude_items(pairs: pd.DataFrame, texts: Sequence[str], guard_encoder: Encoder | None = None
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Drop every item that is one of ``texts`` or a rewording of one (the leakage guard), with its pairs.

    Parameters
    ----------
    pairs : DataFrame
        Checked pairs.
    texts : sequence of str
        Texts that must not be trained on.
    guard_encoder : Encoder, optional
        Encoder of the guard's cosine test (default: the bundled all-MiniLM-L6-v2).

    Returns
    -------
    kept : DataFrame
        The pairs of items that are not excluded.
    dropped : DataFrame
        The guard's report (:func:`traitlens.evaluation.leakage.find_overlaps`), one row per dropped item.
    """
    items = list(dict.fromkeys([*pairs["text_a"], *pairs["text_b"]]))
    if not len(texts):
        return pairs, pd.DataFrame(columns=["candidate_index", "candidate", "scored_item", "reason", "cosine"])
    kept, dropped = exclude_overlaps(list(texts), items, encoder=guard_encoder)
    gone = {items[i] for i in set(range(len(items))) - set(kept)}
    keep = ~(pairs["text_a"].isin(gone) | pairs["text_b"].isin(gone))
    return pairs[keep.to_numpy()].reset_index(drop=True), dropped


@dataclass(frozen=True)
class ItemSplit:
    """Training and held-out items and their pairs.

    Attributes
    ----------
    train_items, heldout_items : lists of str
        Item texts.
    train : DataFrame
        Pairs of two training items.
    heldout : DataFrame
        Pairs with at least one held-out item (column ``both_heldout``: both items held out).
    guard_dropped : list of str
        Training items dropped as rewordings of a held-out item (with their pairs).
    crossing : int
        Pairs of a dropped rewording and a training item (in neither set).
    """

    train_items: list[str]
    heldout_items: list[str]
    train: pd.DataFrame
    heldout: pd.DataFrame
    guard_dropped: list[str] = field(default_factory=list)
    crossing: int = 0

    def record(self) -> dict[str, int]:
        """Sizes, for the model card and the run record."""
        return {"train_items": len(self.train_items), "heldout_items": len(self.heldout_items),
                "train_pairs": len(self.train), "heldout_pairs": len(self.heldout),
                "heldout_pairs_both_items": int(self.heldout["both_heldout"].sum()) if len(self.heldout) else 0,
                "guard_dropped_items": len(self.guard_dropped), "pairs_in_neither": self.crossing}


def split_items(pairs: pd.DataFrame, fraction: float, seed: int = 0, guard_encoder: Encoder | None | bool = None
                ) -> ItemSplit:
    """Hold out a share of the ITEMS (never of the pairs); see the module docstring.

    Parameters
    ----------
    pairs : DataFrame
        Checked pairs.
    fraction : float
        Share of the items (groups of equal normalised text) to hold out, in [0, 1).
    seed : int
        Seed of the split.
    guard_encoder : Encoder, None or False
        Encoder of the leakage guard's cosine test between training and held-out items (``None``: the
        bundled all-MiniLM-L6-v2; ``False``: only equal normalised texts are grouped).

    Returns
    -------
    ItemSplit

    Raises
    ------
    InputError
        ``fraction`` outside [0, 1), or no training pair left.
    """
    if not 0 <= fraction < 1:
        raise InputError(f"the held-out share of items must be in [0, 1), got {fraction}")
    items = list(dict.fromkeys([*pairs["text_a"], *pairs["text_b"]]))
    groups = [normalise_text(t) for t in items]
    _, heldout_groups = item_split(groups, fraction, seed)
    chosen = set(heldout_groups)
    heldout = [t for t, g in zip(items, groups, strict=True) if g in chosen]
    train = [t for t, g in zip(items, groups, strict=True) if g not in chosen]
    dropped: list[str] = []
    if heldout and train and guard_encoder is not False:
        kept, _ = exclude_overlaps(heldout, train, encoder=guard_encoder or None)
        keep = set(kept)
        dropped = [t for i, t in enumerate(train) if i not in keep]
        train = [t for i, t in enumerate(train) if i in keep]
    in_train = set(train)
    in_heldout = set(heldout)
    a_train, b_train = pairs["text_a"].isin(in_train), pairs["text_b"].isin(in_train)
    a_held, b_held = pairs["text_a"].isin(in_heldout), pairs["text_b"].isin(in_heldout)
    train_pairs = pairs[(a_train & b_train).to_numpy()].reset_index(drop=True)
    touching = ((a_held & (b_held | b_train)) | (b_held & a_train)).to_numpy()
    heldout_pairs = pairs[touching].reset_index(drop=True)
    heldout_pairs["both_heldout"] = (a_held & b_held).to_numpy()[touching]
    crossing = len(pairs) - len(train_pairs) - len(heldout_pairs)
    if train_pairs.empty:
        raise InputError(f"no training pair is left after holding out {len(heldout)} of {len(items)} items "
                         f"(--eval-fraction {fraction:g}); give more pairs or hold out fewer items")
    return ItemSplit(train_items=train, heldout_items=heldout, train=train_pairs, heldout=heldout_pairs,
                     guard_dropped=dropped, crossing=crossing)
