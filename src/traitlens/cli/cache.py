"""``traitlens cache info`` and ``traitlens cache clear``: the embedding cache."""

from __future__ import annotations

import json

import typer

from traitlens.cache import EmbeddingCache
from traitlens.cli.options import CacheDirOpt, FingerprintOpt, JsonOpt
from traitlens.cli.shell import reporting, stderr


def info_cmd(cache_dir: CacheDirOpt = None, as_json: JsonOpt = False) -> None:
    """Show where the embedding cache is, its size, and how many vectors it holds per model."""
    with reporting():
        info = EmbeddingCache(cache_dir).info()
    if as_json:
        typer.echo(json.dumps({"path": str(info.path), "size_bytes": info.size_bytes,
                               "schema_version": info.schema_version, "vectors": info.n_vectors,
                               "models": info.models}, indent=1))
        return
    typer.echo(f"path: {info.path}")
    typer.echo(f"size: {info.size_bytes / 1e6:.2f} MB")
    typer.echo(f"vectors: {info.n_vectors}")
    for m in info.models:
        typer.echo(f"  {m['model']} ({m['fingerprint']}, {m['dim']}-d): {m['vectors']} vectors")


def clear_cmd(cache_dir: CacheDirOpt = None, fingerprint: FingerprintOpt = None) -> None:
    """Delete cached vectors (all, or one model's)."""
    with reporting():
        if cache_dir is not None and not cache_dir.exists():
            stderr(f"{cache_dir}: no cache there (the folder does not exist); nothing deleted")
            return
        cache = EmbeddingCache(cache_dir)
        if fingerprint is not None:
            known = {m["fingerprint"]: m["model"] for m in cache.info().models}
            if fingerprint not in known:  # said, not an error: clearing what is not there leaves it cleared
                shown = ", ".join(f"{f} ({name})" for f, name in known.items()) or "no model"
                stderr(f"warning: no cached vectors of a model with fingerprint {fingerprint!r} (a model's 16-hex "
                       f"fingerprint, as `traitlens cache info` shows); the cache holds {shown}")
        n = cache.clear(fingerprint)
    stderr(f"deleted {n} cached vectors")
