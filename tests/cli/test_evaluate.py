"""``traitlens evaluate``: argument checks with the fake model, and (slow) runs on real data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer.main

from traitlens.cli import app
from traitlens.cli.options import OutputFormat
from traitlens.evaluation import RESULT_COLUMNS, available_methods


def test_unknown_method_fails_before_any_work(runner, loads, tmp_path):
    result = runner.invoke(app, ["evaluate", "--suite", "bfi", "--method", "nope",
                                 "-o", str(tmp_path / "no" / "dir" / "out.csv"), "--plot-dir", str(tmp_path / "x")])
    assert result.exit_code == 2  # a usage error, as an unknown suite
    assert f"unknown method 'nope'; choose from {', '.join(available_methods())}" in " ".join(
        result.stderr.replace("│", " ").split())
    assert "does not exist" not in result.stderr and "--plot-dir" not in result.stderr  # checked first
    assert loads == [] and "evaluating" not in result.stderr
    assert result.stdout == ""


def test_unknown_suite_is_still_a_usage_error(runner, loads):
    result = runner.invoke(app, ["evaluate", "--suite", "nope", "--method", "nope"])
    assert result.exit_code == 2 and "unknown suite 'nope'" in result.stderr


def test_format_help_lists_every_accepted_format():
    command = typer.main.get_command(app).commands["evaluate"]
    [option] = [p for p in command.params if "--format" in p.opts]
    assert option.help.startswith("table, csv, json or parquet (default: table on stdout")
    assert [f.value for f in OutputFormat] == ["table", "csv", "json", "parquet"]


def test_every_listed_format_is_accepted(runner, loads, tmp_path):
    for fmt in OutputFormat:  # the suite data is absent, so each run stops at exit 1, after parsing
        result = runner.invoke(app, ["evaluate", "-s", "bfi", "-F", fmt.value, "--data-dir", str(tmp_path)])
        assert result.exit_code == 1 and "file not found" in result.stderr, result.stderr


@pytest.mark.slow
def test_json_and_plots_on_real_data(runner, tmp_path, shared_data):
    result = runner.invoke(app, ["evaluate", "--suite", "bfi", "--data-dir", str(shared_data), "--n-boot", "20",
                                 "-F", "json", "--plot-dir", str(tmp_path / "plots")])  # made if missing
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["provenance"]["suite"] == "bfi" and data["provenance"]["n_boot"] == 20
    assert data["provenance"]["data_dir"] == str(Path(shared_data).resolve())
    assert set(data["results"][0]) == set(RESULT_COLUMNS)
    assert {"item_r", "scale_r", "alpha_r", "factor_accuracy"} <= {r["metric"] for r in data["results"]}
    names = sorted(p.name for p in (tmp_path / "plots").iterdir())
    assert "bfi_cosine_items.html" in names and "bfi_cosine_factor-confusion.html" in names


@pytest.mark.slow
def test_bad_input(runner, tmp_path):
    assert runner.invoke(app, ["evaluate", "--suite", "nope"]).exit_code == 2
    result = runner.invoke(app, ["evaluate", "--suite", "bfi", "--data-dir", str(tmp_path)])
    assert result.exit_code == 1 and "file not found" in result.stderr
    result = runner.invoke(app, ["evaluate", "--suite", "bfi", "--method", "nope"])
    assert result.exit_code == 2 and "unknown method" in result.stderr
