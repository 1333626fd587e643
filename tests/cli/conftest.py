"""Fixtures of the command-line tests: a Typer runner, and a way to run without the real model."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from typer.testing import CliRunner, Result

from traitlens.cli import app

from ..fakes import FakeEncoder


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def run(runner: CliRunner) -> Callable[..., Result]:
    """``run("similarity", "x")``: invoke the app, letting unexpected exceptions through."""
    return lambda *args: runner.invoke(app, list(args), catch_exceptions=False)


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """Replace model loading by a fake encoder; the list records each ``--model`` that was loaded."""
    loaded: list[str | None] = []

    def fake(model: str | None, settings: object) -> FakeEncoder:
        loaded.append(model)
        return FakeEncoder()

    monkeypatch.setattr("traitlens.cli.shell.load_model", fake)
    monkeypatch.setattr("traitlens.cli.evaluate.load_model", fake)
    return loaded
