"""Fixtures of the web tests: an app whose allow-listed model is the deterministic fake encoder."""

from __future__ import annotations

import threading

import pytest

pytest.importorskip("fastapi", reason="the web extra is not installed")

from fastapi.testclient import TestClient  # noqa: E402

from traitlens.web.app import create_app  # noqa: E402
from traitlens.web.models import ModelPool  # noqa: E402

from ..fakes import FakeEncoder  # noqa: E402

FAKE_ID = "fake/hash-encoder"


class CountingLoader:
    """``model id → FakeEncoder``; records each load."""

    def __init__(self) -> None:
        self.loads: list[str] = []
        self.lock = threading.Lock()

    def __call__(self, model_id: str) -> FakeEncoder:
        with self.lock:
            self.loads.append(model_id)
        return FakeEncoder(name=model_id)


@pytest.fixture
def loader() -> CountingLoader:
    return CountingLoader()


@pytest.fixture
def pool(loader: CountingLoader) -> ModelPool:
    return ModelPool([FAKE_ID, "other/model"], loader=loader)


@pytest.fixture
def client(pool: ModelPool) -> TestClient:
    return TestClient(create_app(pool))
