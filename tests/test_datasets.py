"""Response-data loaders and classical test theory, pinned to the shared data's README checks.

Each dataset is loaded at most once per session (the ``load`` fixture caches it); the whole file runs
in a few seconds. Tests that need ``../shared/data`` skip (with the reason) when it is absent; the
bad-input tests build small files in ``tmp_path``.
"""

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
    default_data_dir,
    load_bainbridge_pairs,
    load_responses,
    validate_responses,
)
from traitlens.errors import InputError

# ----------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def _loaded() -> dict[str, ResponseData]:
    return {}


@pytest.fixture
def load(shared_data: Path, _loaded: dict[str, ResponseData]):
    """``load(name)`` → the dataset, read from ``../shared/data`` once per session."""

    def _load(name: str) -> ResponseData:
        if name not in _loaded:
            _loaded[name] = load_responses(name, shared_data)
        return _loaded[name]

    return _load


def keyed(data: ResponseData, scale: str) -> pd.DataFrame:
    keys = data.scales[scale]
    return pm.reverse_key(data.responses[list(keys.index)], keys, data.low, data.high)


def item_rest(data: ResponseData, level: str) -> pd.Series:
    parts = [pm.corrected_item_total(keyed(data, s), list(k.index))
             for s, k in data.scales.items() if data.scale_levels[s] == level]
    return pd.concat(parts)


# ----------------------------------------------------------------------------- loaders on the real data


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


def test_item_rest_equals_direct_correlation_on_complete_data(load):
    data = load("bfi")
    complete = data.responses.dropna()
    keys = data.scales["Conscientiousness"]
    x = pm.reverse_key(complete[list(keys.index)], keys, data.low, data.high)
    ours = pm.corrected_item_total(x, list(keys.index))
    for item in keys.index:
        rest = x.drop(columns=item).sum(axis=1)
        assert ours[item] == pytest.approx(np.corrcoef(x[item], rest)[0, 1], abs=1e-12)


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


def test_bainbridge_pairs_file(shared_data):
    pairs = load_bainbridge_pairs(shared_data)
    assert len(pairs) == 87_153 == 418 * 417 // 2
    assert list(pairs.columns) == [
        "variable_1", "variable_2", "empirical_r", "pairwise_n", "empirical_r_se",
        "synthetic_r_surveybot3000", "synthetic_r_all_mpnet_base_v2",
    ]
    r = pairs[["empirical_r", "synthetic_r_surveybot3000", "synthetic_r_all_mpnet_base_v2"]].corr()
    assert round(r.loc["empirical_r", "synthetic_r_surveybot3000"], 2) == 0.67  # 0.6742
    assert round(r.loc["empirical_r", "synthetic_r_all_mpnet_base_v2"], 2) == 0.19  # 0.1874


def test_bainbridge_pairs_equal_our_raw_item_correlations(load, shared_data):
    data = load("bainbridge")
    pairs = load_bainbridge_pairs(shared_data)
    r = data.item_correlations()
    rows = r.index.get_indexer(pairs["variable_1"])
    cols = r.columns.get_indexer(pairs["variable_2"])
    assert (rows >= 0).all() and (cols >= 0).all()
    assert np.abs(r.to_numpy()[rows, cols] - pairs["empirical_r"].to_numpy()).max() <= 5e-6  # 5 decimals
    n = pm.pairwise_n(data.responses).to_numpy()[rows, cols]
    assert (n == pairs["pairwise_n"].to_numpy()).all()


def test_bainbridge_scales_levels_and_derived_keys(load, shared_data):
    data = load("bainbridge")
    levels = pd.Series(data.scale_levels).value_counts().to_dict()
    assert levels == {"facet": 83, "factor": 21, "scale": 9}
    table = pd.read_csv(shared_data / "bainbridge_pilot" / "scales.csv")
    assert list(data.scales) == list(table["scale"])
    first_keys = {s: int(k.iloc[0]) for s, k in data.scales.items()}
    assert first_keys == dict(zip(table["scale"], table["keyed"].astype(int), strict=True))
    # Parent scales hold all their facets' items.
    assert len(data.scales["Big_Five_Inventory_2_extraversion"]) == 12
    assert len(data.scales["Big_Five_Inventory_2_extraversion_sociability"]) == 4
    # Keys derived from the sign of each item's r with the first item: every scale's mean keyed
    # inter-item correlation is positive (113 of 113).
    r = data.item_correlations()
    positive = 0
    for keys in data.scales.values():
        sub = r.loc[keys.index, keys.index].to_numpy() * np.outer(keys, keys)
        positive += sub[np.triu_indices(len(keys), 1)].mean() > 0
    assert positive == len(data.scales) == 113


