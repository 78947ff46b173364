"""The loss charts' trailing mean, checked against pandas' rolling mean (what the charts used before)."""

import math

import pandas as pd
import pytest

from core.lessons import curves


@pytest.mark.parametrize("window", [1, 3, 10, 25])
def test_trailing_mean_matches_pandas_rolling_mean(window):
    values = [4.2, 3.9, float("nan"), 3.1, 2.8, 2.95, 2.5, 2.2, 2.3, 2.0, 1.9, 1.7] * 3
    expected = pd.Series(values).rolling(window, min_periods=1).mean().tolist()
    got = curves.trailing_mean(values, window)
    assert len(got) == len(expected)
    for g, e in zip(got, expected, strict=True):
        assert (math.isnan(g) and math.isnan(e)) or g == pytest.approx(e, rel=1e-12)


def test_a_run_that_ends_in_inf_keeps_inf_in_its_last_window():
    assert curves.trailing_mean([1.0, 3.0, math.inf], 2) == [1.0, 2.0, math.inf]


def test_an_all_nan_window_is_nan_and_a_bad_window_is_an_error():
    assert math.isnan(curves.trailing_mean([math.nan], 5)[0])
    assert curves.trailing_mean([None, 2.0, None], 2)[1:] == [2.0, 2.0] and math.isnan(curves.trailing_mean([None], 1)[0])
    assert curves.trailing_mean([], 5) == []
    with pytest.raises(ValueError):
        curves.trailing_mean([1.0], 0)


def test_a_window_that_has_moved_past_an_infinity_is_finite_again():
    assert curves.trailing_mean([1.0, math.inf, 3.0, 5.0], 2) == [1.0, math.inf, math.inf, 4.0]
