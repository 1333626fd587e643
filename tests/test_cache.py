from __future__ import annotations

import multiprocessing as mp
import os
import sqlite3
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

import traitlens
from traitlens.cache import (
    APPLICATION_ID,
    SCHEMA_VERSION,
    CachedEncoder,
    CacheUnavailableError,
    CacheWarning,
    EmbeddingCache,
    text_hash,
)

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


def test_info_and_clear_on_an_unusable_cache_say_so(tmp_path, fake_encoder):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    for action in (lambda c: c.info(), lambda c: c.clear()):
        with pytest.raises(CacheUnavailableError, match="unusable: .*not a writable folder"):
            action(EmbeddingCache(blocker / "sub"))
    path = tmp_path / "newer" / "embeddings.sqlite3"
    path.parent.mkdir()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    for action in (lambda c: c.info(), lambda c: c.clear()):
        with pytest.warns(CacheWarning), pytest.raises(CacheUnavailableError, match="newer traitlens"):
            action(EmbeddingCache(path.parent))


class _StopAfter(FakeEncoder):
    """Raises (as a killed run stops) when asked to encode its ``n``-th batch."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.n = n

    def _encode_unique(self, texts: list[str]) -> np.ndarray:
        if self.calls + 1 == self.n:
            raise KeyboardInterrupt
        return super()._encode_unique(texts)


def test_each_batch_is_committed_so_an_interrupted_run_resumes(tmp_path):
    texts = [f"text {i}" for i in range(100)]
    with pytest.raises(KeyboardInterrupt):
        CachedEncoder(_StopAfter(4), EmbeddingCache(tmp_path), commit_every=30).encode(texts)
    stored = _stored_vectors(tmp_path, FakeEncoder().fingerprint)
    assert len(stored) == 90  # three batches of 30 were committed before the fourth was interrupted
    counting = FakeEncoder()
    out = CachedEncoder(counting, EmbeddingCache(tmp_path), commit_every=30).encode(texts)
    assert counting.seen == texts[90:]
    assert out.tobytes() == FakeEncoder().encode(texts).tobytes()
    with pytest.raises(ValueError, match="commit_every"):
        CachedEncoder(counting, EmbeddingCache(tmp_path), commit_every=0)


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


# -- threads (one EmbeddingCache shared by a thread pool) and processes x threads ----------------------------------


def _cache_warnings(caught: list[warnings.WarningMessage]) -> list[str]:
    return [str(w.message) for w in caught if issubclass(w.category, CacheWarning)]


def _run_threads(work, n: int) -> tuple[list[BaseException | None], list[str]]:
    """Run ``work(i)`` for i < n on n threads at once; return each thread's exception and every CacheWarning."""
    barrier = threading.Barrier(n)

    def start_together(i):
        barrier.wait()
        return work(i)

    with warnings.catch_warnings(record=True) as caught:  # the filter is process-wide: it sees every thread
        warnings.simplefilter("always")
        with ThreadPoolExecutor(n) as pool:
            futures = [pool.submit(start_together, i) for i in range(n)]
            errors = [f.exception() for f in futures]
    return errors, _cache_warnings(caught)


def _thread_texts(thread: int, round_: int) -> list[str]:
    """Overlapping windows of shared texts (every thread races for them) plus texts of this thread alone."""
    return [f"shared {i}" for i in range(round_ * 25, round_ * 25 + 60)] + [
        f"own {thread} {round_} {i}" for i in range(20)
    ]


def _stored_vectors(folder: Path, fingerprint: str) -> dict[bytes, bytes]:
    conn = sqlite3.connect(Path(folder) / "embeddings.sqlite3")
    try:
        rows = conn.execute("SELECT text_hash, vector FROM embeddings WHERE fingerprint = ?", (fingerprint,))
        return {bytes(key): bytes(blob) for key, blob in rows}
    finally:
        conn.close()


def _integrity(folder: Path) -> str:
    conn = sqlite3.connect(Path(folder) / "embeddings.sqlite3")
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def test_threads_share_one_cache_and_encoder(tmp_path):
    counting = CountingEncoder(FakeEncoder())
    cache = EmbeddingCache(tmp_path)
    cached = CachedEncoder(counting, cache)
    reference = FakeEncoder()

    def work(thread):
        for round_ in range(4):
            texts = _thread_texts(thread, round_)
            assert cached.encode(texts).tobytes() == reference.encode(texts).tobytes()

    errors, cache_warnings = _run_threads(work, 8)
    assert errors == [None] * 8
    assert cache_warnings == []
    everything = sorted({t for thread in range(8) for round_ in range(4) for t in _thread_texts(thread, round_)})
    assert set(counting.seen) == set(everything)

    got = cache.get_many(reference.fingerprint, everything, reference.dim)
    assert set(got) == set(everything)
    expected = reference.encode(everything)
    assert all(got[t].tobytes() == expected[i].tobytes() for i, t in enumerate(everything))
    assert _stored_vectors(tmp_path, reference.fingerprint) == {
        text_hash(t): expected[i].tobytes() for i, t in enumerate(everything)
    }

    reached = len(counting.seen)
    rerun, rerun_warnings = _run_threads(lambda thread: cached.encode(everything), 8)
    assert rerun == [None] * 8 and rerun_warnings == []
    assert len(counting.seen) == reached, "a warm cache must not reach the model from any thread"
    assert _integrity(tmp_path) == "ok"


