"""Taxonomies (construct models) and, later, inventories."""

from traitlens.constructs.taxonomy import Construct, Factor, Taxonomy, builtin_taxonomies, load_taxonomy

__all__ = ["Construct", "Factor", "Taxonomy", "builtin_taxonomies", "load_taxonomy"]
