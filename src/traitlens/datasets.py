"""Person-level questionnaire responses: loaders, validation, and observed item/scale statistics.

Each loader reads one folder of the shared open-data collection (``../shared/data`` next to the
project, or ``$TRAITLENS_DATA_DIR``) and returns a :class:`ResponseData`: a persons × items frame
of responses (``NaN`` = missing), the response-scale bounds, the scales with their item keys, and
the item texts. From it follow the observed item correlations, keyed scale scores, scale
correlations and Cronbach's alphas that traitlens' text-only predictions are evaluated against.

The data files are not part of the package; their licences are recorded in
:attr:`ResponseData.licence` (two of them allow research use only).

Datasets
--------
``big5``
    Open Psychometrics BIG5 (2012): IPIP Big-Five Factor Markers, 19,719 persons × 50 items, 1–5.
``bfi``
    ``psych::bfi``: 25 IPIP items (SAPA), 2,800 persons, 1–6.
``spi``
    SAPA Personality Inventory: 135 items, 4,000 persons, 1–6; 5 Big Five + 27 narrow scales.
``adjectives``
    Goldberg's 100 Big-Five adjective markers (``psychTools``), 554 persons, 1–9.
``bainbridge``
    Bainbridge et al. (2022) study 2: 418 items of 22 instruments, 493 persons, 1–5; the pilot
    evaluation set of Hommel & Arslan (2025). See also :func:`load_bainbridge_pairs`.
"""

from __future__ import annotations

import io
import os
import re
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from traitlens import psychometrics
from traitlens.constructs.bigfive import BIG_FIVE
from traitlens.errors import InputError
from traitlens.io.sources import Table, read_delimited, read_utf8

__all__ = [
    "BIG_FIVE",
    "DataWarning",
    "ResponseData",
    "available_datasets",
    "default_data_dir",
    "load_bainbridge_pairs",
    "load_responses",
    "validate_responses",
]

#: Canonical Big Five factor names, in the order of the IPIP markers (I–V).

_LEVELS = ("factor", "facet", "scale")
_DATA_DIR_ENV = "TRAITLENS_DATA_DIR"


class DataWarning(UserWarning):
    """Response data that can be used, but not all of it (e.g. an item nobody answered)."""


# ----------------------------------------------------------------------------- the data object


