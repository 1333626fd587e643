"""Fingerprints: short SHA-256 digests that say exactly which model, taxonomy or inventory made a result.

Provenance records and the embedding cache key on them: a changed weight file or a changed keyword
gives a new fingerprint, so a result can never be attributed to the wrong input.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any


def content_fingerprint(data: Any, length: int = 12) -> str:
    """Hex SHA-256 of JSON-serialisable ``data`` (canonical: sorted keys, UTF-8), cut to ``length`` digits.

    Examples
    --------
    >>> content_fingerprint({"b": 1, "a": [1, 2]}) == content_fingerprint({"a": [1, 2], "b": 1})
    True
    """
    payload = json.dumps(data, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()[:length]


def files_fingerprint(folder: Path, files: Sequence[Path], length: int = 16) -> str:
    """Hex SHA-256 over the relative names and bytes of ``files`` (in the given order) below ``folder``.

    Memoised per process on each file's (name, size, mtime), so fingerprinting a loaded model again
    costs nothing.
    """
    stats = tuple((str(p.relative_to(folder)), str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in files)
    return _digest_files(stats)[:length]


@lru_cache(maxsize=32)
def _digest_files(files: tuple[tuple[str, str, int, int], ...]) -> str:
    digest = hashlib.sha256()
    for rel, full, _size, _mtime in files:
        digest.update(rel.encode() + b"\0")
        with open(full, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
        digest.update(b"\0")
    return digest.hexdigest()
