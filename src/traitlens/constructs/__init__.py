"""Taxonomies (construct models) and inventories (items, scales and keys)."""

from traitlens.constructs.inventory import Inventory, Membership, builtin_inventories, load_inventory
from traitlens.constructs.taxonomy import Construct, Factor, Taxonomy, builtin_taxonomies, load_taxonomy

__all__ = [
    "Construct",
    "Factor",
    "Inventory",
    "Membership",
    "Taxonomy",
    "builtin_inventories",
    "builtin_taxonomies",
    "load_inventory",
    "load_taxonomy",
]
