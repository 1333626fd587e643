"""Evaluation against real response data: suites, methods, metrics, and the leakage guard."""

from traitlens.evaluation.harness import (
    RESULT_COLUMNS,
    SUITES,
    SuiteResult,
    available_suites,
    evaluate,
    load_suite,
    run_suite,
)
from traitlens.evaluation.leakage import exclude_overlaps, find_overlaps, normalise_text
from traitlens.evaluation.methods import (
    ConstructScores,
    Method,
    MethodContext,
    available_methods,
    get_method,
    register_method,
)

__all__ = [
    "RESULT_COLUMNS",
    "SUITES",
    "ConstructScores",
    "Method",
    "MethodContext",
    "SuiteResult",
    "available_methods",
    "available_suites",
    "evaluate",
    "exclude_overlaps",
    "find_overlaps",
    "get_method",
    "load_suite",
    "normalise_text",
    "register_method",
    "run_suite",
]
