"""Construct models (taxonomies): factor → facets → keywords / descriptions / pole descriptors.

A taxonomy is the set of constructs that texts are scored against. It is
loaded from YAML or CSV, validated with pydantic, and every validation error
names the file, the line and the field.

YAML form::

    name: bigfive-keywords
    description: Fifteen Big Five keywords, three per factor.
    factors:
      - name: Conscientiousness
        definition: Tendency to be organised, dependable and goal-directed.   # optional
        keywords: [Goal-oriented, Self-discipline, Organization]
        high: [I get chores done right away.]                                 # optional pole descriptors
        low: [I leave a mess in my room.]
        facets:                                                               # optional
          - name: Orderliness
            keywords: [tidiness]

CSV form: one row per keyword with columns ``factor``, ``keyword`` and
optionally ``facet`` and ``pole`` (``high`` / ``low``: the text is a pole
descriptor rather than a keyword). The taxonomy is named after the file stem.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from traitlens.constructs._builtin import builtin_names, load_named
from traitlens.errors import InputError
from traitlens.fingerprint import content_fingerprint
from traitlens.io.sources import line_of, load_yaml_with_lines, read_delimited, validation_error

_BUILTIN_PACKAGE = "traitlens.constructs.data.taxonomies"


def _clean_texts(values: list[str], what: str) -> list[str]:
    cleaned = []
    for value in values:
        if not value.strip():
            raise ValueError(f"{what} must not be empty or whitespace")
        cleaned.append(value.strip())
    return cleaned


class Construct(BaseModel):
    """One construct (a factor or a facet) and the texts that describe it.

    Attributes
    ----------
    name : str
        Unique name within the taxonomy.
    label : str, optional
        Display label (defaults to ``name``).
    definition : str, optional
        A short definition.
    keywords : list of str
        Keywords or short descriptions of the construct.
    high, low : list of str
        Descriptors of the high and the low pole (for bipolar scoring).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    label: str | None = None
    definition: str | None = None
    keywords: list[str] = Field(default_factory=list)
    high: list[str] = Field(default_factory=list)
    low: list[str] = Field(default_factory=list)

    @field_validator("name")
    @classmethod
    def _name_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("name must not be empty or whitespace")
        return value.strip()

    @field_validator("keywords", "high", "low")
    @classmethod
    def _texts_not_blank(cls, values: list[str]) -> list[str]:
        return _clean_texts(values, "entries")

    @property
    def display(self) -> str:
        """``label`` if set, else ``name``."""
        return self.label or self.name


class Factor(Construct):
    """A broad construct, optionally divided into facets."""

    facets: list[Construct] = Field(default_factory=list)


class Taxonomy(BaseModel):
    """A validated set of factors (and facets) with their keywords.

    Use :func:`load_taxonomy` to get one from a built-in name or a file.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    description: str | None = None
    source: str | None = None
    factors: list[Factor] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> Taxonomy:
        names: dict[str, str] = {}
        for i, factor in enumerate(self.factors):
            constructs = [(f"factors.{i}", factor)] + [
                (f"factors.{i}.facets.{j}", facet) for j, facet in enumerate(factor.facets)
            ]
            for where, construct in constructs:
                if construct.name in names:
                    raise ValueError(f"{where}: construct name {construct.name!r} is used twice "
                                     f"(first at {names[construct.name]})")
                other = next((n for n in names if n.casefold() == construct.name.casefold()), None)
                if other is not None:  # constructs are looked up in any case (explain's target, --construct)
                    raise ValueError(f"{where}: construct name {construct.name!r} differs from {other!r} (at "
                                     f"{names[other]}) only in case; constructs are named without regard to case")
                names[construct.name] = where
        seen: dict[str, str] = {}
        for where, construct in self._walk():
            for k, keyword in enumerate(construct.keywords):
                key = keyword.casefold()
                if key in seen:
                    raise ValueError(f"{where}.keywords.{k}: duplicate keyword {keyword!r} "
                                     f"(already listed under {seen[key]})")
                seen[key] = f"{where}"
        for where, construct in self._walk():
            if not (construct.keywords or construct.high or construct.low or construct.definition
                    or getattr(construct, "facets", None)):
                raise ValueError(f"{where}: construct {construct.name!r} has no keywords, definition, pole "
                                 "descriptors or facets: nothing to compare texts with")
        return self

    def _walk(self) -> list[tuple[str, Construct]]:
        out: list[tuple[str, Construct]] = []
        for i, factor in enumerate(self.factors):
            out.append((f"factors.{i}", factor))
            out.extend((f"factors.{i}.facets.{j}", facet) for j, facet in enumerate(factor.facets))
        return out

    @property
    def has_facets(self) -> bool:
        """Whether any factor is divided into facets."""
        return any(f.facets for f in self.factors)

    @property
    def fingerprint(self) -> str:
        """12-hex-digit SHA-256 of the taxonomy's content (recorded in provenance)."""
        return content_fingerprint(self.model_dump(mode="json"))

    def keyword_table(self) -> pd.DataFrame:
        """One row per keyword: ``factor, facet, keyword`` (facet is None for factor-level keywords).

        Facet keywords belong to their facet and its factor. Order follows the file.
        """
        rows = []
        for factor in self.factors:
            rows.extend({"factor": factor.name, "facet": None, "keyword": k} for k in factor.keywords)
            for facet in factor.facets:
                rows.extend({"factor": factor.name, "facet": facet.name, "keyword": k} for k in facet.keywords)
        if not rows:
            raise InputError(f"taxonomy {self.name!r} has no keywords; similarity tables need keywords")
        return pd.DataFrame(rows, columns=["factor", "facet", "keyword"])


