"""Explanations of scores: which words (and word pairs) make a similarity, a profile score, a correlation.

Three methods (see each module for formulas and references):

* :mod:`~traitlens.explain.occlusion` — drop a word, re-encode, measure the change (any backend);
* :mod:`~traitlens.explain.gradients` — integrated gradients w.r.t. the input token embeddings;
* :mod:`~traitlens.explain.pairs` — token-pair attributions by integrated Jacobians at a chosen layer.

Derived scores (profile, assignment, predicted item correlation) are written as ``g(e(x)) · v``
(:mod:`~traitlens.explain.objectives`, :mod:`~traitlens.explain.derived`) and explained the same way.
:func:`explain` returns an :class:`Explanation`; :mod:`~traitlens.explain.views` draws it.
"""

from traitlens.explain.explainer import METHODS, SCORES, ExplainWarning, explain
from traitlens.explain.explanation import REFERENCE, Explanation

__all__ = ["METHODS", "REFERENCE", "SCORES", "ExplainWarning", "Explanation", "explain"]
