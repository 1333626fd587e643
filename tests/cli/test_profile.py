"""``traitlens profile`` and ``traitlens assign``, with the fake model and (slow) with the real one."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest
import typer.main

from traitlens.cli import app
from traitlens.io.tables import read_parquet_provenance


@pytest.mark.parametrize("margin", ["-0.1", "1.5"])
def test_min_margin_outside_0_1_is_a_usage_error(runner, loads, margin):
    result = runner.invoke(app, ["assign", "x", "--min-margin", margin])
    assert result.exit_code == 2
    bound = "greater than or equal to 0" if margin.startswith("-") else "less than or equal to 1"
    assert "Invalid value for '--min-margin'" in result.stderr and bound in result.stderr
    assert loads == []  # refused before any work


def test_min_margin_range_is_in_the_help(run):
    assert "[0<=x<=1]" in run("assign", "--help").stdout


@pytest.mark.parametrize("margin", ["0", "1"])
def test_min_margin_bounds_are_accepted(run, loads, margin):
    result = run("assign", "I plan my days.", "I panic easily.", "--min-margin", margin, "-F", "csv",
                 "--exemplars", "taxonomy")
    assert result.exit_code == 0, result.stderr
    frame = pd.read_csv(io.StringIO(result.stdout))
    assert list(frame.columns) == ["text", "construct", "key", "score", "margin", "confident", "key_confident"]
    assert frame["confident"].all() if margin == "0" else not frame["confident"].any()


def test_profile_and_assign_share_their_options():
    def options(command):
        return [p.opts[0] for p in typer.main.get_command(app).commands[command].params]

    shared = ["texts", "--file", "--column", "--example", "--taxonomy", "--level", "--model", "--exemplars",
              "--data-dir", "--format", "--out", "--plot", "--cache-dir", "--no-cache", "--local-files-only",
              "--backend"]
    scaling = ["--chunk-size", "--resume", "--engine", "--address", "--workers"]  # big files: profile only
    assert [o for o in options("profile") if o not in {"--radar", *scaling}] == shared
    assert [o for o in options("profile") if o in scaling] == scaling
    assert [o for o in options("assign") if o not in {"--min-margin", "--min-key-contrast"}] == shared


def test_profile_passes_its_options_to_the_api(run, loads, tmp_path):
    result = run("profile", "I panic easily.", "-t", "bigfive-facets", "--level", "facet", "--exemplars",
                 "taxonomy", "-m", "m", "-o", str(tmp_path / "p.csv"))
    assert result.exit_code == 0, result.stderr
    frame = pd.read_csv(tmp_path / "p.csv")
    assert len(frame) == 30 and loads == ["m"]
    assert "taxonomy bigfive-facets" in result.stderr


@pytest.mark.slow
def test_profile_and_assign_with_the_real_model(runner, tmp_path):
    result = runner.invoke(app, ["profile", "I panic easily.", "-F", "json", "--plot", str(tmp_path / "p.html")])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {r["construct"] for r in data["results"]} == {"Openness", "Conscientiousness", "Extraversion",
                                                         "Agreeableness", "Neuroticism"}
    assert (tmp_path / "p.html").exists()
    result = runner.invoke(app, ["assign", "--example", "-F", "csv", "--min-margin", "0", "--plot",
                                 str(tmp_path / "l.html")])
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(pd.io.common.StringIO(result.stdout))
    assert list(frame.columns) == ["text", "construct", "key", "score", "margin", "confident", "key_confident"]
    assert len(frame) == 5
    result = runner.invoke(app, ["profile", "x", "--level", "domain"])
    assert result.exit_code == 2
    result = runner.invoke(app, ["assign", "x y z", "-t", "bigfive", "--level", "facet"])
    assert result.exit_code == 1 and "has no facets" in result.stderr


def test_profile_streams_a_file_to_parquet_and_resume_needs_one(run, loads, tmp_path):
    source = tmp_path / "in.txt"
    source.write_text("I plan my days.\n\nI panic easily.\nI love parties.\n")
    out = tmp_path / "scores.parquet"
    result = run("profile", "--file", str(source), "--out", str(out), "--chunk-size", "2", "--backend", "onnx")
    assert result.exit_code == 0, result.stderr
    assert "from 3 texts, 2 chunks" in result.stderr
    frame = pd.read_parquet(out)
    assert frame["text"].unique().tolist() == ["I plan my days.", "I panic easily.", "I love parties."]
    assert read_parquet_provenance(out)["streaming"]["chunk_size"] == 2
    assert run("profile", "I plan.", "--resume").exit_code == 2
    assert run("profile", "--file", str(source), "--out", str(out), "--plot", "p.html").exit_code == 2


def test_an_unreachable_ray_cluster_is_exit_1(run, loads, tmp_path):
    pytest.importorskip("ray")
    source = tmp_path / "in.txt"
    source.write_text("I plan my days.\n")
    result = run("profile", "--file", str(source), "--out", str(tmp_path / "o.parquet"), "--engine", "ray",
                 "--address", "ray://127.0.0.1:9")
    assert result.exit_code == 1
    assert "not reachable" in result.stderr
