"""Test doubles for encoders (importable by spawned worker processes)."""

from __future__ import annotations

import hashlib

import numpy as np

from traitlens.encoders.base import Encoder, l2_normalize


class FakeEncoder(Encoder):
    """Deterministic hash-seeded vectors; counts every text that reaches the 'model'."""

    def __init__(self, dim: int = 16, name: str = "fake/hash-encoder") -> None:
        self.name = name
        self.fingerprint = hashlib.sha256(f"{name}:{dim}".encode()).hexdigest()[:16]
        self.dim = dim
        self.calls = 0
        self.seen: list[str] = []

    def _encode_unique(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        self.seen.extend(texts)
        rows = []
        for t in texts:
            seed = int.from_bytes(hashlib.sha256(t.encode()).digest()[:8], "little")
            rows.append(np.random.default_rng(seed).standard_normal(self.dim))
        return l2_normalize(np.array(rows))


class CountingEncoder(Encoder):
    """Wraps a real encoder and counts the texts that reach its model."""

    def __init__(self, inner: Encoder) -> None:
        self.inner = inner
        self.name = inner.name
        self.fingerprint = inner.fingerprint
        self.dim = inner.dim
        self.seen: list[str] = []

    def _encode_unique(self, texts: list[str]) -> np.ndarray:
        self.seen.extend(texts)
        return self.inner.encode(texts)
