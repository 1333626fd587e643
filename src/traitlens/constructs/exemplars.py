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

import warnings
from functools import lru_cache
from pathlib import Path

import pandas as pd

from traitlens.constructs.bigfive import canonical_factor, keyed_domain
from traitlens.constructs.inventory import builtin_inventories, load_inventory
from traitlens.constructs.taxonomy import Construct, Taxonomy, load_taxonomy
from traitlens.errors import InputError
from traitlens.io.sources import read_delimited

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
    table = read_delimited(path)
    table.require("instrument", "construct", "item", "key")
    facets = {name.casefold(): name for name in facet_names}
    rows = []
    for row, line in zip(table.rows, table.lines, strict=True):
        label = row["construct"].strip().casefold()
        try:
            key = int(float(row["key"]))
        except ValueError:
            raise InputError(f"key {row['key']!r} is not a number", path=path, line=line, column="key") from None
        if key == 0:
            continue
        source = f"wulff:{row['instrument']}"
        domain, sign = keyed_domain(label)
        if domain is not None:
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


class UnipolarWarning(UserWarning):
    """Some constructs have no pole descriptors or exemplars; their score is unipolar (similarity only)."""


#: What ``exemplars=`` accepts: a named source or a frame with columns ``text, factor, facet, key``.
ExemplarSpec = str | pd.DataFrame


def exemplar_source(exemplars: ExemplarSpec, data_dir: str | Path | None = None) -> pd.DataFrame | None:
    """Resolve ``exemplars=`` to a pool frame (or None for the taxonomy's own descriptors only).

    Parameters
    ----------
    exemplars : {"builtin", "taxonomy"} or DataFrame
        ``"builtin"``: :func:`exemplar_pool` (descriptors and built-in inventory items, plus Wulff's
        IPIP scales with ``data_dir``); ``"taxonomy"``: none beyond the taxonomy's pole descriptors;
        a frame with columns ``text, factor, facet, key`` (and optionally ``source``).
    data_dir : path, optional
        Shared data folder for ``"builtin"``.

    Returns
    -------
    DataFrame or None
    """
    if isinstance(exemplars, pd.DataFrame):
        missing = {"text", "factor", "facet", "key"} - set(exemplars.columns)
        if missing:
            raise InputError(f"exemplars frame lacks columns {sorted(missing)}")
        return exemplars.assign(source=exemplars.get("source", "user"))
    if exemplars == "taxonomy":
        return None
    if exemplars == "builtin":
        return exemplar_pool(data_dir=data_dir)
    raise InputError(f"exemplars must be 'builtin', 'taxonomy' or a DataFrame; got {exemplars!r}")


def constructs_at(taxonomy: Taxonomy, level: str) -> list[Construct]:
    """The factors (``level="factor"``) or facets (``"facet"``) of a taxonomy, in taxonomy order."""
    if level == "factor":
        return list(taxonomy.factors)
    if level == "facet":
        return [c for f in taxonomy.factors for c in f.facets]
    raise InputError(f"level must be 'factor' or 'facet'; got {level!r}")


def construct_exemplars(taxonomy: Taxonomy, level: str, pool: pd.DataFrame | None) -> pd.DataFrame:
    """Keyed exemplars ``construct, text, key`` of every construct of ``taxonomy`` at ``level``.

    A factor's exemplars are its own pole descriptors and those of its facets; a facet's are its own.
    Pool items count for the taxonomy factor whose name is their Big Five domain, or for the facet of
    the same name. Constructs left without any exemplar fall back to their keywords, definition and
    label as unipolar (+1) evidence, with a :class:`UnipolarWarning`.

    Parameters
    ----------
    taxonomy : Taxonomy
    level : {"factor", "facet"}
    pool : DataFrame or None
        Extra exemplars (:func:`exemplar_source`).

    Returns
    -------
    DataFrame
        ``construct, text, key``; ``attrs["unipolar"]`` lists the constructs that fell back.
    """
    constructs = constructs_at(taxonomy, level)
    if not constructs:
        raise InputError(f"taxonomy {taxonomy.name!r} has no {level}s")
    rows = []
    for factor in taxonomy.factors:
        for construct in [factor] if level == "factor" else list(factor.facets):
            for source in [construct, *factor.facets] if level == "factor" else [construct]:
                rows += [(construct.name, t, 1) for t in source.high]
                rows += [(construct.name, t, -1) for t in source.low]
    frame = pd.DataFrame(rows, columns=["construct", "text", "key"])
    if pool is not None and not pool.empty:
        if level == "factor":
            lookup = {canonical_factor(f.name) or canonical_factor(f.label): f.name for f in taxonomy.factors}
            mapped = pool.assign(construct=pool["factor"].map(lookup))
        else:
            names = {c.name for c in constructs}
            mapped = pool.assign(construct=pool["facet"].where(pool["facet"].isin(names)))
        mapped = mapped.dropna(subset=["construct"])[["construct", "text", "key"]]
        frame = pd.concat([frame, mapped], ignore_index=True).drop_duplicates().reset_index(drop=True)
    have = set(frame["construct"])
    unipolar = [c for c in constructs if c.name not in have]
    if unipolar:
        warnings.warn(f"{len(unipolar)} construct(s) of {taxonomy.name!r} have no pole descriptors or exemplars "
                      f"({', '.join(c.name for c in unipolar[:5])}); their score is unipolar (similarity to "
                      "their keywords, definition and label), not a direction", UnipolarWarning, stacklevel=4)
        extra = [(c.name, t, 1) for c in unipolar for t in [*c.keywords, c.definition or "", c.display] if t]
        frame = pd.concat([frame, pd.DataFrame(extra, columns=["construct", "text", "key"])], ignore_index=True)
    frame.attrs["unipolar"] = [c.name for c in unipolar]
    return frame
