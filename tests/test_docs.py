"""Every CLI command and option is documented in the README (after datasette's test_docs)."""

from __future__ import annotations

from pathlib import Path

import typer.main

from traitlens.cli import app

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def walk(command, path: tuple[str, ...] = ()):
    """Every command below ``command`` (typer bundles its own click, so no isinstance check on a Group)."""
    yield path, command
    for name, sub in (getattr(command, "commands", None) or {}).items():
        yield from walk(sub, (*path, name))


def test_every_command_and_option_is_in_the_readme():
    root = typer.main.get_command(app)
    missing = []
    for path, command in walk(root):
        if path and f"traitlens {' '.join(path)}" not in README:
            missing.append(" ".join(path))
        for param in command.params:
            for opt in getattr(param, "opts", []):
                if opt.startswith("--") and opt != "--help" and opt not in README:
                    missing.append(f"{' '.join(path)} {opt}")
    assert not missing, f"undocumented: {missing}"


def test_the_walk_reaches_subcommands():
    paths = {path for path, _ in walk(typer.main.get_command(app))}
    assert {("similarity",), ("profile",), ("cache", "info"), ("evaluate",)} <= paths


def test_readme_starts_with_the_two_commands():
    head = README.splitlines()[:6]
    assert any("make run" in line for line in head) and any("make test" in line for line in head)
