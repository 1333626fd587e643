"""Inventories: questionnaire items, the scales they are scored on, and their keys.

An inventory is a list of item × scale memberships. Each membership says that
an item (an id and a text) counts towards a scale with a key of +1 (agreeing
means more of the scale) or -1 (reverse keyed). Scales have a level:
``factor`` (a broad domain such as a Big Five factor), ``facet`` (a narrow
part of one factor) or ``scale`` (any other scale, e.g. the 27 narrow scales
of the SPI). An item may sit in several scales with different keys, but in at
most one factor-level and one facet-level scale, so that every item has one
factor and one facet in :attr:`Inventory.items`.

Tidy CSV / TSV form (one row per item × scale; also the form of the built-ins)::

    item,text,scale,key,level
    N1,I get stressed out easily.,Neuroticism,1,factor
    N1,I get stressed out easily.,Anxiety,1,facet
    N2,I am relaxed most of the time.,Neuroticism,-1,factor

``item``, ``text``, ``scale`` and ``key`` are required; ``level`` is optional
(``factor``, ``facet`` or ``scale``; empty means ``scale``). Keys may be
written ``1``, ``+1``, ``-1``, ``1.0`` or ``-1.0``. An item that appears in
several rows must have the same text in each. The inventory is named after
the file stem; an optional sidecar ``PATH.meta.yaml`` (e.g.
``mine.csv.meta.yaml``) gives ``name``, ``description``, ``source`` and
``licence``.

YAML form (one entry per item; ``scales`` maps each scale to the item's key)::

    name: mini
    description: Two Neuroticism items.     # optional, as are source and licence
    source: IPIP (ipip.ori.org)
    licence: public domain
    levels:                                 # optional; scales not listed have level "scale"
      Neuroticism: factor
      Anxiety: facet
    items:
      - item: N1
        text: I get stressed out easily.
        scales: {Neuroticism: 1, Anxiety: 1}
      - item: N2
        text: I am relaxed most of the time.
        scales: {Neuroticism: -1}

Every error names the file, the line and the column or field. The same text
under two different item ids is allowed (some inventories repeat an item) but
gives a warning.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal

import pandas as pd
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from traitlens.constructs._builtin import builtin_names, load_named
from traitlens.errors import InputError
from traitlens.fingerprint import content_fingerprint
from traitlens.io.sources import error_message, load_yaml_with_lines, read_delimited, validation_error

_BUILTIN_PACKAGE = "traitlens.constructs.data.inventories"
LEVELS: tuple[str, ...] = ("factor", "facet", "scale")
"""The levels a scale can have, broadest first."""

Level = Literal["factor", "facet", "scale"]


def _parse_key(value: Any) -> int:
    """Accept +1/-1 as int, float or string (``"1"``, ``"+1"``, ``"-1"``, ``"1.0"``)."""
    if isinstance(value, bool):
        raise ValueError(f"key must be +1 or -1, got {value!r}")
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValueError("key is missing (expected +1 or -1)")
    number = value
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            raise ValueError(f"key must be +1 or -1, got {value!r}") from None
    if not isinstance(number, int | float) or math.isnan(number) or number not in (1, -1):
        raise ValueError(f"key must be +1 or -1, got {value!r}")
    return int(number)


def _parse_text(value: Any) -> Any:
    """Strip strings; turn integer ids (``item: 12`` in YAML) into strings."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str):
        if not value.strip():
            raise ValueError("must not be empty or whitespace")
        return value.strip()
    return value


def _parse_level(value: Any) -> Any:
    if value is None:
        return "scale"
    if isinstance(value, str):
        return value.strip().lower() or "scale"
    return value


Key = Annotated[int, BeforeValidator(_parse_key)]
Text = Annotated[str, BeforeValidator(_parse_text)]


