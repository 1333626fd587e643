"""Resource limits: giant texts, huge inputs, big taxonomies, an unwritable or full cache."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from traitlens.cache import CachedEncoder, CacheWarning, EmbeddingCache
from traitlens.errors import InputError
from traitlens.io.texts import MAX_TEXT_CHARS, MAX_TEXTS, prepare_texts

from ..fakes import FakeEncoder

ROOT = Path(__file__).resolve().parents[2]


def test_more_texts_than_one_run_takes_are_refused_clearly():
    with pytest.raises(InputError, match=r"100,001 texts are more than one in-memory run takes \(100,000.*"
                                         r"--out OUT.parquet"):
        prepare_texts(["x"] * (MAX_TEXTS + 1))


_CLI_WITH_PEAK = """
import sys
from traitlens.cli import app
try:
    app(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
# VmHWM is this program's own peak; ru_maxrss would carry over the forking parent's (pytest's) peak on Linux.
hwm = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(f"peak-rss-mb {hwm / 1024:.0f}", file=sys.stderr)
sys.exit(code)
"""


@pytest.mark.slow
def test_a_50_mb_line_is_cut_once_and_stays_in_bounded_memory(tmp_path):
    path = tmp_path / "giant.txt"
    with open(path, "w") as fh:
        fh.write("I like parties. \n")
        fh.write("I enjoy meeting people at parties " * 1_500_000 + "\n")  # 51 MB on one line
    started = time.time()
    proc = subprocess.run([sys.executable, "-c", _CLI_WITH_PEAK, "similarity", "--file", str(path), "--format",
                           "csv", "--out", str(tmp_path / "out.csv"), "--no-cache"], capture_output=True, text=True,
                          timeout=600, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    seconds = time.time() - started
    assert proc.returncode == 0, proc.stderr
    peak = float(proc.stderr.strip().splitlines()[-1].split()[-1])
    assert proc.stderr.count("were cut to that length") == 1
    import pandas as pd

    rows = pd.read_csv(tmp_path / "out.csv")
    assert rows["sentence"].str.len().max() < MAX_TEXT_CHARS + 60  # never the 51 MB text in a row
    assert rows["sentence"].iloc[-1].endswith("characters in all]")
    assert peak < 2048, f"peak {peak:.0f} MB"
    assert seconds < 300


@pytest.mark.slow
def test_a_taxonomy_of_10000_constructs_loads_and_scores(tmp_path):
    import pandas as pd

    import traitlens

    rows = [{"factor": f"Construct {i}", "keyword": f"word{i} {s}"} for i in range(10_000) for s in "ab"]
    pd.DataFrame(rows).to_csv(tmp_path / "big.csv", index=False)
    frame = traitlens.similarity(["I like parties"], taxonomy=tmp_path / "big.csv", model=FakeEncoder(), cache=False)
    assert len(frame) == 20_000 and frame["factor"].nunique() == 10_000


_FULL_DISK = """
import resource, signal, sys, warnings
sys.path.insert(0, {root!r})
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead of killing us
resource.setrlimit(resource.RLIMIT_FSIZE, (150_000, 150_000))  # files of at most 150 kB: a "full disk"
from tests.fakes import FakeEncoder
from traitlens.cache import CachedEncoder, CacheWarning, EmbeddingCache
texts = [f"text {{i}}" for i in range(2000)]
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    out = CachedEncoder(FakeEncoder(dim=384), EmbeddingCache(sys.argv[1]), commit_every=50).encode(texts)
    again = CachedEncoder(FakeEncoder(dim=384), EmbeddingCache(sys.argv[1]), commit_every=50).encode(texts[:10])
assert out.tobytes() == FakeEncoder(dim=384).encode(texts).tobytes(), "results must not change"
assert again.tobytes() == out[:10].tobytes()
print([str(w.message) for w in caught if issubclass(w.category, CacheWarning)])
"""


@pytest.mark.slow
def test_a_full_cache_disk_falls_back_to_no_cache_with_one_warning(tmp_path):
    script = _FULL_DISK.format(root=str(ROOT))
    proc = subprocess.run([sys.executable, "-c", script, str(tmp_path / "cache")], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    messages = eval(proc.stdout.strip().splitlines()[-1])  # noqa: S307 - our own printed list
    assert len(messages) == 1 and "running without the embedding cache" in messages[0], messages
    assert not list((tmp_path / "cache").glob("*broken*")), "a full disk is not a damaged file"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to read-only folders")
def test_a_read_only_cache_folder_falls_back_with_one_warning(tmp_path, fake_encoder):
    folder = tmp_path / "cache"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.warns(CacheWarning, match="running without the embedding cache") as caught:
            out = CachedEncoder(fake_encoder, EmbeddingCache(folder)).encode(["a", "b"])
        assert len([w for w in caught if issubclass(w.category, CacheWarning)]) == 1
        np.testing.assert_array_equal(out, fake_encoder.encode(["a", "b"]))
    finally:
        folder.chmod(0o755)


def test_helper_scripts_compile():
    compile(textwrap.dedent(_FULL_DISK.format(root="/")), "full-disk", "exec")
    compile(_CLI_WITH_PEAK, "cli-peak", "exec")
