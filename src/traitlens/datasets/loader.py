"""One loader for every dataset of :data:`~traitlens.datasets.specs.SPECS`."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pandas as pd

from traitlens.datasets.keys import ScaleInput, Scales
from traitlens.datasets.paths import resolve_data_dir
from traitlens.datasets.responses import DataWarning, ResponseData
from traitlens.datasets.specs import SPECS, DatasetSpec
from traitlens.datasets.validation import validate_responses
from traitlens.errors import InputError
from traitlens.io.sources import Frame, Table, read_delimited, read_frame

__all__ = ["available_datasets", "load_responses"]


def available_datasets() -> list[str]:
    """Names that :func:`load_responses` accepts.

    Returns
    -------
    list of str
        ``["big5", "bfi", "spi", "adjectives", "bainbridge"]``.
    """
    return list(SPECS)


def load_responses(name: str, data_dir: str | Path | None = None) -> ResponseData:
    """Load one of the shared response datasets.

    Parameters
    ----------
    name : str
        One of :func:`available_datasets`: ``"big5"``, ``"bfi"``, ``"spi"``, ``"adjectives"``,
        ``"bainbridge"``.
    data_dir : str or Path, optional
        The folder holding the dataset folders (``openpsychometrics_big5_2012/``, ...); default
        :func:`~traitlens.datasets.default_data_dir`.

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
    "not answered". ``spi`` maps the Big Five codes to :data:`~traitlens.constructs.bigfive.BIG_FIVE`
    names (level ``"factor"``) and keeps the 27 narrow scales (level ``"scale"``). ``bainbridge`` has
    one scale per row of ``scales.csv``: a subscale (``scale_1``) is a ``"facet"``, a scale with
    subscales a ``"factor"``, any other a ``"scale"``; its keys come from the first item's key
    and the sign of each item's observed correlation with the first item (Hommel & Arslan, 2025).
    Each dataset's files and conventions are declared in :data:`~traitlens.datasets.specs.SPECS`.

    Examples
    --------
    >>> data = load_responses("bfi")  # doctest: +SKIP
    >>> data.alphas().round(2)["Conscientiousness"]  # doctest: +SKIP
    0.73
    """
    if name not in SPECS:
        raise InputError(f"unknown dataset {name!r}; available: {', '.join(SPECS)}")
    spec = SPECS[name]
    folder = resolve_data_dir(data_dir) / spec.folder
    frame = read_frame(folder / spec.responses, spec.separator)
    text = read_delimited(folder / spec.text.file)
    text.require(spec.text.item, spec.text.text)
    items = _item_columns(frame, spec.items, text, spec.text.item)
    responses = validate_responses(frame.data[items], spec.low, spec.high, source=frame.path, lines=frame.lines,
                                   missing_codes=spec.missing_codes)
    scales = spec.keys(ScaleInput(folder=folder, path=frame.path, items=items, responses=responses, text=text))
    item_text = pd.Series({row[spec.text.item].strip(): row[spec.text.text].strip() for row in text.rows},
                          dtype=object, name="text")
    return _assemble(name, spec, responses, scales, item_text)


def _item_columns(frame: Frame, pattern: str | None, text: Table, item: str) -> list[str]:
    """The item columns: those matching ``pattern``, or (None) exactly the items listed in ``text``."""
    if pattern is not None:
        items = [c for c in frame.data.columns if re.fullmatch(pattern, c)]
        if not items:
            raise InputError(f"no item columns (named like {pattern!r}) in the header", path=frame.path, line=1)
        return items
    header = set(frame.data.columns)
    for row, line in zip(text.rows, text.lines, strict=True):
        if row[item] not in header:
            raise InputError(f"item {row[item]!r} is not a response column of {frame.path.name}",
                             path=text.path, line=line, column=item)
    listed = [row[item] for row in text.rows]
    known = set(listed)
    unlisted = [c for c in frame.data.columns if c not in known]
    if unlisted:
        raise InputError(f"column {unlisted[0]!r} has no row in {text.path.name}", path=frame.path, line=1,
                         column=unlisted[0])
    return listed


def _assemble(name: str, spec: DatasetSpec, responses: pd.DataFrame, scales: Scales,
              item_text: pd.Series) -> ResponseData:
    """Drop the items that validation removed (no responses) from the scales, then build the object."""
    kept = {}
    for scale, keys in scales.keys.items():
        keys = keys[keys.index.isin(responses.columns)]
        if keys.empty:
            warnings.warn(f"{name}: scale {scale!r} has no answered items and is dropped", DataWarning, stacklevel=3)
            continue
        kept[scale] = keys
    data = ResponseData(
        name=name,
        responses=responses,
        low=spec.low,
        high=spec.high,
        scales=kept,
        scale_levels={scale: scales.levels[scale] for scale in kept},
        item_text=item_text.reindex(responses.columns),
        source=spec.source,
        licence=spec.licence,
    )
    data._item_r = scales.item_r
    return data
