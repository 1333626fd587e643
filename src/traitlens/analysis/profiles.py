r"""Bipolar trait profiles and key inference: pure functions over vectors.

The method (chosen by measurement, see ``benchmarks/results/validity.md``): every construct gets two
prototypes, the mean of its high-pole and of its low-pole exemplars (pole descriptors written for
traitlens, and items of other inventories with known keys). All vectors are first centred on the
mean exemplar vector — the questionnaire-mean subtraction of SQuID (Wulff & Mata, 2025), which
removes the "this is a personality item" direction that all items share — and re-normalised. Then

.. math:: h_c(x) = \cos(\tilde x, \tilde\mu^{+}_c), \quad l_c(x) = \cos(\tilde x, \tilde\mu^{-}_c),
          \quad \text{contrast}_c(x) = h_c(x) - l_c(x), \quad \text{relevance}_c(x) = \max(h_c, l_c),

          \text{score}_c(x) = \operatorname{sign}(\text{contrast}_c(x)) \cdot \max(\text{relevance}_c(x), 0).

``contrast`` says which pole a text leans to; ``relevance`` says how much it speaks to the construct
at all. The headline ``score`` carries both: its sign is the direction (the key), its magnitude the
relevance, so the construct with the largest ``|score|`` is the one :func:`traitlens.assign` picks
and a bar chart of ``score`` points at the answer. Measured on the 60 behaviour descriptions
(``tests/data/behaviours.csv``, all-MiniLM-L6-v2): the largest ``|contrast|`` is the assigned construct
for 28% of texts (domain accuracy read from such a chart: 28%, against 88% for ``assign``);
``contrast`` × softmax relevance weight 95% (83%); ``contrast`` × relevance 82% (75%); the signed
relevance 100% (88%) — kept. A construct without exemplars of one pole is scored unipolar
(``contrast = high``, ``low`` NaN).

Tried and not kept (same suites, all-MiniLM-L6-v2, leave-one-inventory-out): raw cosine to labels
(IPIP-50 36%), mean keyword similarity (62%), a multinomial logistic probe over construct × pole
(IPIP-50 76–80%, keys 82–86%, worse on BFI: no better than the prototypes and less transparent),
k-nearest exemplars and a kNN + prototype ensemble (80–82% on IPIP-50 but worse on BFI, SPI and keys),
factor relevance as the maximum over its facets' prototypes (worse everywhere), ranking by the
contrast axis high − low (keys equal, assignment far worse), prototypes that weigh descriptors and
items equally (no consistent gain), and centring on the scored questionnaire's own mean instead of
the exemplar mean (no gain).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from traitlens.analysis.assignment import rank_constructs
from traitlens.analysis.similarity import cosine_matrix
from traitlens.errors import InputError

#: Softmax temperature of the ``confidence`` column of a profile.
CONFIDENCE_TEMPERATURE = 0.05


def centre(vectors: np.ndarray, center: np.ndarray) -> np.ndarray:
    """Subtract ``center`` and re-normalise rows to unit length (zero rows stay zero), in float64."""
    x = np.asarray(vectors, dtype=np.float64) - center
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(norms == 0, 1, norms)


def pole_prototypes(
    exemplar_vectors: np.ndarray,
    constructs: Sequence[str],
    keys: Sequence[int],
    names: Sequence[str],
    center: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Unit high- and low-pole prototypes of each construct in ``names``.

    Parameters
    ----------
    exemplar_vectors : (m, d) array
    constructs : sequence of str
        Construct of each exemplar.
    keys : sequence of int
        +1 (high pole) or -1 (low pole) for each exemplar.
    names : sequence of str
        Constructs to build prototypes for (rows of the result).
    center : (d,) array
        Vector subtracted before averaging.

    Returns
    -------
    high, low : (len(names), d) arrays
        NaN rows where a construct has no exemplar of that pole.
    """
    x = centre(exemplar_vectors, center)
    constructs = np.asarray(constructs, dtype=object)
    keys = np.asarray(keys)
    d = x.shape[1]
    high = np.full((len(names), d), np.nan)
    low = np.full((len(names), d), np.nan)
    for i, name in enumerate(names):
        for target, sign in ((high, 1), (low, -1)):
            rows = x[(constructs == name) & (np.sign(keys) == sign)]
            if len(rows):
                mean = rows.mean(axis=0)
                target[i] = mean / (np.linalg.norm(mean) or 1.0)
    return high, low


