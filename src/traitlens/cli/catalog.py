"""``traitlens taxonomies`` and ``traitlens inventories``: what is built in."""

from __future__ import annotations

import json
import sys

import typer

from traitlens.cli.options import ListFormat, ListFormatOpt
from traitlens.cli.shell import print_table


def taxonomies_cmd() -> None:
    """List the built-in taxonomies."""
    from traitlens.constructs.taxonomy import builtin_taxonomies, load_taxonomy

    for name in builtin_taxonomies():
        tax = load_taxonomy(name)
        typer.echo(f"{name}\t{len(tax.factors)} factors\t{tax.description or ''}")


def inventories_cmd(fmt: ListFormatOpt = ListFormat.table) -> None:
    """List the built-in inventories: items, scales per level, description."""
    from traitlens.constructs.inventory import inventory_catalog

    frame = inventory_catalog()
    if fmt is ListFormat.json:
        typer.echo(json.dumps(frame.to_dict("records"), indent=1, ensure_ascii=False))
    elif fmt is ListFormat.csv:
        sys.stdout.write(frame.to_csv(index=False))
    else:
        print_table(frame)
