"""Exceptions raised by traitlens.

Every user-facing error is a :class:`TraitlensError`. Errors about a file carry
its path and, where known, the line, column and field, so that the message can
name the exact place that needs fixing.
"""

from __future__ import annotations

from pathlib import Path


class TraitlensError(Exception):
    """Base class of every error traitlens raises for bad input or an unavailable resource."""


class InputError(TraitlensError, ValueError):
    """Bad user input: a text list, a file, a column, an argument value.

    Parameters
    ----------
    message : str
        What is wrong, in words a user can act on.
    path : str or Path, optional
        The file the problem was found in.
    line : int, optional
        1-based line number in ``path``.
    column : int or str, optional
        1-based column number or the column / field name.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        column: int | str | None = None,
    ) -> None:
        self.message = message
        self.path = None if path is None else str(path)
        self.line = line
        self.column = column
        super().__init__(self._format())

    def _format(self) -> str:
        where = []
        if self.path is not None:
            where.append(self.path)
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column is not None:
            label = "column" if isinstance(self.column, int) else "field"
            where.append(f"{label} {self.column}")
        return f"{', '.join(where)}: {self.message}" if where else self.message


class ModelUnavailableError(TraitlensError):
    """A model id or path could not be loaded (unknown, or not available offline)."""