@dataclass(frozen=True, eq=False)
class BipolarProfile:
    """Texts scored on the high and low poles of constructs (the pure result of :func:`bipolar_profile`).

    Attributes
    ----------
    texts : tuple of str
        The scored texts (rows).
    constructs : tuple of str
        Construct names (columns).
    high, low : (n, k) arrays
        Cosine of each centred text with each construct's high / low prototype (``low`` NaN for a
        unipolar construct).
    center : (d,) array
        The exemplar mean subtracted before comparing.
    high_prototypes, low_prototypes : (k, d) arrays
        Unit prototypes in centred space.
    """

    texts: tuple[str, ...]
    constructs: tuple[str, ...]
    high: np.ndarray
    low: np.ndarray
    center: np.ndarray
    high_prototypes: np.ndarray
    low_prototypes: np.ndarray

    @property
    def contrast(self) -> np.ndarray:
        """``high - low``: > 0 toward the high pole; unipolar constructs give ``high``."""
        return np.where(np.isnan(self.low), self.high, self.high - self.low)

    @property
    def relevance(self) -> np.ndarray:
        """How strongly a text speaks to a construct, whichever the pole: ``max(high, low)``."""
        return np.fmax(self.high, self.low)

    @property
    def score(self) -> np.ndarray:
        """The headline: ``sign(contrast) * max(relevance, 0)`` (see the module notes)."""
        return np.sign(self.contrast) * np.clip(self.relevance, 0.0, None)

    @property
    def confidence(self) -> np.ndarray:
        """Softmax of the relevance over a text's constructs: its relative construct weight (rows sum to 1)."""
        rel = self.relevance
        weights = np.exp((rel - np.nanmax(rel, axis=1, keepdims=True)) / CONFIDENCE_TEMPERATURE)
        return np.nan_to_num(weights) / np.nansum(weights, axis=1, keepdims=True)

    def column(self, construct: str) -> int:
        """Index of ``construct`` among :attr:`constructs` (``InputError`` if absent)."""
        try:
            return self.constructs.index(construct)
        except ValueError:
            raise InputError(f"construct {construct!r} is not one of {', '.join(self.constructs)}") from None

    def axis(self, construct: str) -> np.ndarray:
        """The construct's direction in centred space, ``high_prototype - low_prototype``."""
        j = self.column(construct)
        return np.nan_to_num(self.high_prototypes[j]) - np.nan_to_num(self.low_prototypes[j])


def bipolar_profile(
    texts: Sequence[str],
    text_vectors: np.ndarray,
    exemplar_vectors: np.ndarray,
    exemplar_constructs: Sequence[str],
    exemplar_keys: Sequence[int],
    constructs: Sequence[str],
) -> BipolarProfile:
    """Score texts on the poles of constructs from keyed exemplars.

    Parameters
    ----------
    texts : sequence of str
        Labels of the rows of ``text_vectors``.
    text_vectors : (n, d) array
    exemplar_vectors : (m, d) array
        Vectors of the exemplars; their mean is the centre.
    exemplar_constructs, exemplar_keys : sequences of length m
        Construct and pole (+1 high, -1 low) of each exemplar.
    constructs : sequence of str
        Constructs to score (columns), in output order.

    Returns
    -------
    BipolarProfile
    """
    exemplar_vectors = np.asarray(exemplar_vectors, dtype=np.float64)
    if not len(exemplar_vectors):
        raise InputError("no exemplars to build construct prototypes from")
    center = exemplar_vectors.mean(axis=0)
    high_p, low_p = pole_prototypes(exemplar_vectors, exemplar_constructs, exemplar_keys, constructs, center)
    t = centre(text_vectors, center)
    with np.errstate(invalid="ignore"):
        high, low = t @ high_p.T, t @ low_p.T
    return BipolarProfile(tuple(texts), tuple(constructs), high, low, center, high_p, low_p)


def profile_frame(result: BipolarProfile) -> pd.DataFrame:
    """Tidy profile: ``text, construct, score, contrast, relevance, high, low, confidence``, one row per pair.

    ``score`` is the headline (:attr:`BipolarProfile.score`); ``confidence`` is the text's relative
    construct weight (:attr:`BipolarProfile.confidence`), not a calibrated probability.
    """
    n, k = result.high.shape
    return pd.DataFrame({
        "text": np.repeat(np.asarray(result.texts, dtype=object), k),
        "construct": np.tile(np.asarray(result.constructs, dtype=object), n),
        "score": result.score.reshape(-1),
        "contrast": result.contrast.reshape(-1),
        "relevance": result.relevance.reshape(-1),
        "high": result.high.reshape(-1),
        "low": result.low.reshape(-1),
        "confidence": result.confidence.reshape(-1),
    })


def loading_table(result: BipolarProfile) -> pd.DataFrame:
    """Texts × constructs table of the headline ``score`` (index ``text``; duplicate texts kept once)."""
    table = pd.DataFrame(result.score, index=pd.Index(result.texts, name="text"), columns=list(result.constructs))
    return table[~table.index.duplicated()]