@dataclass(eq=False)
class ResponseData:
    """Person-level responses to a questionnaire, with its scales and item texts.

    Attributes
    ----------
    name : str
        Dataset name (``"big5"``, ``"bfi"``, ... or your own).
    responses : DataFrame
        Persons × items, float64, ``NaN`` = missing; the columns are the item ids.
    low, high : float
        Bounds of the response scale (e.g. 1 and 5); reverse keying maps ``x`` to ``low + high - x``.
    scales : dict of str to Series
        Scale name → Series (item id → +1 / -1 key).
    scale_levels : dict of str to str
        Scale name → ``"factor"`` (a broad domain that has facets or is a Big Five factor),
        ``"facet"`` (a subscale of a factor) or ``"scale"`` (a stand-alone or narrow scale).
    item_text : Series
        Item id → item text (wording as administered).
    source : str
        Where the data come from (repository, path, commit; paper).
    licence : str
        Terms of use of the data.
    """

    name: str
    responses: pd.DataFrame = field(repr=False)
    low: float
    high: float
    scales: dict[str, pd.Series] = field(repr=False)
    scale_levels: dict[str, str] = field(repr=False)
    item_text: pd.Series = field(repr=False)
    source: str = field(default="", repr=False)
    licence: str = field(default="", repr=False)
    _item_r: pd.DataFrame | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if set(self.scale_levels) != set(self.scales):
            raise InputError("scale_levels must name exactly the scales in scales")
        bad = {k: v for k, v in self.scale_levels.items() if v not in _LEVELS}
        if bad:
            name, level = next(iter(bad.items()))
            raise InputError(f"scale level of {name!r} must be one of {', '.join(_LEVELS)}, got {level!r}")

    def __repr__(self) -> str:
        return (
            f"ResponseData(name={self.name!r}, n_persons={self.n_persons}, n_items={self.n_items}, "
            f"n_scales={len(self.scales)}, low={self.low:g}, high={self.high:g})"
        )

    @property
    def n_persons(self) -> int:
        """Number of persons (rows of :attr:`responses`)."""
        return int(self.responses.shape[0])

    @property
    def n_items(self) -> int:
        """Number of items (columns of :attr:`responses`)."""
        return int(self.responses.shape[1])

    def item_correlations(self) -> pd.DataFrame:
        """Observed pairwise-complete item correlations (computed once, then cached).

        Returns
        -------
        DataFrame
            Items × items; see :func:`traitlens.psychometrics.item_correlations`.
        """
        if self._item_r is None:
            self._item_r = psychometrics.item_correlations(self.responses)
        return self._item_r

    def scale_scores(self, min_items: int = 1) -> pd.DataFrame:
        """Keyed scale scores (mean of each person's answered items).

        Parameters
        ----------
        min_items : int, default 1
            Fewer answered items give ``NaN``.

        Returns
        -------
        DataFrame
            Persons × scales; see :func:`traitlens.psychometrics.scale_scores`.
        """
        return psychometrics.scale_scores(self.responses, self.scales, self.low, self.high, min_items=min_items)

    def scale_correlations(self, min_items: int = 1) -> pd.DataFrame:
        """Observed scale correlations: pairwise-complete Pearson r of the person-level scale scores.

        Parameters
        ----------
        min_items : int, default 1
            Passed to :meth:`scale_scores`.

        Returns
        -------
        DataFrame
            Scales × scales.
        """
        return psychometrics.item_correlations(self.scale_scores(min_items=min_items))

    def alphas(self, nan_policy: Literal["pairwise", "listwise"] = "pairwise") -> pd.Series:
        """Cronbach's alpha of every scale with at least two items.

        Parameters
        ----------
        nan_policy : {"pairwise", "listwise"}, default "pairwise"
            See :func:`traitlens.psychometrics.cronbach_alpha`.

        Returns
        -------
        Series
            Scale name → alpha, named ``"alpha"``.
        """
        out = {}
        for name, keys in self.scales.items():
            if len(keys) < 2:
                continue
            keyed = psychometrics.reverse_key(self.responses[list(keys.index)], keys, self.low, self.high)
            out[name] = psychometrics.cronbach_alpha(keyed, nan_policy=nan_policy)
        return pd.Series(out, name="alpha", dtype=np.float64)


# ----------------------------------------------------------------------------- validation


