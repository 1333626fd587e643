"""Validation against real response data: suites, methods, metrics, and the leakage guard."""

from traitlens.evaluate.harness import (
    SUITES,
    SuiteResult,
    available_suites,
    composite_correlations,
    evaluate,
    load_suite,
    run_suite,
    standardized_alphas,
)
from traitlens.evaluate.leakage import exclude_overlaps, find_overlaps, normalise_text
from traitlens.evaluate.methods import (
    ConstructScores,
    Method,
    MethodContext,
    available_methods,
    get_method,
    register_method,
)

__all__ = [
    "SUITES",
    "ConstructScores",
    "Method",
    "MethodContext",
    "SuiteResult",
    "available_methods",
    "available_suites",
    "composite_correlations",
    "evaluate",
    "exclude_overlaps",
    "find_overlaps",
    "get_method",
    "load_suite",
    "normalise_text",
    "register_method",
    "run_suite",
    "standardized_alphas",
]
