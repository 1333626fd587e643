"""Fixtures of the dataset tests: each real dataset is loaded at most once per session.

Tests that need ``../shared/data`` skip (with the reason) when it is absent; the bad-input tests build
small files in ``tmp_path``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from traitlens.datasets import ResponseData, load_responses


@pytest.fixture(scope="session")
def _loaded() -> dict[str, ResponseData]:
    return {}


@pytest.fixture
def load(shared_data: Path, _loaded: dict[str, ResponseData]):
    """``load(name)`` → the dataset, read from ``../shared/data`` once per session."""

    def _load(name: str) -> ResponseData:
        if name not in _loaded:
            _loaded[name] = load_responses(name, shared_data)
        return _loaded[name]

    return _load
