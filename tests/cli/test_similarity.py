"""``traitlens similarity``, and the shared shell of the text commands (input, output, errors, model)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from traitlens.cli import app
from traitlens.io.tables import read_parquet_provenance

slow = pytest.mark.slow  # the real bundled model, loaded once per session


@slow
def test_example_csv_to_stdout_is_plain_csv(run):
    result = run("similarity", "--example", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    frame = pd.read_csv(io.StringIO(result.stdout))
    assert frame.shape == (75, 4)
    assert list(frame.columns) == ["sentence", "factor", "keyword", "similarity"]
    assert not result.stdout.startswith("#")
    assert "traitlens 0.1.0" in result.stderr  # provenance goes to stderr, not into the data


@slow
def test_example_table(run):
    result = run("similarity", "--example")
    assert result.exit_code == 0
    assert result.stdout.count("I like to work hard.") == 15
    assert "Emotional instability" in result.stdout


@slow
def test_json_envelope_and_by_factor(run):
    result = run("similarity", "I plan my days.", "I panic easily.", "--by", "factor", "-F", "json")
    data = json.loads(result.stdout)
    assert data["provenance"]["model"]["id"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert data["provenance"]["aggregation"] == {"by": "factor", "stats": ["mean", "max"]}
    assert len(data["results"]) == 10
    assert set(data["results"][0]) == {"sentence", "factor", "mean", "max"}


@slow
def test_file_outputs_carry_provenance(run, tmp_path):
    texts = tmp_path / "in.csv"
    texts.write_text("id,item\n1,I like to work hard.\n2,I love trying new things.\n")
    out = tmp_path / "o.parquet"
    assert run("similarity", "-f", str(texts), "-c", "item", "-o", str(out)).exit_code == 0
    assert pd.read_parquet(out).shape == (30, 4)
    assert read_parquet_provenance(out)["taxonomy"]["name"] == "bigfive-keywords"
    csv_out = tmp_path / "o.csv"
    assert run("similarity", "-f", str(texts), "-c", "item", "-o", str(csv_out)).exit_code == 0
    meta = json.loads((tmp_path / "o.csv.meta.json").read_text())
    assert meta["provenance"]["model"]["fingerprint"] and meta["data"] == "o.csv"
    assert not list(tmp_path.glob(".*.tmp"))


@slow
def test_plot_html(run, tmp_path):
    result = run("similarity", "--example", "--plot", str(tmp_path / "h.html"), "-F", "csv")
    assert result.exit_code == 0
    html = (tmp_path / "h.html").read_text()
    assert "all-MiniLM-L6-v2" in html and "bigfive-keywords" in html


@slow
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["similarity", "-t", "big6", "x"], "unknown taxonomy 'big6'"),
        (["similarity", "-m", "sentence-transformers/not-downloaded-model", "x"], "not available offline"),
        (["similarity", "-f", "{tmp}/missing.txt"], "file not found"),
        (["similarity", "-f", "{tmp}/empty.txt"], "no texts to analyse"),
        (["similarity", "-f", "{tmp}/bad.csv"], "line 3, column 3: row has 3 fields"),
        (["similarity", "-f", "{tmp}/latin.txt"], "line 1, column 2: not valid UTF-8"),
        (["similarity", "-f", "{tmp}/good.csv", "-c", "nope"], "missing column 'nope'"),
        (["similarity", "x", "-o", "{tmp}/no/such/dir/out.csv"], "folder {tmp}/no/such/dir does not exist"),
        (["similarity", "x", "-F", "parquet"], "give a file with --out"),
        (["similarity", "x", "-t", "{tmp}/tax.yaml"], "line 3, field factors.0.name"),
    ],
)
def test_bad_input_exits_1_with_message(runner, tmp_path, args, message):
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "bad.csv").write_text("text,id\na,1\nb,2,3\n")
    (tmp_path / "good.csv").write_text("text\na\n")
    (tmp_path / "latin.txt").write_bytes("xé".encode("latin-1"))
    (tmp_path / "tax.yaml").write_text("name: t\nfactors:\n  - keywords: [x]\n")
    result = runner.invoke(app, [a.format(tmp=tmp_path) for a in args])
    assert result.exit_code == 1, result.output
    assert message.format(tmp=tmp_path) in result.stderr
    assert result.stdout == ""


@slow
def test_failed_run_leaves_existing_output_untouched(runner, tmp_path):
    target = tmp_path / "existing.csv"
    target.write_text("precious")
    result = runner.invoke(app, ["similarity", "x", "-t", "nope", "-o", str(target)])
    assert result.exit_code == 1
    assert target.read_text() == "precious"
    folder = tmp_path / "ro"
    folder.mkdir()
    result = runner.invoke(app, ["similarity", "x", "-F", "csv", "-o", str(folder)])
    assert result.exit_code == 1 and "output path is a folder" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["existing.csv", "ro"]


def test_usage_errors_exit_2(runner, loads):
    assert runner.invoke(app, ["similarity"]).exit_code == 2
    assert runner.invoke(app, ["similarity", "x", "--by", "sentence"]).exit_code == 2
    assert runner.invoke(app, ["similarity", "x", "--plot", "a.pdf"]).exit_code == 2
    assert runner.invoke(app, ["similarity", "--example", "x"]).exit_code == 2
    assert runner.invoke(app, ["similarity", "x", "--column", "text"]).exit_code == 2
    assert loads == []


def test_texts_reach_the_api_through_the_fake_encoder(run, loads, tmp_path):
    result = run("similarity", "I plan my days.", "-m", "some/model", "--by", "factor", "-F", "csv")
    assert result.exit_code == 0, result.stderr
    assert loads == ["some/model"]
    frame = pd.read_csv(io.StringIO(result.stdout))
    assert list(frame.columns) == ["sentence", "factor", "mean", "max"] and len(frame) == 5
    assert "fake/hash-encoder" in result.stderr  # the provenance line


@slow
def test_garbage_cache_warns_and_succeeds(run, tmp_path):
    (tmp_path / "embeddings.sqlite3").write_bytes(os.urandom(5000))
    result = run("similarity", "x", "--cache-dir", str(tmp_path), "-F", "csv")
    assert result.exit_code == 0
    assert "warning: embedding cache" in result.stderr and "moved it to" in result.stderr


@slow
def test_loading_the_model_is_said_once_and_only_when_it_is_needed(run, tmp_path):
    from traitlens.encoders.sentence_transformer import _load_sentence_transformer

    _load_sentence_transformer.cache_clear()  # as in a fresh process
    line = "loading model sentence-transformers/all-MiniLM-L6-v2 …"
    cold = run("similarity", "I plan my days.", "--cache-dir", str(tmp_path), "-F", "csv")
    assert cold.exit_code == 0 and cold.stderr.count(line) == 1
    warm = run("similarity", "I plan my days.", "--cache-dir", str(tmp_path), "-F", "csv")
    assert warm.exit_code == 0 and "loading model" not in warm.stderr  # every vector came from the cache
    assert warm.stdout == cold.stdout
    uncached = run("similarity", "I plan my days.", "--no-cache", "-F", "csv")
    assert "loading model" not in uncached.stderr and uncached.stdout == cold.stdout  # loaded once per process


@slow
def test_real_subprocess(tmp_path):
    env = {**os.environ, "TRAITLENS_CACHE_DIR": str(tmp_path)}
    exe = Path(sys.executable).with_name("traitlens")
    proc = subprocess.run([str(exe), "similarity", "--example", "-F", "csv"], capture_output=True, text=True,
                          env=env, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.strip().splitlines()) == 76
    assert "loading model" in proc.stderr
    bad = subprocess.run([str(exe), "similarity", "-t", "nope", "x"], capture_output=True, text=True, env=env,
                         timeout=300, check=False)
    assert bad.returncode == 1 and "error: unknown taxonomy" in bad.stderr
    module = subprocess.run([sys.executable, "-m", "traitlens.cli", "--version"], capture_output=True, text=True,
                            env=env, timeout=300, check=False)
    assert module.returncode == 0 and module.stdout.strip() == "traitlens 0.1.0"


def test_similarity_streams_a_file_to_parquet(run, loads, tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("id,text\n1,I plan my days.\n2,I panic easily.\n3,I love parties.\n")
    out = tmp_path / "s.parquet"
    result = run("similarity", "-f", str(source), "-o", str(out), "--chunk-size", "2")
    assert result.exit_code == 0, result.stderr
    assert pd.read_parquet(out).shape == (45, 4)
    assert read_parquet_provenance(out)["streaming"]["chunks"] == 2
    refused = run("similarity", "-f", str(source), "-o", str(out), "--by", "factor")
    assert refused.exit_code == 2 and "--by" in refused.stderr
