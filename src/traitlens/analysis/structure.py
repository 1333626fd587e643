r"""Semantic factor analysis: factor structure of predicted item correlations, before anyone answers (pure).

From a matrix :math:`\hat R` of predicted item correlations (:func:`traitlens.engine.item_correlations`):

1. **Parallel analysis** (Horn, 1965) against a null of random vectors: the eigenvalues of
   :math:`\hat R` are compared with those of the cosine matrix of ``n`` random unit vectors of
   the same dimension ``dim`` (what unrelated texts would give); the number of factors is the
   number of leading eigenvalues above the null's ``percentile``-th percentile.
2. **Exploratory factor analysis** with ``factor_analyzer`` (minres extraction, rotation from its
   maintained implementation: oblimin by default) → loadings.
3. **Congruence**: with theory as the NMI and ARI of items' highest-loading factors vs their scales;
   with a human factor solution as Tucker's :math:`\phi_{kl} = \sum_i a_{ik} b_{il} /
   \sqrt{\sum_i a_{ik}^2 \sum_i b_{il}^2}` per factor after optimal matching (Hungarian
   assignment on :math:`|\phi|`; signs aligned).

This is the response-free factor analysis of item embeddings of semanticfa and of Guenole et al.
(2024), with traitlens' signed correlation predictions in place of raw cosines.

**Which correlations feed the EFA** (the default, chosen by measurement: ``benchmarks/results/scales.md``):
the *membership* matrix :func:`membership_correlations`, the congruence of the loading patterns that
the items' bipolar profiles imply — each item loads on the constructs it speaks to (the profile's
softmax ``confidence``) with the sign of its pole (the sign of its ``contrast``, the profile's key).
The profile's contrast correlations (``profile``: cosine of ``high − low`` over the 35 constructs)
are dominated by one evaluative direction — desirable items lean to the desirable pole of every
construct at once (first eigenvalue 18 of 50 on IPIP-50) — so their factors sort items by
desirability, not by content (IPIP-50, all-MiniLM-L6-v2, 5 factors: NMI .17 against theory with the
leakage-guarded pool, against .65 for membership, which reaches the NMI of the profile's own
item → domain assignment). The parallel-analysis null lives in the space the predicted correlations
are cosines of: the 35 construct columns for ``membership`` and ``profile``, the embedding dimension
for ``cosine`` and ``head`` (a 384-d null on the 35-column membership matrix picks 9 factors on
IPIP-50 and 6 on BFI; the 35-d null 4 and 5).

Tried and not kept (all-MiniLM-L6-v2, 5 factors, leakage-guarded exemplars; NMI / mean φ on IPIP-50
and on BFI): membership over the 5 domains only .648 / .456 and .807 / .593 (35 constructs: .648 /
.479 and .807 / .618); contrast × confidence .535 / .494 and .748 / .564; the headline ``score`` ×
confidence .640 / .465 and .748 / .684; the cosine of the headline scores .597 / .433 and .617 / .569;
item embeddings centred on the exemplar mean .425 / .249 and .501 / .423; varimax or promax instead of
oblimin within .01. What limited φ was the keys: with MiniLM the contrast's sign gets 6 of 10
IPIP-50 Neuroticism keys right (Neuroticism φ .10); no other response-free sign source tried (principal
components of the items' contrasts or embeddings, the facets' contrasts, the head) did better overall.

**Key-aware membership** (:func:`keyed_signs`; used by :func:`traitlens.factors` when the items have
scales and keys): each item's pole on every construct is its key times its scale's keyed direction
(the sign of the key-signed sum of the scale's contrasts), so the items of a scale share one pole
pattern. Developed on BFI and the 100 adjectives (mean φ .618 → .835 and .499 → .626, MiniLM), then
IPIP-50: φ .479 → .848 (Neuroticism .10 → .86), NMI unchanged .648 (assignment comes from relevance).
It uses the inventory's keys and scale memberships (not responses): unlike semanticfa's figures it is
not key-free. **Inferred keys** (:func:`keys_from_correlations`; :func:`traitlens.factors` without keys): the
same key-aware signs with keys read off the leading axis of the *predicted* correlations within each
scale, or within the domain the profile assigns each item to when there are no scales — key-free. With
``tuned`` correlations from adapters trained without the scored data set, mean φ within scales
(MiniLM's three-adapter ensemble / mpnet): IPIP-50 .641 / .813, BFI .754 / .753, adjectives .414 / .683
(contrast signs: .479 / .741, .618 / .725, .499 / .671); within profile domains .636 / .792, .748 / .693,
.344 / .642 — so
:func:`traitlens.factors` infers keys by default only within given scales. With the head over the plain
model instead of ``tuned``, IPIP-50 within domains .465 (keys 72% right against 82%). Also measured and
not kept: fine-tuned MiniLM without the BIG5 data (``finetune-shared/lodo-ipip50``) under key-aware
membership, φ .651; |contrast| × confidence with keyed signs, φ .707;
the head's correlations with the first (desirability) factor removed, φ .329.

References
----------
Horn, J. L. (1965). A rationale and test for the number of factors in factor analysis.
*Psychometrika, 30*, 179–185.
Lorenzo-Seva, U., & ten Berge, J. M. F. (2006). Tucker's congruence coefficient as a meaningful
index of factor similarity. *Methodology, 2*, 57–64.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from traitlens.analysis.correlations import complete_keys
from traitlens.analysis.profiles import BipolarProfile
from traitlens.analysis.similarity import cosine_matrix
from traitlens.errors import InputError

ROTATIONS = ("oblimin", "varimax", "promax", "quartimax", "geomin_obl", "none")


@dataclass(frozen=True)
class ParallelAnalysis:
    """Observed and null eigenvalues and the factor count they imply.

    Attributes
    ----------
    eigenvalues : (n,) array
        Of the predicted matrix, descending.
    null : (n,) array
        ``percentile``-th percentile of the null eigenvalues, rank by rank.
    n_factors : int
        Leading eigenvalues above the null (at least 1).
    dim, n_iter, percentile : int, int, float
    """

    eigenvalues: np.ndarray
    null: np.ndarray
    n_factors: int
    dim: int
    n_iter: int
    percentile: float


def smooth_correlations(r: np.ndarray, floor: float = 1e-3) -> np.ndarray:
    """Nearest usable correlation matrix: symmetrised, eigenvalues floored, rescaled to a unit diagonal."""
    r = np.asarray(r, dtype=np.float64)
    r = (r + r.T) / 2
    values, vectors = np.linalg.eigh(r)
    if values.min() >= floor:
        out = r
    else:
        out = (vectors * np.maximum(values, floor)) @ vectors.T
    d = np.sqrt(np.diag(out))
    out = out / np.outer(d, d)
    np.fill_diagonal(out, 1.0)
    return out


def parallel_analysis(r: np.ndarray, dim: int, *, n_iter: int = 100, percentile: float = 95.0,
                      seed: int = 0) -> ParallelAnalysis:
    """Horn's parallel analysis of a predicted correlation matrix against random unit vectors.

    Parameters
    ----------
    r : (n, n) array
        Predicted item correlations.
    dim : int
        Dimension of the random vectors (the embedding dimension).
    n_iter : int, default 100
    percentile : float, default 95
    seed : int, default 0

    Returns
    -------
    ParallelAnalysis

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> f = np.repeat(np.eye(2), 5, axis=0) + 0.1 * rng.standard_normal((10, 2))
    >>> r = np.corrcoef(f @ rng.standard_normal((2, 300)) + 0.5 * rng.standard_normal((10, 300)))
    >>> parallel_analysis(r, dim=300).n_factors
    2
    """
    r = np.asarray(r, dtype=np.float64)
    n = r.shape[0]
    if r.ndim != 2 or r.shape[1] != n or n < 3:
        raise InputError(f"parallel analysis needs a square matrix of at least 3 items; got shape {r.shape}")
    if dim < 2:
        raise InputError(f"dim must be at least 2; got {dim}")
    observed = np.sort(np.linalg.eigvalsh((r + r.T) / 2))[::-1]
    rng = np.random.default_rng(seed)
    null = np.empty((n_iter, n))
    for i in range(n_iter):
        x = rng.standard_normal((n, dim))
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        null[i] = np.sort(np.linalg.eigvalsh(x @ x.T))[::-1]
    cut = np.percentile(null, percentile, axis=0)
    above = observed > cut
    k = int(np.argmin(above)) if not above.all() else n
    return ParallelAnalysis(observed, cut, max(k, 1), int(dim), int(n_iter), float(percentile))


def keyed_signs(contrast: np.ndarray, scales: Sequence[object], keys: Sequence[float]) -> np.ndarray:
    r"""Pole signs of texts on constructs from their scales' keys instead of their own contrasts.

    Parameters
    ----------
    contrast : (n, k) array
        The texts' contrasts (e.g. :attr:`BipolarProfile.contrast`).
    scales : sequence of length n
        Each text's scale (any hashable label).
    keys : sequence of length n
        Each text's key within its scale: +1, -1, or NaN (unknown).

    Returns
    -------
    (n, k) array of {-1, 0, +1}

    Notes
    -----
    A scale's keyed direction on construct :math:`c` is the sign of the key-signed sum of its
    items' contrasts, :math:`d_{Sc} = \operatorname{sign}\sum_{j \in S} k_j\,\text{contrast}_{jc}`
    (items with an unknown key left out), and a keyed item's sign is :math:`k_i d_{Sc}`: the items of
    a scale share one pole pattern up to their key, so a single mis-signed contrast (e.g. a reverse-keyed
    Neuroticism item whose contrast leans to the calm pole) no longer flips its correlations. Items
    with an unknown key (or a scale whose sum is 0 on :math:`c`) keep the sign of their own contrast.
    The factor a text is assigned to still comes from its relevance, not from the scales.

    Examples
    --------
    >>> c = np.array([[0.5, -0.1], [0.2, 0.3], [-0.4, 0.2]])
    >>> keyed_signs(c, ["A", "A", "A"], [1, -1, -1]).tolist()
    [[1.0, -1.0], [-1.0, 1.0], [-1.0, 1.0]]
    """
    contrast = np.nan_to_num(np.asarray(contrast, dtype=np.float64))
    keys = np.asarray(keys, dtype=np.float64)
    labels = pd.factorize(pd.Series(list(scales), dtype=object))[0]
    if contrast.ndim != 2 or len(labels) != len(contrast) or len(keys) != len(contrast):
        raise InputError(f"keyed_signs needs one scale and one key per text; got {len(labels)} scales, "
                         f"{len(keys)} keys for {len(contrast)} texts")
    known = np.isfinite(keys)
    if (known & ~np.isin(keys, (1.0, -1.0))).any():
        raise InputError("keys must be +1, -1 or NaN")
    k = np.where(known, keys, 0.0)
    signed = contrast * k[:, None]
    totals = np.zeros((labels.max() + 1, contrast.shape[1]))
    np.add.at(totals, labels, signed)
    direction = np.sign(totals)[labels]
    out = k[:, None] * direction
    return np.where(out == 0, np.sign(contrast), out)


def keys_from_correlations(r: np.ndarray, groups: Sequence[object]) -> np.ndarray:
    r"""Keys of texts within groups, from predicted signed correlations alone (no keys, no responses).

    Parameters
    ----------
    r : (n, n) array
        Predicted signed item correlations (e.g. :func:`traitlens.engine.item_correlations` with the
        model's default predictor, which learned polarity from observed correlations).
    groups : sequence of length n
        Each text's group: its scale, or the construct its profile assigns it to.

    Returns
    -------
    (n,) array of {+1, -1}
        Within each group, the sign of the text on the leading eigenvector of the group's block of
        ``r``: texts that correlate positively share a key — the keys :func:`traitlens.predict_scales`
        infers (:func:`traitlens.analysis.correlations.complete_keys`, oriented so that most texts get
        +1); a group of one text is +1. Only the pattern within a group means anything, which is all
        :func:`keyed_signs` uses (it is unchanged when a whole group's keys flip).

    Notes
    -----
    One reverse-keyed item correlates negatively with the rest of its scale, so the first principal
    axis of the scale's predicted correlations separates the two keys. On IPIP-50 with
    all-MiniLM-L6-v2 and a correlation adapter trained without the BIG5 data, the keys it infers agree
    with the inventory's on 90% of items within the 5 scales and on 82% within the profile's own domain
    clusters (each scale counted in its better orientation), against 74% and 72% from the head over the
    plain model (``benchmarks/results/scales.md``).

    Examples
    --------
    >>> r = np.array([[1.0, 0.5, -0.4], [0.5, 1.0, -0.3], [-0.4, -0.3, 1.0]])
    >>> keys_from_correlations(r, ["A", "A", "A"]).tolist()
    [1.0, 1.0, -1.0]
    """
    r = np.nan_to_num(np.asarray(r, dtype=np.float64))
    labels = pd.factorize(pd.Series(list(groups), dtype=object))[0]
    if r.ndim != 2 or r.shape[0] != r.shape[1] or len(labels) != len(r):
        raise InputError(f"keys_from_correlations needs a square correlation matrix and one group per text; "
                         f"got {r.shape} and {len(labels)} groups")
    frame = pd.DataFrame(r)
    keys = np.ones(len(r))
    for g in range(labels.max() + 1 if len(labels) else 0):
        idx = np.flatnonzero(labels == g)
        keys[idx] = complete_keys(frame, pd.Series(np.nan, index=idx))[0].to_numpy(dtype=float)
    return keys


def membership_features(*profiles: BipolarProfile, scales: Sequence[object] | None = None,
                        keys: Sequence[float] | None = None) -> np.ndarray:
    r"""Signed construct memberships of texts: the loading pattern their bipolar profiles imply.

    Parameters
    ----------
    *profiles : BipolarProfile
        Profiles of the same texts (e.g. the 5 domains and the 30 facets); their blocks are joined.

    Returns
    -------
    (n, k) array
        One column per construct of all profiles.

    Notes
    -----
    For text :math:`i` and construct :math:`c` of one profile,

    .. math:: v_{ic} = \operatorname{sign}(\text{contrast}_{ic}) \cdot w_{ic}, \qquad
              w_{ic} = \frac{\exp(\text{relevance}_{ic} / \tau)}{\sum_{c'} \exp(\text{relevance}_{ic'} / \tau)},

    :math:`w` being the profile's ``confidence`` (its temperature
    :data:`~traitlens.analysis.profiles.CONFIDENCE_TEMPERATURE`, not tuned here): *which* constructs a
    text speaks to comes from relevance, *which pole* from the contrast's sign (the key). Each
    profile's block has unit L1 norm per text, so the domain and the facet level weigh the same.

    With ``scales`` and ``keys`` (one per text) the signs come from the keys instead
    (:func:`keyed_signs`, *key-aware* membership): :math:`v_{ic} = k_i d_{S(i)c} w_{ic}`.

    Examples
    --------
    >>> from traitlens.analysis.profiles import bipolar_profile
    >>> ex = np.array([[1.0, 0, 0], [-1.0, 0, 0], [0, 1.0, 0], [0, -1.0, 0]])
    >>> p = bipolar_profile(["up", "down"], np.array([[0.9, 0.1, 0.4], [-0.8, 0.2, 0.5]]), ex,
    ...                     ["A", "A", "B", "B"], [1, -1, 1, -1], ["A", "B"])
    >>> membership_features(p).round(2).tolist()
    [[1.0, 0.0], [-1.0, 0.0]]
    """
    if not profiles:
        raise InputError("membership_features needs at least one profile")
    if (scales is None) != (keys is None):
        raise InputError("give both scales and keys, or neither")

    def sign(p: BipolarProfile) -> np.ndarray:
        return np.sign(np.nan_to_num(p.contrast)) if keys is None else keyed_signs(p.contrast, scales, keys)

    blocks = [sign(p) * np.nan_to_num(p.confidence) for p in profiles]
    return np.hstack(blocks)


def membership_correlations(*profiles: BipolarProfile, scales: Sequence[object] | None = None,
                            keys: Sequence[float] | None = None) -> np.ndarray:
    r"""Predicted item correlations for factor analysis: congruence of the texts' signed memberships.

    :math:`\hat r_{ij} = \cos(v_i, v_j)` with :math:`v` from :func:`membership_features`: two items
    correlate as far as they speak to the same constructs, positively at the same pole and negatively
    at opposite poles — the correlation a simple-structure factor model implies, with the profile's
    assignment and keys as the loading pattern. ``scales`` and ``keys``: key-aware signs
    (:func:`membership_features`).

    Returns
    -------
    (n, n) array
        Unit diagonal (a text with no usable profile gets a zero row).
    """
    v = membership_features(*profiles, scales=scales, keys=keys)
    out = cosine_matrix(v, v)
    np.fill_diagonal(out, 1.0)
    return out


def max_factors(n_items: int) -> int:
    r"""Most factors an EFA of ``n_items`` items can identify.

    The largest :math:`k` with non-negative degrees of freedom, :math:`((n-k)^2 - (n+k))/2 \ge 0`.
    """
    k = 0
    while k + 1 < n_items and ((n_items - k - 1) ** 2 - (n_items + k + 1)) / 2 >= 0:
        k += 1
    return k


def efa(r: np.ndarray, n_factors: int, *, rotation: str = "oblimin", method: str = "minres") -> np.ndarray:
    """Exploratory factor analysis of a correlation matrix with ``factor_analyzer``.

    Parameters
    ----------
    r : (n, n) array
        Correlations (smoothed first with :func:`smooth_correlations`).
    n_factors : int
        At most :func:`max_factors` ``(n)``.
    rotation : str, default "oblimin"
        One of :data:`ROTATIONS` (``"none"``: unrotated).
    method : {"minres", "ml", "principal"}

    Returns
    -------
    (n, k) array
        Loadings, each factor's sign chosen so that its loadings sum to a positive number, factors
        ordered by their sum of squared loadings.
    """
    from factor_analyzer import FactorAnalyzer

    r = smooth_correlations(r)
    n = r.shape[0]
    limit = max_factors(n)
    if not 1 <= int(n_factors) <= limit:
        raise InputError(f"n_factors must be between 1 and {limit} for {n} items (positive degrees of freedom); "
                         f"got {n_factors}")
    if rotation not in ROTATIONS:
        raise InputError(f"unknown rotation {rotation!r}; available: {', '.join(ROTATIONS)}")
    rot = None if rotation == "none" or n_factors == 1 else rotation
    fa = FactorAnalyzer(n_factors=int(n_factors), rotation=rot, method=method, is_corr_matrix=True)
    with warnings.catch_warnings():  # factor_analyzer 0.5.1 still passes scikit-learn's old force_all_finite
        warnings.filterwarnings("ignore", message=".*force_all_finite.*", category=FutureWarning)
        fa.fit(r)
    loadings = np.asarray(fa.loadings_, dtype=np.float64)
    loadings = loadings * np.where(loadings.sum(axis=0) < 0, -1.0, 1.0)
    order = np.argsort(-(loadings**2).sum(axis=0), kind="stable")
    return loadings[:, order]


def tucker_congruence(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    r"""Tucker's :math:`\phi` between every column of ``a`` and every column of ``b`` (same rows).

    Examples
    --------
    >>> tucker_congruence(np.array([[1.0], [1.0]]), np.array([[1.0, 1.0], [1.0, -1.0]])).round(3).tolist()
    [[1.0, 0.0]]
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    num = a.T @ b
    den = np.sqrt(np.outer((a**2).sum(axis=0), (b**2).sum(axis=0)))
    return num / np.where(den == 0, 1, den)