def builtin_taxonomies() -> list[str]:
    """Names of the taxonomies shipped with traitlens."""
    return builtin_names(_BUILTIN_PACKAGE, ".yaml")


def load_taxonomy(taxonomy: str | Path | Taxonomy) -> Taxonomy:
    """Load a taxonomy by built-in name or from a YAML/CSV file.

    Parameters
    ----------
    taxonomy : str, Path or Taxonomy
        A built-in name (see :func:`builtin_taxonomies`), a path to a ``.yaml``/
        ``.yml``/``.csv``/``.tsv`` file, or an already loaded :class:`Taxonomy`.

    Returns
    -------
    Taxonomy

    Raises
    ------
    InputError
        Unknown name (the message lists the built-in ones), unreadable file, or
        a validation error naming file, line and field.

    Examples
    --------
    >>> tax = load_taxonomy("bigfive-keywords")
    >>> [f.name for f in tax.factors][:2]
    ['Openness to Experience', 'Conscientiousness']
    """
    if isinstance(taxonomy, Taxonomy):
        return taxonomy
    return load_named(taxonomy, kind="taxonomy", package=_BUILTIN_PACKAGE, builtin_suffix=".yaml",
                      from_table=_from_table, from_yaml=_from_yaml)


def _from_yaml(path: Path) -> Taxonomy:
    data, lines = load_yaml_with_lines(path)
    if not isinstance(data, dict):
        raise InputError("a taxonomy file must be a mapping with 'name' and 'factors'", path=path, line=1)
    return _validate(path, data, lines)


def _validate(path: Path, data: dict[str, Any], lines: dict[tuple[Any, ...], int] | None) -> Taxonomy:
    try:
        return Taxonomy.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        if err.get("type") == "value_error" and not err.get("loc"):
            # model-level check: its message starts with the key path, e.g. "factors.2.keywords.1: ..."
            msg = str(err.get("ctx", {}).get("error", err["msg"]))
            where, _, rest = msg.partition(": ")
            loc = tuple(int(p) if p.isdigit() else p for p in where.split("."))
            line = None if lines is None else line_of(lines, loc)
            raise InputError(rest or msg, path=path, line=line, column=where) from None
        raise validation_error(path, exc, lines=lines) from None


def _from_table(path: Path) -> Taxonomy:
    table = read_delimited(path)
    table.require("factor", "keyword")
    unknown = [c for c in table.header if c not in ("factor", "facet", "keyword", "pole")]
    if unknown:  # as the YAML form refuses unknown fields: a misspelt 'pole' would make descriptors keywords
        raise InputError(f"unknown column {unknown[0]!r}; a taxonomy table has factor, keyword and optionally "
                         "facet and pole", path=path, line=1, column=table.header.index(unknown[0]) + 1)
    factors: dict[str, dict[str, Any]] = {}
    lines: dict[tuple[Any, ...], int] = {}
    for row, line in zip(table.rows, table.lines, strict=True):
        factor_name = row["factor"].strip()
        if not factor_name:
            raise InputError("factor name is empty", path=path, line=line, column="factor")
        text = row["keyword"].strip()
        if not text:
            raise InputError("keyword is empty", path=path, line=line, column="keyword")
        pole = row.get("pole", "").strip().lower()
        if pole not in {"", "high", "low"}:
            raise InputError(f"pole must be 'high', 'low' or empty, got {row['pole']!r}", path=path, line=line,
                             column="pole")
        fi = list(factors).index(factor_name) if factor_name in factors else len(factors)
        factor = factors.setdefault(factor_name, {"name": factor_name, "keywords": [], "high": [], "low": [],
                                                  "facets": {}})
        target, loc = factor, ("factors", fi)
        facet_name = row.get("facet", "").strip()
        if facet_name:
            fj = list(factor["facets"]).index(facet_name) if facet_name in factor["facets"] else len(factor["facets"])
            target = factor["facets"].setdefault(facet_name, {"name": facet_name, "keywords": [], "high": [],
                                                              "low": []})
            loc = (*loc, "facets", fj)
        field = pole or "keywords"
        lines.setdefault(loc, line)
        lines[(*loc, field, len(target[field]))] = line
        target[field].append(text)
    for factor in factors.values():
        factor["facets"] = list(factor["facets"].values())
    data = {"name": path.stem, "source": str(path), "factors": list(factors.values())}
    if not factors:
        raise InputError("the file has no rows", path=path, line=2)
    return _validate(path, data, lines)
