"""The shared, allow-listed encoders of a server."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from traitlens.encoders.base import Encoder
from traitlens.errors import InputError
from traitlens.web.models import ModelPool, SerializedEncoder, looks_like_path

from ..fakes import FakeEncoder


@pytest.mark.parametrize(("model", "path"), [
    ("sentence-transformers/all-MiniLM-L6-v2", False), ("all-mpnet-base-v2", False), ("mpnet", False),
    ("/etc/passwd", True), ("./model", True), ("../model", True), ("~/models/x", True), ("a/b/c", True),
    ("C:\\models\\x", True), ("a/../b", True),
])
def test_looks_like_path(model, path):
    assert looks_like_path(model) is path


def test_a_request_names_allowed_ids_only(loader=None):
    pool = ModelPool(["a/one", "b/two"], loader=lambda m: FakeEncoder(name=m))
    assert pool.check(None) == "a/one" and pool.check("b/two") == "b/two"
    with pytest.raises(InputError, match="not allowed on this server; allowed: a/one, b/two"):
        pool.check("c/three")
    with pytest.raises(InputError, match="not a path"):
        pool.check("/work/main/.models/all-mpnet-base-v2")


def test_the_allow_list_takes_ids_not_paths():
    with pytest.raises(InputError, match="not paths"):
        ModelPool(["./my-model"])
    with pytest.raises(InputError, match="at least one"):
        ModelPool([])


def test_a_model_is_loaded_once_under_concurrent_first_requests():
    loads = []

    def slow_loader(model_id: str) -> Encoder:
        loads.append(model_id)
        time.sleep(0.05)
        return FakeEncoder(name=model_id)

    pool = ModelPool(["a/one"], loader=slow_loader)
    with ThreadPoolExecutor(8) as workers:
        encoders = list(workers.map(lambda _: pool.get(), range(16)))
    assert loads == ["a/one"]
    assert all(e is encoders[0] for e in encoders)
    assert pool.loaded() == ["a/one"]


class OverlapProbe(Encoder):
    """Records how many calls run at once."""

    def __init__(self) -> None:
        self.name, self.fingerprint, self.dim = "probe", "probe", 4
        self.active = self.most = 0
        self.lock = threading.Lock()

    def _encode_unique(self, texts):
        with self.lock:
            self.active += 1
            self.most = max(self.most, self.active)
        time.sleep(0.01)
        with self.lock:
            self.active -= 1
        return np.tile(np.eye(4, dtype=np.float32)[0], (len(texts), 1))


def test_serialized_encoder_runs_one_forward_pass_at_a_time():
    probe = OverlapProbe()
    shared = SerializedEncoder(probe)
    with ThreadPoolExecutor(8) as workers:
        results = list(workers.map(lambda i: shared.encode([f"text {i}"]), range(32)))
    assert probe.most == 1
    assert all(r.shape == (1, 4) for r in results)
    unguarded = OverlapProbe()
    with ThreadPoolExecutor(8) as workers:
        list(workers.map(lambda i: unguarded.encode([f"text {i}"]), range(32)))
    assert unguarded.most > 1  # the probe does see overlap when nothing serializes it


def test_serialized_encoder_keeps_the_identity_of_its_model():
    inner = FakeEncoder()
    shared = SerializedEncoder(inner)
    assert (shared.name, shared.fingerprint, shared.dim) == (inner.name, inner.fingerprint, inner.dim)
    np.testing.assert_array_equal(shared.encode(["a", "b"]), inner.encode(["a", "b"]))
