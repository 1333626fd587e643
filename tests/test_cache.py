from __future__ import annotations

import multiprocessing as mp
import sqlite3
import warnings
from pathlib import Path

import numpy as np
import pytest

import traitlens
from traitlens.cache import APPLICATION_ID, CachedEncoder, CacheWarning, EmbeddingCache

from .fakes import CountingEncoder, FakeEncoder


def test_roundtrip_exact(tmp_path, fake_encoder):
    cache = EmbeddingCache(tmp_path)
    vecs = fake_encoder.encode(["a", "b"])
    cache.put_many(fake_encoder.fingerprint, fake_encoder.name, ["a", "b"], vecs)
    got = cache.get_many(fake_encoder.fingerprint, ["b", "a", "zzz"], fake_encoder.dim)
    assert set(got) == {"a", "b"}
    np.testing.assert_array_equal(got["a"], vecs[0])
    assert cache.get_many("other-fingerprint", ["a"], fake_encoder.dim) == {}


def test_second_run_does_not_call_the_model(tmp_path):
    counting = CountingEncoder(FakeEncoder())
    first = traitlens.similarity(traitlens.EXAMPLE_SENTENCES, model=counting, cache=tmp_path)
    assert len(counting.seen) == 5 + 15
    second = traitlens.similarity(traitlens.EXAMPLE_SENTENCES, model=counting, cache=tmp_path)
    assert len(counting.seen) == 20, "warm cache must not reach the model"
    np.testing.assert_array_equal(first["similarity"], second["similarity"])
    traitlens.similarity(["I like to work hard.", "A new text."], model=counting, cache=tmp_path)
    assert counting.seen[20:] == ["A new text."]


@pytest.mark.slow
def test_second_run_with_real_model_skips_the_model(real_encoder, tmp_path):
    counting = CountingEncoder(real_encoder)
    a = traitlens.similarity(traitlens.EXAMPLE_SENTENCES, model=counting, cache=tmp_path)
    b = traitlens.similarity(traitlens.EXAMPLE_SENTENCES, model=counting, cache=tmp_path)
    assert len(counting.seen) == 20
    np.testing.assert_allclose(a["similarity"], b["similarity"], atol=0)


def test_models_never_share_vectors(tmp_path):
    cache = EmbeddingCache(tmp_path)
    one, two = FakeEncoder(name="one"), FakeEncoder(name="two")
    CachedEncoder(one, cache).encode(["x"])
    out = CachedEncoder(two, cache).encode(["x"])
    np.testing.assert_array_equal(out, two.encode(["x"]))
    assert two.seen == ["x", "x"]


def test_garbage_file_is_rebuilt_with_warning(tmp_path, fake_encoder):
    (tmp_path / "embeddings.sqlite3").write_bytes(b"this is not a database at all" * 20)
    cached = CachedEncoder(fake_encoder, EmbeddingCache(tmp_path))
    with pytest.warns(CacheWarning, match="not an SQLite database"):
        out = cached.encode(["a"])
    np.testing.assert_array_equal(out, fake_encoder.encode(["a"]))
    assert list(tmp_path.glob("embeddings.sqlite3.broken-*"))
    assert EmbeddingCache(tmp_path).get_many(fake_encoder.fingerprint, ["a"], fake_encoder.dim)


def test_foreign_sqlite_file_is_rebuilt(tmp_path, fake_encoder):
    conn = sqlite3.connect(tmp_path / "embeddings.sqlite3")
    conn.execute("CREATE TABLE accounts (id INTEGER, owner TEXT)")
    conn.commit()
    conn.close()
    with pytest.warns(CacheWarning, match="unusable"):
        CachedEncoder(fake_encoder, EmbeddingCache(tmp_path)).encode(["a"])
    conn = sqlite3.connect(tmp_path / "embeddings.sqlite3")
    assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID


def test_other_application_id_is_rebuilt(tmp_path, fake_encoder):
    conn = sqlite3.connect(tmp_path / "embeddings.sqlite3")
    conn.execute("PRAGMA application_id = 1234")
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    with pytest.warns(CacheWarning, match="another program"):
        CachedEncoder(fake_encoder, EmbeddingCache(tmp_path)).encode(["a"])