def test_bainbridge_derived_keys_agree_with_official_ipip_neo_120(load, shared_data):
    """Independent check: the IPIP-NEO-120 items' official keys (173 of 178 matched memberships agree)."""
    data = load("bainbridge")
    official = pd.read_csv(shared_data / "ipip_neo_120" / "ipip_neo_120_items_keys.csv")

    def norm(text: str) -> str:
        return re.sub(r"^i ", "", text.lower().strip().rstrip("."))

    key_of = dict(zip(official["text"].map(norm), official["key"], strict=True))
    agree = disagree = 0
    for scale, keys in data.scales.items():
        if not scale.startswith("International_Personality_Item_Pool_120"):
            continue
        for item, key in keys.items():
            text = norm(data.item_text[item])
            if text in key_of:
                agree += key == key_of[text]
                disagree += key != key_of[text]
    # The 5 disagreements: two modesty items inside agreeableness (weak r with its first item,
    # "I trust others") and three items of the adventurousness facet, whose first item is itself
    # reverse-worded but marked keyed = 1 in scales.csv.
    assert (agree, disagree) == (173, 5)


# ----------------------------------------------------------------------------- reliability


@pytest.mark.parametrize("name", ["big5", "bfi", "spi", "adjectives"])
def test_cronbach_alpha_matches_the_standard_formula(load, name):
    data = load(name)
    alphas = data.alphas()
    for scale in data.scales:
        x = keyed(data, scale)
        complete = x.dropna().to_numpy()
        k = complete.shape[1]
        direct = k / (k - 1) * (1 - complete.var(axis=0, ddof=1).sum() / complete.sum(axis=1).var(ddof=1))
        assert pm.cronbach_alpha(x, nan_policy="listwise") == pytest.approx(direct, abs=1e-12)
        # pairwise (default) uses every response; with a few per cent missing it stays within .01
        assert alphas[scale] == pytest.approx(direct, abs=0.01)
        assert alphas[scale] == pm.cronbach_alpha(x)


def test_alpha_values_big5(load):
    alphas = load("big5").alphas().round(2).to_dict()
    assert alphas == {"Extraversion": 0.89, "Neuroticism": 0.87, "Agreeableness": 0.83,
                      "Conscientiousness": 0.81, "Openness": 0.79}


def test_standardized_alpha_from_item_correlations(load):
    data = load("bfi")
    complete = data.responses.dropna()
    z = (complete - complete.mean()) / complete.std()
    r = pm.item_correlations(complete)
    for keys in data.scales.values():
        # the alpha of standardized items is the standardized alpha
        zk = z[list(keys.index)] * keys
        assert pm.alpha_from_item_correlations(r, keys) == pytest.approx(
            pm.cronbach_alpha(zk, nan_policy="listwise"), abs=1e-12)
    assert pm.standardized_alpha(0.3, 10) == pytest.approx(3 / 3.7)
    assert pm.standardized_alpha(1.0, 4) == 1.0


# ----------------------------------------------------------------------------- scale correlations from items

# Raw person-level scale scores vs the composite formula on observed item r: they differ because the
# formula assumes standardized (equal-variance) items and because of missing data. Largest |diff|:
# big5 .025, bfi .022, spi .043, adjectives .060 (9-point items with unequal variances), bainbridge .059.
TOLERANCE = {"big5": 0.05, "bfi": 0.05, "spi": 0.05, "adjectives": 0.065, "bainbridge": 0.065}


@pytest.mark.parametrize("name", list(TOLERANCE))
def test_scale_correlations_from_observed_items(load, name):
    data = load(name)
    predicted = pm.scale_correlations_from_items(data.item_correlations(), data.scales)
    observed = data.scale_correlations()
    assert list(predicted.index) == list(observed.index) == list(data.scales)
    diff = (predicted - observed).abs().to_numpy()
    assert np.nanmax(diff) < TOLERANCE[name]
    assert np.nanmean(diff) < 0.025
    np.testing.assert_allclose(np.diag(predicted), 1.0)
    # With complete cases and standardized items the formula is exact.
    complete = data.responses.dropna()
    z = (complete - complete.mean()) / complete.std()
    scores = pm.scale_scores(z, data.scales, low=-100, high=100)  # reversing: -100 + 100 - z = -z
    np.testing.assert_allclose(
        pm.scale_correlations_from_items(pm.item_correlations(complete), data.scales).to_numpy(),
        np.corrcoef(scores.to_numpy(), rowvar=False),
        atol=1e-10,
    )


