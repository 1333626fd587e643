"""Command classes of the CLI: boolean options that look and behave like flags.

Typer shows a ``<bool>`` type next to every flag in ``--help`` (``--help`` itself included), and a
flag followed by ``true`` silently turns ``true`` into an argument (``similarity --no-cache true``
analysed the text "true"). These classes drop the type and refuse a value after a flag.
"""

from __future__ import annotations

from typing import Any

import typer
import typer.core

#: Words that read as a value given to a flag rather than as a text.
BOOLEAN_WORDS = frozenset({"true", "false", "yes", "no", "on", "off", "1", "0"})


class _Flags:
    """Mix-in for Typer's command and group classes."""

    params: list[Any]

    def get_params(self, ctx: typer.Context) -> list[Any]:
        """The parameters, with no type shown for flags (they take no value)."""
        params = super().get_params(ctx)  # type: ignore[misc]
        for param in params:
            if getattr(param, "is_flag", False) and param.metavar is None:
                param.metavar = ""
        return params

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:
        """Parse ``args``, first failing (exit 2) on a boolean word given to a flag."""
        flags = {opt for param in self.params if getattr(param, "is_flag", False)
                 for opt in (*param.opts, *param.secondary_opts)}
        for flag, value in zip(args, args[1:], strict=False):
            if flag == "--":
                break
            if flag in flags and value.lower() in BOOLEAN_WORDS:
                ctx.fail(f"{flag} is a flag and takes no value: drop {value!r} "
                         f"(to analyse the text {value!r}, put it after --)")
        return super().parse_args(ctx, args)  # type: ignore[misc]


class Command(_Flags, typer.core.TyperCommand):
    """A ``traitlens`` command."""


class Group(_Flags, typer.core.TyperGroup):
    """A ``traitlens`` command group."""
