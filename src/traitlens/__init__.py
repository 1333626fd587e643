"""traitlens: what a piece of text says about personality, with sentence embeddings.

Public API
----------
similarity            texts × trait keywords cosine similarity table
profile               signed (bipolar) trait profile of each text
assign                item → construct with an inferred key and an abstain flag
loadings              items × constructs table of signed scores
infer_keys            keys of the items of one scale
correlate             predicted item × item correlations from item texts
predict_scales        predicted scale correlations, alpha and omega of scales from their items
aggregate_similarity  per-factor (or facet) mean / max of a similarity table
load_taxonomy         built-in or user construct models (YAML / CSV)
load_inventory        built-in or user inventories: items, scales, keys (CSV / YAML)
load_encoder          sentence-transformers encoders with the embedding cache
explain               which words (and word pairs) make a score: occlusion, integrated gradients, pairs
evaluate              validity figures of a method and model on real response data (traitlens.evaluation)

Warnings: InputWarning (texts skipped or duplicated), LanguageWarning, UnipolarWarning, CacheWarning.
"""

from typing import Any

__version__ = "0.1.0"

from traitlens.analysis.similarity import aggregate_similarity  # noqa: E402
from traitlens.api import (  # noqa: E402
    ScalePredictions,
    assign,
    correlate,
    factors,
    infer_keys,
    jingle_jangle,
    loadings,
    predict_scales,
    profile,
    relabel,
    scale_map,
    short_form,
    similarity,
)
from traitlens.cache import CacheWarning, EmbeddingCache  # noqa: E402
from traitlens.constructs.exemplars import UnipolarWarning  # noqa: E402
from traitlens.constructs.inventory import Inventory, builtin_inventories, load_inventory  # noqa: E402
from traitlens.constructs.scales import ScaleCollection, load_scales  # noqa: E402
from traitlens.constructs.taxonomy import Taxonomy, builtin_taxonomies, load_taxonomy  # noqa: E402
from traitlens.encoders import DEFAULT_MODEL, Encoder, load_encoder  # noqa: E402
from traitlens.errors import InputError, ModelUnavailableError, TraitlensError  # noqa: E402
from traitlens.examples import EXAMPLE_SENTENCES  # noqa: E402
from traitlens.explain import Explanation, explain  # noqa: E402
from traitlens.io.texts import InputWarning, LanguageWarning  # noqa: E402

__all__ = [
    "CacheWarning",
    "DEFAULT_MODEL",
    "EXAMPLE_SENTENCES",
    "EmbeddingCache",
    "Explanation",
    "Encoder",
    "InputError",
    "InputWarning",
    "Inventory",
    "LanguageWarning",
    "ModelUnavailableError",
    "Taxonomy",
    "TraitlensError",
    "UnipolarWarning",
    "__version__",
    "aggregate_similarity",
    "ScalePredictions",
    "assign",
    "correlate",
    "evaluate",
    "explain",
    "infer_keys",
    "builtin_inventories",
    "builtin_taxonomies",
    "load_encoder",
    "load_inventory",
    "load_taxonomy",
    "loadings",
    "predict_scales",
    "profile",
    "similarity",
    "factors",
    "jingle_jangle",
    "load_scales",
    "ScaleCollection",
    "relabel",
    "short_form",
    "scale_map",
]


def __getattr__(name: str) -> Any:
    """Import the evaluation harness (scikit-learn, data loaders) only when it is asked for."""
    if name == "evaluate":
        from traitlens.evaluation import evaluate

        return evaluate
    raise AttributeError(f"module 'traitlens' has no attribute {name!r}")
