"""The person-level response data of one questionnaire, with its observed item and scale statistics."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from traitlens import psychometrics
from traitlens.errors import InputError

#: The levels a scale can have (see :attr:`ResponseData.scale_levels`).
LEVELS = ("factor", "facet", "scale")


class DataWarning(UserWarning):
    """Response data that can be used, but not all of it (e.g. an item nobody answered)."""


@dataclass(eq=False)
class ResponseData:
    """Person-level responses to a questionnaire, with its scales and item texts.

    Attributes
    ----------
    name : str
        Dataset name (``"big5"``, ``"bfi"``, ... or your own).
    responses : DataFrame
        Persons × items, float64, ``NaN`` = missing; the columns are the item ids.
    low, high : float
        Bounds of the response scale (e.g. 1 and 5); reverse keying maps ``x`` to ``low + high - x``.
    scales : dict of str to Series
        Scale name → Series (item id → +1 / -1 key).
    scale_levels : dict of str to str
        Scale name → ``"factor"`` (a broad domain that has facets or is a Big Five factor),
        ``"facet"`` (a subscale of a factor) or ``"scale"`` (a stand-alone or narrow scale).
    item_text : Series
        Item id → item text (wording as administered).
    source : str
        Where the data come from (repository, path, commit; paper).
    licence : str
        Terms of use of the data.
    """

    name: str
    responses: pd.DataFrame = field(repr=False)
    low: float
    high: float
    scales: dict[str, pd.Series] = field(repr=False)
    scale_levels: dict[str, str] = field(repr=False)
    item_text: pd.Series = field(repr=False)
    source: str = field(default="", repr=False)
    licence: str = field(default="", repr=False)
    _item_r: pd.DataFrame | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if set(self.scale_levels) != set(self.scales):
            raise InputError("scale_levels must name exactly the scales in scales")
        bad = {k: v for k, v in self.scale_levels.items() if v not in LEVELS}
        if bad:
            name, level = next(iter(bad.items()))
            raise InputError(f"scale level of {name!r} must be one of {', '.join(LEVELS)}, got {level!r}")

    def __repr__(self) -> str:
        return (
            f"ResponseData(name={self.name!r}, n_persons={self.n_persons}, n_items={self.n_items}, "
            f"n_scales={len(self.scales)}, low={self.low:g}, high={self.high:g})"
        )

    @property
    def n_persons(self) -> int:
        """Number of persons (rows of :attr:`responses`)."""
        return int(self.responses.shape[0])

    @property
    def n_items(self) -> int:
        """Number of items (columns of :attr:`responses`)."""
        return int(self.responses.shape[1])

    def item_correlations(self) -> pd.DataFrame:
        """Observed pairwise-complete item correlations (computed once, then cached).

        Returns
        -------
        DataFrame
            Items × items; see :func:`traitlens.psychometrics.item_correlations`.
        """
        if self._item_r is None:
            self._item_r = psychometrics.item_correlations(self.responses)
        return self._item_r

    def scale_scores(self, min_items: int = 1) -> pd.DataFrame:
        """Keyed scale scores (mean of each person's answered items).

        Parameters
        ----------
        min_items : int, default 1
            Fewer answered items give ``NaN``.

        Returns
        -------
        DataFrame
            Persons × scales; see :func:`traitlens.psychometrics.scale_scores`.
        """
        return psychometrics.scale_scores(self.responses, self.scales, self.low, self.high, min_items=min_items)

    def scale_correlations(self, min_items: int = 1) -> pd.DataFrame:
        """Observed scale correlations: pairwise-complete Pearson r of the person-level scale scores.

        Parameters
        ----------
        min_items : int, default 1
            Passed to :meth:`scale_scores`.

        Returns
        -------
        DataFrame
            Scales × scales.
        """
        return psychometrics.item_correlations(self.scale_scores(min_items=min_items))

    def alphas(self, nan_policy: Literal["pairwise", "listwise"] = "pairwise") -> pd.Series:
        """Cronbach's alpha of every scale with at least two items.

        Parameters
        ----------
        nan_policy : {"pairwise", "listwise"}, default "pairwise"
            See :func:`traitlens.psychometrics.cronbach_alpha`.

        Returns
        -------
        Series
            Scale name → alpha, named ``"alpha"``.
        """
        out = {}
        for name, keys in self.scales.items():
            if len(keys) < 2:
                continue
            keyed = psychometrics.reverse_key(self.responses[list(keys.index)], keys, self.low, self.high)
            out[name] = psychometrics.cronbach_alpha(keyed, nan_policy=nan_policy)
        return pd.Series(out, name="alpha", dtype=np.float64)