def test_scale_correlations_from_items_constructed_example():
    r = pd.DataFrame(
        [[1.0, 0.5, 0.2, -0.3], [0.5, 1.0, 0.1, -0.1], [0.2, 0.1, 1.0, -0.4], [-0.3, -0.1, -0.4, 1.0]],
        index=list("abcd"), columns=list("abcd"),
    )
    scales = {"S": pd.Series({"a": 1, "b": 1}), "T": pd.Series({"c": 1, "d": -1})}
    out = pm.scale_correlations_from_items(r, scales)
    # by hand: cov(S,T) = .2 + .3 + .1 + .1 = .7; var S = 2 + 2(.5) = 3; var T = 2 + 2(.4) = 2.8
    assert out.loc["S", "T"] == pytest.approx(0.7 / np.sqrt(3 * 2.8), abs=1e-12)
    assert out.loc["T", "S"] == out.loc["S", "T"]
    # the same from an ndarray, labelled or by position; a diagonal that is not 1 is ignored
    arr = r.to_numpy().copy()
    np.fill_diagonal(arr, 0.37)
    assert pm.scale_correlations_from_items(arr, scales, items=list("abcd")).loc["S", "T"] == out.loc["S", "T"]
    by_position = {"S": pd.Series({0: 1, 1: 1}), "T": pd.Series({2: 1, 3: -1})}
    assert pm.scale_correlations_from_items(arr, by_position).loc["S", "T"] == pytest.approx(out.loc["S", "T"])


def test_scale_correlations_from_items_known_covariance():
    rng = np.random.default_rng(0)
    loadings = rng.uniform(0.3, 0.8, size=(8, 2))
    sigma = loadings @ loadings.T + np.diag(rng.uniform(0.3, 0.6, 8))
    sds = np.sqrt(np.diag(sigma))
    corr = sigma / np.outer(sds, sds)
    scales = {"S": pd.Series({0: 1, 1: -1, 2: 1, 3: 1}), "T": pd.Series({3: 1, 4: 1, 5: -1, 6: 1, 7: 1})}
    w = np.zeros((8, 2))
    for j, keys in enumerate(scales.values()):
        w[keys.index, j] = keys
    # population: composites of standardized items, computed from the covariance matrix
    d = np.diag(1 / sds)
    cov = w.T @ d @ sigma @ d @ w
    expected = cov[0, 1] / np.sqrt(cov[0, 0] * cov[1, 1])
    assert pm.scale_correlations_from_items(corr, scales).loc["S", "T"] == pytest.approx(expected, abs=1e-12)


def test_scale_correlations_from_items_nan_handling():
    r = np.array([[1, 0.4, np.nan], [0.4, 1, 0.2], [np.nan, 0.2, 1]])
    items = ["a", "b", "c"]
    out = pm.scale_correlations_from_items(
        r, {"ab": pd.Series({"a": 1, "b": 1}), "bc": pd.Series({"b": 1, "c": 1}), "a": pd.Series({"a": 1})},
        items=items)
    assert np.isnan(out.loc["ab", "bc"])  # needs r(a, c), which is missing
    assert out.loc["bc", "bc"] == 1.0
    assert out.loc["a", "ab"] == pytest.approx(1.4 / np.sqrt(2.8))
    with pytest.raises(InputError, match="not columns"):
        pm.scale_correlations_from_items(r, {"x": pd.Series({"z": 1})}, items=items)


# ----------------------------------------------------------------------------- small pure-function checks


def test_item_correlations_and_pairwise_n_with_missing_values():
    rng = np.random.default_rng(1)
    x = pd.DataFrame(rng.normal(size=(300, 6)) + 3, columns=[f"i{j}" for j in range(6)])
    x[x > 4.2] = np.nan
    x["const"] = 2.0
    ours = pm.item_correlations(x)
    expected = x.corr()
    np.testing.assert_allclose(ours.to_numpy()[:6, :6], expected.to_numpy()[:6, :6], atol=1e-12)
    assert ours["const"].isna().all()  # no variance: NaN, also on the diagonal
    n = pm.pairwise_n(x)
    assert n.loc["i0", "i1"] == int((x["i0"].notna() & x["i1"].notna()).sum())
    assert n.loc["i2", "i2"] == int(x["i2"].notna().sum())


