"""Packaged models: split-zip part packages → one folder in the user cache, atomically, once.

Synthetic "part packages" (a ``.dist-info`` with METADATA and RECORD, and one zip piece each) are built
in a temporary folder put on ``sys.path``, so the real ``importlib.metadata`` lookup finds them and no
420 MB download is needed.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import tomllib
import zipfile
from pathlib import Path

import numpy as np
import pytest

from traitlens.encoders import packaged, resolve_model
from traitlens.encoders.packaged import MANIFEST, PACKAGED_MODELS, PackagedModel, ensure_model, find_packaged
from traitlens.encoders.sentence_transformer import bundled_model_path, fingerprint_folder
from traitlens.errors import ModelUnavailableError

ROOT = Path(__file__).resolve().parents[2]

FILES = {
    "modules.json": b'[{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"}]',
    "config.json": b'{"hidden_size": 8}',
    "model.safetensors": bytes(range(256)) * 400,
    "1_Pooling/config.json": b'{"word_embedding_dimension": 8, "pooling_mode_mean_tokens": true}',
    "README.md": b"# tiny\n",
}


def tiny_model(n_parts: int = 3, tag: str = "tiny") -> PackagedModel:
    return PackagedModel(
        model_id=f"example/{tag}-model",
        aliases=(tag,),
        hub_names=(f"{tag}-model", f"example/{tag}-model"),
        parts=tuple(f"tl-test-{tag}-part-{i:03d}" for i in range(1, n_parts + 1)),
        member_prefix=f"{tag}-model/",
        folder=f"{tag}-model",
        extra=tag,
        size_mb=1,
    )


def zip_bytes(files: dict[str, bytes], prefix: str, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as zf:
        zf.writestr(prefix, b"")  # the folder entry
        for name, data in files.items():
            zf.writestr(prefix + name, data)
        zf.writestr(prefix + "desktop.ini", b"[.ShellClassInfo]")  # skipped, as the shared script does
        zf.writestr("elsewhere/notes.txt", b"outside the prefix: ignored")
    return buffer.getvalue()


def install_parts(site: Path, model: PackagedModel, archive: bytes, version: str = "0.0.1") -> list[Path]:
    """Write one installed distribution per part (dist-info + piece), as pip would; return the pieces."""
    site.mkdir(parents=True, exist_ok=True)
    size = -(-len(archive) // len(model.parts))
    pieces = []
    for i, package in enumerate(model.parts, start=1):
        chunk = archive[(i - 1) * size:i * size]
        top = package.replace("-", "_")
        rel = f"{top}/input/model.zip.{i:03d}"
        piece = site / rel
        piece.parent.mkdir(parents=True, exist_ok=True)
        piece.write_bytes(chunk)
        info = site / f"{top}-{version}.dist-info"
        info.mkdir(exist_ok=True)
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {package}\nVersion: {version}\n")
        digest = base64.urlsafe_b64encode(hashlib.sha256(chunk).digest()).rstrip(b"=").decode()
        (info / "RECORD").write_text(f"{rel},sha256={digest},{len(chunk)}\n{info.name}/METADATA,,\n")
        pieces.append(piece)
    return pieces


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    """A tiny packaged model whose three parts are installed in a site folder on sys.path."""
    model = tiny_model()
    site = tmp_path / "site"
    pieces = install_parts(site, model, zip_bytes(FILES, model.member_prefix))
    monkeypatch.syspath_prepend(str(site))
    return model, pieces, site


def assert_complete(folder: Path) -> None:
    for name, data in FILES.items():
        assert (folder / name).read_bytes() == data
    assert not (folder / "desktop.ini").exists() and not (folder / "notes.txt").exists()
    manifest = json.loads((folder / MANIFEST).read_text())
    assert set(manifest["files"]) == set(FILES)
    assert [p["package"] for p in manifest["parts"]] == list(tiny_model().parts)


def leftovers(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if ".tmp-" in p.name or ".old-" in p.name)


# --- the table and the alias ------------------------------------------------------------------------------------


def test_aliases_and_hub_names_find_the_packaged_model():
    mpnet = PACKAGED_MODELS["mpnet"]
    assert find_packaged("mpnet") == (mpnet, True)
    assert find_packaged(" MPNet ") == (mpnet, True)
    assert find_packaged("all-mpnet-base-v2") == (mpnet, False)
    assert find_packaged("sentence-transformers/all-MPNet-base-v2") == (mpnet, False)
    assert find_packaged("all-MiniLM-L6-v2") is None
    assert find_packaged("org/mpnet") is None


def test_every_packaged_model_has_its_extra_and_dev_has_none():
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    for model in PACKAGED_MODELS.values():
        pinned = [req.split("==")[0] for req in extras[model.extra]]
        assert pinned == list(model.parts)
        dev = " ".join(extras["dev"])
        assert f"traitlens[{model.extra}]" not in dev  # CI downloads none of them
        assert not any(part in dev for part in model.parts)


def test_part_lookup_uses_the_installed_files(tiny):
    model, pieces, _ = tiny
    part = packaged.find_part(model.parts[1], model.part_pattern)
    assert part.path.resolve() == pieces[1].resolve()
    assert part.version == "0.0.1" and part.size == pieces[1].stat().st_size
    assert packaged.find_part("tl-test-no-such-part", model.part_pattern) is None


def test_joined_files_read_and_seek_across_pieces(tmp_path):
    rng = np.random.default_rng(0)
    data = rng.integers(0, 256, 10_000, dtype=np.uint8).tobytes()
    cuts = [0, 1, 4096, 4097, 9000, 10_000]
    paths = []
    for i, (a, b) in enumerate(zip(cuts, cuts[1:], strict=False)):
        paths.append(tmp_path / f"p{i}")
        paths[-1].write_bytes(data[a:b])
    with packaged._JoinedFiles(paths) as joined:
        assert joined.read() == data
        for _ in range(50):
            start, n = int(rng.integers(0, 10_000)), int(rng.integers(0, 5000))
            joined.seek(start)
            assert joined.read(n) == data[start:start + n]
        assert joined.seek(-10, os.SEEK_END) == 9990 and joined.read() == data[-10:]


# --- assembly -----------------------------------------------------------------------------------------------------


def test_assembles_the_folder_from_the_parts(tiny, tmp_path, caplog):
    model, _, _ = tiny
    root = tmp_path / "models"
    with caplog.at_level("INFO", logger="traitlens"):
        folder = ensure_model(model, root)
    assert folder == root / "tiny-model"
    assert_complete(folder)
    assert "assembling example/tiny-model from 3 installed part packages" in caplog.text
    assert leftovers(root) == []


def test_second_use_is_a_no_op(tiny, tmp_path, monkeypatch):
    model, _, _ = tiny
    root = tmp_path / "models"
    folder = ensure_model(model, root)
    before = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in folder.iterdir()}

    def fail(*args, **kwargs):
        raise AssertionError("assembled again")

    monkeypatch.setattr(packaged, "_extract", fail)
    assert ensure_model(model, root) == folder
    assert {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in folder.iterdir()} == before


@pytest.mark.parametrize("damage", ["no manifest", "truncated weights", "missing file", "other part versions",
                                    "garbage manifest"])
def test_a_partial_or_stale_folder_is_detected_and_redone(tiny, tmp_path, damage, caplog):
    model, _, _ = tiny
    root = tmp_path / "models"
    folder = ensure_model(model, root)
    if damage == "no manifest":  # e.g. a copy killed half-way, by an older tool or by hand
        (folder / MANIFEST).unlink()
        (folder / "config.json").unlink()
    elif damage == "truncated weights":
        with open(folder / "model.safetensors", "r+b") as fh:
            fh.truncate(100)
    elif damage == "missing file":
        (folder / "1_Pooling" / "config.json").unlink()
    elif damage == "other part versions":
        manifest = json.loads((folder / MANIFEST).read_text())
        manifest["parts"][0]["version"] = "0.0.0"
        (folder / MANIFEST).write_text(json.dumps(manifest))
    else:
        (folder / MANIFEST).write_text("{not json")
    with caplog.at_level("WARNING", logger="traitlens"):
        assert ensure_model(model, root) == folder
    assert "assembling it again" in caplog.text
    assert_complete(folder)
    assert leftovers(root) == []


def test_leftovers_of_a_killed_run_are_removed(tiny, tmp_path):
    model, _, _ = tiny
    root = tmp_path / "models"
    stale = root / ".tiny-model.tmp-dead1234" / "tiny-model"
    stale.mkdir(parents=True)
    (stale / "model.safetensors").write_bytes(b"half")  # killed mid-extraction: never renamed into place
    folder = ensure_model(model, root)
    assert_complete(folder)
    assert leftovers(root) == []


def test_a_corrupt_piece_is_a_clear_error_and_leaves_nothing(tiny, tmp_path):
    model, pieces, _ = tiny
    data = bytearray(pieces[1].read_bytes())
    data[len(data) // 2] ^= 0xFF  # same size, so only the zip's CRC-32 (or deflate) can tell
    pieces[1].write_bytes(bytes(data))
    root = tmp_path / "models"
    with pytest.raises(ModelUnavailableError, match="do not form a valid archive.*--force-reinstall"):
        ensure_model(model, root)
    assert not (root / "tiny-model").exists()
    assert leftovers(root) == []


def test_a_truncated_piece_is_named(tiny, tmp_path):
    model, pieces, _ = tiny
    pieces[2].write_bytes(pieces[2].read_bytes()[:-10])
    with pytest.raises(ModelUnavailableError, match=r"tl-test-tiny-part-003 0\.0\.1.*not the .* its package records"):
        ensure_model(model, tmp_path / "models")


def test_an_archive_without_the_model_files_is_refused(tmp_path, monkeypatch):
    model = tiny_model(2, "empty")
    install_parts(tmp_path / "site", model, zip_bytes({"config.json": b"{}"}, model.member_prefix))
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    with pytest.raises(ModelUnavailableError, match="hold no modules.json, model.safetensors"):
        ensure_model(model, tmp_path / "models")
    assert not (tmp_path / "models" / "empty-model").exists()


def test_missing_parts_name_the_extra(tmp_path):
    model = tiny_model(2, "absent")
    with pytest.raises(ModelUnavailableError, match=r"pip install 'traitlens\[absent\]'.*tl-test-absent-part-001"):
        ensure_model(model, tmp_path / "models")
    assert not (tmp_path / "models").exists()


def test_an_unwritable_cache_is_a_clear_error(tiny, tmp_path):
    model, _, _ = tiny
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(ModelUnavailableError, match="could not assemble .*TRAITLENS_CACHE_DIR"):
        ensure_model(model, blocker / "models")


# --- concurrency ------------------------------------------------------------------------------------------------


def test_concurrent_threads_assemble_once(tiny, tmp_path, monkeypatch):
    model, _, _ = tiny
    root = tmp_path / "models"
    calls, extract = [], packaged._extract

    def slow_extract(*args):
        calls.append(1)
        time.sleep(0.3)
        return extract(*args)

    monkeypatch.setattr(packaged, "_extract", slow_extract)
    results, errors = [], []

    def use():
        try:
            results.append(ensure_model(model, root))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=use) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and results == [root / "tiny-model"] * 4
    assert len(calls) == 1
    assert_complete(root / "tiny-model")


SCRIPT = """
import logging, sys, time
sys.path.insert(0, {tests!r})
from test_packaged import tiny_model
from traitlens.encoders import packaged
logging.basicConfig(level=logging.INFO, format="%(process)d %(message)s")
extract = packaged._extract
def slow(*args):
    time.sleep(0.5)
    return extract(*args)