def test_connection_opened_in_one_thread_works_in_another(tmp_path, fake_encoder):
    cache = EmbeddingCache(tmp_path)
    cached = CachedEncoder(fake_encoder, cache)
    cached.encode(["a"])  # opens the connection in the main thread
    result: dict[str, object] = {}

    def other_thread():
        try:
            result["hit"] = cache.get_many(fake_encoder.fingerprint, ["a"], fake_encoder.dim)
            result["out"] = cached.encode(["a", "b"])
        except BaseException as exc:  # noqa: BLE001 - reported below
            result["error"] = exc

    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheWarning)
        thread = threading.Thread(target=other_thread)
        thread.start()
        thread.join()
        assert "error" not in result, result.get("error")
        assert set(result["hit"]) == {"a"}
        np.testing.assert_array_equal(result["out"], fake_encoder.encode(["a", "b"]))
        assert set(cache.get_many(fake_encoder.fingerprint, ["a", "b"], fake_encoder.dim)) == {"a", "b"}


def test_close_closes_every_threads_connection(tmp_path, fake_encoder):
    cache = EmbeddingCache(tmp_path)
    cached = CachedEncoder(fake_encoder, cache)
    conns: list[sqlite3.Connection | None] = [None] * 3
    opened, closed = threading.Barrier(4, timeout=30), threading.Barrier(4, timeout=30)

    def work(i):
        cached.encode([f"t{i}"])
        conns[i] = cache._slot().conn
        opened.wait()
        closed.wait()  # meanwhile the main thread closes every connection; this thread is still alive
        return cached.encode([f"t{i}", "later"])

    with ThreadPoolExecutor(3) as pool:
        futures = [pool.submit(work, i) for i in range(3)]
        opened.wait()
        cache.close()
        for conn in conns:
            with pytest.raises(sqlite3.ProgrammingError, match="closed"):
                conn.execute("SELECT 1")
        closed.wait()
        outs = [f.result(timeout=30) for f in futures]
    for i, out in enumerate(outs):  # each thread reopened its own connection on next use
        np.testing.assert_array_equal(out, fake_encoder.encode([f"t{i}", "later"]))


def test_an_ended_threads_connection_is_closed(tmp_path, fake_encoder):
    cache = EmbeddingCache(tmp_path)
    conns: list[sqlite3.Connection] = []

    def use_and_end():
        cache.put_many(fake_encoder.fingerprint, fake_encoder.name, ["a"], fake_encoder.encode(["a"]))
        conns.append(cache._slot().conn)

    thread = threading.Thread(target=use_and_end)
    thread.start()
    thread.join()
    assert cache.get_many(fake_encoder.fingerprint, ["a"], fake_encoder.dim)  # another thread's first use
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        conns[0].execute("SELECT 1")


def test_threads_quarantine_a_bad_file_once(tmp_path, fake_encoder):
    (tmp_path / "embeddings.sqlite3").write_bytes(b"this is not a database at all" * 20)
    cached = CachedEncoder(fake_encoder, EmbeddingCache(tmp_path))
    errors, cache_warnings = _run_threads(lambda i: cached.encode([f"x{i}", "shared"]), 8)
    assert errors == [None] * 8
    assert len(cache_warnings) == 1 and "not an SQLite database" in cache_warnings[0]
    assert len(list(tmp_path.glob("embeddings.sqlite3.broken-*"))) == 1
    got = EmbeddingCache(tmp_path).get_many(fake_encoder.fingerprint, [f"x{i}" for i in range(8)], fake_encoder.dim)
    assert len(got) == 8


def test_threads_see_a_disabled_cache_with_one_warning(tmp_path, fake_encoder):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    cached = CachedEncoder(fake_encoder, EmbeddingCache(blocker))
    errors, cache_warnings = _run_threads(lambda i: cached.encode([f"x{i}"]), 8)
    assert errors == [None] * 8
    assert len(cache_warnings) == 1 and "running without the embedding cache" in cache_warnings[0]