def validate_responses(
    frame: pd.DataFrame,
    low: float,
    high: float,
    *,
    source: str | Path | None = None,
    lines: Sequence[int] | None = None,
    missing_codes: Iterable[float] = (),
) -> pd.DataFrame:
    """Check a persons × items frame of responses and return it as float64 with ``NaN`` = missing.

    Parameters
    ----------
    frame : DataFrame
        Persons × items (only item columns). Cells may be numbers, numeric strings or empty.
    low, high : float
        Bounds of the response scale; any response outside ``[low, high]`` is an error.
    source : str or Path, optional
        The file (or a description of the frame) named in error messages.
    lines : sequence of int, optional
        The 1-based line in ``source`` of each row of ``frame``; without it errors name the row label.
    missing_codes : iterable of float, default ()
        Codes that mean "no response" (e.g. ``0`` in the Open Psychometrics files): set to ``NaN``.

    Returns
    -------
    DataFrame
        The frame as float64, missing codes replaced by ``NaN``, and columns without any response
        dropped (with a :class:`DataWarning` naming them).

    Raises
    ------
    InputError
        A non-numeric cell, or a response outside ``[low, high]``; the message names the file, the
        line (or row), the item and the value of the first offending cell. Also duplicate columns.

    Warns
    -----
    DataWarning
        Item columns that have no response at all (they are dropped).

    Examples
    --------
    >>> import pandas as pd
    >>> validate_responses(pd.DataFrame({"q1": [1, 0, 5]}), 1, 5, missing_codes=(0,))["q1"].tolist()
    [1.0, nan, 5.0]
    >>> validate_responses(pd.DataFrame({"q1": [1, 7]}), 1, 6, source="answers.csv", lines=[2, 3])
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    traitlens.errors.InputError: answers.csv, line 3, field q1: response 7 is outside the response scale 1–6; ...
    """
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"responses must be a pandas DataFrame (persons × items), got {type(frame).__name__}")
    if not (np.isfinite(low) and np.isfinite(high) and low < high):
        raise InputError(f"the response scale needs low < high, got low={low!r}, high={high!r}")
    if not frame.columns.is_unique:
        dupes = sorted({str(c) for c in frame.columns[frame.columns.duplicated()]})
        raise InputError(f"duplicate item columns: {', '.join(dupes)}", path=source)
    if lines is not None and len(lines) != len(frame):
        raise InputError(f"lines has {len(lines)} entries but the frame has {len(frame)} rows")

    def where(row: int) -> tuple[int | None, str]:
        if lines is not None:
            return int(lines[row]), ""
        label = frame.index[row]
        return None, f" (row {label.item() if isinstance(label, np.generic) else label!r})"

    columns = {}
    for column in frame.columns:
        values = frame[column]
        if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            numbers = pd.to_numeric(values.astype("string").str.strip(), errors="coerce")
            bad = np.flatnonzero(numbers.isna().to_numpy() & values.notna().to_numpy())
            if len(bad):
                line, row = where(int(bad[0]))
                raise InputError(
                    f"response {values.iloc[bad[0]]!r} is not a number{row}", path=source, line=line,
                    column=str(column),
                )
            values = numbers
        columns[column] = values.to_numpy(dtype=np.float64, na_value=np.nan)
    x = np.column_stack(list(columns.values())) if columns else np.empty((len(frame), 0))
    for code in missing_codes:
        x[x == code] = np.nan
    bad = ~np.isnan(x) & ((x < low) | (x > high))
    if bad.any():
        row = int(np.flatnonzero(bad.any(axis=1))[0])
        col = int(np.flatnonzero(bad[row])[0])
        line, label = where(row)
        raise InputError(
            f"response {x[row, col]:g} is outside the response scale {low:g}–{high:g}{label}; "
            "if it is a missing-value code, pass it in missing_codes",
            path=source,
            line=line,
            column=str(frame.columns[col]),
        )
    out = pd.DataFrame(x, index=frame.index, columns=frame.columns)
    empty = [str(c) for c in out.columns[out.isna().all(axis=0).to_numpy()]]
    if empty and len(out):
        where_from = f"{source}: " if source is not None else ""
        warnings.warn(
            f"{where_from}{len(empty)} item column(s) have no responses and are dropped: {', '.join(empty)}",
            DataWarning,
            stacklevel=2,
        )
        out = out.drop(columns=empty)
    return out


# ----------------------------------------------------------------------------- locating the data


def default_data_dir() -> Path:
    """The folder that holds the response datasets.

    ``../shared/data`` relative to the current directory (the layout of the project checkout)
    if it exists, else ``$TRAITLENS_DATA_DIR`` (the order the evaluation CLI documents).

    Returns
    -------
    Path

    Raises
    ------
    InputError
        Neither exists (or ``$TRAITLENS_DATA_DIR`` names a folder that does not exist).
    """
    path = Path.cwd().parent / "shared" / "data"
    if path.is_dir():
        return path.resolve()
    env = os.environ.get(_DATA_DIR_ENV, "").strip()
    if env:
        env_path = Path(env).expanduser()
        if not env_path.is_dir():
            raise InputError(f"${_DATA_DIR_ENV} is {env!r}, which is not a folder")
        return env_path
    raise InputError(
        f"no response-data folder: {path} does not exist and ${_DATA_DIR_ENV} is not set; "
        f"pass data_dir or set ${_DATA_DIR_ENV} to the folder holding openpsychometrics_big5_2012/, psych_bfi/, …"
    )


def _data_dir(data_dir: str | Path | None) -> Path:
    if data_dir is None:
        return default_data_dir()
    path = Path(data_dir).expanduser()
    if not path.is_dir():
        raise InputError("the response-data folder does not exist (pass data_dir or set "
                         f"${_DATA_DIR_ENV})", path=path)
    return path


