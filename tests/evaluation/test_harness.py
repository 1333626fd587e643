"""The harness reproduces independently computed figures on the real data (all-MiniLM-L6-v2)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import traitlens
from traitlens.evaluation import (
    RESULT_COLUMNS,
    load_suite,
    run_suite,
)

from ..fakes import FakeEncoder

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


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


def test_evaluate_api_all_suites_shape(shared_data):
    frame = traitlens.evaluate("neo300-facets", "keywords", FakeEncoder(), data_dir=shared_data, n_boot=5)
    assert set(frame["metric"]) == {"factor_accuracy", "nmi", "ari"}  # keywords has no facet level


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


def test_scale_suites_factor_structure_and_facet_correlations(real_encoder, shared_data):
    """Scale-level suites reproduce benchmarks/scales.py (MiniLM: membership+keys φ .848, head facets r .498)."""
    factors = run_suite("ipip50-factors", "profile", real_encoder, data_dir=shared_data, n_boot=10).metrics
    assert list(factors.columns) == RESULT_COLUMNS
    assert set(factors["method"]) == {"profile", "membership", "membership+keys"}
    assert value(factors, "tucker_phi", "membership+keys") == pytest.approx(0.848, abs=0.01)
    assert value(factors, "nmi", "membership") == pytest.approx(0.648, abs=0.01)
    assert ((factors["ci_low"] <= factors["value"]) & (factors["value"] <= factors["ci_high"])).all()
    facets = run_suite("neo-pi-r-facet-r", "cosine", FakeEncoder(), data_dir=shared_data, n_boot=0)
    assert set(facets.metrics["metric"]) == {"scale_r", "scale_mae"} and set(facets.metrics["n"]) == {435}
    assert len(facets.scale_pairs) == 435
    pairs = facets.scale_pairs
    assert value(facets.metrics, "scale_r") == pytest.approx(np.corrcoef(pairs["predicted"], pairs["observed"])[0, 1])
