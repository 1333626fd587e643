"""Build the built-in inventories of traitlens from the open data in ../shared/data.

Writes, for each inventory, ``src/traitlens/constructs/data/inventories/NAME.csv``
(tidy form: item, text, scale, key, level) and ``NAME.csv.meta.yaml`` (name,
description, source, licence), then loads every file back with
:func:`traitlens.load_inventory` and checks its counts. Re-running it on the
same data gives byte-identical files.

Usage::

    .venv/bin/python scripts/build_inventories.py [--data-dir ../shared/data] [--out DIR]

Item ids equal the column names of the response files, so that responses can be
joined to items: ``E1..O10`` (openpsychometrics BIG5 data.csv), ``A1..O5``
(psych::bfi), ``1..120`` / ``1..300`` (IPIP-NEO administration order),
``q_<id>`` (psychTools::spi) and ``V1..V100`` (psychTools::big5.100.adjectives).

Keying decisions
----------------
* ipip50: the ``key`` column of ``ipip50_items_keys.csv`` is relative to the
  factor as named (Neuroticism for the N/EST items); ``key_ipip_official`` is
  relative to Emotional Stability and is deliberately not used.
* bfi: factor and key only. ``little12_facet`` is left out because its keying is
  not that of the factor: the five N items sit in "Balance", an Emotional
  Stability aspect (``Keying`` -1 in ``bfi_dictionary.csv``), and "Orderliness" /
  "Assertiveness" would mean something other than the IPIP-NEO facets of the
  same names.
* ipip-neo-120 / ipip-neo-300: the key applies to the domain and the facet.
* spi135: the five Big Five scales (Agree, Consc, Extra, Neuro, Open) become
  factors named Agreeableness, ..., Openness; the 27 narrow scales keep their
  names with level ``scale``. Keys come from ``spi_keys_long.csv`` (an item can
  be keyed differently in its B5 and its narrow scale, e.g. q_578).
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path

import pandas as pd
import yaml

from traitlens.constructs.bigfive import canonical_factor
from traitlens.datasets.specs import SPI_DOMAINS
from traitlens.io.sources import read_frame

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data"
DEFAULT_OUT = REPO / "src" / "traitlens" / "constructs" / "data" / "inventories"

COLUMNS = ["item", "text", "scale", "key", "level"]


def canonical(factor: str) -> str:
    """The canonical Big Five factor name of a code or label (never Emotional Stability: it is keyed the other way)."""
    name = canonical_factor(factor)
    if name is None:
        raise SystemExit(f"unknown Big Five factor label {factor!r}")
    return name


def read(path: Path) -> pd.DataFrame:
    """A CSV file of the shared data, read by traitlens' reader (errors name file, line and column)."""
    return read_frame(path).data


def row(item: object, text: str, scale: str, key: object, level: str) -> dict[str, object]:
    """One tidy row; keys are checked to be +1/-1."""
    k = int(key)
    if k not in (1, -1):
        raise SystemExit(f"item {item}: key {key!r} is not +1/-1")
    return {"item": str(item), "text": str(text).strip(), "scale": scale, "key": k, "level": level}


def factor_rows(keys: pd.DataFrame, item: str, text: str) -> list[dict[str, object]]:
    """The rows of a Big Five keys table (one item per row, columns ``factor`` and ``key``), level factor."""
    return [row(r[item], r[text], canonical(r["factor"]), r["key"], "factor") for r in keys.to_dict("records")]


def ipip50(data: Path) -> tuple[list[dict[str, object]], dict[str, str]]:
    """IPIP Big-Five Factor Markers, 50 items, ids as in the openpsychometrics BIG5 data."""
    keys = read(data / "openpsychometrics_big5_2012" / "ipip50_items_keys.csv")
    rows = factor_rows(keys, "item_big5_2012", "text")
    meta = {
        "description": "IPIP Big-Five Factor Markers (Goldberg 1992), 50 items, 10 per factor; item ids E1..O10 "
                       "as in the openpsychometrics.org BIG5 (2012) data; keys relative to the factor as named "
                       "(Neuroticism, not Emotional Stability).",
        "source": "Goldberg, L. R. (1992). The development of markers for the Big-Five factor structure. "
                  "Psychological Assessment, 4, 26-42; items from ipip.ori.org via openpsychometrics.org "
                  "(BIG5 codebook, GitHub jcl132/personality-prediction-from-text @ 0d0b3a7).",
        "licence": "Item texts: IPIP, public domain (ipip.ori.org).",
    }
    return rows, meta


