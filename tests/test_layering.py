"""Arrows point down: the import graph of src/traitlens keeps its layers (docs/architecture.md).

Every ``import`` / ``from ... import`` in every module is read with :mod:`ast`, including imports
inside functions, so a lazy import cannot smuggle a wrong arrow in.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "traitlens"

#: layer → the traitlens layers it must never import (a layer is a top-level module or package).
FORBIDDEN = {
    "analysis": {"api", "cli", "web", "evaluation", "engine", "encoders", "cache", "constructs", "io", "datasets",
                 "plot", "provenance", "distributed"},
    "errors": {"api", "cli", "web", "evaluation", "engine", "encoders", "cache", "constructs", "io", "analysis"},
    "io": {"api", "cli", "web", "evaluation", "engine", "encoders", "cache", "constructs", "analysis"},
    "constructs": {"api", "cli", "web", "evaluation", "engine", "encoders", "cache", "analysis"},
    "encoders": {"api", "cli", "web", "evaluation", "engine", "constructs"},
    "cache": {"api", "cli", "web", "evaluation", "engine", "constructs", "analysis"},
    "engine": {"api", "cli", "web", "evaluation", "datasets"},
    "evaluation": {"api", "cli", "web"},
    "datasets": {"api", "cli", "web", "evaluation", "engine", "encoders"},
    "psychometrics": {"api", "cli", "web", "evaluation", "engine", "encoders"},
    "plot": {"api", "cli", "web", "evaluation", "engine"},
    "api": {"cli", "web", "evaluation"},
    "training": {"api", "cli", "web"},
    "explain": {"api", "cli", "web", "evaluation"},
    "web": {"cli", "evaluation"},
}

#: Modules held to a stricter rule than their layer: what the engine imports must not import the engine.
FORBIDDEN_MODULES = {
    "training/head.py": {"api", "cli", "web", "evaluation", "engine", "datasets", "finetuning"},
}


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "traitlens" and len(parts) > 1 else None


def _imports(text: str, package: str) -> list[tuple[int, str]]:
    """``(line, absolute module)`` of every import in ``text``, a module of ``package``."""
    found = []
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative import: resolve against the module's package
                parts = package.split(".")
                base = parts[: len(parts) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            found.append((node.lineno, module))
            if module == "traitlens":  # from traitlens import api → counts as traitlens.api
                found += [(node.lineno, f"traitlens.{alias.name}") for alias in node.names]
    return found


def _package(path: Path) -> str:
    return ".".join(("traitlens", *path.relative_to(SRC).with_suffix("").parts[:-1]))


def _modules() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if "constructs/data" not in p.as_posix())


@pytest.mark.parametrize("path", _modules(), ids=lambda p: p.relative_to(SRC).as_posix())
def test_no_import_points_up(path: Path):
    own = path.relative_to(SRC).parts[0].removesuffix(".py")
    forbidden = FORBIDDEN.get(own, set()) | FORBIDDEN_MODULES.get(path.relative_to(SRC).as_posix(), set())
    imports = _imports(path.read_text(encoding="utf-8"), _package(path))
    bad = [(line, module) for line, module in imports if _layer(module) in forbidden]
    assert not bad, f"{path.relative_to(SRC)} imports a higher layer: {bad}"


def test_the_check_sees_lazy_and_relative_imports():
    text = "def f():\n    from traitlens.api import profile\n    from .. import cli\nfrom traitlens import web\n"
    found = {module for _, module in _imports(text, "traitlens.analysis")}
    assert {"traitlens.api", "traitlens.cli", "traitlens.web"} <= found
    assert {_layer(m) for m in found} & FORBIDDEN["analysis"] == {"api", "cli", "web"}