def test_truncated_database_is_rebuilt(tmp_path, fake_encoder):
    cache = EmbeddingCache(tmp_path)
    CachedEncoder(fake_encoder, cache).encode([f"text {i}" for i in range(2000)])
    cache.close()
    path = tmp_path / "embeddings.sqlite3"
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    data = path.read_bytes()
    path.write_bytes(data[:100] + b"\xff" * (len(data) - 100))  # keep the header, smash the pages
    with pytest.warns(CacheWarning):
        out = CachedEncoder(fake_encoder, EmbeddingCache(tmp_path)).encode(["text 1", "new"])
    np.testing.assert_array_equal(out, fake_encoder.encode(["text 1", "new"]))


def test_unusable_cache_dir_degrades_to_no_cache(tmp_path, fake_encoder):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.warns(CacheWarning, match="running without the embedding cache"):
        out = CachedEncoder(fake_encoder, EmbeddingCache(blocker)).encode(["a"])
    assert out.shape == (1, fake_encoder.dim)


def test_info_and_clear(tmp_path, fake_encoder):
    cache = EmbeddingCache(tmp_path)
    CachedEncoder(fake_encoder, cache).encode(["a", "b", "c"])
    other = FakeEncoder(name="other")
    CachedEncoder(other, cache).encode(["a"])
    info = cache.info()
    assert info.n_vectors == 4
    assert {m["model"]: m["vectors"] for m in info.models} == {"fake/hash-encoder": 3, "other": 1}
    assert cache.clear(other.fingerprint) == 1
    assert cache.info().n_vectors == 3
    assert cache.clear() == 3
    assert cache.info().n_vectors == 0


def test_env_var_sets_default_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("TRAITLENS_CACHE_DIR", str(tmp_path / "elsewhere"))
    assert EmbeddingCache().path == tmp_path / "elsewhere" / "embeddings.sqlite3"


def _writer(args: tuple[str, int]) -> int:
    folder, worker = args
    enc = FakeEncoder()
    cached = CachedEncoder(enc, EmbeddingCache(folder))
    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheWarning)  # any cache trouble fails the worker
        for round_ in range(5):
            texts = [f"shared {i}" for i in range(round_ * 40, round_ * 40 + 80)] + [
                f"own {worker} {round_} {i}" for i in range(30)
            ]
            out = cached.encode(texts)
            np.testing.assert_array_equal(out, enc.encode(texts))
    return worker


@pytest.mark.slow
def test_several_processes_write_at_once(tmp_path):
    ctx = mp.get_context("spawn")
    with ctx.Pool(4) as pool:
        done = pool.map(_writer, [(str(tmp_path), w) for w in range(4)])
    assert sorted(done) == [0, 1, 2, 3]
    cache = EmbeddingCache(tmp_path)
    enc = FakeEncoder()
    shared = [f"shared {i}" for i in range(240)]
    own = [f"own {w} {r} {i}" for w in range(4) for r in range(5) for i in range(30)]
    got = cache.get_many(enc.fingerprint, shared + own, enc.dim)
    assert len(got) == len(shared) + len(own)
    assert cache.info().n_vectors == len(shared) + len(own)
    np.testing.assert_array_equal(got["shared 7"], enc.encode(["shared 7"])[0])


def test_lock_timeout_never_moves_a_healthy_cache(tmp_path, fake_encoder, monkeypatch):
    import traitlens.cache as cache_module

    monkeypatch.setattr(cache_module, "_BUSY_TIMEOUT_S", 0.2)
    CachedEncoder(fake_encoder, EmbeddingCache(tmp_path)).encode(["a"])
    holder = sqlite3.connect(tmp_path / "embeddings.sqlite3", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process is writing and keeps the write lock
    try:
        with pytest.warns(CacheWarning, match="running without the embedding cache.*locked"):
            out = CachedEncoder(fake_encoder, EmbeddingCache(tmp_path)).encode(["a", "b"])
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    np.testing.assert_array_equal(out, fake_encoder.encode(["a", "b"]))
    assert not list(tmp_path.glob("*broken*")), "a busy cache must not be quarantined"
    assert EmbeddingCache(tmp_path).get_many(fake_encoder.fingerprint, ["a"], fake_encoder.dim)


def test_quarantine_keeps_wal_with_the_moved_file(tmp_path, fake_encoder):
    cache = EmbeddingCache(tmp_path)
    CachedEncoder(fake_encoder, cache).encode(["a"])
    with pytest.warns(CacheWarning):
        cache._quarantine("test")
    moved = sorted(p.name for p in tmp_path.glob("*broken*"))
    assert any(name.endswith("-wal") for name in moved) and len([n for n in moved if n.count("-wal") == 0
                                                                and not n.endswith("-shm")]) == 1