# ----------------------------------------------------------------------------- file readers


def _read_csv(path: Path, sep: str = ",") -> tuple[pd.DataFrame, list[int] | None]:
    """Read a delimited response file (strict UTF-8); return the frame and each row's line number."""
    text = read_utf8(path)
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep)
    except pd.errors.EmptyDataError:
        raise InputError("the file is empty (expected a header row)", path=path, line=1) from None
    except pd.errors.ParserError as exc:
        raise InputError(f"malformed file ({exc})", path=path) from None
    lines: list[int] | None = [i for i, line in enumerate(text.splitlines(), start=1) if line.strip()][1:]
    if len(lines) != len(frame):  # quoted multi-line fields: fall back to row labels
        lines = None
    return frame, lines


def _item_columns(frame: pd.DataFrame, pattern: str, path: Path) -> list[str]:
    items = [str(c) for c in frame.columns if re.fullmatch(pattern, str(c))]
    if not items:
        raise InputError(f"no item columns (named like {pattern!r}) in the header", path=path, line=1)
    return items


def _parse_key(value: str, path: Path, line: int, column: str) -> int:
    try:
        key = float(value)
    except ValueError:
        key = float("nan")
    if key not in (1.0, -1.0):
        raise InputError(f"key must be 1 or -1, got {value!r}", path=path, line=line, column=column)
    return int(key)


def _read_keys(
    table: Table,
    *,
    item: str,
    scale: str,
    key: str,
    items: Sequence[str],
    data_path: Path,
    rename: Callable[[str], str] = str,
) -> dict[str, pd.Series]:
    """Scales from a long keys table (one row per scale × item); every item must be a response column."""
    table.require(item, scale, key)
    known = set(items)
    rows: dict[str, dict[str, int]] = {}
    for row, line in zip(table.rows, table.lines, strict=True):
        item_id = row[item].strip()
        if item_id not in known:
            raise InputError(f"item {item_id!r} is not a response column of {data_path.name}",
                             path=table.path, line=line, column=item)
        name = rename(row[scale].strip())
        if not name:
            raise InputError("empty scale name", path=table.path, line=line, column=scale)
        keys = rows.setdefault(name, {})
        if item_id in keys:
            raise InputError(f"item {item_id!r} is listed twice for scale {name!r}",
                             path=table.path, line=line, column=item)
        keys[item_id] = _parse_key(row[key], table.path, line, key)
    if not rows:
        raise InputError("the keys file has no rows", path=table.path)
    return {name: pd.Series(keys, dtype=np.int64) for name, keys in rows.items()}


def _item_text(table: Table, item: str, text: str) -> pd.Series:
    table.require(item, text)
    return pd.Series({row[item].strip(): row[text].strip() for row in table.rows}, dtype=object, name="text")


def _assemble(
    name: str,
    responses: pd.DataFrame,
    low: float,
    high: float,
    scales: dict[str, pd.Series],
    scale_levels: dict[str, str],
    item_text: pd.Series,
    source: str,
    licence: str,
) -> ResponseData:
    """Drop the items that validation removed (no responses) from the scales, then build the object."""
    kept = {}
    for scale, keys in scales.items():
        keys = keys[keys.index.isin(responses.columns)]
        if keys.empty:
            warnings.warn(f"{name}: scale {scale!r} has no answered items and is dropped", DataWarning, stacklevel=3)
            continue
        kept[scale] = keys
    return ResponseData(
        name=name,
        responses=responses,
        low=low,
        high=high,
        scales=kept,
        scale_levels={scale: scale_levels[scale] for scale in kept},
        item_text=item_text.reindex(responses.columns),
        source=source,
        licence=licence,
    )


# ----------------------------------------------------------------------------- the loaders


