"""``traitlens correlate``: predicted correlations between items and, with scales, between scales.

Input: texts as arguments, ``--example``, or ``--file``. A ``.csv``/``.tsv`` file may name, besides
the text ``--column``, an ``--id-column`` (the labels of the output; default the texts), a
``--scale-column`` (one row per item × scale: an item repeated across scales is one item) and a
``--key-column`` (+1, -1, empty = infer). Every problem of such a file is an
:class:`~traitlens.errors.InputError` naming its file, line and column.

Output: the item pairs ``item_a, item_b, r`` (one row per unordered pair, in file order); with
``--scale-column`` also the scale pairs ``scale_a, scale_b, r`` and the reliabilities ``scale,
n_items, alpha, omega, note``, written together by :func:`~traitlens.cli.shell.emit_tables`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import typer

from traitlens.cli import shell
from traitlens.cli.options import (
    CorrelationMethodOpt,
    CorrelationPlotOpt,
    EncoderSettings,
    ExemplarDataDirOpt,
    ExemplarsOpt,
    ExemplarSource,
    HeadPathOpt,
    ItemColumns,
    ModelOpt,
    Output,
    ScalePriorOpt,
    TextSource,
    with_groups,
)
from traitlens.constructs.scales import KEY_HELP, key_value, warn_case_variants
from traitlens.errors import InputError

#: Suffixes of the files that can carry id, scale and key columns.
DELIMITED_SUFFIXES = (".csv", ".tsv")
#: The tables written besides the item pairs when there are scales, in this order.
COMPANIONS = ("scales", "reliability")
TITLES = {"results": "Predicted item correlations", "scales": "Predicted scale correlations",
          "reliability": "Predicted reliability"}


@dataclass(frozen=True)
class Items:
    """The items to correlate, each once, in order of first appearance.

    Attributes
    ----------
    texts : list of str
        Clean item texts.
    ids : list of str, optional
        Item ids (the labels of the output); None when the texts are the labels.
    memberships : DataFrame, optional
        ``item, text, scale, key`` (one row per item × scale; key NaN = infer), with ``--scale-column``.
    """

    texts: list[str]
    ids: list[str] | None = None
    memberships: pd.DataFrame | None = None

    def hover_texts(self) -> dict[str, str]:
        """Label → full text, for the heatmap (empty when the texts are the labels)."""
        return {} if self.ids is None else dict(zip(self.ids, self.texts, strict=True))


def _unique_texts(raw: list[str], places: list[int], unit: str, path: Path | None, column: int | None) -> list[str]:
    """Texts that label themselves: blank ones skipped (with a warning), a repeated one an error."""
    from traitlens.io.texts import prepare_texts

    first: dict[str, int] = {}
    for text, place in zip(raw, places, strict=True):
        clean = text.strip()
        if clean in first:
            fix = "give ids with --id-column, or drop the repeat" if path is not None else "drop the repeat"
            if unit == "line":
                raise InputError(f"the text {clean[:60]!r} repeats line {first[clean]}; without ids each text is "
                                 f"one item: {fix}", path=path, line=place, column=column)
            raise InputError(f"{unit} {place} repeats {unit} {first[clean]} ({clean[:60]!r}); without ids each "
                             f"text is one item: {fix}", path=path)
        if clean:
            first[clean] = place
    return prepare_texts(raw, places=places, unit=unit, source=None if path is None else str(path))


def read_item_table(path: Path, column: str | None, columns: ItemColumns) -> Items:
    """Read the items of a CSV/TSV file: texts, and ids, scales and keys where their columns are given.

    Without id and scale columns the texts label themselves: blank ones are skipped with a warning
    (the rules of :mod:`traitlens.io.texts`) and a repeated one is an error. With them, every row
    needs a text (and an id, a scale); an id must keep its text; with a scale column, a row is an
    item × scale membership, and an item may repeat across scales but not within one; without it,
    an id may not repeat. Keys are ``1``, ``+1``, ``-1`` (or ``1.0``, ``-1.0``) or empty (infer).

    Raises
    ------
    InputError
        Naming the file, the line and the column of the first problem.
    """
    from traitlens.io.sources import read_delimited
    from traitlens.io.texts import pick_text_column

    table = read_delimited(path)
    text_column = pick_text_column(column, table.header, path)
    table.require(*(c for c in (columns.id_column, columns.scale_column, columns.key_column) if c is not None))
    where = {name: number for number, name in enumerate(table.header, start=1)}
    if not columns.given():
        return Items(_unique_texts([row[text_column] for row in table.rows], table.lines, "line", path,
                                   where[text_column]))
    text_of: dict[str, str] = {}
    first_line: dict[str, int] = {}
    in_scale: dict[tuple[str, str], int] = {}
    rows: list[tuple[str, str, str | None, float]] = []
    for row, line in zip(table.rows, table.lines, strict=True):

        def fail(message: str, name: str, line: int = line) -> InputError:
            return InputError(message, path=path, line=line, column=where[name])

        text = row[text_column].strip()
        if not text:
            raise fail(f"empty text in column {text_column!r}; every item needs a text", text_column)
        item = text
        if columns.id_column is not None:
            item = row[columns.id_column].strip()
            if not item:
                raise fail(f"empty item id in column {columns.id_column!r}", columns.id_column)
            if item in text_of and text_of[item] != text:
                raise fail(f"item {item!r} has another text here than on line {first_line[item]} "
                           f"({text_of[item][:60]!r}); an item has one text", text_column)
        scale: str | None = None
        if columns.scale_column is not None:
            scale = row[columns.scale_column].strip()
            if not scale:
                raise fail(f"empty scale in column {columns.scale_column!r}; every row is an item of a scale",
                           columns.scale_column)
            if (item, scale) in in_scale:
                raise fail(f"item {item!r} is listed twice in scale {scale!r} (first on line "
                           f"{in_scale[item, scale]})", columns.scale_column)
            in_scale[item, scale] = line
        elif item in text_of:
            raise fail(f"item id {item!r} is listed twice (first on line {first_line[item]}); ids must be unique, "
                       "or give --scale-column for one row per item × scale", str(columns.id_column))
        key = math.nan
        if columns.key_column is not None:
            try:
                key = key_value(row[columns.key_column])
            except ValueError as exc:
                raise fail(f"{exc} ({KEY_HELP}; an unknown key is inferred)", columns.key_column) from None
        text_of.setdefault(item, text)
        first_line.setdefault(item, line)
        rows.append((item, text, scale, key))
    memberships = None
    if columns.scale_column is not None:
        memberships = pd.DataFrame(rows, columns=["item", "text", "scale", "key"])
        warn_case_variants(memberships["scale"].unique().tolist(), "scale")
    return Items(list(text_of.values()), list(text_of) if columns.id_column is not None else None, memberships)


def read_items(source: TextSource) -> Items:
    """The items of texts given as arguments, ``--example`` or a ``.txt``/``.jsonl``/``.parquet`` ``--file``.

    The texts label themselves: blank ones are skipped with a warning, a repeated one is an error.
    """
    from traitlens.examples import EXAMPLE_SENTENCES
    from traitlens.io.sources import read_utf8
    from traitlens.io.texts import read_texts

    if source.example:
        return Items(list(EXAMPLE_SENTENCES))
    if source.file is not None and source.file.suffix.lower() == ".txt":
        lines = read_utf8(source.file).splitlines()
        return Items(_unique_texts(lines, list(range(1, len(lines) + 1)), "line", source.file, None))
    if source.file is not None:
        texts = read_texts(source.file, source.column)  # .jsonl or .parquet
        return Items(_unique_texts(texts, list(range(1, len(texts) + 1)), "text", source.file, None))
    raw = list(source.texts or [])
    return Items(_unique_texts(raw, list(range(1, len(raw) + 1)), "argument", None, None))


def predict(items: Items, encoder: Any, method: str, exemplars: str, data_dir: Path | None,
            scale_prior: bool = True, head: Path | None = None) -> tuple[pd.DataFrame, dict[str, pd.DataFrame],
                                                                           pd.DataFrame]:
    """One call of the API: the item pairs, the companion tables, and the matrix to draw.

    Returns
    -------
    pairs : DataFrame
        ``item_a, item_b, r``, with provenance.
    companions : dict
        ``{"scales": scale_a, scale_b, r; "reliability": scale, n_items, alpha, omega, note}`` with
        scales, else empty.
    matrix : DataFrame
        Items × items, or scales × scales with scales.
    """
    from traitlens.analysis.correlations import pair_table
    from traitlens.api import correlate, predict_scales
    from traitlens.provenance import get_provenance

    companions: dict[str, pd.DataFrame] = {}
    if items.memberships is None:
        item_r = correlate(items.texts, encoder, method=method, ids=items.ids, exemplars=exemplars,
                           data_dir=data_dir, head=head)
        drawn = item_r
    else:
        predictions = predict_scales(items.memberships, encoder, method=method, exemplars=exemplars,
                                     data_dir=data_dir, scale_prior=scale_prior, head=head)
        item_r = predictions.item_correlations
        companions = {"scales": predictions.scale_pairs(), "reliability": predictions.reliability}
        drawn = predictions.scale_correlations
        note = inferred_keys_note(predictions.keys)
        if note:
            shell.stderr(note)
    pairs = pair_table(item_r.to_numpy(), [str(label) for label in item_r.columns])
    pairs.attrs["provenance"] = get_provenance(item_r)
    return pairs, companions, drawn


def inferred_keys_note(keys: pd.DataFrame, shown: int = 12) -> str:
    """One line naming the keys that were inferred (``item, scale, key, inferred`` rows), or ``""`` if none was."""
    guessed = keys[keys["inferred"].astype(bool)]
    if guessed.empty:
        return ""
    listed = ", ".join(f"{row.item} {'+1' if row.key > 0 else '-1'} in {row.scale}"
                       for row in guessed.head(shown).itertuples())
    more = (f" and {len(guessed) - shown} more (traitlens.predict_scales(...).keys has all)"
            if len(guessed) > shown else "")
    return f"keys inferred for {len(guessed)} item × scale row(s): {listed}{more}"


@with_groups
def correlate_cmd(
    *,
    source: TextSource,
    columns: ItemColumns,
    model: ModelOpt = None,
    method: CorrelationMethodOpt = "auto",
    exemplars: ExemplarsOpt = ExemplarSource.builtin,
    data_dir: ExemplarDataDirOpt = None,
    output: Output,
    plot: CorrelationPlotOpt = None,
    scale_prior: ScalePriorOpt = True,
    head: HeadPathOpt = None,
    settings: EncoderSettings,
) -> None:
    """Predicted correlations between items from their texts: item_a, item_b, r (one row per pair).

    With --scale-column also scale_a, scale_b, r and scale, n_items, alpha, omega, note.
    """
    from traitlens.plot import correlation_heatmap, save_figure

    shell.check_text_source(source, plot)
    given = columns.given()
    delimited = source.file is not None and source.file.suffix.lower() in DELIMITED_SUFFIXES
    if given and not delimited:
        raise typer.BadParameter(f"{given[0]} needs --file with a {' or '.join(DELIMITED_SUFFIXES)} table",
                                 param_hint=given[0])
    if columns.key_column is not None and columns.scale_column is None:
        raise typer.BadParameter("--key-column needs --scale-column (a key is an item's direction in a scale)",
                                 param_hint="--key-column")
    if head is not None and method not in ("auto", "head"):
        raise typer.BadParameter(f"--head is a head for --method head, not {method}", param_hint="--head")
    companions = COMPANIONS if columns.scale_column is not None else ()
    with shell.reporting():
        fmt = shell.resolve_format(output)
        shell.check_outputs(fmt, output.out, plot, companions, inputs=[source.file])
        if source.file is not None and delimited:
            items = read_item_table(source.file, source.column, columns)
        else:
            items = read_items(source)
        if len(items.texts) < 2:
            raise InputError(f"correlations need at least two items; got {len(items.texts)}",
                             path=source.file)
        encoder = shell.load_model(model, settings)
        pairs, tables, matrix = predict(items, encoder, method, exemplars.value, data_dir, scale_prior, head)
        shell.emit_tables(pairs, tables, fmt, output.out, TITLES)
        if plot is not None:
            save_figure(correlation_heatmap(matrix, items.hover_texts()), plot)
            shell.stderr(f"wrote {plot}")