def assignment_frame(result: BipolarProfile, min_margin: float, min_key_contrast: float = 0.0) -> pd.DataFrame:
    """Text → construct with key: ``text, construct, key, score, margin, confident, key_confident``.

    ``construct`` has the highest relevance (:func:`~traitlens.analysis.assignment.rank_constructs`);
    ``key`` is the sign of its contrast; ``score`` its headline score; ``margin`` the relevance gap to
    the runner-up; ``confident`` is ``margin >= min_margin`` (else: "no clear construct");
    ``key_confident`` is ``|contrast| >= min_key_contrast`` there (else: the poles nearly tie, so the
    key is a guess).
    """
    best, margin = rank_constructs(result.relevance)
    rows = np.arange(len(best))
    contrast = result.contrast[rows, best]
    return pd.DataFrame({
        "text": list(result.texts),
        "construct": np.asarray(result.constructs, dtype=object)[best],
        "key": np.where(contrast >= 0, 1, -1),
        "score": result.score[rows, best],
        "margin": margin,
        "confident": margin >= min_margin,
        "key_confident": np.abs(np.nan_to_num(contrast)) >= min_key_contrast,
    })


def contrast_correlations(*results: BipolarProfile) -> np.ndarray:
    """Predicted item correlations: cosine of the texts' contrast vectors over all constructs of ``results``.

    Parameters
    ----------
    *results : BipolarProfile
        Profiles of the same texts (e.g. the 5 domains and the 30 facets); their contrasts are joined.

    Returns
    -------
    (n, n) array
        Signed: items leaning to opposite poles of the same constructs correlate negatively.
    """
    if not results:
        raise InputError("contrast_correlations needs at least one profile")
    joined = np.nan_to_num(np.hstack([r.contrast for r in results]))
    return cosine_matrix(joined, joined)


def orient_keys(projection: np.ndarray, known: np.ndarray | None = None,
                majority: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The one key-orientation rule: keys are signs of projections, oriented by known keys.

    Parameters
    ----------
    projection : (n,) array
        Each item's signed position on a construct axis.
    known : (n,) array, optional
        Known keys (+1/-1), NaN where unknown; kept as given. The axis is flipped if the known keys
        disagree with it in sum, each weighted by its item's projection (``sum(known * projection) <
        0``; ties keep), so an item that sits near the middle of the axis cannot flip a whole scale.
    majority : bool
        Without known keys, flip so that most items get +1 (for an axis whose sign is arbitrary,
        such as a principal component).

    Returns
    -------
    keys : (n,) array of ±1
    projection : (n,) array
        The projection, oriented like the keys.
    """
    proj = np.asarray(projection, dtype=np.float64)
    keys = np.where(proj >= 0, 1.0, -1.0)
    known_arr = np.full(len(keys), np.nan) if known is None else np.asarray(known, dtype=float)
    have = np.isfinite(known_arr)
    if have.any():
        flip = float(np.sum(known_arr[have] * proj[have])) < 0
    else:
        flip = majority and keys.sum() < 0
    if flip:
        keys, proj = -keys, -proj
    keys[have] = known_arr[have]
    return keys, proj


def infer_keys(vectors: np.ndarray, known: Sequence[float] | None = None,
               axis: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Infer the keys (+1/-1) of the items of one scale.

    Parameters
    ----------
    vectors : (n, d) array
        Item embeddings (centred like ``axis`` if one is given).
    known : sequence of float, optional
        Known keys, NaN where unknown. They orient the axis and are kept as given.
    axis : (d,) array, optional
        A construct direction (:meth:`BipolarProfile.axis`). Without it the axis is the first
        principal component of the items (centred on their mean), which separates the two poles of a
        scale with reversed items.

    Returns
    -------
    keys : (n,) array of ±1
    projections : (n,) array
        Each item's signed projection on the axis (oriented like the keys).

    Notes
    -----
    Orientation follows :func:`orient_keys`: the known keys flip the axis if they disagree with it in
    (projection-weighted) sum; without known keys a given axis keeps its sign, and a principal component (whose sign is
    arbitrary) is oriented so that most items get +1. The space matters: in raw embedding space the
    first component is mostly topic, in the space of a profile's contrasts it is direction (measured
    by ``benchmarks/infer_keys.py``).
    """
    x = np.asarray(vectors, dtype=np.float64)
    from_components = axis is None
    if from_components:
        x = x - x.mean(axis=0)
        axis = np.linalg.svd(x, full_matrices=False)[2][0]
    return orient_keys(x @ axis, None if known is None else np.asarray(known, dtype=float),
                       majority=from_components)