def bfi(data: Path) -> tuple[list[dict[str, object]], dict[str, str]]:
    """psych::bfi, 25 IPIP items (SAPA project), factor and key only."""
    rows = factor_rows(read(data / "psych_bfi" / "bfi_items_keys.csv"), "item", "text")
    meta = {
        "description": "The 25 IPIP items of psych::bfi (SAPA project), 5 per factor; item ids A1..O5 as in "
                       "the bfi data; standard bfi.keys (-A1, -C4, -C5, -E1, -E2, -O2, -O5). Little-12 aspects "
                       "are left out (their keying differs from the factor's).",
        "source": "Revelle, W. psych R package 2.5.3, data bfi and bfi.dictionary (GitHub cran/psych @ 9e32544); "
                  "Goldberg (1999) IPIP.",
        "licence": "Item texts: IPIP, public domain (ipip.ori.org); psych package GPL (>= 2).",
    }
    return rows, meta


def ipip_neo(data: Path, n: int) -> tuple[list[dict[str, object]], dict[str, str]]:
    """IPIP-NEO-120 or -300: domain (factor) and facet, one key for both."""
    keys = read(data / f"ipip_neo_{n}" / f"ipip_neo_{n}_items_keys.csv").sort_values("num")
    rows = []
    for r in keys.itertuples():
        rows.append(row(r.num, r.text, canonical(r.domain_name), r.key, "factor"))
        rows.append(row(r.num, r.text, r.facet_name.strip(), r.key, "facet"))
    if n == 120:
        meta = {
            "description": "IPIP-NEO-120 (Johnson 2014): 120 items, 5 domains x 6 facets x 4 items; item ids 1..120 "
                           "in administration order; each item is keyed the same for its domain and its facet.",
            "source": "Johnson, J. A. (2014). Measuring thirty facets of the Five Factor Model with a 120-item "
                      "public domain inventory. Journal of Research in Personality, 51, 78-89; item list from npm "
                      "@bigfive-org/questions 1.3.3 (MIT), cross-checked with GitHub NeuroQuestAi/five-factor-e "
                      "@ 618c85f.",
            "licence": "Item texts: IPIP, public domain (ipip.ori.org); item list files MIT.",
        }
    else:
        meta = {
            "description": "IPIP-NEO-300 (Goldberg 1999): 300 items, 5 domains x 6 facets x 10 items; item ids "
                           "1..300 in Johnson's administration order; each item is keyed the same for its domain "
                           "and its facet.",
            "source": "Goldberg, L. R. (1999). A broad-bandwidth, public domain, personality inventory measuring "
                      "the lower-level facets of several five-factor models; item list from GitHub "
                      "NeuroQuestAi/five-factor-e @ 618c85f (MIT), cross-checked with dwulff/embedR @ 59e216f.",
            "licence": "Item texts: IPIP, public domain (ipip.ori.org); item list files MIT.",
        }
    return rows, meta


