"""The SQLite embedding cache: one file, keyed by (model fingerprint, text hash).

A second run over the same texts with the same model reads vectors from here
instead of running the model. The file lives in the user cache directory
(``platformdirs``), or in ``$TRAITLENS_CACHE_DIR``, or wherever ``cache_dir``
points.

Design (after datasette / sqlite-utils): stdlib ``sqlite3``, WAL journal, one
connection per process, ``BEGIN IMMEDIATE`` transactions with ``INSERT OR
IGNORE`` for writes (several processes may write at once), ``PRAGMA
application_id`` and ``PRAGMA user_version`` to recognise our own file and its
schema. A file that is not an SQLite database, belongs to another program, or
is damaged is moved aside and rebuilt with a warning; a cache that cannot be
used at all (read-only disk) degrades to "no cache" with a warning. The cache
never makes a run fail.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import time
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import platformdirs

from traitlens.encoders.base import Encoder

APPLICATION_ID = 0x54524C53  # "TRLS"
SCHEMA_VERSION = 1
FILENAME = "embeddings.sqlite3"
_SQLITE_MAGIC = b"SQLite format 3\x00"
_BUSY_TIMEOUT_S = 60.0
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


class CacheWarning(UserWarning):
    """The embedding cache was rebuilt or could not be used; results are unaffected."""


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


class EmbeddingCache:
    """Key-value store of embeddings in one SQLite file.

    Parameters
    ----------
    cache_dir : str or Path, optional
        Folder of the cache file; default :func:`default_cache_dir`.
    """

    def __init__(self, cache_dir: str | os.PathLike[str] | None = None) -> None:
        self.dir = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
        self.path = self.dir / FILENAME
        self._conn: sqlite3.Connection | None = None
        self._disabled = False

    # -- connection management -------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection | None:
        if self._disabled:
            return None
        if self._conn is not None:
            return self._conn
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            return self._disable(f"cannot create cache folder {self.dir} ({exc})")
        for attempt in range(2):
            problem = self._foreign_or_garbage()
            if problem:
                self._quarantine(problem)
            try:
                self._conn = self._open()
                return self._conn
            except sqlite3.DatabaseError as exc:
                if self._conn is not None:
                    self._conn.close()
                    self._conn = None
                if attempt == 0 and is_corruption(exc):
                    self._quarantine(f"it is damaged ({exc})")
                    continue
                return self._disable(f"cannot open cache {self.path} ({type(exc).__name__}: {exc})")
        return None  # pragma: no cover

    def _foreign_or_garbage(self) -> str | None:
        """Describe why the existing file is not our cache, or None if it is (or does not exist)."""
        try:
            with open(self.path, "rb") as fh:
                head = fh.read(100)
        except FileNotFoundError:
            return None
        except OSError as exc:
            return f"it cannot be read ({exc})"
        if not head:
            return None  # an empty file is what a concurrent creator leaves for a moment
        if not head.startswith(_SQLITE_MAGIC) or len(head) < 100:
            return "it is not an SQLite database"
        app_id = int.from_bytes(head[68:72], "big")
        if app_id not in (0, APPLICATION_ID):
            return f"it belongs to another program (application_id {app_id:#x})"
        return None

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=_BUSY_TIMEOUT_S, isolation_level=None)
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(_BUSY_TIMEOUT_S * 1000)}")
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if app_id == APPLICATION_ID and version == SCHEMA_VERSION:
                conn.execute("PRAGMA journal_mode = WAL")
                return conn
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if app_id == 0 and tables - {"models", "embeddings"}:
                raise sqlite3.DatabaseError(f"foreign tables {sorted(tables)}")
            with _immediate(conn):
                for statement in _statements():
                    conn.execute(statement)
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
        consistent view, and the moved copy stays readable for inspection.
        """
        stamp = f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{os.urandom(3).hex()}"
        aside = self.path.with_name(f"{self.path.name}.broken-{stamp}")
        warnings.warn(f"embedding cache {self.path} is unusable: {why}; moved it to {aside} and starting a new "
                      "one", CacheWarning, stacklevel=4)
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):  # another process may already have moved it
                os.replace(f"{self.path}{suffix}", f"{aside}{suffix}")

    def _disable(self, why: str) -> None:
        warnings.warn(f"running without the embedding cache: {why}", CacheWarning, stacklevel=4)
        self._disabled = True
        return None

    def close(self) -> None:
        """Close the connection (it is reopened on next use)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    # -- key-value API -------------------------------------------------------------------------
    def get_many(self, fingerprint: str, texts: Sequence[str], dim: int) -> dict[str, np.ndarray]:
        """Return the cached vectors of those ``texts`` that are in the cache for this model."""
        conn = self._connect()
        if conn is None or not texts:
            return {}
        by_hash = {text_hash(t): t for t in texts}
        found: dict[str, np.ndarray] = {}
        hashes = list(by_hash)
        try:
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
        except sqlite3.DatabaseError as exc:
            self._failed(exc)
            return {}
        return found

    def put_many(self, fingerprint: str, name: str, texts: Sequence[str], vectors: np.ndarray) -> None:
        """Store ``vectors`` (one row per text) for this model; existing entries are kept."""
        conn = self._connect()
        if conn is None or not len(texts):
            return
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        rows = [(fingerprint, text_hash(t), v.tobytes()) for t, v in zip(texts, vectors, strict=True)]
        try:
            with _immediate(conn):
                conn.execute(
                    "INSERT OR IGNORE INTO models (fingerprint, name, dim) VALUES (?, ?, ?)",
                    (fingerprint, name, int(vectors.shape[1])),
                )
                conn.executemany(
                    "INSERT OR IGNORE INTO embeddings (fingerprint, text_hash, vector) VALUES (?, ?, ?)", rows
                )
        except sqlite3.DatabaseError as exc:
            self._failed(exc)

    def _failed(self, exc: sqlite3.DatabaseError) -> None:
        """A read or write failed: quarantine only on proof of corruption, else just stop using the cache."""
        self.close()
        if is_corruption(exc):
            self._quarantine(f"it is damaged ({exc})")
            self._disable("it was damaged during this run; the next run starts a fresh one")
        else:
            self._disable(f"cache {self.path}: {type(exc).__name__}: {exc}")

    # -- maintenance ---------------------------------------------------------------------------
    def info(self) -> CacheInfo:
        """Path, size and per-model vector counts."""
        models: list[dict[str, object]] = []
        version = 0
        conn = self._connect() if self.path.exists() else None
        if conn is not None:
            try:
                version = conn.execute("PRAGMA user_version").fetchone()[0]
                counts = dict(conn.execute("SELECT fingerprint, COUNT(*) FROM embeddings GROUP BY fingerprint"))
                for fp, name, dim in conn.execute("SELECT fingerprint, name, dim FROM models ORDER BY name"):
                    models.append({"model": name, "fingerprint": fp, "dim": dim, "vectors": counts.get(fp, 0)})
            except sqlite3.DatabaseError as exc:
                self._failed(exc)
        size = sum(p.stat().st_size for p in self.dir.glob(f"{FILENAME}*") if p.is_file() and "broken" not in p.name)
        return CacheInfo(path=self.path, size_bytes=size, schema_version=version, models=models)

    def clear(self, fingerprint: str | None = None) -> int:
        """Delete every cached vector (or only one model's); return how many were deleted."""
        conn = self._connect()
        if conn is None:
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


def is_corruption(exc: sqlite3.DatabaseError) -> bool:
    """Whether an SQLite error proves the file itself is damaged or not ours.

    Busy, locked, read-only, I/O and other operational errors are not: moving a healthy shared cache
    aside because of them would pull the file from under other processes.
    """
    return any(marker in str(exc).lower() for marker in _CORRUPTION_MARKERS)


def _statements() -> list[str]:
    return [s.strip() for s in _SCHEMA.split(";") if s.strip()]


@contextlib.contextmanager
def _immediate(conn: sqlite3.Connection) -> Iterator[None]:
    """A write transaction that takes the lock up front (no deadlock between upgrading readers)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


class CachedEncoder(Encoder):
    """An :class:`Encoder` that consults an :class:`EmbeddingCache` before running the model.

    Only texts missing from the cache reach the wrapped encoder, in one batch;
    their vectors are then stored.
    """

    def __init__(self, encoder: Encoder, cache: EmbeddingCache) -> None:
        self.inner = encoder
        self.cache = cache
        self.name = encoder.name
        self.fingerprint = encoder.fingerprint
        self.dim = encoder.dim

    def _encode_unique(self, texts: list[str]) -> np.ndarray:
        found = self.cache.get_many(self.fingerprint, texts, self.dim)
        missing = [t for t in texts if t not in found]
        if missing:
            fresh = self.inner.encode(missing)
            self.cache.put_many(self.fingerprint, self.name, missing, fresh)
            found.update(zip(missing, fresh, strict=True))
        return np.stack([found[t] for t in texts]).astype(np.float32, copy=False)
