"""``traitlens cache info`` and ``traitlens cache clear``."""

from __future__ import annotations

import json

import pytest


@pytest.mark.slow
def test_cache_info_and_clear(run, tmp_path):
    run("similarity", "--example", "--cache-dir", str(tmp_path), "-F", "csv")
    info = json.loads(run("cache", "info", "--cache-dir", str(tmp_path), "--json").stdout)
    assert info["vectors"] == 20
    assert info["models"][0]["model"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert "deleted 20" in run("cache", "clear", "--cache-dir", str(tmp_path)).stderr
    assert json.loads(run("cache", "info", "--cache-dir", str(tmp_path), "--json").stdout)["vectors"] == 0


def test_cache_info_text_and_clear_one_model(run, tmp_path):
    result = run("cache", "info", "--cache-dir", str(tmp_path))
    assert result.exit_code == 0 and str(tmp_path) in result.stdout and "vectors: 0" in result.stdout
    result = run("cache", "clear", "--cache-dir", str(tmp_path), "--model-fingerprint", "0123456789abcdef")
    assert result.exit_code == 0 and "deleted 0 cached vectors" in result.stderr
    assert "warning: no cached vectors of a model with fingerprint '0123456789abcdef'" in result.stderr


def test_cache_clear_of_a_folder_that_does_not_exist_creates_nothing(run, tmp_path):
    result = run("cache", "clear", "--cache-dir", str(tmp_path / "nope"))
    assert result.exit_code == 0 and "no cache there" in result.stderr and not (tmp_path / "nope").exists()
