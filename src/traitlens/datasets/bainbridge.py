"""What is special about the Bainbridge et al. (2022) data: keys from the first item, and the pairs file.

``scales.csv`` lists one scale per row with only its first item's key; the scale's items come from
``mapping2.csv`` (instrument, scale, subscale) and the other keys from the sign of each item's
observed correlation with the first item (Hommel & Arslan, 2025). ``item_pair_correlations.csv``
holds every item pair with its observed and two predicted correlations.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from traitlens import psychometrics
from traitlens.datasets.keys import ScaleInput, Scales, parse_key
from traitlens.datasets.paths import resolve_data_dir
from traitlens.datasets.responses import DataWarning
from traitlens.errors import InputError
from traitlens.io.sources import read_delimited, read_frame

__all__ = ["FOLDER", "bainbridge_scales", "load_bainbridge_pairs"]

#: The dataset's folder in the shared data.
FOLDER = "bainbridge_pilot"

_PAIR_COLUMNS = (
    "variable_1",
    "variable_2",
    "empirical_r",
    "pairwise_n",
    "empirical_r_se",
    "synthetic_r_surveybot3000",
    "synthetic_r_all_mpnet_base_v2",
)


def bainbridge_scales(data: ScaleInput) -> Scales:
    """The scales of ``scales.csv``, their levels and their keys (a :data:`~traitlens.datasets.keys.ScaleReader`).

    A subscale (``scale_1``) is a ``"facet"``, a scale with subscales a ``"factor"``, any other a
    ``"scale"``. A scale's items are the answered items of ``mapping2.csv`` (``data.text``) with its
    instrument and scale (and subscale); their keys come from :func:`_keys_from_first_item`.

    Parameters
    ----------
    data : ScaleInput
        The dataset being loaded; ``data.text`` is ``mapping2.csv``.

    Returns
    -------
    Scales
        With the observed item correlations the keys were derived from.

    Raises
    ------
    InputError
        A missing column, a scale listed twice or matching no answered item, a bad key.
    """
    mapping = data.text
    mapping.require("instrument", "scale0", "scale1")
    item_r = psychometrics.item_correlations(data.responses)
    table = read_delimited(data.folder / "scales.csv")
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
            and (not facet or m["scale1"].strip() == facet) and m["variable"] in data.responses.columns
        ]
        if not items:
            raise InputError(f"scale {name!r} matches no answered item of {mapping.path.name}",
                             path=table.path, line=line, column="scale")
        keyed = parse_key(row["keyed"], table.path, line, "keyed")
        scales[name] = _keys_from_first_item(item_r, items, keyed, name)
        if facet:
            levels[name] = "facet"
        elif (row["instrument"], row["scale_0"]) in with_facets:
            levels[name] = "factor"
        else:
            levels[name] = "scale"
    return Scales(scales, levels, item_r)


def _keys_from_first_item(item_r: pd.DataFrame, items: list[str], keyed: int, scale: str) -> pd.Series:
    """Keys of a scale whose file gives only the first item's key (Hommel & Arslan's method).

    The first item gets ``keyed``; every other item gets ``keyed`` if its observed correlation with
    the first item is >= 0 and ``-keyed`` if it is negative (``find_reverse_items_by_first_item`` in
    the surveybot3000 repository). A pair without an observed correlation keeps ``keyed`` (warned).
    """
    first = items[0]
    r = item_r.loc[items, first]
    if r.isna().any():
        # stacklevel: the caller of load_responses
        warnings.warn(f"bainbridge: scale {scale!r}: no observed correlation of {list(r.index[r.isna()])} "
                      f"with its first item {first!r}; keyed like the first item", DataWarning, stacklevel=4)
    keys = pd.Series(np.where(r.to_numpy() < 0, -keyed, keyed), index=pd.Index(items), dtype=np.int64)
    keys[first] = keyed
    return keys


def load_bainbridge_pairs(data_dir: str | Path | None = None) -> pd.DataFrame:
    """Every item pair of the Bainbridge data with its observed and two predicted correlations.

    Parameters
    ----------
    data_dir : str or Path, optional
        The folder holding ``bainbridge_pilot/``; default :func:`~traitlens.datasets.default_data_dir`.

    Returns
    -------
    DataFrame
        87,153 rows, columns ``variable_1``, ``variable_2``, ``empirical_r``, ``pairwise_n``,
        ``empirical_r_se``, ``synthetic_r_surveybot3000`` (the fine-tuned SurveyBot3000 model),
        ``synthetic_r_all_mpnet_base_v2`` (off-the-shelf all-mpnet-base-v2).

    Raises
    ------
    InputError
        The folder or file is missing, malformed, or lacks one of those columns.

    Notes
    -----
    ``empirical_r`` is the raw item correlation (reverse-keyed items not recoded). Published
    accuracy (Pearson r of predicted with empirical r over the pairs): SurveyBot3000 .67,
    all-mpnet-base-v2 .19 (Hommel & Arslan, 2025).
    """
    pairs = read_frame(resolve_data_dir(data_dir) / FOLDER / "item_pair_correlations.csv")
    pairs.require(*_PAIR_COLUMNS)
    return pairs.data[list(_PAIR_COLUMNS)]