packaged._extract = slow
while time.time() < float(sys.argv[1]):
    time.sleep(0.01)
print(packaged.ensure_model(tiny_model(), {root!r}))
"""


@pytest.mark.slow
def test_concurrent_processes_assemble_once(tiny, tmp_path):
    _, _, site = tiny
    root = tmp_path / "models"
    script = tmp_path / "use.py"
    script.write_text(SCRIPT.format(tests=str(Path(__file__).parent), root=str(root)))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}
    start = str(time.time() + 4)  # all start together, after their imports
    procs = [subprocess.Popen([sys.executable, str(script), start], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=env) for _ in range(3)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], outs
    assert {out.strip() for out, _ in outs} == {str(root / "tiny-model")}
    logs = "".join(err for _, err in outs)
    assert logs.count("assembling example/tiny-model") == 1, logs
    assert_complete(root / "tiny-model")
    assert leftovers(root) == []


# --- resolution through resolve_model / the encoder ------------------------------------------------------------


def test_alias_resolves_into_the_cache_dir(tiny, monkeypatch):
    model, _, _ = tiny
    monkeypatch.setitem(PACKAGED_MODELS, "tiny", model)
    name, path = resolve_model("tiny")
    assert name == "example/tiny-model"
    assert path == Path(os.environ["TRAITLENS_CACHE_DIR"]) / "models" / "tiny-model"
    assert_complete(path)
    # the hub id too, as no Hugging Face copy is cached (HF_HUB_OFFLINE=1 from conftest)
    assert resolve_model("example/tiny-model") == (name, path)
    assert resolve_model("tiny-model", local_files_only=True) == (name, path)


def test_real_mpnet_alias_without_parts_names_the_extra(monkeypatch):
    monkeypatch.setattr(packaged, "find_part", lambda package, pattern: None)
    for spec in ("mpnet", "all-mpnet-base-v2", "sentence-transformers/all-mpnet-base-v2"):
        with pytest.raises(ModelUnavailableError, match=r"pip install 'traitlens\[mpnet\]'"):
            resolve_model(spec)
    with pytest.raises(ModelUnavailableError, match="not available offline"):  # other hub ids: as before
        resolve_model("sentence-transformers/all-distilroberta-v1")


def test_fingerprint_of_a_folder_inside_a_dot_cache(tmp_path):
    """The assembled folder lives in ~/.cache: only a .cache *inside* a model folder is skipped."""
    outside = tmp_path / "plain" / "m"
    outside.mkdir(parents=True)
    (outside / "model.safetensors").write_bytes(b"\x01" * 64)
    inside = tmp_path / ".cache" / "traitlens" / "models" / "m"
    shutil.copytree(outside, inside)
    (inside / MANIFEST).write_text("{}")  # the manifest does not count either
    (inside / ".cache" / "huggingface").mkdir(parents=True)
    (inside / ".cache" / "huggingface" / "x.lock").write_text("lock")
    assert fingerprint_folder(inside) == fingerprint_folder(outside) != fingerprint_folder(tmp_path / "plain")


@pytest.mark.slow
def test_a_packaged_model_loads_and_encodes_like_its_source(tmp_path, monkeypatch, real_encoder):
    """The bundled MiniLM, split into three part packages, assembles into a folder with the same vectors."""
    source = bundled_model_path()
    files = {p.relative_to(source).as_posix(): p.read_bytes() for p in sorted(source.rglob("*"))
             if p.is_file() and "__pycache__" not in p.parts}
    model = tiny_model(3, "minilm")
    install_parts(tmp_path / "site", model, zip_bytes(files, model.member_prefix, zipfile.ZIP_STORED))
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.setitem(PACKAGED_MODELS, "minilm", model)
    from traitlens.encoders import SentenceTransformerEncoder

    encoder = SentenceTransformerEncoder("minilm")
    assert encoder.name == "example/minilm-model" and encoder.dim == 384
    assert encoder.fingerprint == real_encoder.fingerprint
    texts = ["I like to work hard.", "I panic easily."]
    np.testing.assert_array_equal(encoder.encode(texts), real_encoder.encode(texts))


@pytest.mark.slow
def test_real_mpnet_parts_if_installed(tmp_path):
    """With ``traitlens[mpnet]`` installed: the alias gives the model the shared script assembles (same files)."""
    mpnet = PACKAGED_MODELS["mpnet"]
    if not all(packaged.find_part(p, mpnet.part_pattern) for p in mpnet.parts):
        pytest.skip("the mpnet extra is not installed (pip install 'traitlens[mpnet]')")
    name, folder = resolve_model("mpnet")
    try:
        assert name == "sentence-transformers/all-mpnet-base-v2"
        assert folder == Path(os.environ["TRAITLENS_CACHE_DIR"]) / "models" / "all-mpnet-base-v2"
        assert {"modules.json", "model.safetensors", MANIFEST} <= {p.name for p in folder.iterdir()}
        shared = ROOT / ".models" / "all-mpnet-base-v2"
        if shared.is_dir():
            assert fingerprint_folder(folder) == fingerprint_folder(shared)
    finally:
        shutil.rmtree(folder, ignore_errors=True)  # 440 MB