def test_failure_in_one_thread_switches_the_cache_off_for_all(tmp_path, fake_encoder, monkeypatch):
    import traitlens.cache as cache_module

    monkeypatch.setattr(cache_module, "_BUSY_TIMEOUT_S", 0.2)
    cache = EmbeddingCache(tmp_path)
    cached = CachedEncoder(fake_encoder, cache)
    cached.encode(["a"])
    holder = sqlite3.connect(tmp_path / "embeddings.sqlite3", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process keeps the write lock: every write times out
    try:
        errors, cache_warnings = _run_threads(lambda i: cached.encode(["a", f"x{i}"]), 8)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert errors == [None] * 8
    assert len(cache_warnings) == 1 and "running without the embedding cache" in cache_warnings[0]
    assert "locked" in cache_warnings[0]
    assert not list(tmp_path.glob("*broken*")), "an operational error must not move the file"
    assert cache.get_many(fake_encoder.fingerprint, ["a"], fake_encoder.dim) == {}, "off for every thread"
    assert all(slot.conn is None for slot in cache._slots)


def _threaded_writer(args: tuple[str, int] | tuple[str, int, int]) -> list[str]:
    """One spawned process: N threads (default 8) share one CachedEncoder; return every failure as text.

    The encoder commits every 16 texts, so the threads' and processes' batch commits interleave.
    """
    folder, worker, n_threads = (*args, 8) if len(args) == 2 else args
    cached = CachedEncoder(FakeEncoder(), EmbeddingCache(folder), commit_every=16)
    reference = FakeEncoder()
    failures: list[str] = []

    def work(thread: int) -> None:
        try:
            for round_ in range(3):
                texts = _process_texts(worker, thread, round_)
                if cached.encode(texts).tobytes() != reference.encode(texts).tobytes():
                    failures.append(f"worker {worker} thread {thread} round {round_}: wrong vectors")
        except BaseException as exc:  # noqa: BLE001 - returned to the test
            failures.append(f"worker {worker} thread {thread}: {type(exc).__name__}: {exc}")

    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheWarning)  # any cache trouble fails the thread
        threads = [threading.Thread(target=work, args=(t,)) for t in range(n_threads)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    return failures


def _process_texts(worker: int, thread: int, round_: int) -> list[str]:
    """Texts shared by all processes, by the threads of one process, and of one thread alone."""
    return (
        [f"shared {i}" for i in range(round_ * 20 + thread * 5, round_ * 20 + thread * 5 + 40)]
        + [f"process {worker} {i}" for i in range(round_ * 10 + thread * 3, round_ * 10 + thread * 3 + 20)]
        + [f"own {worker} {thread} {round_} {i}" for i in range(10)]
    )


@pytest.mark.slow
@pytest.mark.parametrize(("n_processes", "n_threads"), [(4, 8), (8, 4)], ids=["4x8", "8x4"])
def test_processes_times_threads_write_at_once(tmp_path, n_processes, n_threads):
    ctx = mp.get_context("spawn")
    with ctx.Pool(n_processes) as pool:
        failures = pool.map(_threaded_writer, [(str(tmp_path), w, n_threads) for w in range(n_processes)])
    assert failures == [[]] * n_processes

    everything = sorted({t for w in range(n_processes) for th in range(n_threads) for r in range(3)
                         for t in _process_texts(w, th, r)})
    reference = FakeEncoder()
    fresh = reference.encode(everything)
    expected = {text_hash(t): fresh[i].tobytes() for i, t in enumerate(everything)}
    stored = _stored_vectors(tmp_path, reference.fingerprint)
    lost = [t for t in everything if text_hash(t) not in stored]
    different = [t for t in everything if text_hash(t) in stored and stored[text_hash(t)] != expected[text_hash(t)]]
    assert (lost, different, len(stored)) == ([], [], len(expected)), sorted(p.name for p in tmp_path.iterdir())
    assert _integrity(tmp_path) == "ok"
    counting = CountingEncoder(FakeEncoder())
    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheWarning)
        out = CachedEncoder(counting, EmbeddingCache(tmp_path)).encode(everything)
    assert counting.seen == [], "a warm cache must not reach the model"
    assert out.tobytes() == fresh.tobytes()


