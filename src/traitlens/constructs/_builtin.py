"""Shared lookup of construct files: a built-in name (package data) or a user path."""

from __future__ import annotations

import functools
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import TypeVar

from traitlens.errors import InputError

T = TypeVar("T")
USER_SUFFIXES = {".yaml", ".yml", ".csv", ".tsv"}


def builtin_names(package: str, suffix: str) -> list[str]:
    """Sorted names of the files ``*<suffix>`` shipped in ``package``."""
    folder = resources.files(package)
    return sorted(p.name.removesuffix(suffix) for p in folder.iterdir() if p.name.endswith(suffix))


def load_named(spec: str | Path, *, kind: str, package: str, builtin_suffix: str,
               from_table: Callable[[Path], T], from_yaml: Callable[[Path], T]) -> T:
    """Load ``spec`` as a user file (by suffix, or because it exists) or as a built-in name.

    Raises
    ------
    InputError
        Unknown built-in name; the message lists the known ones.
    """
    spec = str(spec)
    path = Path(spec).expanduser()
    suffix = path.suffix.lower()
    if suffix in USER_SUFFIXES or path.exists():
        return from_table(path) if suffix in {".csv", ".tsv"} else from_yaml(path)
    known = builtin_names(package, builtin_suffix)
    if spec not in known:
        plural = {"taxonomy": "taxonomies", "inventory": "inventories"}.get(kind, f"{kind}s")
        raise InputError(f"unknown {kind} {spec!r}; built-in {plural}: {', '.join(known)} "
                         "(or pass the path of a .yaml or .csv file)")
    return _load_builtin(package, f"{spec}{builtin_suffix}", from_table if builtin_suffix == ".csv" else from_yaml)


@functools.lru_cache(maxsize=64)
def _load_builtin(package: str, filename: str, loader: Callable[[Path], T]) -> T:
    """Parse a built-in file once per process.

    The models are frozen, and a server profiles with the same taxonomy on every request (re-parsing
    its YAML was most of a warm request's time).
    """
    with resources.as_file(resources.files(package) / filename) as builtin:
        return loader(builtin)
