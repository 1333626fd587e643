"""The SQLite embedding cache: one file, keyed by (model fingerprint, text hash).

A second run over the same texts with the same model reads vectors from here
instead of running the model. The file lives in the user cache directory
(``platformdirs``), or in ``$TRAITLENS_CACHE_DIR``, or wherever ``cache_dir``
points.

Design (after datasette / sqlite-utils): stdlib ``sqlite3``, WAL journal,
``BEGIN IMMEDIATE`` transactions with ``INSERT OR IGNORE`` for writes (several
processes may write at once), ``PRAGMA application_id`` and ``PRAGMA
user_version`` to recognise our own file and its schema. A file that is not an
SQLite database, belongs to another program, has our table names but another
layout, or is damaged is moved aside and rebuilt with a warning; a cache that
cannot be used at all (read-only disk) degrades to "no cache" with a warning.
The cache never makes a run fail. ``cache info`` and ``cache clear`` on a cache
that cannot be used raise :class:`CacheUnavailableError` rather than report
"0 vectors".

Interrupted runs resume: :class:`CachedEncoder` encodes the missing texts in
batches of :data:`COMMIT_EVERY` and commits each batch before the next, so a
run killed part-way keeps what it had encoded (``benchmarks/crash_safety.py``
kills writers with SIGKILL to check that every stored vector is whole).

Threads and processes: one :class:`EmbeddingCache` may be shared by many
threads (a web server's thread pool). Each thread gets its own connection
(``threading.local``), the layout SQLite itself is built for: under WAL, readers
on separate connections run in parallel with each other and with a writer, a
thread waiting for another process's write lock (up to the busy timeout) holds
up nobody else, and writes stay serialised by SQLite's own lock exactly as
between processes. One lock-guarded shared connection would serialise every
read in the process behind the slowest write. The state the threads do share
(opening and checking the file, moving a bad one aside, switching the cache
off) is guarded by one lock, so only one thread ever quarantines the file, and
once the cache is off every thread sees it. :meth:`EmbeddingCache.close`
closes the connections of all threads (waiting for any that is in use); a
thread's connection is also closed once the thread has ended. A process forked
from one that had the cache open never touches its parent's connections (SQLite
forbids using them across ``fork``): it leaves them alone and opens its own.
The file itself is only ever opened through SQLite: a plain ``open()`` and
``close()`` of it would silently drop the POSIX locks of every connection of
the process, letting another process delete the WAL under them (lost writes).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import threading
import time
import warnings
import weakref
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np
import platformdirs

from traitlens.encoders.base import Encoder
from traitlens.errors import TraitlensError

APPLICATION_ID = 0x54524C53  # "TRLS"
SCHEMA_VERSION = 1
FILENAME = "embeddings.sqlite3"
_BUSY_TIMEOUT_S = 60.0
#: :class:`CachedEncoder` commits the vectors of every this many newly encoded texts.
COMMIT_EVERY = 512
_SCHEMA = """
CREATE TABLE IF NOT EXISTS models (
    fingerprint TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    dim         INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS embeddings (
    fingerprint TEXT NOT NULL,
    text_hash   BLOB NOT NULL,
    vector      BLOB NOT NULL,
    PRIMARY KEY (fingerprint, text_hash)
) WITHOUT ROWID;
"""
# (column, position in the primary key or 0) of each table of _SCHEMA, as PRAGMA table_info reports them
_LAYOUT = {
    "models": {("fingerprint", 1), ("name", 0), ("dim", 0)},
    "embeddings": {("fingerprint", 1), ("text_hash", 2), ("vector", 0)},
}

_T = TypeVar("_T")


class CacheWarning(UserWarning):
    """The embedding cache was rebuilt or could not be used; results are unaffected."""


class CacheUnavailableError(TraitlensError):
    """``cache info`` / ``cache clear`` on a cache that cannot be used (unwritable folder, newer schema, …)."""


class _NotOurs(sqlite3.DatabaseError):
    """The file is not a traitlens cache: not SQLite, another program's, or our table names in another layout."""


def default_cache_dir() -> Path:
    """``$TRAITLENS_CACHE_DIR`` if set, else the platform's user cache directory for traitlens."""
    env = os.environ.get("TRAITLENS_CACHE_DIR", "").strip()
    return Path(env).expanduser() if env else Path(platformdirs.user_cache_dir("traitlens"))


def text_hash(text: str) -> bytes:
    """SHA-256 of the UTF-8 text: the cache key of a text."""
    return hashlib.sha256(text.encode("utf-8")).digest()


@dataclass(frozen=True)
class CacheInfo:
    """What ``traitlens cache info`` reports."""

    path: Path
    size_bytes: int
    schema_version: int
    models: list[dict[str, object]]

    @property
    def n_vectors(self) -> int:
        """Total number of cached vectors over all models."""
        return int(sum(int(m["vectors"]) for m in self.models))


class _Slot:
    """One thread's connection, with the lock its thread holds while using it (``close`` takes it too)."""

    __slots__ = ("conn", "generation", "lock", "thread")

    def __init__(self) -> None:
        self.conn: sqlite3.Connection | None = None
        self.generation = -1
        self.lock = threading.Lock()
        self.thread = threading.current_thread()

    def close(self) -> None:
        """Close the connection, if any (the caller holds :attr:`lock` or the owning thread has ended)."""
        conn, self.conn = self.conn, None
        if conn is not None:
            with contextlib.suppress(sqlite3.Error):
                conn.close()


class EmbeddingCache:
    """Key-value store of embeddings in one SQLite file; safe to share between threads.

    Parameters
    ----------
    cache_dir : str or Path, optional
        Folder of the cache file; default :func:`default_cache_dir`.
    enabled : bool
        ``False``: a cache that is off from the start (``--no-cache``): it reads and stores nothing and
        touches no file; a :class:`CachedEncoder` over it passes every text to the model, and
        :func:`traitlens.load_encoder` does not wrap such an encoder in the default cache again.
    """

    def __init__(self, cache_dir: str | os.PathLike[str] | None = None, *, enabled: bool = True) -> None:
        self.dir = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
        self.path = self.dir / FILENAME
        self._disabled = not enabled
        self.problem: str | None = None if enabled else "it is switched off (--no-cache)"
        self._start_afresh()
        _LIVE_CACHES.add(self)

    # -- connection management -------------------------------------------------------------------
    def _start_afresh(self) -> None:
        """No connections yet, fresh locks: at creation, and in a child process after ``fork``."""
        self._pid = os.getpid()
        self._lock = threading.Lock()  # guards _slots, _generation, _disabled and opening/moving the file
        self._local = threading.local()
        self._slots: list[_Slot] = []
        self._generation = 0  # bumped when the file is moved aside: connections to the old one are reopened

    def _forget_inherited(self) -> None:
        """In a forked child: keep the parent's connections referenced but unused, and start afresh.

        Closing them here would run SQLite's close on a connection copied across ``fork``, which SQLite
        forbids; keeping a reference stops the garbage collector from doing just that.
        """
        _INHERITED.extend(slot.conn for slot in self._slots if slot.conn is not None)
        self._start_afresh()

    def _slot(self) -> _Slot:
        """The calling thread's slot, created and registered on first use."""
        if self._pid != os.getpid():  # forked without os.fork's hooks (they call _forget_inherited first)
            self._forget_inherited()
        slot: _Slot | None = getattr(self._local, "slot", None)
        if slot is None:
            slot = self._local.slot = _Slot()
            with self._lock:
                ended = [s for s in self._slots if not s.thread.is_alive()]
                for s in ended:
                    s.close()
                self._slots = [s for s in self._slots if s not in ended] + [slot]
        return slot

    def _use(self, action: Callable[[sqlite3.Connection], _T], default: _T) -> _T:
        """Run ``action`` on this thread's connection; ``default`` when the cache is off or the action fails."""
        slot = self._slot()
        with slot.lock:
            conn = self._connect(slot)
            if conn is None:
                return default
            try:
                return action(conn)
            except sqlite3.Error as exc:
                self._failed(slot, exc)
                return default

    def _connect(self, slot: _Slot) -> sqlite3.Connection | None:
        """The calling thread's open connection (the caller holds ``slot.lock``), or None when the cache is off."""
        if slot.conn is not None and (self._disabled or slot.generation != self._generation):
            slot.close()
        if self._disabled:
            return None
        if slot.conn is None:
            with self._lock:
                if self._disabled:
                    return None
                slot.conn = self._open_checked()
                slot.generation = self._generation
        return slot.conn

    def _open_checked(self) -> sqlite3.Connection | None:
        """Open a new connection, moving a bad file aside first (the caller holds ``self._lock``)."""
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            return self._disable(f"cannot create cache folder {self.dir} ({exc})")
        for attempt in range(2):
            try:
                return self._open()
            except sqlite3.DatabaseError as exc:
                if attempt == 0 and is_corruption(exc):
                    self._quarantine(str(exc) if isinstance(exc, _NotOurs) else f"it is damaged ({exc})")
                    continue
                return self._disable(f"cannot open cache {self.path} ({type(exc).__name__}: {exc})")
        return None  # pragma: no cover

    def _open(self) -> sqlite3.Connection:
        """Open a connection to our file, creating the schema in a new or empty file.

        Raises :class:`_NotOurs` for a file that is not a traitlens cache. The file is looked at only
        through SQLite, never with ``open()``: closing any descriptor of it would drop the POSIX locks
        of every SQLite connection of this process (other threads') to it, and another process would
        then checkpoint and delete the WAL under them (https://sqlite.org/howtocorrupt.html, 2.2).
        """
        with contextlib.suppress(OSError):
            if 0 < self.path.stat().st_size < 512:  # an SQLite file is empty or at least one 512-byte page
                raise _NotOurs("it is not an SQLite database")
        # check_same_thread=False only so that close() and the clean-up of ended threads may close a
        # connection from another thread; each connection is used by its own thread alone.
        conn = sqlite3.connect(self.path, timeout=_BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(_BUSY_TIMEOUT_S * 1000)}")
            try:
                app_id = conn.execute("PRAGMA application_id").fetchone()[0]
            except sqlite3.DatabaseError as exc:
                if "not a database" in str(exc).lower():
                    raise _NotOurs("it is not an SQLite database") from exc
                raise
            if app_id not in (0, APPLICATION_ID):
                raise _NotOurs(f"it belongs to another program (application_id {app_id:#x})")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if app_id == APPLICATION_ID and version > SCHEMA_VERSION:
                # a newer traitlens's cache: neither downgrade nor move it, just do without it
                raise sqlite3.DatabaseError(f"it was written by a newer traitlens (schema version {version})")
            if app_id == APPLICATION_ID and version == SCHEMA_VERSION:
                _check_layout(conn)
                conn.execute("PRAGMA journal_mode = WAL")
                return conn
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if app_id == 0 and tables - {"models", "embeddings"}:
                raise _NotOurs(f"it is not a traitlens cache (foreign tables {sorted(tables)})")
            with _immediate(conn):
                for statement in _statements():
                    conn.execute(statement)
                _check_layout(conn)  # CREATE TABLE IF NOT EXISTS keeps a same-named table of another layout
                conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute("PRAGMA journal_mode = WAL")
            return conn
        except BaseException:
            conn.close()
            raise

    def _quarantine(self, why: str) -> None:
        """Move the file (and its WAL and shared-memory files, kept together) aside; a new cache starts.

        The sidecars are renamed, not deleted: a process that still has the old file open keeps a
        consistent view, and the moved copy stays readable for inspection. The other threads of this
        process reopen their connections, on the new file, at their next use.
        """
        stamp = f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{os.urandom(3).hex()}"
        aside = self.path.with_name(f"{self.path.name}.broken-{stamp}")
        self._generation += 1
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):  # another process may already have moved it
                os.replace(f"{self.path}{suffix}", f"{aside}{suffix}")
        warnings.warn(f"embedding cache {self.path} is unusable: {why}; moved it to {aside} and starting a new "
                      "one", CacheWarning, stacklevel=6)

    def _disable(self, why: str) -> None:
        """Stop using the cache in every thread, with one warning (the caller holds ``self._lock``)."""
        if not self._disabled:
            self._disabled = True
            self.problem = why
            warnings.warn(f"running without the embedding cache: {why}", CacheWarning, stacklevel=6)
        return None

    def close(self) -> None:
        """Close the connections of all threads (each is reopened on its thread's next use).

        A connection that another thread is using is closed once that use is over.
        """
        with self._lock:
            slots = list(self._slots)
        for slot in slots:
            with slot.lock:
                slot.close()

    # -- key-value API -------------------------------------------------------------------------
    def get_many(self, fingerprint: str, texts: Sequence[str], dim: int) -> dict[str, np.ndarray]:
        """Return the cached vectors of those ``texts`` that are in the cache for this model."""
        if not texts:
            return {}
        by_hash = {text_hash(t): t for t in texts}

        def read(conn: sqlite3.Connection) -> dict[str, np.ndarray]:
            found: dict[str, np.ndarray] = {}
            hashes = list(by_hash)
            for start in range(0, len(hashes), 500):
                chunk = hashes[start : start + 500]
                marks = ",".join("?" * len(chunk))
                rows = conn.execute(
                    f"SELECT text_hash, vector FROM embeddings WHERE fingerprint = ? AND text_hash IN ({marks})",
                    [fingerprint, *chunk],
                )
                for key, blob in rows:
                    vector = np.frombuffer(blob, dtype=np.float32)
                    if vector.shape == (dim,):
                        found[by_hash[bytes(key)]] = vector
            return found

        return self._use(read, {})

    def put_many(self, fingerprint: str, name: str, texts: Sequence[str], vectors: np.ndarray) -> None:
        """Store ``vectors`` (one row per text) for this model; existing entries are kept."""
        if not len(texts):
            return
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        rows = [(fingerprint, text_hash(t), v.tobytes()) for t, v in zip(texts, vectors, strict=True)]

        def write(conn: sqlite3.Connection) -> None:
            with _immediate(conn):
                conn.execute(
                    "INSERT OR IGNORE INTO models (fingerprint, name, dim) VALUES (?, ?, ?)",
                    (fingerprint, name, int(vectors.shape[1])),
                )
                conn.executemany(
                    "INSERT OR IGNORE INTO embeddings (fingerprint, text_hash, vector) VALUES (?, ?, ?)", rows
                )

        self._use(write, None)

    def _failed(self, slot: _Slot, exc: sqlite3.Error) -> None:
        """A read or write failed: quarantine only on proof of corruption, else just stop using the cache.

        The caller holds ``slot.lock``. When several threads fail at once, the first one reports it and
        moves the file; the others find the cache already off.
        """
        slot.close()
        with self._lock:
            if self._disabled:
                return
            if is_corruption(exc):
                self._quarantine(f"it is damaged ({exc})")
                self._disable("it was damaged during this run; the next run starts a fresh one")
            else:
                self._disable(f"cache {self.path}: {type(exc).__name__}: {exc}")

    # -- maintenance ---------------------------------------------------------------------------
    def info(self) -> CacheInfo:
        """Path, size and per-model vector counts."""
        models: list[dict[str, object]] = []

        def read(conn: sqlite3.Connection) -> int:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            counts = dict(conn.execute("SELECT fingerprint, COUNT(*) FROM embeddings GROUP BY fingerprint"))
            for fp, name, dim in conn.execute("SELECT fingerprint, name, dim FROM models ORDER BY name"):
                models.append({"model": name, "fingerprint": fp, "dim": dim, "vectors": counts.get(fp, 0)})
            return int(version)

        if self.path.exists():
            version = self._use(read, 0)
        else:
            self._check_creatable()
            version = 0
        self._raise_if_unusable()
        size = sum(p.stat().st_size for p in self.dir.glob(f"{FILENAME}*") if p.is_file() and "broken" not in p.name)
        return CacheInfo(path=self.path, size_bytes=size, schema_version=version, models=models)

    def _raise_if_unusable(self) -> None:
        if self._disabled:
            raise CacheUnavailableError(f"the embedding cache {self.path} is unusable: {self.problem}")

    def _check_creatable(self) -> None:
        """For a cache file that does not exist yet: raise if its folder cannot be made or written."""
        folder = self.dir
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent
        if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
            raise CacheUnavailableError(f"the embedding cache {self.path} is unusable: {folder} is not a writable "
                                        "folder")

    def clear(self, fingerprint: str | None = None) -> int:
        """Delete every cached vector (or only one model's); return how many were deleted.

        Raises
        ------
        CacheUnavailableError
            The cache cannot be used (it is not counted as empty).
        """
        if not self.path.exists():
            self._check_creatable()
        slot = self._slot()
        with slot.lock:
            conn = self._connect(slot)
            if conn is None:
                self._raise_if_unusable()
                return 0
            with _immediate(conn):
                if fingerprint is None:
                    n = conn.execute("DELETE FROM embeddings").rowcount
                    conn.execute("DELETE FROM models")
                else:
                    n = conn.execute("DELETE FROM embeddings WHERE fingerprint = ?", (fingerprint,)).rowcount
                    conn.execute("DELETE FROM models WHERE fingerprint = ?", (fingerprint,))
            conn.execute("VACUUM")
        return int(n)