def test_reverse_key_and_scale_scores_missing_handling():
    frame = pd.DataFrame({"a": [5, 1, np.nan, np.nan], "b": [1, np.nan, 2, np.nan], "c": [3, 3, 3, 3]})
    reversed_b = pm.reverse_key(frame, pd.Series({"b": -1}), 1, 5)["b"]
    assert reversed_b.iloc[[0, 2]].tolist() == [5.0, 4.0] and reversed_b.iloc[[1, 3]].isna().all()
    scales = {"s": pd.Series({"a": 1, "b": -1}), "t": pd.Series({"a": -1, "c": 1})}
    scores = pm.scale_scores(frame, scales, 1, 5)
    # prorated: the mean of the keyed items each person answered
    assert scores["s"].tolist()[:3] == [5.0, 1.0, 4.0] and np.isnan(scores["s"].iloc[3])
    assert scores["t"].tolist() == [2.0, 4.0, 3.0, 3.0]
    strict = pm.scale_scores(frame, scales, 1, 5, min_items=2)
    assert strict["s"].tolist()[0] == 5.0 and strict["s"].iloc[1:].isna().all()
    with pytest.raises(InputError, match="min_items"):
        pm.scale_scores(frame, scales, 1, 5, min_items=0)
    with pytest.raises(InputError, match=r"\+1 or -1"):
        pm.reverse_key(frame, pd.Series({"a": 2}), 1, 5)
    with pytest.raises(InputError, match="not columns"):
        pm.reverse_key(frame, pd.Series({"zz": 1}), 1, 5)


def test_cronbach_alpha_bad_input():
    with pytest.raises(InputError, match="at least two items"):
        pm.cronbach_alpha(pd.DataFrame({"a": [1.0, 2.0]}))
    with pytest.raises(InputError, match="nan_policy"):
        pm.cronbach_alpha(pd.DataFrame({"a": [1.0, 2.0], "b": [2.0, 1.0]}), nan_policy="mean")
    with pytest.raises(InputError, match="not numeric"):
        pm.item_correlations(pd.DataFrame({"a": ["x", "y"]}))


def test_user_built_response_data():
    frame = pd.DataFrame({"a": [1, 2, 3, 4, 5], "b": [2, 1, 4, 3, 5], "c": [5, 4, 3, 2, 1]}, dtype=float)
    data = ResponseData(
        name="mine", responses=validate_responses(frame, 1, 5), low=1, high=5,
        scales={"s": pd.Series({"a": 1, "b": 1, "c": -1})}, scale_levels={"s": "scale"},
        item_text=pd.Series({"a": "A", "b": "B", "c": "C"}),
    )
    assert data.n_persons == 5 and data.n_items == 3
    assert data.scale_scores()["s"].tolist() == pytest.approx([4 / 3, 5 / 3, 10 / 3, 11 / 3, 5.0])
    assert data.alphas()["s"] == pytest.approx(pm.cronbach_alpha(pm.reverse_key(frame, data.scales["s"], 1, 5)))
    with pytest.raises(InputError, match="scale level"):
        ResponseData(name="x", responses=frame, low=1, high=5, scales={"s": data.scales["s"]},
                     scale_levels={"s": "domain"}, item_text=data.item_text)


# ----------------------------------------------------------------------------- bad input


def test_validate_out_of_range_in_a_frame():
    frame = pd.DataFrame({"A1": [1, 2, 3], "A2": [6, 7, 2]}, index=["p1", "p2", "p3"])
    with pytest.raises(InputError) as info:
        validate_responses(frame, 1, 6, source="my frame")
    err = info.value
    assert err.column == "A2" and err.line is None
    assert "response 7 is outside the response scale 1–6 (row 'p2')" in str(err)
    assert str(err).startswith("my frame")


def test_validate_missing_codes_and_non_numeric():
    frame = pd.DataFrame({"a": [0, 1, 5], "b": ["2", " 3", None]})
    out = validate_responses(frame, 1, 5, missing_codes=(0,))
    assert out["a"].isna().tolist() == [True, False, False]
    assert out["b"].tolist()[:2] == [2.0, 3.0]
    with pytest.raises(InputError, match=r"'x' is not a number \(row 1\)"):
        validate_responses(pd.DataFrame({"a": ["1", "x"]}), 1, 5)