def match_factors(a: np.ndarray, b: np.ndarray) -> pd.DataFrame:
    """Optimal one-to-one matching of the factors of ``a`` to those of ``b`` by Tucker's ``|φ|``.

    Returns
    -------
    DataFrame
        ``factor_a, factor_b, phi`` (0-based columns; ``phi`` sign-aligned, i.e. ``|φ|``), best first.
    """
    phi = tucker_congruence(a, b)
    rows, cols = linear_sum_assignment(-np.abs(phi))
    out = pd.DataFrame({"factor_a": rows, "factor_b": cols, "phi": np.abs(phi[rows, cols])})
    return out.sort_values("phi", ascending=False, ignore_index=True)


def assign_items(loadings: np.ndarray) -> np.ndarray:
    """Each item's factor: the column of its largest absolute loading (0-based)."""
    return np.argmax(np.abs(np.asarray(loadings)), axis=1)


def agreement(assigned: Sequence[object], theory: Sequence[object]) -> dict[str, float]:
    """NMI and ARI between items' factors and their theoretical scales (scikit-learn's definitions).

    Examples
    --------
    >>> agreement([0, 0, 1, 1], ["E", "E", "N", "N"])
    {'nmi': 1.0, 'ari': 1.0}
    """
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    labels = pd.factorize(pd.Series(list(theory), dtype=object))[0]
    found = pd.factorize(pd.Series(list(assigned), dtype=object))[0]
    return {"nmi": float(normalized_mutual_info_score(labels, found)),
            "ari": float(adjusted_rand_score(labels, found))}


