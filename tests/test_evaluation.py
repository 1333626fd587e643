"""The harness reproduces independently computed figures on the real data (all-MiniLM-L6-v2)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import traitlens
from traitlens.cli import app
from traitlens.errors import InputError
from traitlens.evaluation import (
    RESULT_COLUMNS,
    MethodContext,
    available_methods,
    available_suites,
    get_method,
    load_suite,
    run_suite,
)

from .fakes import FakeEncoder

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]


def value(frame: pd.DataFrame, metric: str, method: str | None = None) -> float:
    rows = frame[frame["metric"] == metric]
    if method is not None:
        rows = rows[rows["method"] == method]
    assert len(rows) == 1, rows
    return float(rows["value"].iloc[0])


@pytest.fixture(scope="module")
def ipip50_cosine(real_encoder, shared_data):
    return run_suite("ipip50", "cosine", real_encoder, data_dir=shared_data, n_boot=100, cache=False)


def test_ipip50_raw_cosine_figures(ipip50_cosine):
    m = ipip50_cosine.metrics
    assert list(m.columns) == RESULT_COLUMNS
    assert value(m, "item_r") == pytest.approx(0.13, abs=0.006)
    assert value(m, "item_r_abs") == pytest.approx(0.51, abs=0.006)
    assert value(m, "item_r_keyed") == pytest.approx(0.52, abs=0.006)
    assert 0.36 <= value(m, "factor_accuracy") <= 0.38
    row = m[m["metric"] == "item_r"].iloc[0]
    assert row["ci_low"] < row["value"] < row["ci_high"] and row["n"] == 1225
    assert m.attrs["provenance"]["model"]["id"] == "sentence-transformers/all-MiniLM-L6-v2"


def test_ipip50_pairs_frame_matches_observed(ipip50_cosine, shared_data):
    observed = pd.read_csv(shared_data / "openpsychometrics_big5_2012" / "derived_ipip50_item_correlations.csv",
                           index_col=0)
    pairs = ipip50_cosine.pairs.set_index(["item_1", "item_2"])
    assert pairs.loc[("E1", "E2"), "observed"] == pytest.approx(observed.loc["E1", "E2"], abs=1e-4)
    assert len(ipip50_cosine.scale_pairs) == 10


def test_neo300_nearest_facet_label(real_encoder, shared_data):
    m = run_suite("neo300-facets", "cosine", real_encoder, data_dir=shared_data, n_boot=50, cache=False).metrics
    assert value(m, "facet_accuracy") == pytest.approx(0.23, abs=0.005)
    assert not (m["metric"] == "item_r").any()  # no responses: assignment only


def test_bainbridge_file_baselines_and_recomputed_rows(real_encoder, shared_data):
    result = run_suite("bainbridge", "cosine", real_encoder, data_dir=shared_data, n_boot=20, cache=False)
    m = result.metrics
    assert value(m, "item_r", "surveybot3000 (data file)") == pytest.approx(0.67, abs=0.005)
    assert value(m, "item_r", "all-mpnet-base-v2 (data file)") == pytest.approx(0.19, abs=0.005)
    assert m[m["method"] == "cosine"]["n"].iloc[0] == 87153
    assert set(m["method"]) == {"cosine", "surveybot3000 (data file)", "all-mpnet-base-v2 (data file)"}


def test_keywords_method_on_ipip50(real_encoder, shared_data):
    m = run_suite("ipip50", "keywords", real_encoder, data_dir=shared_data, n_boot=20, cache=False).metrics
    assert value(m, "factor_accuracy") == pytest.approx(0.62, abs=0.005)  # the seed's 62%


def test_methods_and_suites_registry():
    assert {"cosine", "keywords"} <= set(available_methods())
    assert available_suites() == ["ipip50", "bfi", "spi", "adjectives", "neo300-facets", "bainbridge"]
    with pytest.raises(InputError, match="unknown method 'nope'"):
        get_method("nope")
    with pytest.raises(InputError, match="unknown suite 'nope'"):
        load_suite("nope")


def test_leakage_guard_drops_rewordings_of_ipip50_items(real_encoder, shared_data):
    """28 IPIP-50 markers are IPIP-NEO-300 items with a leading 'I' (issue text); the guard drops them."""
    scored = load_suite("ipip50", shared_data).texts
    neo = traitlens.load_inventory("ipip-neo-300").texts
    ctx = MethodContext(encoder=real_encoder, scored_texts=scored, guard_encoder=real_encoder)
    kept = ctx.usable_exemplars(neo, source="ipip-neo-300")
    report = ctx.exclusions[0]
    assert (report["reason"] == "same text").sum() >= 28
    assert len(kept) + len(report) == 300
    assert "Worry about things." not in [neo[i] for i in kept]
    assert report["source"].eq("ipip-neo-300").all()


def test_evaluate_api_all_suites_shape(shared_data):
    frame = traitlens.evaluate("neo300-facets", "keywords", FakeEncoder(), data_dir=shared_data, n_boot=5)
    assert set(frame["metric"]) == {"factor_accuracy", "nmi", "ari"}  # keywords has no facet level


def test_cli_evaluate_json_and_plots(tmp_path, shared_data):
    runner = CliRunner()
    result = runner.invoke(app, ["evaluate", "--suite", "bfi", "--data-dir", str(shared_data), "--n-boot", "20",
                                 "-F", "json", "--plot-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["provenance"]["suite"] == "bfi" and data["provenance"]["n_boot"] == 20
    assert set(data["results"][0]) == set(RESULT_COLUMNS)
    assert {"item_r", "scale_r", "alpha_r", "factor_accuracy"} <= {r["metric"] for r in data["results"]}
    names = sorted(p.name for p in tmp_path.iterdir())
    assert "bfi_cosine_items.html" in names and "bfi_cosine_factor-confusion.html" in names


def test_cli_evaluate_bad_input(tmp_path):
    runner = CliRunner()
    assert runner.invoke(app, ["evaluate", "--suite", "nope"]).exit_code == 2
    result = runner.invoke(app, ["evaluate", "--suite", "bfi", "--data-dir", str(tmp_path)])
    assert result.exit_code == 1 and "file not found" in result.stderr
    result = runner.invoke(app, ["evaluate", "--suite", "bfi", "--method", "nope"])
    assert result.exit_code == 1 and "unknown method" in result.stderr


def test_nothing_reads_the_holdout():
    needle = "shared/" + "holdout"
    hits = [str(p.relative_to(ROOT)) for folder in ("src", "tests", "benchmarks", "scripts")
            for p in (ROOT / folder).rglob("*") if p.is_file() and p.suffix in {".py", ".yaml", ".csv", ".json", ".sh"}
            and needle in p.read_text(errors="ignore")]
    assert hits == []


@pytest.fixture(scope="module")
def mpnet_folder():
    script = ROOT.parent / "shared" / "models" / "all-mpnet-base-v2.sh"
    if not script.exists():
        pytest.skip("../shared/models/all-mpnet-base-v2.sh is absent")
    proc = subprocess.run(["bash", str(script), str(ROOT / ".models")], capture_output=True, text=True,
                          check=False, timeout=600)
    if proc.returncode != 0:
        pytest.skip(f"all-mpnet-base-v2 could not be fetched: {proc.stderr[-300:]}")
    return Path(proc.stdout.strip().splitlines()[-1])


def test_bainbridge_mpnet_recomputed_matches_file(mpnet_folder, shared_data):
    from traitlens.encoders import SentenceTransformerEncoder

    encoder = SentenceTransformerEncoder(mpnet_folder)
    result = run_suite("bainbridge", "cosine", encoder, data_dir=shared_data, n_boot=0, cache=False)
    assert value(result.metrics, "item_r", "cosine") == pytest.approx(0.19, abs=0.01)
    pairs = result.pairs
    data = load_suite("bainbridge", shared_data)
    file_pred = data.baselines["all-mpnet-base-v2 (data file)"]
    pos = {item: i for i, item in enumerate(data.items)}
    sample = pairs.iloc[:: 997]
    expected = [file_pred[pos[a], pos[b]] for a, b in zip(sample["item_1"], sample["item_2"], strict=True)]
    np.testing.assert_allclose(sample["predicted"], expected, atol=2e-3)


@pytest.mark.slow
def test_profile_method_in_the_harness(real_encoder, shared_data):
    from traitlens.evaluation import run_suite

    result = run_suite("ipip50", "profile", real_encoder, data_dir=shared_data, n_boot=0, cache=False)
    m = result.metrics.set_index("metric")["value"]
    assert m["factor_accuracy"] >= 0.74 and m["key_accuracy"] >= 0.74  # measured .76 / .78
    assert m["item_r"] > 0.2 and m["scale_r"] > 0.8  # raw cosine: .13 / .25
    dropped = result.exclusions
    assert (dropped["reason"] == "same text").sum() >= 28  # the IPIP-NEO rewordings of IPIP-50 items
    assert result.provenance["exemplars_excluded"] == len(dropped)


@pytest.mark.parametrize("suite", ["bfi", "ipip50"])
def test_every_estimate_lies_inside_its_interval(real_encoder, shared_data, suite):
    """Bootstrap (item figures, accuracies) and jackknife (scale figures, NMI, ARI) CIs contain their estimate."""
    frames = [run_suite(suite, method, real_encoder, data_dir=shared_data, n_boot=200).metrics
              for method in ("cosine", "keywords", "profile")]
    m = pd.concat(frames, ignore_index=True)
    assert {"item_r", "scale_r", "alpha_r", "factor_accuracy", "nmi", "ari"} <= set(m["metric"])
    finite = m[np.isfinite(m["ci_low"]) & np.isfinite(m["ci_high"])]
    assert len(finite) == m["value"].notna().sum()  # every figure has an interval
    outside = finite[(finite["ci_low"] > finite["value"]) | (finite["value"] > finite["ci_high"])]
    assert outside.empty, outside.to_string()
