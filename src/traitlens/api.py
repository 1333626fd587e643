"""The public Python API: one function per question, a DataFrame out.

These functions are the thin layer between the user and the pure analysis
code: they validate inputs, resolve the taxonomy and the encoder (with its
cache), embed every distinct text in one batch, call the analysis function and
attach provenance to the result (``frame.attrs["provenance"]``).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from traitlens.analysis.similarity import similarity_frame
from traitlens.constructs.taxonomy import Taxonomy, load_taxonomy
from traitlens.encoders import CacheSpec, ModelSpec, load_encoder
from traitlens.io.texts import prepare_texts
from traitlens.provenance import make_provenance

DEFAULT_TAXONOMY = "bigfive-keywords"


def similarity(
    texts: Iterable[str],
    taxonomy: str | Path | Taxonomy = DEFAULT_TAXONOMY,
    model: ModelSpec = None,
    *,
    cache: CacheSpec = True,
) -> pd.DataFrame:
    """Cosine similarity of every text with every keyword of a taxonomy.

    Texts and keywords are embedded together in one batch (each distinct text
    once; cached vectors are reused), then compared by cosine similarity.

    Parameters
    ----------
    texts : iterable of str
        Behaviour descriptions, items, any short texts. Blank texts are skipped
        with a warning; duplicates are reported once per occurrence.
    taxonomy : str, Path or Taxonomy
        Built-in name (default ``"bigfive-keywords"``) or a YAML/CSV file.
    model : str, path, Encoder or None
        Hub id, local folder, an :class:`~traitlens.encoders.Encoder`, or None
        for the bundled all-MiniLM-L6-v2.
    cache : bool, path or EmbeddingCache
        Embedding cache to use (default: the user cache); ``False`` for none.

    Returns
    -------
    DataFrame
        ``sentence, factor, [facet,] keyword, similarity``, one row per text ×
        keyword; ``attrs["provenance"]`` records versions, model and taxonomy.

    Notes
    -----
    ``similarity = cos(e(text), e(keyword))`` with ``e`` the model's pooled,
    L2-normalised sentence embedding — the measure used for construct
    similarity since Arnulf et al. (2014) and in Wulff & Mata (2025).

    Examples
    --------
    >>> from traitlens import similarity
    >>> frame = similarity(["I like to work hard."])  # doctest: +SKIP
    >>> frame.shape  # doctest: +SKIP
    (15, 4)
    """
    items = prepare_texts(texts)
    tax = load_taxonomy(taxonomy)
    keywords = tax.keyword_table()
    encoder = load_encoder(model, cache=cache)
    kw_texts = keywords["keyword"].tolist()
    vectors = encoder.encode(items + kw_texts)
    frame = similarity_frame(items, vectors[: len(items)], keywords, vectors[len(items):])
    frame.attrs["provenance"] = make_provenance(
        encoder, analysis="similarity", taxonomy={"name": tax.name, "fingerprint": tax.fingerprint}
    )
    return frame