def spi135(data: Path) -> tuple[list[dict[str, object]], dict[str, str]]:
    """SAPA Personality Inventory: 5 Big Five factors (70 items) and 27 narrow scales."""
    folder = data / "sapa_spi135"
    items = read(folder / "spi_items_keys.csv")
    long = read(folder / "spi_keys_long.csv")
    order = {item: i for i, item in enumerate(items["item_id"])}
    text = dict(zip(items["item_id"], items["item"], strict=True))
    long = long.assign(narrow=~long["scale"].isin(SPI_DOMAINS),
                       pos=long["item"].map(order))
    if long["pos"].isna().any():
        raise SystemExit("spi_keys_long.csv names items missing from spi_items_keys.csv")
    long = long.sort_values(["pos", "narrow"], kind="stable")  # per item: its B5 scale first, then its narrow scale
    rows = [row(r.item, text[r.item], r.scale, r.key, "scale") if r.narrow
            else row(r.item, text[r.item], canonical(r.scale), r.key, "factor")
            for r in long.itertuples()]
    meta = {
        "description": "SAPA Personality Inventory (SPI-135, Condon 2018): 135 items in 27 narrow scales of 5 "
                       "items (level scale); 70 of them also in the Big Five scales of 14 items (level factor). "
                       "Item ids q_<id> as in psychTools::spi.",
        "source": "Condon, D. M. (2018). The SAPA Personality Inventory: an empirically-derived, hierarchically-"
                  "organized self-report personality assessment model; psychTools 2.5.3 data spi, spi.dictionary, "
                  "spi.keys (GitHub cran/psychTools @ 79df514).",
        "licence": "SPI items: public domain (Condon 2018); psychTools package GPL (>= 2).",
    }
    return rows, meta


def adjectives100(data: Path) -> tuple[list[dict[str, object]], dict[str, str]]:
    """Goldberg's 100 unipolar Big Five adjective markers, ids V1..V100."""
    keys = read(data / "goldberg_big5_100_adjectives" / "adjectives_keys.csv")
    keys = keys.assign(pos=keys["item"].str.removeprefix("V").astype(int)).sort_values("pos")
    rows = factor_rows(keys, "item", "adjective")
    meta = {
        "description": "Goldberg's 100 Big Five adjective markers (single words), 20 per factor; item ids "
                       "V1..V100 as in psychTools::big5.100.adjectives.",
        "source": "Goldberg, L. R. (1992). The development of markers for the Big-Five factor structure. "
                  "Psychological Assessment, 4, 26-42; psychTools 2.5.3 data big5.100.adjectives and "
                  "big5.adjectives.keys (GitHub cran/psychTools @ 79df514).",
        "licence": "Single English trait adjectives with published keys (Goldberg 1992); the psychTools data "
                   "files are GPL (>= 2).",
    }
    return rows, meta


BUILDERS = {
    "ipip50": ipip50,
    "bfi": bfi,
    "ipip-neo-120": lambda data: ipip_neo(data, 120),
    "ipip-neo-300": lambda data: ipip_neo(data, 300),
    "spi135": spi135,
    "adjectives100": adjectives100,
}
EXPECTED_ITEMS = {"ipip50": 50, "bfi": 25, "ipip-neo-120": 120, "ipip-neo-300": 300, "spi135": 135,
                  "adjectives100": 100}


def write(out: Path, name: str, rows: list[dict[str, object]], meta: dict[str, str]) -> None:
    """Write NAME.csv and NAME.csv.meta.yaml (LF line endings, UTF-8)."""
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    (out / f"{name}.csv").write_text(buffer.getvalue(), encoding="utf-8", newline="")
    header = ("# Generated by scripts/build_inventories.py from ../shared/data; do not edit by hand.\n")
    body = yaml.safe_dump({"name": name, **meta}, sort_keys=False, allow_unicode=True, width=100)
    (out / f"{name}.csv.meta.yaml").write_text(header + body, encoding="utf-8", newline="")


def main(argv: list[str] | None = None) -> int:
    """Build all inventories, then load and check them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA, help="the shared data folder")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write the inventory files")
    args = parser.parse_args(argv)
    if not args.data_dir.is_dir():
        parser.error(f"--data-dir {args.data_dir} is not a folder")
    args.out.mkdir(parents=True, exist_ok=True)
    for name, build in BUILDERS.items():
        rows, meta = build(args.data_dir)
        write(args.out, name, rows, meta)

    from traitlens.constructs.inventory import load_inventory

    for name in BUILDERS:
        inventory = load_inventory(args.out / f"{name}.csv")
        n = len(inventory.items)
        if n != EXPECTED_ITEMS[name]:
            raise SystemExit(f"{name}: {n} items, expected {EXPECTED_ITEMS[name]}")
        levels = inventory.scales()["level"].value_counts().to_dict()
        sys.stdout.write(f"{name}: {n} items, {len(inventory.frame)} rows, scales {levels}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
