"""load_responses on the real data (pinned to the shared data's README checks) and on small bad folders."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from traitlens import psychometrics as pm
from traitlens.datasets import (
    BIG_FIVE,
    DataWarning,
    ResponseData,
    available_datasets,
    load_bainbridge_pairs,
    load_responses,
)
from traitlens.errors import InputError

from .helpers import GOOD_ROWS, keyed, write_bfi


def test_available_datasets():
    assert available_datasets() == ["big5", "bfi", "spi", "adjectives", "bainbridge"]


@pytest.mark.parametrize(
    ("name", "persons", "items", "scales", "low", "high"),
    [
        ("big5", 19_719, 50, 5, 1, 5),
        ("bfi", 2_800, 25, 5, 1, 6),
        ("spi", 4_000, 135, 32, 1, 6),
        ("adjectives", 554, 100, 5, 1, 9),
        ("bainbridge", 493, 418, 113, 1, 5),
    ],
)
def test_shapes_bounds_and_texts(load, name, persons, items, scales, low, high):
    data = load(name)
    assert (data.n_persons, data.n_items, len(data.scales)) == (persons, items, scales)
    assert (data.low, data.high) == (low, high)
    x = data.responses.to_numpy()
    assert data.responses.dtypes.eq(np.float64).all()
    assert np.nanmin(x) == low and np.nanmax(x) == high  # the full range is used, nothing outside it
    assert list(data.item_text.index) == list(data.responses.columns)
    assert data.item_text.str.len().gt(0).all()
    for keys in data.scales.values():
        assert set(keys.unique()) <= {1, -1}
        assert keys.index.isin(data.responses.columns).all()
    assert data.licence and data.source
    assert repr(data).startswith(f"ResponseData(name={name!r}, n_persons={persons}")


def test_big5_missing_code_and_factor_names(load):
    data = load("big5")
    assert sorted(data.scales) == sorted(BIG_FIVE)
    assert set(data.scale_levels.values()) == {"factor"}
    # 0 = "missed" in the file: 50 such cells, now NaN; no 0 survives
    assert int(data.responses.isna().sum().sum()) == 50
    assert not (data.responses == 0).any().any()
    assert data.item_text["N1"] == "I get stressed out easily."
    assert data.scales["Neuroticism"]["N1"] == 1


def test_big5_keying_trap(load, shared_data):
    """``key`` is relative to Neuroticism; ``key_ipip_official`` (Emotional Stability) flips the N factor."""
    data = load("big5")
    table = pd.read_csv(shared_data / "openpsychometrics_big5_2012" / "ipip50_items_keys.csv")
    official = table.set_index("item_big5_2012")["key_ipip_official"]
    for factor, keys in data.scales.items():
        flip = -1 if factor == "Neuroticism" else 1
        assert (official[keys.index] == flip * keys).all()
    scores = data.scale_scores()
    # Scored with ``key``, the Neuroticism score rises with "I get stressed out easily" (N1) and
    # falls with Extraversion, as Neuroticism should; the official key would reverse both.
    assert scores["Neuroticism"].corr(data.responses["N1"]) > 0.6
    assert scores.corr().loc["Neuroticism", "Extraversion"] < -0.1


def item_rest(data: ResponseData, level: str) -> pd.Series:
    parts = [pm.corrected_item_total(keyed(data, s), list(k.index))
             for s, k in data.scales.items() if data.scale_levels[s] == level]
    return pd.concat(parts)




@pytest.mark.parametrize(
    ("name", "level", "readme_min", "readme_median", "tol"),
    [
        # README figures; ours (pairwise-complete covariances): big5 .274 / .542, bfi .218 / .489,
        # spi factors .283 / .554, spi narrow .209 / .639, adjectives .124 / .555 (the README's .14 /
        # .54 match complete cases over all 100 items: .140 / .550), hence the wider tolerance there.
        ("big5", "factor", 0.27, 0.54, 0.005),
        ("bfi", "factor", 0.21, 0.49, 0.01),
        ("spi", "factor", 0.28, None, 0.005),
        ("spi", "scale", 0.21, None, 0.005),
        ("adjectives", "factor", 0.14, 0.54, 0.02),
    ],
)
def test_readme_item_rest_checks(load, name, level, readme_min, readme_median, tol):
    r = item_rest(load(name), level)
    assert (r > 0).all(), r[r <= 0]
    assert abs(r.min() - readme_min) <= tol
    if readme_median is not None:
        assert abs(r.median() - readme_median) <= tol


def test_big5_item_rest_to_two_decimals(load):
    r = item_rest(load("big5"), "factor")
    assert (round(r.min(), 2), round(r.median(), 2)) == (0.27, 0.54)
    assert len(r) == 50


@pytest.mark.parametrize(
    ("name", "folder", "file"),
    [
        ("big5", "openpsychometrics_big5_2012", "derived_ipip50_item_correlations.csv"),
        ("bfi", "psych_bfi", "derived_bfi_item_correlations.csv"),
        ("spi", "sapa_spi135", "derived_spi_item_correlations.csv"),
    ],
)
def test_item_correlations_equal_shipped_files(load, shared_data, name, folder, file):
    data = load(name)
    ours = data.item_correlations()
    assert data.item_correlations() is ours  # cached
    shipped = pd.read_csv(shared_data / folder / file, index_col=0)
    assert list(shipped.index) == list(ours.index) == list(shipped.columns)
    # The shipped files carry 4 decimals: every value must be our r rounded (|diff| <= half a unit).
    assert np.abs(ours.to_numpy() - shipped.to_numpy()).max() <= 5e-5 + 1e-9
    # Independent computation of the same pairwise-complete r (pandas' nancorr) to 1e-10.
    np.testing.assert_allclose(ours.to_numpy(), data.responses.corr().to_numpy(), atol=1e-10)


def test_no_warnings_on_the_shipped_data(shared_data):
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        load_responses("bfi", shared_data)


def test_small_bfi_folder_loads(tmp_path):
    data = load_responses("bfi", write_bfi(tmp_path, GOOD_ROWS))
    assert data.responses.shape == (4, 4)
    assert data.scales["Agreeableness"].to_dict() == {"A1": -1, "A2": 1}
    assert data.item_text["C2"] == "c two"


def test_out_of_range_code_in_a_file_names_file_line_and_item(tmp_path):
    rows = [*GOOD_ROWS[:2], "3,3,7,4,6,1", GOOD_ROWS[3]]  # a 7 on a 1–6 scale, data row 3 = line 4
    with pytest.raises(InputError) as info:
        load_responses("bfi", write_bfi(tmp_path, rows))
    err = info.value
    assert Path(err.path).name == "bfi.csv" and err.line == 4 and err.column == "A2"
    assert "response 7 is outside the response scale 1–6" in str(err)


def test_non_numeric_cell_in_a_file(tmp_path):
    rows = [*GOOD_ROWS[:3], "4,6,five,2,1,2"]
    with pytest.raises(InputError, match=r"'five' is not a number") as info:
        load_responses("bfi", write_bfi(tmp_path, rows))
    assert (info.value.line, info.value.column) == (5, "A2")


def test_all_missing_item_in_a_file_is_dropped_from_responses_and_scales(tmp_path):
    rows = [re.sub(r"^(\d+),(\d),(\d),(\d),\d,", r"\1,\2,\3,\4,,", row) for row in GOOD_ROWS]  # C2 empty
    with pytest.warns(DataWarning, match="bfi.csv: 1 item column.*: C2"):
        data = load_responses("bfi", write_bfi(tmp_path, rows))
    assert "C2" not in data.responses.columns
    assert list(data.scales["Conscientiousness"].index) == ["C1"]
    assert "C2" not in data.item_correlations().columns


def test_missing_data_dir_and_files(tmp_path):
    with pytest.raises(InputError, match="response-data folder does not exist"):
        load_responses("bfi", tmp_path / "absent")
    with pytest.raises(InputError, match="file not found"):
        load_responses("spi", tmp_path)  # the folder exists, the dataset does not
    with pytest.raises(InputError, match="unknown dataset 'big6'; available: big5, bfi"):
        load_responses("big6", tmp_path)
    with pytest.raises(InputError, match="file not found"):
        load_bainbridge_pairs(tmp_path)
