"""Objectives of the derived scores: a profile score, an assignment, a predicted item correlation.

Each builds the :class:`~traitlens.explain.objectives.Objective` of one text from the same engine
run that produces the score for users (:func:`traitlens.engine.bipolar`,
:func:`traitlens.engine.profile_correlations`), so what is explained is what is reported.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from traitlens.analysis.assignment import rank_constructs
from traitlens.analysis.profiles import BipolarProfile
from traitlens.constructs.exemplars import UnipolarWarning, construct_exemplars, constructs_at
from traitlens.constructs.taxonomy import Taxonomy
from traitlens.encoders.base import Encoder
from traitlens.engine import CORRELATION_TAXONOMY, bipolar, profile_correlations
from traitlens.errors import InputError
from traitlens.explain.objectives import Objective, correlation_objective, profile_objective


def resolve_construct(taxonomy: Taxonomy, level: str, name: str) -> str:
    """The construct of ``taxonomy`` at ``level`` called ``name`` (name, label or display; any case)."""
    constructs = constructs_at(taxonomy, level)
    wanted = name.strip().lower()
    for c in constructs:
        if wanted in {c.name.lower(), str(getattr(c, "label", "") or "").lower(), c.display.lower()}:
            return c.name
    raise InputError(f"unknown target construct {name!r}: {taxonomy.name!r} has the {level}s "
                     f"{', '.join(c.name for c in constructs)}")


def _pole_objective(run_profile: BipolarProfile, construct: str, taxonomy: Taxonomy, level: str,
                    encoder: Encoder, pool: pd.DataFrame | None, kind: str,
                    extra: dict[str, Any]) -> Objective:
    j = run_profile.column(construct)
    contrast = float(run_profile.contrast[0, j])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnipolarWarning)  # already said by the engine run
        exemplars = construct_exemplars(taxonomy, level, pool)
    mine = exemplars[exemplars["construct"] == construct]
    sign = 1.0 if contrast >= 0 else -1.0
    pole = mine[np.sign(mine["key"]) == sign]
    if pole.empty:  # unipolar construct: only the high pole exists
        sign, pole = 1.0, mine[np.sign(mine["key"]) > 0]
    texts = pole["text"].tolist()
    info = {"construct": construct, "level": level, "pole": "high" if sign > 0 else "low",
            "profile_score": float(run_profile.score[0, j]), "contrast": contrast,
            "relevance": float(run_profile.relevance[0, j]), "exemplars": len(texts), **extra}
    return profile_objective(run_profile.center, encoder.encode(texts), texts, sign, kind, info)


def profile_score_objective(text: str, construct: str, taxonomy: Taxonomy, level: str, encoder: Encoder,
                            pool: pd.DataFrame | None) -> tuple[Objective, dict[str, Any]]:
    """The profile score of ``text`` on ``construct``: signed centred cosine with the closer pole prototype.

    Returns the objective and the engine's provenance. When the text's relevance is negative the
    reported profile score is 0 (clipped); the objective is then the signed cosine before clipping.
    """
    name = resolve_construct(taxonomy, level, construct)
    run = bipolar([text], taxonomy, level, encoder, pool)
    return _pole_objective(run.profile, name, taxonomy, level, encoder, pool, "profile", {}), run.provenance


def assignment_objective(text: str, taxonomy: Taxonomy, level: str, encoder: Encoder,
                         pool: pd.DataFrame | None) -> tuple[Objective, dict[str, Any]]:
    """The score that wins the assignment of ``text`` (:func:`~traitlens.analysis.assignment.rank_constructs`)."""
    run = bipolar([text], taxonomy, level, encoder, pool)
    best, margin = rank_constructs(run.profile.relevance)
    construct = run.profile.constructs[int(best[0])]
    key = 1 if run.profile.contrast[0, int(best[0])] >= 0 else -1
    extra = {"assigned": construct, "key": key, "margin": float(margin[0])}
    return _pole_objective(run.profile, construct, taxonomy, level, encoder, pool, "assignment", extra), run.provenance


def correlation_objectives(text: str, other: str, encoder: Encoder, pool: pd.DataFrame | None,
                           taxonomy: Taxonomy) -> tuple[Objective, Objective, dict[str, Any]]:
    """Predicted correlation of two items (``profile`` predictor), seen from each item with the other fixed."""
    runs = profile_correlations([text, other], encoder, pool, taxonomy)
    centers = [r.profile.center for r in runs]
    axes = [np.stack([r.profile.axis(c) for c in r.profile.constructs]) for r in runs]
    names = [c for r in runs for c in r.profile.constructs]
    contrast = np.hstack([np.nan_to_num(r.profile.contrast) for r in runs])
    info = {"predictor": "profile", "taxonomy": taxonomy.name}
    first = correlation_objective(centers, axes, contrast[1], names, info)
    second = correlation_objective(centers, axes, contrast[0], names, info)
    provenance = {**runs[0].provenance, "level": [r.provenance["level"] for r in runs], "predictor": "profile"}
    return first, second, provenance


__all__ = ["CORRELATION_TAXONOMY", "assignment_objective", "correlation_objectives", "profile_score_objective",
           "resolve_construct"]
