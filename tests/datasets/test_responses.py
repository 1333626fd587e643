"""ResponseData: alphas and scale correlations of the real data, and a user-built object."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from traitlens import psychometrics as pm
from traitlens.datasets import ResponseData, validate_responses
from traitlens.errors import InputError

from .helpers import keyed


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