def _load_big5(root: Path) -> ResponseData:
    folder = root / "openpsychometrics_big5_2012"
    path = folder / "data.csv"
    frame, lines = _read_csv(path, sep="\t")
    items = _item_columns(frame, r"[ENACO]\d+", path)
    table = read_delimited(folder / "ipip50_items_keys.csv")
    # ``key`` is relative to Neuroticism for the N items (the column ``key_ipip_official`` is relative
    # to Emotional Stability and would flip the whole factor).
    scales = _read_keys(table, item="item_big5_2012", scale="factor", key="key", items=items, data_path=path)
    responses = validate_responses(frame[items], 1, 5, source=path, lines=lines, missing_codes=(0,))
    return _assemble(
        "big5", responses, 1, 5, scales, dict.fromkeys(scales, "factor"),
        _item_text(table, "item_big5_2012", "text"),
        source="Open Psychometrics BIG5 (2012), IPIP Big-Five Factor Markers; GitHub "
        "jcl132/personality-prediction-from-text@0d0b3a72ae7a4f28349635982c35c10fff9e164e data/BIG5/data.csv",
        licence="openpsychometrics.org raw data for research use (CC BY-NC-SA 4.0); items IPIP, public domain",
    )


def _load_bfi(root: Path) -> ResponseData:
    folder = root / "psych_bfi"
    path = folder / "bfi.csv"
    frame, lines = _read_csv(path)
    items = _item_columns(frame, r"[ACENO]\d", path)
    table = read_delimited(folder / "bfi_items_keys.csv")
    scales = _read_keys(table, item="item", scale="factor", key="key", items=items, data_path=path)
    responses = validate_responses(frame[items], 1, 6, source=path, lines=lines)
    return _assemble(
        "bfi", responses, 1, 6, scales, dict.fromkeys(scales, "factor"), _item_text(table, "item", "text"),
        source="psych::bfi (SAPA project, Revelle); GitHub cran/psych@9e3254464723e8722c4a4f5b106919040efa876e "
        "data/bfi.rda",
        licence="GPL (>= 2) (R package psych); items IPIP, public domain",
    )


_SPI_BIG_FIVE = {
    "Extra": "Extraversion",
    "Neuro": "Neuroticism",
    "Agree": "Agreeableness",
    "Consc": "Conscientiousness",
    "Open": "Openness",
}


def _load_spi(root: Path) -> ResponseData:
    folder = root / "sapa_spi135"
    path = folder / "spi.csv"
    frame, lines = _read_csv(path)
    items = _item_columns(frame, r"q_\d+", path)
    table = read_delimited(folder / "spi_keys_long.csv")
    scales = _read_keys(table, item="item", scale="scale", key="key", items=items, data_path=path,
                        rename=lambda code: _SPI_BIG_FIVE.get(code, code))
    levels = {scale: "factor" if scale in BIG_FIVE else "scale" for scale in scales}
    responses = validate_responses(frame[items], 1, 6, source=path, lines=lines)
    item_text = _item_text(read_delimited(folder / "spi_dictionary.csv"), "item_id", "item")
    return _assemble(
        "spi", responses, 1, 6, scales, levels, item_text,
        source="SAPA Personality Inventory (Condon 2018), psychTools::spi; GitHub "
        "cran/psychTools@79df5145fe5505cc14aaa7b46847b240c8556548 data/spi.rda",
        licence="GPL (>= 2) (R package psychTools); SPI items public domain",
    )


def _load_adjectives(root: Path) -> ResponseData:
    folder = root / "goldberg_big5_100_adjectives"
    path = folder / "big5_100_adjectives.csv"
    frame, lines = _read_csv(path)
    items = _item_columns(frame, r"V\d+", path)
    table = read_delimited(folder / "adjectives_keys.csv")
    scales = _read_keys(table, item="item", scale="factor", key="key", items=items, data_path=path)
    # Self-ratings on a 9-point scale: the data use exactly the codes 1..9.
    responses = validate_responses(frame[items], 1, 9, source=path, lines=lines)
    return _assemble(
        "adjectives", responses, 1, 9, scales, dict.fromkeys(scales, "factor"),
        _item_text(table, "item", "adjective"),
        source="Goldberg's 100 Big-Five adjective markers, psychTools::big5.100.adjectives; GitHub "
        "cran/psychTools@79df5145fe5505cc14aaa7b46847b240c8556548",
        licence="GPL (>= 2) (R package psychTools)",
    )


