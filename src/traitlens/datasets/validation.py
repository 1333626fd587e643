"""Checking a persons × items frame of responses: numbers, inside the response scale, missing codes."""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from traitlens.datasets.responses import DataWarning
from traitlens.errors import InputError

__all__ = ["validate_responses"]


def validate_responses(
    frame: pd.DataFrame,
    low: float,
    high: float,
    *,
    source: str | Path | None = None,
    lines: Sequence[int] | None = None,
    missing_codes: Iterable[float] = (),
) -> pd.DataFrame:
    """Check a persons × items frame of responses and return it as float64 with ``NaN`` = missing.

    Parameters
    ----------
    frame : DataFrame
        Persons × items (only item columns). Cells may be numbers, numeric strings or empty.
    low, high : float
        Bounds of the response scale; any response outside ``[low, high]`` is an error.
    source : str or Path, optional
        The file (or a description of the frame) named in error messages.
    lines : sequence of int, optional
        The 1-based line in ``source`` of each row of ``frame``; without it errors name the row label.
    missing_codes : iterable of float, default ()
        Codes that mean "no response" (e.g. ``0`` in the Open Psychometrics files): set to ``NaN``.

    Returns
    -------
    DataFrame
        The frame as float64, missing codes replaced by ``NaN``, and columns without any response
        dropped (with a :class:`DataWarning` naming them).

    Raises
    ------
    InputError
        A non-numeric cell, or a response outside ``[low, high]``; the message names the file, the
        line (or row), the item and the value of the first offending cell. Also duplicate columns.

    Warns
    -----
    DataWarning
        Item columns that have no response at all (they are dropped).

    Examples
    --------
    >>> import pandas as pd
    >>> validate_responses(pd.DataFrame({"q1": [1, 0, 5]}), 1, 5, missing_codes=(0,))["q1"].tolist()
    [1.0, nan, 5.0]
    >>> validate_responses(pd.DataFrame({"q1": [1, 7]}), 1, 6, source="answers.csv", lines=[2, 3])
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    traitlens.errors.InputError: answers.csv, line 3, field q1: response 7 is outside the response scale 1–6; ...
    """
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"responses must be a pandas DataFrame (persons × items), got {type(frame).__name__}")
    if not (np.isfinite(low) and np.isfinite(high) and low < high):
        raise InputError(f"the response scale needs low < high, got low={low!r}, high={high!r}")
    if not frame.columns.is_unique:
        dupes = sorted({str(c) for c in frame.columns[frame.columns.duplicated()]})
        raise InputError(f"duplicate item columns: {', '.join(dupes)}", path=source)
    if lines is not None and len(lines) != len(frame):
        raise InputError(f"lines has {len(lines)} entries but the frame has {len(frame)} rows")

    def where(row: int) -> tuple[int | None, str]:
        if lines is not None:
            return int(lines[row]), ""
        label = frame.index[row]
        return None, f" (row {label.item() if isinstance(label, np.generic) else label!r})"

    columns = {}
    for column in frame.columns:
        values = frame[column]
        if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            numbers = pd.to_numeric(values.astype("string").str.strip(), errors="coerce")
            bad = np.flatnonzero(numbers.isna().to_numpy() & values.notna().to_numpy())
            if len(bad):
                line, row = where(int(bad[0]))
                raise InputError(
                    f"response {values.iloc[bad[0]]!r} is not a number{row}", path=source, line=line,
                    column=str(column),
                )
            values = numbers
        columns[column] = values.to_numpy(dtype=np.float64, na_value=np.nan)
    x = np.column_stack(list(columns.values())) if columns else np.empty((len(frame), 0))
    for code in missing_codes:
        x[x == code] = np.nan
    bad = ~np.isnan(x) & ((x < low) | (x > high))
    if bad.any():
        row = int(np.flatnonzero(bad.any(axis=1))[0])
        col = int(np.flatnonzero(bad[row])[0])
        line, label = where(row)
        raise InputError(
            f"response {x[row, col]:g} is outside the response scale {low:g}–{high:g}{label}; "
            "if it is a missing-value code, pass it in missing_codes",
            path=source,
            line=line,
            column=str(frame.columns[col]),
        )
    out = pd.DataFrame(x, index=frame.index, columns=frame.columns)
    empty = [str(c) for c in out.columns[out.isna().all(axis=0).to_numpy()]]
    if empty and len(out):
        where_from = f"{source}: " if source is not None else ""
        warnings.warn(
            f"{where_from}{len(empty)} item column(s) have no responses and are dropped: {', '.join(empty)}",
            DataWarning,
            stacklevel=2,
        )
        out = out.drop(columns=empty)
    return out
