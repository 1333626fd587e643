"""``explain``: attributions of any score traitlens reports about a text, by one of three methods."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from traitlens.constructs.exemplars import ExemplarSpec, exemplar_source
from traitlens.constructs.taxonomy import Taxonomy, load_taxonomy
from traitlens.encoders import CacheSpec, ModelSpec, load_encoder
from traitlens.encoders.sentence_transformer import TruncationWarning
from traitlens.engine import CORRELATION_TAXONOMY, item_correlations
from traitlens.errors import InputError
from traitlens.explain import derived
from traitlens.explain.explanation import REFERENCE, Explanation
from traitlens.explain.gradients import integrated_gradients
from traitlens.explain.model import TorchForward, torch_model, unwrap
from traitlens.explain.objectives import Objective, similarity_objective
from traitlens.explain.occlusion import occlusion, occlusion_vectors
from traitlens.explain.pairs import contributions, target_contributions
from traitlens.explain.tokens import Tokenized, check_text, tokenize, word_matrix, word_table
from traitlens.io.texts import warn_if_not_english
from traitlens.provenance import make_provenance

METHODS = ("occlusion", "integrated_gradients", "pairs")
SCORES = ("similarity", "profile", "assignment", "correlation")
PREDICTORS = ("profile", "head", "cosine")
#: Integrated-gradients nodes (Gauss–Legendre) by default.
DEFAULT_IG_STEPS = 32
#: Pair-method nodes by default; with the middle layer the median completeness residual of MiniLM
#: is far below 1% of the score (``benchmarks/results/faithfulness.json``).
DEFAULT_PAIR_STEPS = 16
#: The pair-explanation cost the web service takes per request (``max_pair_cost``): two texts of 48 word pieces
#: (about 45 words each) at the default 16 steps, under 20 s with all-MiniLM-L6-v2 on 2 CPU cores.
WEB_MAX_PAIR_COST = DEFAULT_PAIR_STEPS * 2 * 48 ** 2
DEFAULT_PROFILE_TAXONOMY = "bigfive"


class ExplainWarning(UserWarning):
    """An explanation differs from what was asked (fallback to occlusion, truncated text)."""


def default_layer(n_layers: int) -> int:
    """The layer the pair method interpolates at by default: the middle of the encoder."""
    return n_layers // 2


def _forward(model: Any) -> TorchForward:
    model.eval()
    return TorchForward(model)


def _tokenize(text: str, fwd: TorchForward | None, name: str, notes: list[str]) -> Tokenized:
    tok = tokenize(text, fwd.tokenizer if fwd else None, fwd.max_length if fwd else None)
    if tok.truncated:
        note = (f"{name} is longer than the model's limit of {fwd.max_length} tokens (special tokens included); "  # type: ignore[union-attr]
                f"{tok.dropped_tokens} tokens after {tok.text[-30:]!r} are ignored by the model, so only the "
                "part it reads is explained")
        notes.append(note)
        warnings.warn(note, TruncationWarning, stacklevel=4)
    if not tok.spans:
        raise InputError(f"{name} has no words the model can read: nothing to explain")
    return tok


def explain(
    text: str,
    target: str | None = None,
    method: str = "occlusion",
    *,
    score: str = "similarity",
    taxonomy: str | Path | Taxonomy | None = None,
    level: str = "factor",
    layer: int | None = None,
    steps: int | None = None,
    predictor: str = "profile",
    model: ModelSpec = None,
    exemplars: ExemplarSpec = "builtin",
    data_dir: str | Path | None = None,
    cache: CacheSpec = True,
    max_pair_cost: int | None = None,
) -> Explanation:
    """Explain one score of one text, down to its words.

    Parameters
    ----------
    text : str
        The text whose score is explained.
    target : str
        ``score="similarity"``: the other text (a keyword, a pole descriptor, an item, a sentence);
        ``"profile"``: a construct of ``taxonomy`` (name or label, any case); ``"assignment"``: ignored
        (the construct the text is assigned to is explained); ``"correlation"``: the other item.
    method : {"occlusion", "integrated_gradients", "pairs"}
        ``occlusion``: drop each word, re-encode, the fall of the score (any backend). ``integrated_gradients``:
        with respect to the input token embeddings, with a completeness residual. ``pairs``: token-pair
        attributions by integrated Jacobians at ``layer``, summing to the score up to the residual. The
        gradient methods need a torch sentence-transformers model; for any other backend they fall back to
        occlusion with an :class:`ExplainWarning` (and a note in the result).
    score : {"similarity", "profile", "assignment", "correlation"}
        Which score: the cosine with ``target``; the :func:`traitlens.profile` score on a construct (with
        its pole fixed; pairs are words × the pole's exemplars); the assigned construct's score
        (:func:`traitlens.assign`); the ``profile`` predictor's item correlation (:func:`traitlens.correlate`
        with ``method="profile"``; pairs are words × constructs).
    taxonomy : str, Path or Taxonomy, optional
        For ``profile`` / ``assignment``: default ``"bigfive"``; for ``correlation``: ``"bigfive-facets"``.
    level : {"factor", "facet"}
    layer : int, optional
        Pair method: hidden states interpolated at the output of this encoder layer (0 = embeddings);
        default the middle layer (3 of 6 for all-MiniLM-L6-v2).
    steps : int, optional
        Gauss–Legendre nodes of the path integral (default 32 for integrated gradients, 16 for pairs).
    predictor : {"profile", "head", "cosine"}
        ``score="correlation"`` only: the item-correlation predictor explained (see :func:`traitlens.correlate`).
        ``profile`` (default) and ``cosine`` work with every method; the learned ``head`` is explained by
        occlusion only (a gradient method falls back to occlusion with a note).
    model, exemplars, data_dir, cache
        As in :func:`traitlens.profile`.
    max_pair_cost : int, optional
        Refuse (:class:`InputError`, before any gradient) a pair explanation whose cost, ``steps`` × the sum
        over the explained sides of (word pieces)², is above this; the pair method runs ``steps`` × pieces
        sequences of ``pieces`` tokens per side (all-MiniLM-L6-v2 on 2 CPU cores: two 31-piece texts 7.5 s,
        two 60-word texts 141 s). The web service sets :data:`WEB_MAX_PAIR_COST`; None: no limit.

    Returns
    -------
    Explanation
        ``tokens`` (``side, position, token, start, end, attribution``), ``pairs`` (pair method),
        ``score``, ``residual``, ``provenance``; ``.to_html()``, ``.save(path)``.

    Notes
    -----
    See :mod:`traitlens.explain.occlusion`, :mod:`traitlens.explain.gradients` and
    :mod:`traitlens.explain.pairs` for the formulas and references, :mod:`traitlens.explain.objectives`
    for how derived scores are written as ``g(e(x)) · v``. Faithfulness figures (completeness, deletion
    curves, agreement): ``python benchmarks/faithfulness.py``.

    Examples
    --------
    >>> from traitlens import explain
    >>> e = explain("I like to work hard.", "Stress", method="pairs")  # doctest: +SKIP
    >>> round(e.score, 2), abs(e.residual) < 0.01  # doctest: +SKIP
    (0.22, True)
    """
    if method not in METHODS:
        raise InputError(f"unknown explanation method {method!r}; available: {', '.join(METHODS)}")
    if score not in SCORES:
        raise InputError(f"unknown score {score!r}; available: {', '.join(SCORES)}")
    text = check_text(text)
    if score != "assignment":
        target = check_text(target, "target" if score != "profile" else "target construct")
    warn_if_not_english([text, *([str(target)] if score in ("similarity", "correlation") else [])])
    if layer is not None and (not isinstance(layer, int | np.integer) or isinstance(layer, bool) or layer < 0):
        raise InputError(f"layer must be a non-negative integer; got {layer!r}")
    if steps is not None and (not isinstance(steps, int | np.integer) or isinstance(steps, bool) or steps < 1):
        raise InputError(f"steps must be a positive integer; got {steps!r}")
    if predictor not in PREDICTORS:
        raise InputError(f"unknown correlation predictor {predictor!r}; available: {', '.join(PREDICTORS)}")
    if predictor != "profile" and score != "correlation":
        raise InputError("predictor applies to score='correlation' only")
    if score == "similarity" and (taxonomy is not None or exemplars != "builtin" or data_dir is not None):
        raise InputError("taxonomy, exemplars and data_dir apply to derived scores only (score='profile', "
                         "'assignment' or 'correlation')")
    encoder = load_encoder(model, cache=cache)
    notes: list[str] = []
    st = torch_model(encoder) if method != "occlusion" else None
    if predictor == "head" and method != "occlusion":
        note = f"the learned correlation head is not differentiable here, so {method} is not available for it; " \
               "explained by occlusion instead"
        warnings.warn(note, ExplainWarning, stacklevel=2)
        notes.append(note)
        method = "occlusion"
    if method != "occlusion" and st is None:
        note = (f"the encoder {encoder.name} exposes no torch model, so {method} (which needs gradients) is not "
                "available; explained by occlusion instead")
        warnings.warn(note, ExplainWarning, stacklevel=2)
        notes.append(note)
        method = "occlusion"
    if st is None:
        st = torch_model(encoder)  # occlusion still uses the tokenizer's words when there is one
    fwd = _forward(st) if st is not None else None
    tok = _tokenize(text, fwd, "text", notes)

    # ---- the objective(s) --------------------------------------------------------------------------------
    provenance: dict[str, Any]
    target_tok: Tokenized | None = None
    objectives: dict[str, Objective] = {}
    plain = unwrap(encoder)  # variants and paths are not worth caching
    occluded: list[tuple[np.ndarray, np.ndarray]] = []
    head_matrix = None
    if score == "similarity" or (score == "correlation" and predictor == "cosine"):
        target_tok = _tokenize(str(target), fwd, "target", notes)
        if method == "occlusion":  # one batch: both texts and all their variants
            occluded = occlusion_vectors(plain, [tok, target_tok])
            vectors = np.stack([occluded[0][0], occluded[1][0]])
        else:
            vectors = encoder.encode([tok.text, target_tok.text])
        objectives = {"text": similarity_objective(vectors[1]), "target": similarity_objective(vectors[0])}
        provenance = make_provenance(encoder, **({"predictor": "cosine"} if score == "correlation" else {}))
    elif score == "correlation" and predictor == "head":
        target_tok = _tokenize(str(target), fwd, "target", notes)
        tax = load_taxonomy(taxonomy or CORRELATION_TAXONOMY)
        batch = [tok.text, *(tok.without_word(i) for i in range(len(tok.spans))),
                 target_tok.text, *(target_tok.without_word(i) for i in range(len(target_tok.spans)))]
        head_matrix, provenance = item_correlations(batch, encoder, "head", pool=exemplar_source(exemplars, data_dir),
                                                    taxonomy=tax)
        objectives = {"text": Objective("correlation", np.zeros(1), info={"predictor": "head"})}
    elif score == "correlation":
        target_tok = _tokenize(str(target), fwd, "target", notes)
        tax = load_taxonomy(taxonomy or CORRELATION_TAXONOMY)
        first, second, provenance = derived.correlation_objectives(
            tok.text, target_tok.text, encoder, exemplar_source(exemplars, data_dir), tax)
        objectives = {"text": first, "target": second}
    else:
        tax = load_taxonomy(taxonomy or DEFAULT_PROFILE_TAXONOMY)
        pool = exemplar_source(exemplars, data_dir)
        if score == "profile":
            objective, provenance = derived.profile_score_objective(tok.text, str(target), tax, level, encoder, pool)
        else:
            objective, provenance = derived.assignment_objective(tok.text, tax, level, encoder, pool)
        objectives = {"text": objective}
        target = objective.info["construct"]
        if objective.info["relevance"] < 0:
            notes.append("the text's relevance to the construct is negative, so its reported profile score is "
                         "clipped to 0; explained is the signed cosine with the pole prototype before clipping")

    if method == "pairs" and max_pair_cost is not None:
        n_steps = steps or DEFAULT_PAIR_STEPS
        pieces = {name: len(t.content) for name, t in (("text", tok), ("target", target_tok)) if t is not None}
        cost = n_steps * sum(n * n for n in pieces.values())
        if cost > max_pair_cost:
            shown = ", ".join(f"{name} {n}" for name, n in pieces.items())
            raise InputError(f"the pair explanation is too costly here: {n_steps} steps × word pieces² ({shown}) = "
                             f"{cost:,} > {max_pair_cost:,}; shorten the texts, lower steps, or use the occlusion "
                             "or integrated_gradients method")

    # ---- the method ----------------------------------------------------------------------------------------
    frames: list[pd.DataFrame] = []
    pairs_frame = None
    baseline = None
    sides = {"text": tok, **({"target": target_tok} if target_tok is not None else {})}
    record: dict[str, Any] = {"method": method}
    if head_matrix is not None:  # occlusion through the engine's own head predictions, one batch
        assert target_tok is not None
        other = 1 + len(tok.spans)
        value = float(head_matrix[0, other])
        text_attr = value - head_matrix[1:other, other]
        frames += [_words(tok, text_attr, "text"), _words(target_tok, value - head_matrix[other + 1:, 0], "target")]
        residual = value - float(text_attr.sum())
    elif method == "occlusion":
        value = 0.0
        occluded = occluded or occlusion_vectors(plain, list(sides.values()))
        for (side, side_tok), (full, variants) in zip(sides.items(), occluded, strict=True):
            attr, side_score = occlusion(full, variants, objectives[side])
            frames.append(_words(side_tok, attr, side))
            if side == "text":
                value, residual = side_score, side_score - float(attr.sum())
    elif method == "integrated_gradients":
        steps = steps or DEFAULT_IG_STEPS
        record["steps"] = steps
        record["baseline"] = "padding-token embeddings (special tokens kept)"
        for side, side_tok in sides.items():
            attr, side_score, side_base = integrated_gradients(fwd, side_tok, objectives[side], steps)  # type: ignore[arg-type]
            frames.append(word_table(side_tok, attr, side))
            if side == "text":
                value, baseline = side_score, side_base
                residual = side_score - side_base - float(attr.sum())
    else:
        assert fwd is not None
        steps = steps or DEFAULT_PAIR_STEPS
        layer = default_layer(fwd.n_layers) if layer is None else int(layer)
        if layer > fwd.n_layers:
            raise InputError(f"layer must be between 0 and {fwd.n_layers} for {encoder.name}; got {layer}")
        record.update(layer=layer, steps=steps, reference="padding-token states (special tokens kept)")
        objective = objectives["text"]
        mapped_obj = None if objective.transform is None else objective
        contrib, mapped = contributions(fwd, tok, mapped_obj, layer, steps)
        value = float(mapped @ objective.target)
        text_pairs = objective.parts is None  # a cosine of two texts: the target side is a text too
        if text_pairs:
            assert target_tok is not None
            other, _ = target_contributions(fwd, target_tok, layer, steps, encoder.fingerprint)
            matrix = contrib @ other.T
            cols = word_matrix(target_tok, matrix, axis=1)
            labels_b = [*target_tok.words, REFERENCE]
        else:
            cols = contrib @ np.asarray(objective.parts).T
            labels_b = list(objective.part_labels)
        words = word_matrix(tok, cols, axis=0)
        labels_a = [*tok.words, REFERENCE]
        residual = value - float(words.sum())
        pairs_frame = pd.DataFrame({
            "token_a": np.repeat(labels_a, len(labels_b)), "token_b": np.tile(labels_b, len(labels_a)),
            "attribution": words.ravel(),
            "position_a": np.repeat(np.arange(len(labels_a)), len(labels_b)),
            "position_b": np.tile(np.arange(len(labels_b)), len(labels_a)),
        })
        frames.append(_words(tok, words[:-1].sum(axis=1), "text"))
        if text_pairs:
            frames.append(_words(target_tok, words[:, :-1].sum(axis=0), "target"))  # type: ignore[arg-type]
        record["reference_share"] = float(words[-1].sum() + words[:-1, -1].sum())
    tokens = pd.concat(frames, ignore_index=True)
    provenance = {**provenance, "analysis": "explain", "explained": score, "target": target,
                  "explanation": {**record, "kind": score, **objectives["text"].info}}
    if tok.truncated:
        provenance["truncated"] = {"dropped_tokens": tok.dropped_tokens}
    if notes:
        provenance["notes"] = list(notes)
    return Explanation(tok.text, str(target), method, score, float(value), float(residual), tokens, pairs_frame,
                       baseline, provenance, tuple(notes))


def _words(tok: Tokenized, values: np.ndarray, side: str) -> pd.DataFrame:
    """A word table from per-word values."""
    return pd.DataFrame({
        "side": side, "position": np.arange(len(tok.spans)), "token": tok.words,
        "start": [a for a, _ in tok.spans], "end": [b for _, b in tok.spans], "attribution": np.asarray(values, float),
    })


__all__ = ["DEFAULT_IG_STEPS", "DEFAULT_PAIR_STEPS", "METHODS", "SCORES", "WEB_MAX_PAIR_COST", "ExplainWarning",
           "explain"]
