"""Scale collections: many scales (id, label, optional definition, inventory) and their keyed items.

A :class:`ScaleCollection` is what scale-level analyses work on (jingle-jangle detection,
relabeling, maps, semantic factor analysis). It is read from a long table with one row per
item × scale — columns ``scale, label, text`` and optionally ``key`` (+1 / -1; empty or 0 = not
keyed), ``inventory``, ``definition`` and ``item`` (an id; default the text) — given as a
DataFrame, a ``.csv``/``.tsv`` file, a ``.yaml`` file, or a built-in inventory name
(:func:`~traitlens.constructs.inventory.builtin_inventories`; its scales are labelled by their names).

YAML form::

    name: my-scales
    scales:
      - scale: neo-anxiety
        label: Anxiety
        definition: Worrying, nervous, tense.   # optional
        inventory: NEO                          # optional
        items:
          - {text: Worry about things., key: 1}
          - {text: Am relaxed most of the time., key: -1}

Rules: every scale has one label (and one definition, one inventory); an item may sit in several
scales but only once in each; an item id keeps one text. A scale with a single item, or items
without keys, are allowed with a :class:`ScaleWarning` (keying-free content is then used).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from traitlens.errors import InputError
from traitlens.fingerprint import content_fingerprint

#: Columns of :attr:`ScaleCollection.frame`, in order.
COLUMNS = ["scale", "label", "definition", "inventory", "item", "text", "key"]
#: Fewest scales a collection may have (a percentile over scale pairs needs several pairs).
MIN_SCALES = 3
#: What a key cell may hold, for error messages.
KEY_HELP = ("a key is a number: 1 (or +1) for an item keyed toward the scale's name, -1 for a reverse-keyed one; "
            "empty (or 0) when unknown")


def key_value(cell: object) -> float:
    """A key cell as ``1.0``, ``-1.0`` or NaN (empty, ``0`` or ``nan``: not known).

    Any number equal to ±1 is a key (``1``, ``+1``, ``-1.00``, ``1e0``); a cell is stripped first.

    Raises
    ------
    ValueError
        Anything else (``R``, ``reverse``, ``2``); the caller names the place (:data:`KEY_HELP`).
    """
    text = _cell(cell)
    if text == "":
        return np.nan
    try:
        number = float(text)
    except ValueError:
        raise ValueError(f"key {text!r} is not +1, -1 or empty") from None
    if number in (1.0, -1.0):
        return number
    if number == 0.0 or np.isnan(number):
        return np.nan
    raise ValueError(f"key {text!r} is not +1, -1 or empty")


class ScaleWarning(UserWarning):
    """A scale collection that can be used, with a caveat (single-item scales, missing keys)."""


@dataclass(frozen=True)
class ScaleCollection:
    """Scales with labels and keyed items, one row per item × scale.

    Attributes
    ----------
    frame : DataFrame
        :data:`COLUMNS`; ``key`` is +1, -1 or NaN (not keyed); ``definition`` and ``inventory``
        may be empty strings.
    name : str
        Where the collection came from (file name, inventory name, or ``"frame"``).
    """

    frame: pd.DataFrame = field(repr=False)
    name: str = "frame"

    @property
    def scales(self) -> list[str]:
        """Scale ids in order of first appearance."""
        return list(dict.fromkeys(self.frame["scale"]))

    @property
    def labels(self) -> pd.Series:
        """Scale id → label."""
        return self.frame.drop_duplicates("scale").set_index("scale")["label"]

    @property
    def definitions(self) -> pd.Series:
        """Scale id → definition (empty string when none)."""
        return self.frame.drop_duplicates("scale").set_index("scale")["definition"]

    @property
    def items(self) -> pd.DataFrame:
        """Unique items: ``item, text`` in order of first appearance."""
        return self.frame.drop_duplicates("item")[["item", "text"]].reset_index(drop=True)

    @property
    def keyed(self) -> bool:
        """Whether every item × scale row has a key."""
        return bool(self.frame["key"].notna().all())

    @property
    def fingerprint(self) -> str:
        """Digest of the content (scales, labels, definitions, items, keys)."""
        return content_fingerprint(self.frame.to_csv(index=False))

    def record(self) -> dict[str, Any]:
        """Provenance entry: name, fingerprint, counts."""
        return {"name": self.name, "fingerprint": self.fingerprint, "n_scales": len(self.scales),
                "n_items": len(self.items), "n_labels": int(self.frame["label"].nunique())}

    def weights(self, signed: bool = False) -> np.ndarray:
        """Scales × unique items matrix: 1 (or the key, if ``signed``; unkeyed rows count +1) for members.

        Returns
        -------
        (n_scales, n_items) array
            Rows in :attr:`scales` order, columns in :attr:`items` order.
        """
        scales = {s: i for i, s in enumerate(self.scales)}
        items = {s: i for i, s in enumerate(self.items["item"])}
        w = np.zeros((len(scales), len(items)))
        keys = self.frame["key"].fillna(1.0).to_numpy() if signed else np.ones(len(self.frame))
        w[self.frame["scale"].map(scales).to_numpy(), self.frame["item"].map(items).to_numpy()] = keys
        return w

    def subset(self, scales: list[str]) -> ScaleCollection:
        """The collection restricted to ``scales`` (no validation of the size)."""
        return ScaleCollection(self.frame[self.frame["scale"].isin(scales)].reset_index(drop=True), self.name)


def reference_texts() -> list[str]:
    """Unique item texts of every built-in inventory: the reference whose mean embedding centres item vectors.

    A fixed reference (rather than the collection's own mean) keeps a scale's content embedding
    independent of which other scales happen to be analysed with it.
    """
    from traitlens.constructs.inventory import builtin_inventories, load_inventory

    texts: dict[str, None] = {}
    for name in builtin_inventories():
        texts.update(dict.fromkeys(load_inventory(name).frame["text"]))
    return list(texts)


def reference_labels() -> list[str]:
    """Unique scale labels of every built-in inventory: the reference whose mean embedding centres label vectors.

    Centring labels as item vectors are centred (:func:`reference_texts`) puts label similarity on the
    scale of content similarity: raw label cosines share a large common component (unrelated construct
    names sit at about .25 with all-MiniLM-L6-v2), centred ones spread around 0 as centred content does.
    """
    from traitlens.constructs.inventory import builtin_inventories, load_inventory

    labels: dict[str, None] = {}
    for name in builtin_inventories():
        labels.update(dict.fromkeys(load_inventory(name).frame["scale"].astype(str)))
    return list(labels)


ScaleSource = ScaleCollection | pd.DataFrame | str | Path


def load_scales(source: ScaleSource, *, min_scales: int = MIN_SCALES) -> ScaleCollection:
    """Load and validate a scale collection.

    Parameters
    ----------
    source : ScaleCollection, DataFrame, path or built-in inventory name
        See the module documentation for the columns and the YAML form.
    min_scales : int, default 3
        Fewest scales accepted.

    Returns
    -------
    ScaleCollection

    Raises
    ------
    InputError
        A missing column, an empty text, scale or label, a scale with two labels (duplicate scale
        ids), an item listed twice in one scale, an item id with two texts, a bad key, or fewer
        than ``min_scales`` scales; for files the message names the file and line.

    Warns
    -----
    ScaleWarning
        Scales with a single item; rows without a key (content is then encoded keying-free).

    Examples
    --------
    >>> rows = [("a", "Anxiety", "Worry about things."), ("b", "Calm", "Am relaxed."),
    ...         ("c", "Order", "Like order.")]
    >>> frame = pd.DataFrame(rows, columns=["scale", "label", "text"])
    >>> import warnings; warnings.simplefilter("ignore")
    >>> load_scales(frame).scales
    ['a', 'b', 'c']
    """
    from traitlens.constructs.inventory import Inventory

    if isinstance(source, ScaleCollection):
        return source
    if isinstance(source, Inventory):
        rows, lines, name, path = _inventory_rows(source), None, source.name, None
    elif isinstance(source, pd.DataFrame):
        rows = source.copy()
        lines = None
        name, path = "frame", None
    elif isinstance(source, str | Path):
        path = Path(source)
        suffix = path.suffix.lower()
        if suffix in (".csv", ".tsv"):
            from traitlens.io.sources import read_delimited

            table = read_delimited(path)
            if {"item", "scale", "key"} <= set(table.header) and "label" not in table.header:
                rows, lines = _inventory_file_rows(path), None  # an inventory's layout: its scales, named by id
            else:
                table.require("scale", "label", "text")
                rows, lines = pd.DataFrame(table.rows, columns=table.header), table.lines
        elif suffix in (".yaml", ".yml"):
            rows, lines = _from_yaml(path)
        elif path.exists():
            raise InputError(f"scale files are .csv, .tsv or .yaml; got {path.suffix or 'no suffix'!r}", path=path)
        else:
            from traitlens.constructs.inventory import load_inventory

            rows, lines, path = _inventory_rows(load_inventory(str(source))), None, None
        name = str(source) if path is None else path.name
    else:
        raise InputError(f"scales must be a DataFrame, a .csv/.tsv/.yaml file or an inventory name; got "
                         f"{type(source).__name__}")
    frame = _validate(rows, path, lines)
    n = frame["scale"].nunique()
    if n < min_scales:
        raise InputError(f"a scale collection needs at least {min_scales} scales; got {n}", path=path)
    _warn(frame)
    return ScaleCollection(frame, name)


def _inventory_file_rows(path: Path) -> pd.DataFrame:
    """Rows of an inventory file given where a scale collection is read: its scales, each labelled by its id.

    The inventory layout (:mod:`traitlens.constructs.inventory`): ``item, text, scale, key`` without
    ``label``, or a YAML list of ``items`` without ``scales``.
    """
    from traitlens.constructs.inventory import load_inventory

    return _inventory_rows(load_inventory(path))


def _inventory_rows(inventory: Any) -> pd.DataFrame:
    """Rows of an :class:`~traitlens.constructs.inventory.Inventory`: each scale labelled by its name."""
    inv = inventory.frame
    return pd.DataFrame({"scale": inv["scale"], "label": inv["scale"], "inventory": inventory.name,
                         "item": inv["item"], "text": inv["text"], "key": inv["key"]})


def _from_yaml(path: Path) -> tuple[pd.DataFrame, list[int] | None]:
    from traitlens.io.sources import line_of, load_yaml_with_lines

    data, where = load_yaml_with_lines(path)
    if isinstance(data, dict) and "scales" not in data and isinstance(data.get("items"), list):
        return _inventory_file_rows(path), None  # an inventory's layout: its scales, named by id
    if not isinstance(data, dict) or not isinstance(data.get("scales"), list):
        raise InputError("a scales YAML file needs a list under 'scales'", path=path, line=1)
    rows, lines = [], []
    for i, scale in enumerate(data["scales"]):
        if not isinstance(scale, dict) or not isinstance(scale.get("items"), list):
            raise InputError(f"scale {i + 1} needs a list under 'items'", path=path, line=line_of(where, ("scales", i)))
        for j, item in enumerate(scale["items"]):
            item = item if isinstance(item, dict) else {"text": item}
            rows.append({"scale": scale.get("scale"), "label": scale.get("label"),
                         "definition": scale.get("definition"), "inventory": scale.get("inventory"),
                         "item": item.get("item"), "text": item.get("text"), "key": item.get("key")})
            lines.append(line_of(where, ("scales", i, "items", j)) or line_of(where, ("scales", i)) or 0)
    return pd.DataFrame(rows), lines


def read_item_table(path: str | Path) -> pd.DataFrame | None:
    """A CSV/TSV of items that is not an inventory: ``text`` and optionally ``item``, ``scale``, ``key``.

    For analyses of item texts (:func:`traitlens.factors`) where an inventory file would demand keys
    and ids. Returns None when ``path`` is not such a file (not a CSV/TSV, or it has ``item``,
    ``scale`` and ``key``: an inventory, for the inventory loader to validate); without ``item`` the
    texts are the ids. Keys are read as in a scales table
    (+1, -1; empty or 0 = unknown). A blank text, id or scale, another key, an id with two texts, or
    an item listed twice (in one scale; without scales, at all) is an error naming the line and column.
    """
    from traitlens.io.sources import read_delimited

    path = Path(path)
    if path.suffix.lower() not in (".csv", ".tsv", ".tab") or not path.is_file():
        return None
    table = read_delimited(path)
    if {"item", "scale", "key"} <= set(table.header):
        return None
    table.require("text")
    if not table.rows:
        raise InputError("the file has no rows", path=path, line=2)
    ids = "item" in table.header
    text_of: dict[str, tuple[str, int]] = {}
    listed: dict[tuple[str, str], int] = {}
    for row, line in zip(table.rows, table.lines, strict=True):
        for column in ("text", "scale", *(("item",) if ids else ())):
            if column in row and not row[column].strip():
                raise InputError(f"blank {column}", path=path, line=line, column=column)
        try:
            key_value(row.get("key"))
        except ValueError as exc:
            raise InputError(f"{exc} ({KEY_HELP})", path=path, line=line, column="key") from None
        text, scale = row["text"].strip(), row.get("scale", "").strip()
        item = row["item"].strip() if ids else text
        if item in text_of and text_of[item][0] != text:
            raise InputError(f"item {item!r} has another text than on line {text_of[item][1]}", path=path,
                             line=line, column="text")
        text_of.setdefault(item, (text, line))
        if (item, scale) in listed:
            what = f"item {item!r} is listed" if ids else "the text is listed"
            where = f" in scale {scale!r}" if scale else ""
            hint = "" if ids or scale else "; an item is analysed once: drop the repeat, or give ids in an item column"
            raise InputError(f"{what} twice{where} (first on line {listed[item, scale]}){hint}", path=path,
                             line=line, column="item" if ids else "text")
        listed[item, scale] = line
    frame = pd.DataFrame(table.rows)
    if "key" in frame:
        frame["key"] = [key_value(v) for v in frame["key"]]
    return frame


def _cell(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return str(value).strip()


def _validate(rows: pd.DataFrame, path: Path | None, lines: list[int] | None) -> pd.DataFrame:
    missing = [c for c in ("scale", "label", "text") if c not in rows.columns]
    if missing:
        raise InputError(f"missing column {missing[0]!r} (needed: scale, label, text; optional: key, inventory, "
                         "definition, item)", path=path, line=1 if path else None)
    if rows.empty:
        raise InputError("no rows: a scale collection needs items", path=path)
    out = pd.DataFrame({c: [_cell(v) for v in rows[c]] if c in rows.columns else [""] * len(rows)
                        for c in ["scale", "label", "definition", "inventory", "item", "text"]})

    def fail(message: str, position: int, column: str) -> InputError:
        line = lines[position] if lines is not None else None
        where = "" if lines is not None else f" (row {position})"
        return InputError(message + where, path=path, line=line, column=column)

    for column in ("text", "scale", "label"):
        blank = np.flatnonzero(out[column].to_numpy() == "")
        if len(blank):
            raise fail(f"empty {column}: every row needs a scale, a label and a text", int(blank[0]), column)
    keys = []
    raw = rows["key"] if "key" in rows.columns else [None] * len(rows)
    for position, value in enumerate(raw):
        try:
            keys.append(key_value(value))
        except ValueError as exc:
            raise fail(f"{exc} ({KEY_HELP})", position, "key") from None
    out["key"] = np.asarray(keys, dtype=float)
    out["item"] = out["item"].where(out["item"] != "", out["text"])
    for column in ("label", "definition", "inventory"):
        first = out.groupby("scale", sort=False)[column].transform("first")
        clash = np.flatnonzero(out[column].to_numpy() != first.to_numpy())
        if len(clash):
            p = int(clash[0])
            raise fail(f"scale {out['scale'][p]!r} has {column} {out[column][p]!r} here but {first[p]!r} before; "
                       "a scale id names one scale (duplicate scale id?)", p, column)
    first_text = out.groupby("item", sort=False)["text"].transform("first")
    clash = np.flatnonzero(out["text"].to_numpy() != first_text.to_numpy())
    if len(clash):
        p = int(clash[0])
        raise fail(f"item {out['item'][p]!r} has another text than before; an item id has one text", p, "text")
    twice = np.flatnonzero(out.duplicated(["scale", "item"]).to_numpy())
    if len(twice):
        p = int(twice[0])
        raise fail(f"item {out['item'][p][:60]!r} is listed twice in scale {out['scale'][p]!r}", p, "text")
    return out[COLUMNS]


def warn_case_variants(names: Sequence[str], what: str) -> None:
    """Warn when names differ only in case or surrounding space ("Grit" and "grit").

    They stay distinct, but most likely one was meant (a scale split in two, one part perhaps a single item).
    """
    groups: dict[str, list[str]] = {}
    for name in dict.fromkeys(str(n) for n in names):
        groups.setdefault(name.strip().casefold(), []).append(name)
    variants = [g for g in groups.values() if len(g) > 1]
    if variants:
        shown = "; ".join(" / ".join(repr(v) for v in g) for g in variants[:3])
        warnings.warn(f"{len(variants)} {what} name(s) differ only in case and are kept apart: {shown}",
                      ScaleWarning, stacklevel=3)


def _warn(frame: pd.DataFrame) -> None:
    warn_case_variants(frame["scale"].unique().tolist(), "scale")
    sizes = frame.groupby("scale", sort=False).size()
    single = sizes[sizes == 1]
    if len(single):
        warnings.warn(f"{len(single)} scale(s) have a single item (e.g. {single.index[0]!r}): their content is "
                      "that item alone", ScaleWarning, stacklevel=3)
    unkeyed = int(frame["key"].isna().sum())
    if unkeyed:
        warnings.warn(f"{unkeyed} of {len(frame)} item rows have no key: keyed (signed) content treats them as +1; "
                      "the default, keying-free content does not use keys", ScaleWarning, stacklevel=3)