def _load_bainbridge(root: Path) -> ResponseData:
    folder = root / "bainbridge_pilot"
    path = folder / "human.csv"
    frame, lines = _read_csv(path)
    mapping = read_delimited(folder / "mapping2.csv")
    mapping.require("variable", "instrument", "item_text", "scale0", "scale1")
    header = {str(c) for c in frame.columns}
    variables: list[str] = []
    for row, line in zip(mapping.rows, mapping.lines, strict=True):
        if row["variable"] not in header:
            raise InputError(f"item {row['variable']!r} is not a response column of {path.name}",
                             path=mapping.path, line=line, column="variable")
        variables.append(row["variable"])
    unmapped = [str(c) for c in frame.columns if str(c) not in set(variables)]
    if unmapped:
        raise InputError(f"column {unmapped[0]!r} has no row in {mapping.path.name}", path=path, line=1,
                         column=unmapped[0])
    # Every item is a 5-point rating (1..5); reverse-keyed items are not recoded in the file.
    responses = validate_responses(frame[variables], 1, 5, source=path, lines=lines)
    item_r = psychometrics.item_correlations(responses)

    table = read_delimited(folder / "scales.csv")
    table.require("instrument", "scale_0", "scale_1", "scale", "keyed")
    with_facets = {(row["instrument"], row["scale_0"]) for row in table.rows if row["scale_1"].strip()}
    scales: dict[str, pd.Series] = {}
    levels: dict[str, str] = {}
    for row, line in zip(table.rows, table.lines, strict=True):
        name = row["scale"].strip()
        if name in scales:
            raise InputError(f"scale {name!r} is listed twice", path=table.path, line=line, column="scale")
        facet = row["scale_1"].strip()
        items = [
            m["variable"] for m in mapping.rows
            if m["instrument"] == row["instrument"] and m["scale0"] == row["scale_0"]
            and (not facet or m["scale1"].strip() == facet) and m["variable"] in responses.columns
        ]
        if not items:
            raise InputError(f"scale {name!r} matches no answered item of {mapping.path.name}",
                             path=table.path, line=line, column="scale")
        keyed = _parse_key(row["keyed"], table.path, line, "keyed")
        scales[name] = _keys_from_first_item(item_r, items, keyed, name)
        if facet:
            levels[name] = "facet"
        elif (row["instrument"], row["scale_0"]) in with_facets:
            levels[name] = "factor"
        else:
            levels[name] = "scale"
    data = _assemble(
        "bainbridge", responses, 1, 5, scales, levels, _item_text(mapping, "variable", "item_text"),
        source="Bainbridge, Ludeke & Smillie (2022) study 2 (OSF osf.io/y7tkn), as prepared by Hommel & Arslan "
        "(2025, AMPPS, doi:10.1177/25152459251377093); GitHub rubenarslan/surveybot3000@"
        "ab698906b8e57c8a24d77951cbbb1bbab19fc0fc data/intermediate/*osf-bainbridge-2021-s2-0*",
        licence="no licence file: research and evaluation inside this project only; do not redistribute",
    )
    data._item_r = item_r
    return data


def _keys_from_first_item(item_r: pd.DataFrame, items: list[str], keyed: int, scale: str) -> pd.Series:
    """Keys of a scale whose file gives only the first item's key (Hommel & Arslan's method).

    The first item gets ``keyed``; every other item gets ``keyed`` if its observed correlation with
    the first item is >= 0 and ``-keyed`` if it is negative (``find_reverse_items_by_first_item`` in
    the surveybot3000 repository). A pair without an observed correlation keeps ``keyed`` (warned).
    """
    first = items[0]
    r = item_r.loc[items, first]
    if r.isna().any():
        warnings.warn(f"bainbridge: scale {scale!r}: no observed correlation of {list(r.index[r.isna()])} "
                      f"with its first item {first!r}; keyed like the first item", DataWarning, stacklevel=4)
    keys = pd.Series(np.where(r.to_numpy() < 0, -keyed, keyed), index=pd.Index(items), dtype=np.int64)
    keys[first] = keyed
    return keys