def test_validate_all_missing_column_warns_and_drops():
    frame = pd.DataFrame({"a": [1.0, 2.0], "b": [np.nan, np.nan], "c": [np.nan, np.nan]})
    with pytest.warns(DataWarning, match="2 item column.*no responses.*: b, c"):
        out = validate_responses(frame, 1, 5)
    assert list(out.columns) == ["a"]


def write_bfi(root: Path, rows: list[str], keys: list[str] | None = None) -> Path:
    folder = root / "psych_bfi"
    folder.mkdir(parents=True)
    (folder / "bfi.csv").write_text("row,A1,A2,C1,C2,gender\n" + "\n".join(rows) + "\n")
    keys = keys or ["A1,x,a one,Agreeableness,-1", "A2,x,a two,Agreeableness,1",
                    "C1,x,c one,Conscientiousness,1", "C2,x,c two,Conscientiousness,1"]
    (folder / "bfi_items_keys.csv").write_text("item,sapa_item_id,text,factor,key\n" + "\n".join(keys) + "\n")
    return root


GOOD_ROWS = ["1,1,2,3,4,1", "2,2,3,4,5,2", "3,3,4,4,6,1", "4,6,5,2,1,2"]


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


def test_keys_naming_an_unknown_item(tmp_path):
    keys = ["A1,x,a one,Agreeableness,-1", "A3,x,a three,Agreeableness,1"]
    with pytest.raises(InputError, match="item 'A3' is not a response column of bfi.csv") as info:
        load_responses("bfi", write_bfi(tmp_path, GOOD_ROWS, keys))
    err = info.value
    assert Path(err.path).name == "bfi_items_keys.csv" and err.line == 3 and err.column == "item"


def test_keys_with_a_bad_key_value(tmp_path):
    keys = ["A1,x,a one,Agreeableness,2"]
    with pytest.raises(InputError, match="key must be 1 or -1, got '2'") as info:
        load_responses("bfi", write_bfi(tmp_path, GOOD_ROWS, keys))
    assert (info.value.line, info.value.column) == (2, "key")


def test_missing_data_dir_and_files(tmp_path, monkeypatch):
    with pytest.raises(InputError, match="response-data folder does not exist"):
        load_responses("bfi", tmp_path / "absent")
    with pytest.raises(InputError, match="file not found"):
        load_responses("spi", tmp_path)  # the folder exists, the dataset does not
    with pytest.raises(InputError, match="unknown dataset 'big6'; available: big5, bfi"):
        load_responses("big6", tmp_path)
    with pytest.raises(InputError, match="file not found"):
        load_bainbridge_pairs(tmp_path)

    monkeypatch.delenv("TRAITLENS_DATA_DIR", raising=False)
    work = tmp_path / "project"
    work.mkdir()
    monkeypatch.chdir(work)
    with pytest.raises(InputError, match=r"no response-data folder.*TRAITLENS_DATA_DIR is not set"):
        default_data_dir()
    with pytest.raises(InputError, match="no response-data folder"):
        load_responses("bfi")
    monkeypatch.setenv("TRAITLENS_DATA_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(InputError, match=r"\$TRAITLENS_DATA_DIR is .*not a folder"):
        default_data_dir()
    monkeypatch.setenv("TRAITLENS_DATA_DIR", str(work))
    assert default_data_dir() == work  # no ../shared/data: the environment variable is used
    (tmp_path / "shared" / "data").mkdir(parents=True)
    assert default_data_dir() == (tmp_path / "shared" / "data").resolve()  # ../shared/data comes first


def test_no_warnings_on_the_shipped_data(shared_data):
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        load_responses("bfi", shared_data)


def test_scale_alphas_from_items_equal_the_per_scale_function():
    from traitlens.psychometrics import alpha_from_item_correlations, scale_alphas_from_items

    rng = np.random.default_rng(5)
    r = np.corrcoef(rng.standard_normal((6, 40)))
    items = list("abcdef")
    frame = pd.DataFrame(r, index=items, columns=items)
    scales = {"s": pd.Series({"a": 1, "b": -1, "c": 1}), "t": pd.Series({"c": 1, "d": 1, "e": -1, "f": 1})}
    got = scale_alphas_from_items(frame, scales)
    for name, keys in scales.items():
        assert got[name] == pytest.approx(alpha_from_item_correlations(frame, keys), abs=1e-12)
