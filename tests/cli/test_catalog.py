"""``traitlens taxonomies`` and ``traitlens inventories``."""

from __future__ import annotations

import io
import json

import pandas as pd


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
