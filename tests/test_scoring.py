"""Tests of the pair score terms, culture fit and the points scale."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import buddymatch as bm
from buddymatch.scoring import (
    POINTS_SCALE,
    TERMS,
    culture_fit,
    from_units,
    pair_terms,
    round_points,
    sum_terms,
    to_units,
)


def test_points_become_integers_in_thousandths() -> None:
    assert POINTS_SCALE == 1000
    assert to_units(86.0) == 86_000
    assert to_units(-2.5) == -2_500
    assert to_units(0.0015) == 2  # half to even, like numpy
    assert isinstance(to_units(1.0), int)
    units = to_units(np.array([1.234, -0.001, 0.0]))
    assert units.dtype == np.int64
    assert units.tolist() == [1234, -1, 0]
    assert from_units(-2_500) == -2.5
    assert from_units(np.int64(1234)) == 1.234


@given(st.integers(-(10**12), 10**12))
def test_units_round_trip(units: int) -> None:
    assert to_units(from_units(units)) == units


def test_pair_terms_follow_the_policy_weights() -> None:
    policy = bm.Policy(
        weight_expertise=10,
        weight_culture=30,
        weight_travel=0.1,
        bonus_preferred=15,
        bonus_prior=10,
    )
    terms = pair_terms(
        np.array([5, 3]),
        np.array([0.9, 0.4567]),
        np.array([60.0, 45.5]),
        np.array([True, False]),
        np.array([False, True]),
        policy,
    )
    assert tuple(terms) == TERMS
    assert terms["expertise"].tolist() == [50.0, 30.0]
    assert terms["culture"].tolist() == [27.0, 13.701]
    assert terms["travel"].tolist() == [-6.0, -4.55]
    assert terms["preferred"].tolist() == [15.0, 0.0]
    assert terms["prior"].tolist() == [0.0, 10.0]
    assert sum_terms(terms).tolist() == [86.0, 49.151]


def test_terms_are_rounded_to_the_score_resolution() -> None:
    policy = bm.Policy(weight_expertise=1 / 3, bonus_prior=1 / 7)
    terms = pair_terms(
        np.array([1, 2]),
        np.array([0.12345, 0.0]),
        np.array([0.0, 33.3]),
        np.array([False, False]),
        np.array([True, True]),
        policy,
    )
    assert terms["expertise"].tolist() == [0.333, 0.667]
    assert terms["prior"].tolist() == [0.143, 0.143]
    for values in terms.values():
        assert np.array_equal(np.round(values, 3), values)
    # No negative zero for a pair with no travel.
    assert math.copysign(1.0, terms["travel"][0]) == 1.0


def test_round_points_has_no_negative_zero() -> None:
    rounded = round_points(np.array([-0.0001, -0.0]))
    assert rounded.tolist() == [0.0, 0.0]
    assert all(math.copysign(1.0, x) == 1.0 for x in rounded)


def test_culture_fit_is_one_minus_rms_difference_over_ten() -> None:
    a = np.array([[6.0, 5.0], [0.0, 0.0]])
    b = np.array([[6.0, 5.0], [9.0, 1.0], [10.0, 10.0]])
    fit = culture_fit(a, b)
    assert fit.shape == (2, 3)
    assert fit[0, 0] == 1.0
    assert fit[0, 1] == pytest.approx(1 - math.sqrt((9 + 16) / 2) / 10)
    assert fit[1, 2] == pytest.approx(0.0)


def test_culture_fit_without_dimensions_is_one() -> None:
    fit = culture_fit(np.zeros((3, 0)), np.zeros((2, 0)))
    assert fit.tolist() == [[1.0, 1.0], [1.0, 1.0], [1.0, 1.0]]


def test_culture_fit_refuses_mismatched_profiles() -> None:
    with pytest.raises(ValueError, match="same d"):
        culture_fit(np.zeros((2, 3)), np.zeros((2, 2)))


def test_culture_fit_in_blocks_equals_pair_by_pair(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from buddymatch import scoring

    rng = np.random.default_rng(3)
    a = rng.uniform(0, 10, (17, 4))
    b = rng.uniform(0, 10, (11, 4))
    monkeypatch.setattr(scoring, "_BLOCK_ELEMENTS", 20)
    fit = culture_fit(a, b)
    expected = [
        [1 - math.sqrt(np.mean((x - y) ** 2)) / 10 for y in b] for x in a
    ]
    np.testing.assert_allclose(fit, expected, rtol=0, atol=1e-12)
