"""Scales and their item keys, read from a dataset's files.

A dataset's spec names a *scale reader*: a function of :class:`ScaleInput` that returns
:class:`Scales`. Most datasets give their keys as a long table (one row per scale × item with a
+1/-1 key), read by a :class:`KeysFile`; a dataset whose keys are given otherwise names its own
reader (see :func:`traitlens.datasets.bainbridge.bainbridge_scales`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from traitlens.constructs.bigfive import canonical_factor
from traitlens.errors import InputError
from traitlens.io.sources import Table, read_delimited

__all__ = ["KeysFile", "ScaleInput", "ScaleReader", "Scales", "parse_key"]


@dataclass(frozen=True)
class ScaleInput:
    """What a scale reader gets.

    Attributes
    ----------
    folder : Path
        The dataset's folder.
    path : Path
        Its responses file.
    items : list of str
        The item columns of the responses file (before validation dropped any).
    responses : DataFrame
        The validated responses (persons × items, float64).
    text : Table
        The item-text table.
    """

    folder: Path
    path: Path
    items: list[str]
    responses: pd.DataFrame
    text: Table


@dataclass(frozen=True)
class Scales:
    """What a scale reader returns.

    Attributes
    ----------
    keys : dict of str to Series
        Scale name → Series (item id → +1 / -1 key).
    levels : dict of str to str
        Scale name → ``"factor"``, ``"facet"`` or ``"scale"``.
    item_r : DataFrame, optional
        The observed item correlations, when the reader computed them (they are kept, not recomputed).
    """

    keys: dict[str, pd.Series]
    levels: dict[str, str]
    item_r: pd.DataFrame | None = None


ScaleReader = Callable[[ScaleInput], Scales]


def parse_key(value: str, path: Path, line: int, column: str) -> int:
    """A key cell as +1 or -1 (``"1"``, ``"-1"``, ``"1.0"``, ...).

    Parameters
    ----------
    value : str
        The cell.
    path : Path
        The file, for the error message.
    line : int
        The cell's line.
    column : str
        The cell's column.

    Returns
    -------
    int

    Raises
    ------
    InputError
        Anything else; the message names the file, line and column.
    """
    try:
        key = float(value)
    except ValueError:
        key = float("nan")
    if key not in (1.0, -1.0):
        raise InputError(f"key must be 1 or -1, got {value!r}", path=path, line=line, column=column)
    return int(key)


@dataclass(frozen=True)
class KeysFile:
    """A long keys table: one row per scale × item, with the item's +1/-1 key for that scale.

    Every item must be an item column of the responses file; an item may sit in several scales.

    Attributes
    ----------
    file : str
        The table, in the dataset's folder.
    item, scale, key : str
        Its columns of the item id, the scale name and the key.
    domains : tuple of str, optional
        The scale names that are Big Five domains, renamed to :data:`~traitlens.constructs.bigfive.BIG_FIVE`
        with :func:`~traitlens.constructs.bigfive.canonical_factor` (level ``"factor"``); every other
        scale keeps its name (level ``"scale"``). Default: every scale is a Big Five domain, and a
        name that is not one (e.g. Emotional Stability, which is Neuroticism keyed the other way) is
        an error.
    """

    file: str
    item: str
    scale: str
    key: str = "key"
    domains: tuple[str, ...] | None = None

    def __call__(self, data: ScaleInput) -> Scales:
        """Read the table; see :data:`ScaleReader`.

        Parameters
        ----------
        data : ScaleInput
            The dataset being loaded.

        Returns
        -------
        Scales

        Raises
        ------
        InputError
            A missing column, an item that is not a response column, an item listed twice for a scale,
            an empty or non-domain scale name, a key other than +1/-1; named by file, line and column.
        """
        table = read_delimited(data.folder / self.file)
        table.require(self.item, self.scale, self.key)
        known = set(data.items)
        keys: dict[str, dict[str, int]] = {}
        levels: dict[str, str] = {}
        for row, line in zip(table.rows, table.lines, strict=True):
            item = row[self.item].strip()
            if item not in known:
                raise InputError(f"item {item!r} is not a response column of {data.path.name}",
                                 path=table.path, line=line, column=self.item)
            name, level = self._scale(row[self.scale].strip(), table.path, line)
            levels[name] = level
            scale = keys.setdefault(name, {})
            if item in scale:
                raise InputError(f"item {item!r} is listed twice for scale {name!r}",
                                 path=table.path, line=line, column=self.item)
            scale[item] = parse_key(row[self.key], table.path, line, self.key)
        if not keys:
            raise InputError("the keys file has no rows", path=table.path)
        return Scales({name: pd.Series(k, dtype=np.int64) for name, k in keys.items()}, levels)

    def _scale(self, code: str, path: Path, line: int) -> tuple[str, str]:
        """The scale's name and level."""
        if not code:
            raise InputError("empty scale name", path=path, line=line, column=self.scale)
        if self.domains is not None and code not in self.domains:
            return code, "scale"
        name = canonical_factor(code)
        if name is None:
            raise InputError(f"scale {code!r} is not a Big Five domain", path=path, line=line, column=self.scale)
        return name, "factor"