_CORRUPTION_MARKERS = ("malformed", "not a database", "file is encrypted", "foreign tables")


def is_corruption(exc: sqlite3.Error) -> bool:
    """Whether an SQLite error proves the file itself is damaged or not ours.

    Busy, locked, read-only, I/O and other operational errors are not: moving a healthy shared cache
    aside because of them would pull the file from under other processes.
    """
    return isinstance(exc, _NotOurs) or any(marker in str(exc).lower() for marker in _CORRUPTION_MARKERS)


def _check_layout(conn: sqlite3.Connection) -> None:
    """Raise :class:`_NotOurs` unless both tables have exactly the columns and primary keys of ``_SCHEMA``."""
    for table, expected in _LAYOUT.items():
        found = {(row[1], row[5]) for row in conn.execute(f"PRAGMA table_info({table})")}
        if found != expected:
            columns = sorted(column for column, _ in found)
            raise _NotOurs(f"it is not a traitlens cache (table {table} has columns {columns}, expected "
                           f"{sorted(column for column, _ in expected)} with key "
                           f"{[c for c, k in sorted(expected, key=lambda ck: ck[1]) if k]})")


def _statements() -> list[str]:
    return [s.strip() for s in _SCHEMA.split(";") if s.strip()]


@contextlib.contextmanager
def _immediate(conn: sqlite3.Connection) -> Iterator[None]:
    """A write transaction that takes the lock up front (no deadlock between upgrading readers)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:  # SQLite may have rolled back already (full disk, I/O error): keep that error
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
        raise


# Every cache alive in this process, so that a child forked from it drops the parent's connections and
# locks before anything else runs; and the dropped connections, referenced for good so they are never
# closed in the child.
_LIVE_CACHES: weakref.WeakSet[EmbeddingCache] = weakref.WeakSet()
_INHERITED: list[sqlite3.Connection] = []


def _after_fork_in_child() -> None:
    for cache in list(_LIVE_CACHES):
        cache._forget_inherited()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


class CachedEncoder(Encoder):
    """An :class:`Encoder` that consults an :class:`EmbeddingCache` before running the model.

    Only texts missing from the cache reach the wrapped encoder, in batches of
    ``commit_every`` (default :data:`COMMIT_EVERY`); each batch's vectors are
    stored (committed) before the next batch is encoded, so an interrupted run
    keeps its finished batches and a re-run resumes after them. Safe to share
    between threads when the wrapped encoder is: two threads that miss the same
    text both encode it, and the first stored vector is kept.
    """

    def __init__(self, encoder: Encoder, cache: EmbeddingCache, commit_every: int = COMMIT_EVERY) -> None:
        if commit_every < 1:
            raise ValueError("commit_every must be at least 1")
        self.commit_every = commit_every
        self.inner = encoder
        self.cache = cache
        self.name = encoder.name
        self.fingerprint = encoder.fingerprint
        self.dim = encoder.dim

    def _encode_unique(self, texts: list[str]) -> np.ndarray:
        found = self.cache.get_many(self.fingerprint, texts, self.dim)
        missing = [t for t in texts if t not in found]
        for start in range(0, len(missing), self.commit_every):
            batch = missing[start : start + self.commit_every]
            fresh = self.inner.encode(batch)
            self.cache.put_many(self.fingerprint, self.name, batch, fresh)
            found.update(zip(batch, fresh, strict=True))
        return np.stack([found[t] for t in texts]).astype(np.float32, copy=False)
