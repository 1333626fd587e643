"""The ``traitlens`` command line: parse, call the Python API, write. Nothing else.

Data goes to stdout, progress and messages to stderr. Exit codes: 0 success,
1 bad input or an unavailable resource (the message names the problem and the
place), 2 usage error.

Layout: :mod:`~traitlens.cli.options` defines every option once,
:mod:`~traitlens.cli.parsing` the command classes, :mod:`~traitlens.cli.shell` the shared
read → call → write plumbing; one module per command family registers nothing itself —
this module builds the app from them.
"""

from __future__ import annotations

from typing import Annotated

import typer

from traitlens import __version__
from traitlens.cli import cache, catalog, correlate, evaluate, finetune, profile, serve, similarity, train_head
from traitlens.cli import distill as distill_commands
from traitlens.cli import explain as explain_commands
from traitlens.cli import scales as scale_commands
from traitlens.cli.parsing import Command, Group

app = typer.Typer(
    name="traitlens",
    help="What a piece of text says about personality: sentence-embedding similarity to Big Five traits.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=Group,
)
cache_app = typer.Typer(help="Inspect or empty the embedding cache.", no_args_is_help=True, cls=Group)

for _app, _name, _command in [
    (app, "similarity", similarity.similarity_cmd),
    (app, "profile", profile.profile_cmd),
    (app, "assign", profile.assign_cmd),
    (app, "correlate", correlate.correlate_cmd),
    (app, "evaluate", evaluate.evaluate_cmd),
    (app, "finetune", finetune.finetune_cmd),
    (app, "train-head", train_head.train_head_cmd),
    (app, "taxonomies", catalog.taxonomies_cmd),
    (app, "inventories", catalog.inventories_cmd),
    (app, "jingle-jangle", scale_commands.jingle_jangle_cmd),
    (app, "factors", scale_commands.factors_cmd),
    (app, "relabel", scale_commands.relabel_cmd),
    (app, "short-form", scale_commands.short_form_cmd),
    (app, "map", scale_commands.map_cmd),
    (app, "serve", serve.serve_cmd),
    (app, "explain", explain_commands.explain_cmd),
    (app, "distill", distill_commands.distill_cmd),
    (cache_app, "info", cache.info_cmd),
    (cache_app, "clear", cache.clear_cmd),
]:
    _app.command(_name, cls=Command)(_command)
app.add_typer(cache_app, name="cache")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"traitlens {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """Traitlens command line."""


def main() -> None:
    """Console-script entry point."""
    app()


__all__ = ["app", "main"]
