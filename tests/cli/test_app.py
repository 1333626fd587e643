"""The app as a whole: registration, ``--version``, flags, the README, and the option groups."""

from __future__ import annotations

import dataclasses
import inspect
import io
from pathlib import Path

import pandas as pd
import pytest
import typer.main

from traitlens.cli import app
from traitlens.cli.options import EncoderSettings, Output, TextSource, with_groups


def walk(command, path=()):
    yield path, command
    for name, sub in (getattr(command, "commands", None) or {}).items():  # typer's own Group, not click's
        yield from walk(sub, (*path, name))


COMMANDS = [path for path, _ in walk(typer.main.get_command(app))]


def test_the_commands():
    assert [" ".join(p) for p in COMMANDS] == ["", "similarity", "profile", "assign", "correlate", "evaluate",
                                               "finetune", "train-head", "taxonomies", "inventories", "jingle-jangle",
                                               "factors", "relabel", "short-form", "map", "serve", "explain",
                                               "distill", "cache", "cache info", "cache clear"]


def test_version(run):
    assert run("--version").stdout.strip() == "traitlens 0.1.0"


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "root")
def test_help_shows_no_type_for_flags(run, path):
    result = run(*path, "--help")
    assert result.exit_code == 0
    assert "<bool>" not in result.stdout
    assert "--help" in result.stdout


@pytest.mark.parametrize(("args", "flag"), [
    (["similarity", "x", "--no-cache", "true"], "--no-cache"),
    (["similarity", "--no-cache", "False", "x"], "--no-cache"),
    (["profile", "x", "--local-files-only", "yes"], "--local-files-only"),
    (["profile", "x", "--radar", "1"], "--radar"),
    (["similarity", "--example", "on"], "--example"),
    (["evaluate", "-s", "bfi", "--no-cache", "true"], "--no-cache"),
    (["cache", "info", "--json", "false"], "--json"),
])
def test_a_flag_takes_no_value(runner, loads, args, flag):
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert f"{flag} is a flag and takes no value" in result.stderr
    assert loads == [] and result.stdout == ""


def test_a_text_that_reads_like_a_boolean_can_still_be_given(run, loads):
    before = run("similarity", "true", "--no-cache", "-F", "csv")
    after_dashes = run("similarity", "--no-cache", "-F", "csv", "--", "true")
    for result in (before, after_dashes):
        assert result.exit_code == 0, result.stderr
        assert set(pd.read_csv(io.StringIO(result.stdout))["sentence"]) == {True}  # pandas reads "true" as bool


def test_with_groups_expands_in_place_and_rebuilds_the_groups():
    seen = {}

    def command(*, source: TextSource, taxonomy: str = "t", output: Output, settings: EncoderSettings) -> None:
        seen.update(source=source, taxonomy=taxonomy, output=output, settings=settings)

    expanded = with_groups(command)
    names = list(inspect.signature(expanded).parameters)
    assert names == ["texts", "file", "column", "example", "taxonomy", "fmt", "out", "cache_dir", "no_cache",
                     "local_files_only", "backend"]
    defaults = {name: p.default for name, p in inspect.signature(expanded).parameters.items()}
    expanded(**{**defaults, "texts": ["a"], "no_cache": True})
    assert seen == {"source": TextSource(texts=["a"]), "taxonomy": "t", "output": Output(),
                    "settings": EncoderSettings(no_cache=True)}
    assert expanded.__doc__ == command.__doc__
    assert all(f.default is not dataclasses.MISSING for g in (TextSource, Output, EncoderSettings)
               for f in dataclasses.fields(g))


@pytest.mark.parametrize(("settings", "cache"), [
    (EncoderSettings(), True),
    (EncoderSettings(cache_dir=Path("c")), Path("c")),
    (EncoderSettings(cache_dir=Path("c"), no_cache=True), False),
])
def test_cache_argument(settings, cache):
    assert settings.cache == cache
