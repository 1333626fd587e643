"""Exemplars: texts with a known construct and direction, used as evidence for bipolar profiles.

An exemplar is a text (an item, a pole descriptor) that is known to express the
high (+1) or low (-1) pole of a Big Five factor and, where known, of one of the 30
IPIP-NEO facets. Sources:

* the pole descriptors of a taxonomy (``bigfive-facets``: domains and facets), written for traitlens;
* the built-in inventories (items with their factor, facet and key);
* optionally, the IPIP scales of Wulff & Mata's teaching data (``wulff_ipip_scales`` in the shared
  data folder, CC BY-NC-SA: read at run time, never shipped), whose scale labels are matched to the
  Big Five domain names (``Emotional Stability`` → Neuroticism with the key reversed, ``Intellect``
  → Openness) and to the IPIP-NEO facet names.

Leave-one-inventory-out: when an inventory is being scored, its own items and those of inventories
that contain it (:data:`INVENTORY_FAMILIES`) are removed here; the evaluation harness then removes
rewordings with the leakage guard.
"""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

import pandas as pd

from traitlens.constructs.bigfive import canonical_factor
from traitlens.constructs.inventory import builtin_inventories, load_inventory
from traitlens.constructs.taxonomy import Taxonomy, load_taxonomy
from traitlens.errors import InputError

COLUMNS = ["text", "factor", "facet", "key", "source"]

#: Inventories that share items wholesale: scoring one removes all of them as exemplar sources.
INVENTORY_FAMILIES: dict[str, set[str]] = {
    "ipip-neo-300": {"ipip-neo-300", "ipip-neo-120", "wulff:NEO"},
    "ipip-neo-120": {"ipip-neo-300", "ipip-neo-120", "wulff:NEO"},
    "ipip50": {"ipip50"},
    "bfi": {"bfi"},
    "spi135": {"spi135"},
    "adjectives100": {"adjectives100"},
}

_DOMAIN_LABELS = {
    "extraversion": ("Extraversion", 1),
    "neuroticism": ("Neuroticism", 1),
    "emotional stability": ("Neuroticism", -1),
    "agreeableness": ("Agreeableness", 1),
    "conscientiousness": ("Conscientiousness", 1),
    "openness": ("Openness", 1),
    "openness to experience": ("Openness", 1),
    "intellect": ("Openness", 1),
}


def descriptor_exemplars(taxonomy: str | Path | Taxonomy = "bigfive-facets") -> pd.DataFrame:
    """The high/low pole descriptors of a taxonomy as exemplars (facet descriptors count for their factor).

    Factors must be Big Five domains (names mapped with :func:`canonical_factor`); others are skipped.
    """
    tax = load_taxonomy(taxonomy)
    rows = []
    for factor in tax.factors:
        domain = canonical_factor(factor.name) or canonical_factor(factor.label)
        if domain is None:
            continue
        for construct in [factor, *factor.facets]:
            facet = None if construct is factor else construct.name
            rows += [(t, domain, facet, 1, f"taxonomy:{tax.name}") for t in construct.high]
            rows += [(t, domain, facet, -1, f"taxonomy:{tax.name}") for t in construct.low]
    return pd.DataFrame(rows, columns=COLUMNS)


def inventory_exemplars(inventories: list[str] | None = None) -> pd.DataFrame:
    """Items of built-in inventories with a Big Five factor, their facet (if any) and key."""
    return _inventory_exemplars(tuple(inventories) if inventories is not None else tuple(builtin_inventories())).copy()


@lru_cache(maxsize=8)
def _inventory_exemplars(inventories: tuple[str, ...]) -> pd.DataFrame:
    """Cached per process: built-in package data does not change while it runs."""
    rows = []
    for name in inventories:
        items = load_inventory(name).items
        for item in items.itertuples(index=False):
            domain = canonical_factor(item.factor)
            if domain is None or pd.isna(item.factor_key):
                continue
            facet = item.facet if isinstance(item.facet, str) else None
            rows.append((item.text, domain, facet, int(item.factor_key), name))
    return pd.DataFrame(rows, columns=COLUMNS)


def wulff_exemplars(data_dir: str | Path, facet_names: set[str]) -> pd.DataFrame:
    """Items of the Wulff & Mata IPIP scales whose label is a Big Five domain or an IPIP-NEO facet.

    Parameters
    ----------
    data_dir : path
        The shared data folder (holding ``wulff_ipip_scales/ipip_scales_items.csv``).
    facet_names : set of str
        Facet names to match (case-insensitive), mapped to their domain by the caller's taxonomy.

    Returns
    -------
    DataFrame
        :data:`COLUMNS`, ``source`` = ``wulff:<instrument>``; items with key 0 are left out. The
        ``facet`` column holds the matched facet name, or None for a domain-level label.
    """
    path = Path(data_dir) / "wulff_ipip_scales" / "ipip_scales_items.csv"
    if not path.is_file():
        raise InputError("file not found (the Wulff & Mata IPIP scales)", path=path)
    facets = {name.casefold(): name for name in facet_names}
    rows = []
    with open(path, newline="", encoding="utf-8") as fh:
        for line, row in enumerate(csv.DictReader(fh), start=2):
            label = row["construct"].strip().casefold()
            try:
                key = int(float(row["key"]))
            except ValueError:
                raise InputError(f"key {row['key']!r} is not a number", path=path, line=line, column="key") from None
            if key == 0:
                continue
            source = f"wulff:{row['instrument']}"
            if label in _DOMAIN_LABELS:
                domain, sign = _DOMAIN_LABELS[label]
                rows.append((row["item"].strip(), domain, None, key * sign, source))
            elif label in facets:
                rows.append((row["item"].strip(), None, facets[label], key, source))
    return pd.DataFrame(rows, columns=COLUMNS)


def exemplar_pool(
    taxonomy: str | Path | Taxonomy = "bigfive-facets",
    *,
    exclude_inventory: str | None = None,
    data_dir: str | Path | None = None,
) -> pd.DataFrame:
    """All exemplars: taxonomy descriptors, built-in inventory items, and (with ``data_dir``) Wulff's IPIP scales.

    Parameters
    ----------
    taxonomy : str, Path or Taxonomy
        Taxonomy whose descriptors are used and whose facets map Wulff labels to domains.
    exclude_inventory : str, optional
        Name of the inventory being scored: it and its family (:data:`INVENTORY_FAMILIES`) are left out.
    data_dir : path, optional
        Shared data folder; adds the Wulff & Mata IPIP scale items.

    Returns
    -------
    DataFrame
        ``text, factor, facet, key, source``; one row per distinct (text, factor, facet, key).
    """
    tax = load_taxonomy(taxonomy)
    facet_domain = {c.name: canonical_factor(f.name) for f in tax.factors for c in f.facets}
    parts = [descriptor_exemplars(tax), inventory_exemplars()]
    if data_dir is not None:
        wulff = wulff_exemplars(data_dir, set(facet_domain))
        wulff["factor"] = wulff["factor"].fillna(wulff["facet"].map(facet_domain))
        parts.append(wulff)
    pool = pd.concat(parts, ignore_index=True)
    if exclude_inventory is not None:
        family = INVENTORY_FAMILIES.get(exclude_inventory, {exclude_inventory})
        pool = pool[~pool["source"].isin(family)]
    return pool.drop_duplicates(["text", "factor", "facet", "key"]).reset_index(drop=True)