def _child_uses_cache(cached: CachedEncoder, parent_conn_id: int, queue: mp.Queue) -> None:
    try:
        out = cached.encode(["from child", "a"])
        conn = cached.cache._slot().conn
        queue.put(("ok", id(conn) != parent_conn_id, out.tobytes()))
    except BaseException as exc:  # noqa: BLE001 - reported to the parent
        queue.put(("error", repr(exc), b""))


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_forked_child_opens_its_own_connection(tmp_path, fake_encoder):
    cache = EmbeddingCache(tmp_path)
    cached = CachedEncoder(fake_encoder, cache)
    cached.encode(["a"])
    parent_conn = cache._slot().conn
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    with cache._lock:  # as if another thread were opening the file at the moment of the fork
        child = ctx.Process(target=_child_uses_cache, args=(cached, id(parent_conn), queue))
        child.start()
    try:
        status, own_connection, vectors = queue.get(timeout=30)
    finally:
        child.join(timeout=30)
        if child.is_alive():
            child.kill()
    assert status == "ok", own_connection
    assert own_connection, "the child reused its parent's connection"
    assert vectors == fake_encoder.encode(["from child", "a"]).tobytes()
    assert child.exitcode == 0
    assert cache._slot().conn is parent_conn  # the parent's connection is untouched and still works
    assert set(cache.get_many(fake_encoder.fingerprint, ["a", "from child"], fake_encoder.dim)) == {"a", "from child"}
    assert _integrity(tmp_path) == "ok"


# -- a file with traitlens' table names but another layout -----------------------------------------------------------


@pytest.mark.parametrize("stamped", [True, False], ids=["with-our-application-id", "unstamped"])
def test_our_table_names_in_another_layout_are_rebuilt(tmp_path, stamped):
    path = tmp_path / "embeddings.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE models (fingerprint TEXT PRIMARY KEY, name TEXT NOT NULL, dim INTEGER NOT NULL)")
    conn.execute("CREATE TABLE embeddings (fingerprint TEXT, text_hash BLOB, PRIMARY KEY (fingerprint, text_hash))")
    if stamped:
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    conn.commit()
    conn.close()
    counting = CountingEncoder(FakeEncoder())
    with pytest.warns(CacheWarning, match=r"not a traitlens cache .*embeddings has columns") as record:
        out = CachedEncoder(counting, EmbeddingCache(tmp_path)).encode(["a", "b"])
    assert not [w for w in record if "running without" in str(w.message)]
    np.testing.assert_array_equal(out, FakeEncoder().encode(["a", "b"]))
    moved = list(tmp_path.glob("embeddings.sqlite3.broken-*"))
    assert len(moved) == 1
    old = sqlite3.connect(moved[0])
    assert "vector" not in {row[1] for row in old.execute("PRAGMA table_info(embeddings)")}  # kept as it was
    old.close()
    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheWarning)
        CachedEncoder(counting, EmbeddingCache(tmp_path)).encode(["a", "b"])
    assert counting.seen == ["a", "b"], "the rebuilt cache must serve the second run"


def test_a_newer_schema_is_left_alone(tmp_path, fake_encoder):
    path = tmp_path / "embeddings.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE embeddings (fingerprint TEXT, text_hash BLOB, vector2 BLOB)")
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    with pytest.warns(CacheWarning, match="running without.*newer traitlens"):
        out = CachedEncoder(fake_encoder, EmbeddingCache(tmp_path)).encode(["a"])
    np.testing.assert_array_equal(out, fake_encoder.encode(["a"]))
    assert not list(tmp_path.glob("*broken*"))
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1
    conn.close()


_LOCK_PROBE = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
try:  # SQLite's SHARED lock is a read lock on these 510 bytes (SHARED_FIRST, SHARED_SIZE in os_unix.c)
    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 510, 0x40000002, os.SEEK_SET)
    print("free")
except OSError:
    print("held")
finally:
    os.close(fd)
"""


def _sqlite_shared_lock(path: Path) -> str:
    """Whether some other process holds SQLite's shared lock on ``path`` (asked from a fresh process)."""
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-c", _LOCK_PROBE, str(path)], capture_output=True, text=True,
                          check=True).stdout.strip()


@pytest.mark.slow
@pytest.mark.skipif(os.name != "posix", reason="POSIX advisory locks")
def test_opening_more_connections_keeps_the_locks_of_open_ones(tmp_path, fake_encoder):
    # A plain open()/close() of the database file drops every POSIX lock this process holds on it, so
    # another process may checkpoint and delete the WAL that this process's connections still write to.
    cache = EmbeddingCache(tmp_path)
    cache.put_many(fake_encoder.fingerprint, fake_encoder.name, ["a"], fake_encoder.encode(["a"]))
    path = tmp_path / "embeddings.sqlite3"
    assert _sqlite_shared_lock(path) == "held"  # an idle WAL connection keeps its shared lock
    thread = threading.Thread(target=cache.get_many, args=(fake_encoder.fingerprint, ["a"], fake_encoder.dim))
    thread.start()  # a second thread opens its own connection
    thread.join()
    assert _sqlite_shared_lock(path) == "held"
    EmbeddingCache(tmp_path).get_many(fake_encoder.fingerprint, ["a"], fake_encoder.dim)  # a second cache object
    assert _sqlite_shared_lock(path) == "held"
