"""``traitlens taxonomies`` and ``traitlens inventories``."""

from __future__ import annotations

import io
import json

import pandas as pd

from traitlens.cli import app


def test_taxonomies(run):
    result = run("taxonomies")
    assert result.exit_code == 0
    names = [line.split("\t")[0] for line in result.stdout.splitlines()]
    assert {"bigfive", "bigfive-facets", "bigfive-keywords"} <= set(names)


def test_inventories_formats_agree(run):
    records = json.loads(run("inventories", "--format", "json").stdout)
    frame = pd.read_csv(io.StringIO(run("inventories", "-F", "csv").stdout))
    assert [r["name"] for r in records] == frame["name"].tolist()
    assert "ipip50" in run("inventories").stdout
    assert run("inventories", "--help").stdout.count("table, csv or json.") == 1


def test_inventories_lists_the_builtins(runner):
    result = runner.invoke(app, ["inventories", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = {r["name"]: r for r in json.loads(result.stdout)}
    counts = {"ipip50": 50, "bfi": 25, "ipip-neo-120": 120, "ipip-neo-300": 300, "spi135": 135, "adjectives100": 100}
    assert {n: r["n_items"] for n, r in rows.items()} == counts
    assert (rows["spi135"]["n_factors"], rows["spi135"]["n_scales"]) == (5, 27)
    assert (rows["ipip-neo-300"]["n_facets"], rows["ipip50"]["n_facets"]) == (30, 0)
    result = runner.invoke(app, ["inventories", "--format", "csv"])
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == "name,n_items,n_factors,n_facets,n_scales,description"
    result = runner.invoke(app, ["inventories"])
    assert result.exit_code == 0 and "ipip-neo-120" in result.stdout
    assert runner.invoke(app, ["inventories", "--format", "xml"]).exit_code == 2