class Membership(BaseModel):
    """One item in one scale: a row of :attr:`Inventory.frame`.

    Attributes
    ----------
    item : str
        Item id (in the built-ins: the column name in the response data).
    text : str
        Item text.
    scale : str
        Scale name.
    key : int
        +1 (agreeing means more of the scale) or -1 (reverse keyed).
    level : {"factor", "facet", "scale"}
        The scale's level (default ``"scale"``).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    item: Text
    text: Text
    scale: Text
    key: Key
    level: Annotated[Level, BeforeValidator(_parse_level)] = "scale"


class Inventory(BaseModel):
    """A validated questionnaire: items, scales and keys.

    Use :func:`load_inventory` to get one from a built-in name or a file.

    Attributes
    ----------
    name : str
        Inventory name.
    description, source, licence : str, optional
        What it is, where the items and keys come from, and under which terms.
    memberships : tuple of Membership
        One entry per item × scale, in file order.

    Examples
    --------
    >>> inv = load_inventory("ipip50")
    >>> n1 = inv.items.set_index("item").loc["N1"]
    >>> n1["text"], n1["factor"], int(n1["factor_key"])
    ('I get stressed out easily.', 'Neuroticism', 1)
    >>> int(inv.keys("Neuroticism")["N2"])
    -1
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    description: str | None = None
    source: str | None = None
    licence: str | None = None
    memberships: tuple[Membership, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Inventory:
        pairs: dict[tuple[str, str], int] = {}
        texts: dict[str, tuple[str, int]] = {}
        levels: dict[str, tuple[str, int]] = {}
        broad: dict[tuple[str, str], tuple[str, int]] = {}
        for i, m in enumerate(self.memberships):
            text, j = texts.setdefault(m.item, (m.text, i))
            if text != m.text:
                raise ValueError(f"memberships.{i}.text: item {m.item!r} has two different texts: {text!r} "
                                 f"(at memberships.{j}) and {m.text!r}")
            if (m.item, m.scale) in pairs:
                raise ValueError(f"memberships.{i}.scale: item {m.item!r} is listed twice in scale {m.scale!r} "
                                 f"(first at memberships.{pairs[m.item, m.scale]})")
            pairs[m.item, m.scale] = i
            level, j = levels.setdefault(m.scale, (m.level, i))
            if level != m.level:
                raise ValueError(f"memberships.{i}.level: scale {m.scale!r} has level {m.level!r} here but "
                                 f"{level!r} at memberships.{j}")
            if m.level in {"factor", "facet"}:
                other, j = broad.setdefault((m.item, m.level), (m.scale, i))
                if other != m.scale:
                    raise ValueError(f"memberships.{i}.scale: item {m.item!r} is in two {m.level}-level scales "
                                     f"({other!r} at memberships.{j} and {m.scale!r}); an item has at most one "
                                     f"factor and one facet (give other scales level 'scale')")
        return self

    @property
    def frame(self) -> pd.DataFrame:
        """The tidy long form: one row per item × scale with columns ``item, text, scale, key, level``."""
        frame = pd.DataFrame([m.model_dump() for m in self.memberships],
                             columns=["item", "text", "scale", "key", "level"])
        return frame.astype({"key": "int64"})

    @property
    def items(self) -> pd.DataFrame:
        """One row per item in inventory order: ``item, text, factor, factor_key, facet, facet_key``.

        ``factor`` is the item's factor-level scale and ``facet`` its facet-level
        scale (missing where it has none); the keys are nullable integers.
        """
        rows: dict[str, dict[str, Any]] = {}
        for m in self.memberships:
            row = rows.setdefault(m.item, {"item": m.item, "text": m.text, "factor": None, "factor_key": None,
                                           "facet": None, "facet_key": None})
            if m.level in {"factor", "facet"}:
                row[m.level], row[f"{m.level}_key"] = m.scale, m.key
        frame = pd.DataFrame(list(rows.values()), columns=["item", "text", "factor", "factor_key", "facet",
                                                            "facet_key"])
        return frame.astype({"factor_key": "Int64", "facet_key": "Int64"})

    @property
    def texts(self) -> list[str]:
        """The item texts, one per item, in inventory order."""
        return list({m.item: m.text for m in self.memberships}.values())

    def scales(self, level: str | None = None) -> pd.DataFrame:
        """The scales in order of first appearance: ``scale, level, n_items``.

        Parameters
        ----------
        level : {"factor", "facet", "scale"}, optional
            Only scales of this level (default: all).

        Returns
        -------
        pandas.DataFrame
        """
        if level is not None and level not in LEVELS:
            raise InputError(f"level must be one of {', '.join(LEVELS)}, got {level!r}")
        counts: dict[str, dict[str, Any]] = {}
        for m in self.memberships:
            entry = counts.setdefault(m.scale, {"scale": m.scale, "level": m.level, "n_items": 0})
            entry["n_items"] += 1
        frame = pd.DataFrame(list(counts.values()), columns=["scale", "level", "n_items"])
        if level is not None:
            frame = frame[frame["level"] == level].reset_index(drop=True)
        return frame.astype({"n_items": "int64"})

    def keys(self, scale: str) -> pd.Series:
        """The keys of one scale's items: a Series item id → +1/-1, named after the scale.

        Parameters
        ----------
        scale : str
            A scale name (see :meth:`scales`).

        Returns
        -------
        pandas.Series
            Indexed by ``item``, in inventory order.
        """
        members = [m for m in self.memberships if m.scale == scale]
        if not members:
            known = list(dict.fromkeys(m.scale for m in self.memberships))
            raise InputError(f"inventory {self.name!r} has no scale {scale!r}; its scales: {', '.join(known)}")
        return pd.Series([m.key for m in members], index=pd.Index([m.item for m in members], name="item"),
                         name=scale, dtype="int64")

    @property
    def fingerprint(self) -> str:
        """12-hex-digit SHA-256 of the inventory's content (recorded in provenance)."""
        return content_fingerprint(self.model_dump(mode="json"))


class _Meta(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1)
    description: str | None = None
    source: str | None = None
    licence: str | None = None


class _YamlItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    item: Text
    text: Text
    scales: dict[Text, Key] = Field(min_length=1)


class _YamlInventory(_Meta):
    name: str = Field(min_length=1)
    levels: dict[Text, Annotated[Level, BeforeValidator(_parse_level)]] = Field(default_factory=dict)
    items: list[_YamlItem] = Field(min_length=1)


def builtin_inventories() -> list[str]:
    """Names of the inventories shipped with traitlens.

    Returns
    -------
    list of str
        Sorted names, e.g. ``['adjectives100', 'bfi', 'ipip-neo-120', ...]``.
    """
    return builtin_names(_BUILTIN_PACKAGE, ".csv")


def inventory_catalog() -> pd.DataFrame:
    """One row per built-in inventory: ``name, n_items, n_<level>s ..., description``.

    The table behind ``traitlens inventories`` and ``GET /api/inventories``.
    """
    rows = []
    for name in builtin_inventories():
        inventory = load_inventory(name)
        per_level = inventory.scales()["level"].value_counts()
        rows.append({"name": name, "n_items": len(inventory.items),
                     **{f"n_{level}s": int(per_level.get(level, 0)) for level in LEVELS},
                     "description": inventory.description or ""})
    return pd.DataFrame(rows)


def load_inventory(inventory: str | Path | Inventory) -> Inventory:
    """Load an inventory by built-in name or from a CSV/TSV/YAML file.

    Parameters
    ----------
    inventory : str, Path or Inventory
        A built-in name (see :func:`builtin_inventories`), a path to a
        ``.csv``/``.tsv`` (tidy form) or ``.yaml``/``.yml`` file (see the module
        documentation), or an already loaded :class:`Inventory`.

    Returns
    -------
    Inventory

    Raises
    ------
    InputError
        Unknown name (the message lists the built-in ones), unreadable file, or
        a validation error naming file, line and column/field.

    Warns
    -----
    UserWarning
        The same text appears under two different item ids.

    Examples
    --------
    >>> inv = load_inventory("ipip-neo-300")
    >>> len(inv.items), len(inv.scales("facet"))
    (300, 30)
    """
    if isinstance(inventory, Inventory):
        return inventory
    return load_named(inventory, kind="inventory", package=_BUILTIN_PACKAGE, builtin_suffix=".csv",
                      from_table=_from_table, from_yaml=_from_yaml)


# A locator maps (membership index, field) to (line, column or field label) in the source file.
_Locator = Callable[[int, str], tuple[int | None, int | str | None]]


def _build(path: Path, meta: dict[str, Any], rows: list[dict[str, Any]], locate: _Locator) -> Inventory:
    memberships = []
    for i, row in enumerate(rows):
        try:
            memberships.append(Membership.model_validate(row))
        except ValidationError as exc:
            err = exc.errors()[0]
            field = str(err["loc"][0]) if err.get("loc") else "item"
            line, column = locate(i, field)
            raise InputError(error_message(err), path=path, line=line, column=column) from None
    try:
        inventory = Inventory(**meta, memberships=tuple(memberships))
    except ValidationError as exc:
        err = exc.errors()[0]
        msg = error_message(err)
        where, _, rest = msg.partition(": ")
        parts = where.split(".")
        if len(parts) == 3 and parts[0] == "memberships" and parts[1].isdigit():
            line, column = locate(int(parts[1]), parts[2])
            rest = re.sub(r"memberships\.(\d+)", lambda ref: f"line {locate(int(ref.group(1)), 'item')[0]}", rest)
            raise InputError(rest, path=path, line=line, column=column) from None
        raise InputError(msg, path=path, column=".".join(str(p) for p in err.get("loc", ())) or None) from None
    _warn_shared_texts(path, inventory, locate)
    return inventory


def _warn_shared_texts(path: Path, inventory: Inventory, locate: _Locator) -> None:
    first: dict[str, tuple[str, int]] = {}
    warned: set[str] = set()
    for i, m in enumerate(inventory.memberships):
        item, j = first.setdefault(m.text, (m.item, i))
        if item != m.item and m.item not in warned:
            warned.add(m.item)  # once per item id, not once per scale
            line_j, line_i = locate(j, "text")[0], locate(i, "text")[0]
            warnings.warn(f"{path}: items {item!r} (line {line_j}) and {m.item!r} (line {line_i}) have the same "
                          f"text {m.text!r}", UserWarning, stacklevel=5)


def _from_table(path: Path) -> Inventory:
    table = read_delimited(path)
    table.require("item", "text", "scale", "key")
    if not table.rows:
        raise InputError("the file has no rows", path=path, line=2)
    fields = ["item", "text", "scale", "key", "level"]
    rows = [{f: row[f] for f in fields if f in row} for row in table.rows]

    def locate(i: int, field: str) -> tuple[int | None, int | str | None]:
        return table.lines[i], field

    return _build(path, _read_meta(path), rows, locate)


def _read_meta(path: Path) -> dict[str, Any]:
    meta_path = path.with_name(path.name + ".meta.yaml")
    if not meta_path.is_file():
        return {"name": path.stem}
    data, lines = load_yaml_with_lines(meta_path)
    if not isinstance(data, dict):
        raise InputError("an inventory meta file must be a mapping with name, description, source, licence",
                         path=meta_path, line=1)
    try:
        meta = _Meta.model_validate(data)
    except ValidationError as exc:
        raise validation_error(meta_path, exc, lines) from None
    return {**meta.model_dump(), "name": meta.name or path.stem}


def _from_yaml(path: Path) -> Inventory:
    data, lines = load_yaml_with_lines(path)
    if not isinstance(data, dict):
        raise InputError("an inventory file must be a mapping with 'name' and 'items'", path=path, line=1)
    try:
        spec = _YamlInventory.model_validate(data)
    except ValidationError as exc:
        raise validation_error(path, exc, lines) from None
    used = {scale for entry in spec.items for scale in entry.scales}
    for scale in spec.levels:
        if scale not in used:
            raise InputError(f"levels names scale {scale!r}, but no item is in it", path=path,
                             line=lines.get(("levels", scale)), column=f"levels.{scale}")
    rows: list[dict[str, Any]] = []
    where: list[tuple[int, Any]] = []
    for j, (entry, raw) in enumerate(zip(spec.items, data["items"], strict=True)):
        for raw_name, key in raw["scales"].items():
            scale = str(raw_name).strip()
            rows.append({"item": entry.item, "text": entry.text, "scale": scale, "key": key,
                         "level": spec.levels.get(scale, "scale")})
            where.append((j, raw_name))

    def locate(i: int, field: str) -> tuple[int | None, int | str | None]:
        j, raw_name = where[i]
        loc: tuple[Any, ...] = ("items", j, field) if field in {"item", "text"} else ("items", j, "scales", raw_name)
        line = lines.get(loc, lines.get(("items", j)))
        return line, ".".join(str(p) for p in loc)

    meta = spec.model_dump(include={"name", "description", "source", "licence"})
    return _build(path, meta, rows, locate)