def loading_frame(loadings: np.ndarray, items: Sequence[str]) -> pd.DataFrame:
    """Tidy loadings: ``item, factor, loading`` for every item × factor (factors named ``F1``, ``F2``, ...)."""
    loadings = np.asarray(loadings)
    n, k = loadings.shape
    return pd.DataFrame({"item": np.repeat(np.asarray(items, dtype=object), k),
                         "factor": np.tile([f"F{j + 1}" for j in range(k)], n),
                         "loading": loadings.reshape(-1)})


@dataclass(frozen=True)
class FactorSolution:
    """What :func:`semantic_factors` returns: the loadings and the parallel analysis behind the factor count.

    Attributes
    ----------
    loadings : (n, k) array
    parallel : ParallelAnalysis
    n_factors : int
        The count used (``parallel.n_factors`` when it was ``"auto"``).
    rotation : str
    """

    loadings: np.ndarray
    parallel: ParallelAnalysis
    n_factors: int
    rotation: str


def semantic_factors(r: np.ndarray, dim: int, n_factors: int | str = "auto", *, rotation: str = "oblimin",
                     n_iter: int = 100, seed: int = 0) -> FactorSolution:
    """Parallel analysis, then EFA of a predicted correlation matrix.

    Parameters
    ----------
    r : (n, n) array
        Predicted item correlations.
    dim : int
        Dimension of the null's random vectors (:func:`parallel_analysis`).
    n_factors : int or "auto"
        ``"auto"``: the parallel-analysis count (capped at :func:`max_factors`).
    rotation, n_iter, seed
        See :func:`efa` and :func:`parallel_analysis`.

    Returns
    -------
    FactorSolution
    """
    pa = parallel_analysis(r, dim, n_iter=n_iter, seed=seed)
    if n_factors == "auto":
        k = min(pa.n_factors, max_factors(r.shape[0]))
    elif isinstance(n_factors, int | np.integer) and not isinstance(n_factors, bool):
        k = int(n_factors)
    else:
        raise InputError(f"n_factors must be a positive integer or 'auto'; got {n_factors!r}")
    return FactorSolution(efa(r, k, rotation=rotation), pa, k, rotation)
