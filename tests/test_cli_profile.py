from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from traitlens.cli import app


@pytest.mark.slow
def test_cli_profile_and_assign(tmp_path):
    runner = CliRunner()
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
    assert list(frame.columns) == ["text", "construct", "key", "score", "margin", "confident"] and len(frame) == 5
    result = runner.invoke(app, ["profile", "x", "--level", "domain"])
    assert result.exit_code == 2
    result = runner.invoke(app, ["assign", "x y z", "-t", "bigfive", "--level", "facet"])
    assert result.exit_code == 1 and "has no facets" in result.stderr
