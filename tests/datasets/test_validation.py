"""validate_responses on frames: ranges, missing codes, non-numeric cells, empty columns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from traitlens.datasets import DataWarning, validate_responses
from traitlens.errors import InputError


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
