"""The Ray engine: the same rows as the local engine on a local Ray instance; a clear error for a dead cluster."""

from __future__ import annotations

import time

import pandas as pd
import pytest

import traitlens
from traitlens.errors import InputError
from traitlens.io.tables import read_parquet_provenance
from traitlens.streaming import stream_file

ray = pytest.importorskip("ray")

from traitlens.distributed import ClusterUnavailableError, connect, run_file, score_texts  # noqa: E402

from .fakes import FakeEncoder  # noqa: E402

TEXTS = [f"I {verb} {thing}." for verb in ("plan", "enjoy", "avoid") for thing in ("parties", "details", "rules")]


def test_an_unreachable_cluster_fails_fast_with_advice():
    started = time.perf_counter()
    with pytest.raises(ClusterUnavailableError, match="not reachable.*ray start --head"):
        connect("ray://127.0.0.1:9")  # the discard port: nothing listens there
    assert time.perf_counter() - started < 10


def test_a_malformed_address_is_an_input_error():
    with pytest.raises(InputError, match="HOST:PORT"):
        connect("ray://head:port")


@pytest.fixture(scope="module")
def local_ray():
    connect(None, num_cpus=4)  # logical CPUs: room for the second actor pool while the first winds down
    yield ray
    ray.shutdown()


@pytest.mark.slow
def test_ray_gives_the_local_scores(local_ray, tmp_path):
    local = traitlens.profile(TEXTS, model=FakeEncoder(), cache=False)
    remote = score_texts(TEXTS, "profile", model=FakeEncoder(), workers=2, batch_size=4)
    # batches of 4 against one call of 9: the same numbers up to BLAS rounding of differently shaped products
    pd.testing.assert_frame_equal(remote.reset_index(drop=True), local.reset_index(drop=True), check_dtype=False,
                                  rtol=1e-12, atol=1e-12)
    assert remote.attrs["provenance"]["engine"] == {"name": "ray", "workers": 2, "address": "local"}

    # a file: Ray batches of 4 against the local engine's chunks of 4 are identical, bit for bit
    source = tmp_path / "in.csv"
    source.write_text("text\n" + "\n".join(TEXTS) + "\n")
    out, streamed = tmp_path / "ray.parquet", tmp_path / "local.parquet"
    summary = run_file(source, out, "profile", workers=2, batch_size=4, model=FakeEncoder())
    stream_file(source, streamed, lambda texts, encoder: traitlens.profile(texts, model=encoder, cache=False),
                FakeEncoder(), chunk_size=4, progress=False)
    written, expected = pd.read_parquet(out), pd.read_parquet(streamed)
    assert summary["rows"] == len(expected) == len(TEXTS) * 5
    pd.testing.assert_frame_equal(written, expected, check_dtype=False)
    assert (written["score"].to_numpy() == expected["score"].to_numpy()).all()
    assert read_parquet_provenance(out)["engine"]["name"] == "ray"
