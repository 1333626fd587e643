from __future__ import annotations

import numpy as np
import pytest

from traitlens.analysis.assignment import calibrate_margin, rank_constructs
from traitlens.errors import InputError


def test_rank_constructs_best_margin_and_nan():
    best, margin = rank_constructs(np.array([[0.1, 0.5, 0.2], [np.nan, 0.1, 0.3], [0.2, 0.2, 0.1]]))
    assert best.tolist() == [1, 2, 0]
    assert margin == pytest.approx([0.3, 0.2, 0.0])
    best, margin = rank_constructs(np.array([[0.4], [0.1]]))
    assert best.tolist() == [0, 0] and np.isinf(margin).all()


def test_calibrate_margin():
    margins = np.array([0.5, 0.4, 0.3, 0.2, 0.1])
    correct = np.array([1, 1, 1, 0, 0], bool)
    assert calibrate_margin(margins, correct, 0.9) == 0.3
    assert calibrate_margin(margins, np.zeros(5, bool), 0.9) == float("inf")
    with pytest.raises(InputError):
        calibrate_margin(margins, correct[:2])
