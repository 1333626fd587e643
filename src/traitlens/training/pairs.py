"""Training pairs for learned item-correlation heads: observed item × item correlations with their texts.

API
---
``shared_item_pairs(data_dir, datasets=DATASETS, exclude_texts=None, guard_encoder=None) -> DataFrame``
    One row per unordered pair of distinct items of each response dataset in ``datasets`` (see
    :mod:`traitlens.datasets`): columns ``dataset, item_a, item_b, text_a, text_b, r``, where ``r`` is
    the observed pairwise-complete Pearson correlation of the raw (not reverse-keyed) responses, so it
    is signed like the items are worded. Pairs without an observed r are left out. With
    ``exclude_texts`` every item that the leakage guard
    (:func:`traitlens.evaluation.exclude_overlaps`: same normalised text, or cosine ≥ .90 under the
    default model / ``guard_encoder``) finds to be one of those texts, or a rewording of one, is
    dropped with all its pairs. ``frame.attrs`` records ``datasets``, ``excluded_items`` (count),
    ``excluded_pairs`` (count), ``excluded`` (the dropped ``dataset:item`` keys) and ``n_items``.
``holdout_texts(data_dir) -> list[str]``
    The item texts of the acceptance holdout (``Path(data_dir).parent / "holdout" / "mapping2.csv"``,
    column ``item_text`` only), for exclusion and for nothing else.
``item_key(dataset, item) -> str`` and ``pair_items(frame) -> (keys_a, keys_b)``
    Items are keyed ``"dataset:item"``, unique across datasets (``A1`` is both a BIG5 and a bfi id).
``item_split(items, fraction=0.2, seed=0) -> (train, validation)``
    Splits distinct ITEMS (never pairs) at random: ``fraction`` of them go to validation.
``split_pairs(frame, fraction=0.2, seed=0) -> (train, validation)``
    Pairs with both items in the training items, and pairs with both in the validation items
    (:func:`item_split` over the frame's item keys); pairs that cross the split are in neither.

Example
-------
>>> pairs = shared_item_pairs(data_dir, exclude_texts=holdout_texts(data_dir))  # doctest: +SKIP
>>> train, validation = split_pairs(pairs, fraction=0.2, seed=0)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from traitlens.datasets import load_responses
from traitlens.encoders import Encoder
from traitlens.errors import InputError
from traitlens.evaluation.leakage import exclude_overlaps

__all__ = [
    "DATASETS",
    "PAIR_COLUMNS",
    "holdout_texts",
    "item_key",
    "item_split",
    "pair_items",
    "shared_item_pairs",
    "split_pairs",
]

#: The response datasets with person-level data (every one of :func:`traitlens.datasets.available_datasets`).
DATASETS = ("big5", "bfi", "spi", "adjectives", "bainbridge")

#: Columns of :func:`shared_item_pairs`.
PAIR_COLUMNS = ["dataset", "item_a", "item_b", "text_a", "text_b", "r"]


def item_key(dataset: str, item: object) -> str:
    """The key of an item that is unique across datasets: ``"dataset:item"``."""
    return f"{dataset}:{item}"


def pair_items(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The item keys (:func:`item_key`) of both sides of every pair of a :func:`shared_item_pairs` frame."""
    dataset = frame["dataset"].astype(str)
    return ((dataset + ":" + frame["item_a"].astype(str)).to_numpy(),
            (dataset + ":" + frame["item_b"].astype(str)).to_numpy())


def holdout_texts(data_dir: str | Path) -> list[str]:
    """Item texts of the acceptance holdout, read only to exclude them (and rewordings) from training.

    Parameters
    ----------
    data_dir : path
        The shared data folder; the holdout is its sibling ``holdout/mapping2.csv``.

    Returns
    -------
    list of str
        The ``item_text`` column; nothing else of the file is read.
    """
    path = Path(data_dir).parent / "holdout" / "mapping2.csv"
    if not path.is_file():
        raise InputError(f"no holdout item file at {path}")
    try:
        column = pd.read_csv(path, usecols=["item_text"], dtype=str)["item_text"]
    except ValueError as error:  # the column is missing
        raise InputError(f"{path}: {error}") from None
    return [t.strip() for t in column.dropna() if t.strip()]


def _dataset_pairs(name: str, data_dir: str | Path) -> pd.DataFrame:
    data = load_responses(name, data_dir)
    item_r = data.item_correlations()
    items = [str(i) for i in item_r.columns if isinstance(data.item_text.get(i), str) and data.item_text[i].strip()]
    r = item_r.loc[items, items].to_numpy(dtype=float)
    a, b = np.triu_indices(len(items), k=1)
    ids = np.asarray(items, dtype=object)
    texts = np.asarray([data.item_text[i].strip() for i in items], dtype=object)
    frame = pd.DataFrame({"dataset": name, "item_a": ids[a], "item_b": ids[b], "text_a": texts[a],
                          "text_b": texts[b], "r": r[a, b]})
    return frame[np.isfinite(frame["r"])].reset_index(drop=True)


