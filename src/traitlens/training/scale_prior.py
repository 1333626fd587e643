r"""The within-scale prior: how much more scale-mates correlate than their texts alone predict.

Items are put into one scale *because* they correlate (item analysis keeps the items with high
item-total correlations), which a prediction from each pair's texts cannot know. Measured on the
shared data with predictions that never saw the scored items, the keyed predicted correlations of
scale-mates average about .1 while the observed ones average about .35, so every predicted alpha
comes out .2-.45 too low. The prior is one constant per model and predictor, the mean over data
sets of the mean (observed - predicted) keyed within-scale correlation, which
:func:`traitlens.analysis.correlations.shift_within_scales` adds to those pairs before scale
correlations, alpha and omega are computed (:func:`traitlens.predict_scales`).

``scale_prior.json`` (shipped) holds one entry per model fingerprint and method, with the figure
fitted on all the data sets and the leave-one-data-set-out figures the evaluation harness uses for
the data set it scores. ``python benchmarks/scale_prior.py`` rebuilds it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from traitlens.analysis.correlations import within_signs
from traitlens.errors import InputError

#: The shipped priors.
PRIOR_FILE = Path(__file__).with_name("scale_prior.json")


@dataclass(frozen=True)
class ScalePrior:
    """One fitted within-scale prior.

    Attributes
    ----------
    model_name, model_fingerprint : str
        The base model the predictions came from.
    method : str
        The item-correlation method (``tuned``, ``head``, ``profile``, ``cosine``).
    shift : float
        Fitted on every data set.
    leave_one_out : dict of str to float
        Fitted without each data set (what the harness uses when it scores that data set).
    datasets : dict
        Per data set: ``n_pairs``, ``observed`` and ``predicted`` mean keyed within-scale r.
    """

    model_name: str
    model_fingerprint: str
    method: str
    shift: float
    leave_one_out: dict[str, float] = field(default_factory=dict)
    datasets: dict[str, dict[str, float]] = field(default_factory=dict)

    def shift_without(self, dataset: str | None) -> float:
        """The shift fitted without ``dataset`` (the full fit when it was not among the fitted data sets)."""
        return self.leave_one_out.get(dataset, self.shift) if dataset is not None else self.shift

    def provenance(self, dataset: str | None = None) -> dict[str, object]:
        """``within_scale_shift`` and ``within_scale_prior`` (what it was fitted on) for an output's provenance."""
        return {"within_scale_shift": round(self.shift_without(dataset), 4),
                "within_scale_prior": f"{self.method} on {self.model_name}, fitted on "
                                      f"{', '.join(d for d in self.datasets if d != dataset)}"}


def within_scale_pairs(pred: np.ndarray, observed: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Keyed predicted and observed correlations of the item pairs that share a scale (finite ones).

    Parameters
    ----------
    pred, observed : (n, n) arrays
    weights : (n, s) array
        Keys (±1, 0 where an item is not in a scale).

    Returns
    -------
    predicted, observed : (m,) arrays
        :math:`k_i k_j r_{ij}` over the pairs :math:`i < j` that share a scale with one key product.
    """
    sign = within_signs(weights, len(pred))
    a, b = np.nonzero(np.triu(sign != 0, 1))
    p, o = sign[a, b] * np.asarray(pred)[a, b], sign[a, b] * np.asarray(observed)[a, b]
    ok = np.isfinite(p) & np.isfinite(o)
    return p[ok], o[ok]


def fit_within_shift(pairs: Mapping[str, tuple[np.ndarray, np.ndarray]]) -> tuple[float, dict[str, float],
                                                                                    dict[str, dict[str, float]]]:
    """Fit the within-scale shift: the mean over data sets of mean(observed - predicted).

    Each data set counts once, whatever its number of pairs (a large one does not decide alone).

    Parameters
    ----------
    pairs : dict of data set name to (predicted, observed) keyed within-scale correlations
        (:func:`within_scale_pairs`).

    Returns
    -------
    shift : float
    leave_one_out : dict of data set to the shift fitted without it (needs ≥ 2 data sets)
    datasets : dict of data set to ``n_pairs``, ``observed``, ``predicted`` means

    Examples
    --------
    >>> fit_within_shift({"a": (np.array([0.1, 0.2]), np.array([0.3, 0.4])),
    ...                   "b": (np.array([0.0]), np.array([0.4]))})[0]
    0.3
    """
    stats = {}
    for name, (p, o) in pairs.items():
        p, o = np.asarray(p, dtype=float), np.asarray(o, dtype=float)
        if len(p) == 0 or len(p) != len(o):
            raise InputError(f"data set {name!r}: no within-scale pairs to fit the prior on (or lengths differ)")
        stats[name] = {"n_pairs": int(len(p)), "observed": float(o.mean()), "predicted": float(p.mean())}
    if not stats:
        raise InputError("no data sets to fit the within-scale prior on")
    gaps = {name: s["observed"] - s["predicted"] for name, s in stats.items()}
    shift = float(np.mean(list(gaps.values())))
    leave = {name: float(np.mean([g for other, g in gaps.items() if other != name]))
             for name in gaps} if len(gaps) > 1 else {}
    return shift, leave, stats


@lru_cache(maxsize=4)
def _read(path: str) -> tuple[ScalePrior, ...]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return tuple(ScalePrior(p["model_name"], p["model_fingerprint"], p["method"], float(p["shift"]),
                            {k: float(v) for k, v in p.get("leave_one_out", {}).items()}, p.get("datasets", {}))
                 for p in data["priors"])


def available_priors(path: str | Path | None = None) -> tuple[ScalePrior, ...]:
    """The priors in ``path`` (default the shipped :data:`PRIOR_FILE`; none if it does not exist)."""
    file = Path(path) if path is not None else PRIOR_FILE
    return _read(str(file)) if file.is_file() else ()


def load_scale_prior(fingerprint: str, method: str, path: str | Path | None = None) -> ScalePrior | None:
    """The prior fitted for the model with ``fingerprint`` and ``method``, or None if there is none."""
    for prior in available_priors(path):
        if prior.model_fingerprint == fingerprint and prior.method == method:
            return prior
    return None


def write_priors(priors: list[ScalePrior], path: str | Path, meta: Mapping[str, object]) -> None:
    """Write ``priors`` as JSON (temp file, then rename)."""
    from traitlens.io.tables import atomic_write

    body = {**meta, "priors": [{"model_name": p.model_name, "model_fingerprint": p.model_fingerprint,
                                "method": p.method, "shift": round(p.shift, 4),
                                "leave_one_out": {k: round(v, 4) for k, v in p.leave_one_out.items()},
                                "datasets": {k: {m: round(x, 4) if isinstance(x, float) else x
                                                 for m, x in v.items()} for k, v in p.datasets.items()}}
                               for p in priors]}
    with atomic_write(path) as fh:
        fh.write((json.dumps(body, indent=1) + "\n").encode("utf-8"))
    _read.cache_clear()