_LOADERS: dict[str, Callable[[Path], ResponseData]] = {
    "big5": _load_big5,
    "bfi": _load_bfi,
    "spi": _load_spi,
    "adjectives": _load_adjectives,
    "bainbridge": _load_bainbridge,
}


def available_datasets() -> list[str]:
    """Names that :func:`load_responses` accepts.

    Returns
    -------
    list of str
        ``["big5", "bfi", "spi", "adjectives", "bainbridge"]``.
    """
    return list(_LOADERS)


def load_responses(name: str, data_dir: str | Path | None = None) -> ResponseData:
    """Load one of the shared response datasets.

    Parameters
    ----------
    name : str
        One of :func:`available_datasets`: ``"big5"``, ``"bfi"``, ``"spi"``, ``"adjectives"``,
        ``"bainbridge"``.
    data_dir : str or Path, optional
        The folder holding the dataset folders (``openpsychometrics_big5_2012/``, ...); default
        :func:`default_data_dir`.

    Returns
    -------
    ResponseData

    Raises
    ------
    InputError
        Unknown name; missing folder or file; a response outside the response scale; a keys file
        naming an item that is not a response column (each error names file, line and column).

    Warns
    -----
    DataWarning
        Item columns without any response (dropped from the responses and from the scales).

    Notes
    -----
    Keys: ``big5`` uses the ``key`` column of ``ipip50_items_keys.csv`` (relative to
    Neuroticism; ``key_ipip_official`` is relative to Emotional Stability); ``0`` there means
    "not answered". ``spi`` maps the Big Five codes to :data:`BIG_FIVE` names (level
    ``"factor"``) and keeps the 27 narrow scales (level ``"scale"``). ``bainbridge`` has one
    scale per row of ``scales.csv``: a subscale (``scale_1``) is a ``"facet"``, a scale with
    subscales a ``"factor"``, any other a ``"scale"``; its keys come from the first item's key
    and the sign of each item's observed correlation with the first item (Hommel & Arslan, 2025).

    Examples
    --------
    >>> data = load_responses("bfi")  # doctest: +SKIP
    >>> data.alphas().round(2)["Conscientiousness"]  # doctest: +SKIP
    0.73
    """
    if name not in _LOADERS:
        raise InputError(f"unknown dataset {name!r}; available: {', '.join(_LOADERS)}")
    return _LOADERS[name](_data_dir(data_dir))


_PAIR_COLUMNS = (
    "variable_1",
    "variable_2",
    "empirical_r",
    "pairwise_n",
    "empirical_r_se",
    "synthetic_r_surveybot3000",
    "synthetic_r_all_mpnet_base_v2",
)


def load_bainbridge_pairs(data_dir: str | Path | None = None) -> pd.DataFrame:
    """Every item pair of the Bainbridge data with its observed and two predicted correlations.

    Parameters
    ----------
    data_dir : str or Path, optional
        The folder holding ``bainbridge_pilot/``; default :func:`default_data_dir`.

    Returns
    -------
    DataFrame
        87,153 rows, columns ``variable_1``, ``variable_2``, ``empirical_r``, ``pairwise_n``,
        ``empirical_r_se``, ``synthetic_r_surveybot3000`` (the fine-tuned SurveyBot3000 model),
        ``synthetic_r_all_mpnet_base_v2`` (off-the-shelf all-mpnet-base-v2).

    Notes
    -----
    ``empirical_r`` is the raw item correlation (reverse-keyed items not recoded). Published
    accuracy (Pearson r of predicted with empirical r over the pairs): SurveyBot3000 .67,
    all-mpnet-base-v2 .19 (Hommel & Arslan, 2025).
    """
    path = _data_dir(data_dir) / "bainbridge_pilot" / "item_pair_correlations.csv"
    frame, _ = _read_csv(path)
    missing = [c for c in _PAIR_COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(f"missing column {missing[0]!r}", path=path, line=1)
    return frame[list(_PAIR_COLUMNS)]