def shared_item_pairs(
    data_dir: str | Path,
    datasets: Sequence[str] = DATASETS,
    exclude_texts: Sequence[str] | None = None,
    guard_encoder: Encoder | None = None,
) -> pd.DataFrame:
    """Observed correlations of every unordered pair of distinct items of the response datasets.

    Parameters
    ----------
    data_dir : path
        The shared data folder (:func:`traitlens.datasets.default_data_dir`).
    datasets : sequence of str
        Dataset names (:data:`DATASETS`).
    exclude_texts : sequence of str, optional
        Texts whose items (same text or rewordings, by the leakage guard) must not be trained on, e.g.
        :func:`holdout_texts` or the items being evaluated.
    guard_encoder : Encoder, optional
        Encoder of the guard's cosine test (default: the bundled all-MiniLM-L6-v2).

    Returns
    -------
    DataFrame
        ``dataset, item_a, item_b, text_a, text_b, r``; ``attrs``: ``datasets``, ``n_items``,
        ``excluded_items``, ``excluded_pairs``, ``excluded`` (dropped item keys).
    """
    unknown = [d for d in datasets if d not in DATASETS]
    if unknown or not datasets:
        raise InputError(f"unknown datasets {unknown}; available: {', '.join(DATASETS)}")
    frames = [_dataset_pairs(name, data_dir) for name in dict.fromkeys(datasets)]
    pairs = pd.concat(frames, ignore_index=True)[PAIR_COLUMNS]
    keys_a, keys_b = pair_items(pairs)
    texts = dict(zip(keys_a, pairs["text_a"], strict=True)) | dict(zip(keys_b, pairs["text_b"], strict=True))
    excluded: list[str] = []
    n_pairs = len(pairs)
    if exclude_texts is not None and len(exclude_texts):
        keys = list(texts)
        kept, _ = exclude_overlaps(list(exclude_texts), [texts[k] for k in keys], encoder=guard_encoder)
        excluded = sorted(set(keys) - {keys[i] for i in kept})
        gone = set(excluded)
        keep = ~(pd.Series(keys_a).isin(gone) | pd.Series(keys_b).isin(gone)).to_numpy()
        pairs = pairs[keep].reset_index(drop=True)
    pairs.attrs = {"datasets": list(dict.fromkeys(datasets)), "n_items": len(texts) - len(excluded),
                   "excluded_items": len(excluded), "excluded_pairs": n_pairs - len(pairs), "excluded": excluded}
    return pairs


def item_split(items: Sequence[Hashable], fraction: float = 0.2, seed: int = 0) -> tuple[list, list]:
    """Split distinct items at random into training and validation items.

    Parameters
    ----------
    items : sequence
        Item keys (duplicates count once; order of first appearance is kept within each part).
    fraction : float
        Share of the items that go to validation (rounded; at least one when 0 < fraction and there
        are two items or more).
    seed : int
        Seed of the permutation.

    Returns
    -------
    train, validation : lists of items
    """
    if not 0 <= fraction < 1:
        raise InputError(f"fraction must be in [0, 1), got {fraction}")
    unique = list(dict.fromkeys(items))
    n_val = round(len(unique) * fraction)
    if fraction > 0 and len(unique) > 1:
        n_val = max(n_val, 1)
    chosen = set(np.random.default_rng(seed).permutation(len(unique))[:n_val].tolist())
    return ([x for i, x in enumerate(unique) if i not in chosen], [x for i, x in enumerate(unique) if i in chosen])


def split_pairs(frame: pd.DataFrame, fraction: float = 0.2, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Training and validation pairs from an item split (pairs across the split are dropped).

    Parameters
    ----------
    frame : DataFrame
        From :func:`shared_item_pairs`.
    fraction, seed
        As in :func:`item_split`.

    Returns
    -------
    train, validation : DataFrames
    """
    keys_a, keys_b = pair_items(frame)
    _, validation = item_split(list(keys_a) + list(keys_b), fraction, seed)
    val = set(validation)
    in_a = np.array([k in val for k in keys_a], dtype=bool)
    in_b = np.array([k in val for k in keys_b], dtype=bool)
    return frame[~in_a & ~in_b].reset_index(drop=True), frame[in_a & in_b].reset_index(drop=True)
