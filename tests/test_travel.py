"""Tests of the travel models: haversine, straight line, user matrices."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from geopy.distance import geodesic
from hypothesis import given, settings
from hypothesis import strategies as st

import buddymatch as bm
from buddymatch import travel as travel_module
from buddymatch.io import files as io_files
from buddymatch.travel import (
    EARTH_RADIUS_KM,
    GB_RELATIVE_ERROR_BOUND,
    MAX_LISTED_MISSING,
    StraightLine,
    TravelMatrix,
    haversine_km,
    travel_model,
)
from conftest import make_trust


def textbook_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The haversine formula as usually written, one pair at a time."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    hav = (
        math.sin(dp / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, hav)))


# -- haversine ----------------------------------------------------------------


def test_haversine_agrees_with_geopy_within_the_documented_bound() -> None:
    # Random pairs over Great Britain (seeded: the same pairs every run).
    rng = np.random.default_rng(2014)
    n = 400
    lat_a, lat_b = rng.uniform(49.9, 58.7, (2, n))
    lon_a, lon_b = rng.uniform(-8.2, 1.8, (2, n))
    ours = haversine_km(lat_a, lon_a, lat_b, lon_b)
    theirs = np.array(
        [
            geodesic((a, b), (c, d)).km
            for a, b, c, d in zip(lat_a, lon_a, lat_b, lon_b, strict=True)
        ]
    )
    relative = np.abs(ours - theirs) / theirs
    assert relative.max() <= GB_RELATIVE_ERROR_BOUND
    # The sphere is not a trivial stand-in: it differs a little everywhere.
    assert relative.min() > 0


def test_haversine_of_known_places() -> None:
    # Birmingham to Leeds and London to Edinburgh, vs the WGS84 geodesic.
    for a, b in [
        ((52.4862, -1.8904), (53.8008, -1.5491)),
        ((51.5074, -0.1278), (55.9533, -3.1883)),
    ]:
        km = float(haversine_km(*a, *b))
        assert km == pytest.approx(geodesic(a, b).km, rel=0.005)


@settings(max_examples=200, deadline=None)
@given(
    lat1=st.floats(-90, 90),
    lon1=st.floats(-180, 180),
    lat2=st.floats(-90, 90),
    lon2=st.floats(-180, 180),
)
def test_haversine_equals_the_textbook_formula(
    lat1: float, lon1: float, lat2: float, lon2: float
) -> None:
    ours = float(haversine_km(lat1, lon1, lat2, lon2))
    # Near-antipodal pairs lose digits in arcsin near 1 either way.
    assert ours == pytest.approx(textbook_km(lat1, lon1, lat2, lon2), abs=2e-4)


def test_haversine_broadcasts_like_a_ufunc() -> None:
    lat = np.array([52.0, 53.0, 51.5])
    lon = np.array([-1.0, -2.0, 0.1])
    matrix = haversine_km(lat[:, None], lon[:, None], lat[None, :], lon[None])
    assert matrix.shape == (3, 3)
    assert np.all(np.diag(matrix) == 0.0)
    np.testing.assert_allclose(matrix, matrix.T, rtol=1e-12)
    pairs = haversine_km(lat, lon, lat[::-1], lon[::-1])
    assert pairs.shape == (3,)
    assert pairs[0] == pytest.approx(matrix[0, 2], rel=1e-12)


# -- straight line ------------------------------------------------------------


def test_straight_line_minutes_are_km_times_circuity_over_speed() -> None:
    a = make_trust("A", 52.0, -1.5)
    b = make_trust("B", 52.9, -1.1)
    km = textbook_km(52.0, -1.5, 52.9, -1.1)
    line = StraightLine(speed_kmh=50.0, circuity=1.4)
    assert line.minutes([a], [b])[0, 0] == pytest.approx(km * 1.4 / 50 * 60)
    defaults = StraightLine()
    assert (defaults.speed_kmh, defaults.circuity) == (60.0, 1.3)
    assert defaults.minutes([a], [b])[0, 0] == pytest.approx(km * 1.3)


def test_straight_line_blocks_give_the_same_matrix(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = np.random.default_rng(5)
    trusts = [
        make_trust(f"T{i}", float(la), float(lo))
        for i, (la, lo) in enumerate(
            zip(rng.uniform(50, 56, 23), rng.uniform(-4, 1, 23), strict=True)
        )
    ]
    whole = StraightLine().minutes(trusts[:9], trusts)
    monkeypatch.setattr(travel_module, "_BLOCK_ELEMENTS", 50)
    blocked = StraightLine().minutes(trusts[:9], trusts)
    assert np.array_equal(whole, blocked)
    assert whole.shape == (9, 23)
    assert StraightLine().minutes([], trusts).shape == (0, 23)
    assert StraightLine().minutes(trusts, []).shape == (23, 0)


@pytest.mark.parametrize(
    ("speed", "circuity"), [(0.0, 1.3), (-5.0, 1.3), (60.0, 0.9)]
)
def test_straight_line_refuses_impossible_settings(
    speed: float, circuity: float
) -> None:
    with pytest.raises(ValueError):
        StraightLine(speed, circuity)


# -- travel matrix ------------------------------------------------------------

A = make_trust("A", 52.0, -1.5)
B = make_trust("B", 52.5, -1.5)
C = make_trust("C", 53.0, -1.5)


def times(*rows: tuple[str, str, float]) -> list[bm.TravelTime]:
    return [
        bm.TravelTime(origin=o, destination=d, minutes=m) for o, d, m in rows
    ]


def test_asymmetric_durations_are_used_per_direction() -> None:
    matrix = TravelMatrix(times(("A", "B", 40.0), ("B", "A", 55.0)))
    assert matrix.minutes([A], [B]).tolist() == [[40.0]]
    assert matrix.minutes([B], [A]).tolist() == [[55.0]]


def test_one_direction_serves_both() -> None:
    matrix = TravelMatrix(times(("A", "B", 40.0)))
    assert matrix.minutes([A, B], [A, B]).tolist() == [
        [0.0, 40.0],
        [40.0, 0.0],
    ]


def test_a_missing_pair_is_an_input_error_naming_it() -> None:
    matrix = TravelMatrix(times(("A", "B", 40.0)))
    with pytest.raises(bm.InputError) as info:
        matrix.minutes([A], [B, C])
    [found] = info.value.problems
    assert found.file == "travel matrix"
    assert found.message == "no travel time from A to C (in either direction)"
    assert "travel_fallback" in found.fix


def test_a_missing_pair_error_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "durations.csv"
    path.write_text("origin,destination,minutes\nA,B,40\n", encoding="utf-8")
    matrix = TravelMatrix.from_csv(path)
    assert matrix.source == "durations.csv"
    with pytest.raises(bm.InputError) as info:
        matrix.minutes([C], [A])
    assert info.value.problems[0].file == "durations.csv"
    assert "from C to A" in str(info.value)


def test_many_missing_pairs_are_listed_up_to_a_cap() -> None:
    trusts = [make_trust(f"T{i:02d}", 52.0 + i / 100, -1.5) for i in range(8)]
    matrix = TravelMatrix(times(("T00", "T01", 5.0)))
    with pytest.raises(bm.InputError) as info:
        matrix.minutes(trusts, trusts)
    problems = info.value.problems
    missing = 8 * 7 - 2
    assert len(problems) == MAX_LISTED_MISSING + 1
    assert f"and {missing - MAX_LISTED_MISSING} more pairs" in str(
        problems[-1].message
    )
    assert f"({missing} in all)" in problems[-1].message


def test_the_fallback_fills_missing_pairs_with_the_straight_line() -> None:
    line = StraightLine()
    matrix = TravelMatrix(times(("A", "B", 40.0)), fallback=line)
    got = matrix.minutes([A], [B, C])
    assert got[0, 0] == 40.0
    assert got[0, 1] == pytest.approx(line.minutes([A], [C])[0, 0])


def test_only_needed_pairs_must_be_present() -> None:
    matrix = TravelMatrix(times(("A", "B", 40.0)))
    needed = np.array([[True, False]])
    got = matrix.minutes([A], [B, C], needed=needed)
    assert got[0, 0] == 40.0
    assert math.isnan(got[0, 1])


def test_a_pair_given_twice_with_different_minutes_is_refused() -> None:
    with pytest.raises(bm.InputError, match="given twice"):
        TravelMatrix(times(("A", "B", 40.0), ("A", "B", 41.0)))
    # The same time twice is harmless.
    assert len(TravelMatrix(times(("A", "B", 40.0), ("A", "B", 40.0)))) == 1


def test_from_csv_reads_the_matrix(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_text(
        "\ufefforigin,destination,minutes\r\nA,B,40.5\r\n\r\nB,A,52\r\n",
        encoding="utf-8",
    )
    matrix = TravelMatrix.from_csv(path, fallback=StraightLine())
    assert len(matrix) == 2
    assert matrix.fallback is not None
    assert matrix.minutes([A, B], [A, B]).tolist() == [
        [0.0, 40.5],
        [52.0, 0.0],
    ]


@pytest.mark.parametrize(
    ("text", "line", "column", "words"),
    [
        (
            "origin,destination,minutes\nA,B,soon\n",
            2,
            "minutes",
            "not a number",
        ),
        ("origin,destination,minutes\nA,B,-3\n", 2, "minutes", "not a travel"),
        (
            "origin,destination,minutes\nA,B,inf\n",
            2,
            "minutes",
            "not a travel",
        ),
        ("origin,destination,minutes\nA,,3\n", 2, "destination", "empty id"),
        ("origin,destination,minutes\nA,B c,3\n", 2, "destination", "'B c'"),
        ("origin,destination,minutes\nA,B\n", 2, None, "2 fields"),
        (
            'origin,destination,minutes\nA,B,1\n"A\nX",B,2\nC,B,x\n',
            3,
            "origin",
            "is not a trust id",
        ),
        (
            "origin,destination,minutes\nA,B,1\nA,B,2\n",
            3,
            "minutes",
            "line 2 says 1",
        ),
        ("from,to,minutes\nA,B,1\n", 1, None, "header"),
        ("", None, None, "empty"),
        ("origin,destination,minutes\n", None, None, "no rows"),
    ],
)
def test_from_csv_reports_bad_rows_with_line_numbers(
    tmp_path: Path,
    text: str,
    line: int | None,
    column: str | None,
    words: str,
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(bm.InputError) as info:
        TravelMatrix.from_csv(path)
    first = info.value.problems[0]
    assert (first.file, first.line, first.column) == ("bad.csv", line, column)
    assert words in first.message


def test_from_csv_lists_every_bad_row(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        'origin,destination,minutes\nA,B,x\n"A\nB",C,1\nB,C,y\n',
        encoding="utf-8",
    )
    with pytest.raises(bm.InputError) as info:
        TravelMatrix.from_csv(path)
    # The quoted record spanning lines 3-4 reports its first line.
    assert [p.line for p in info.value.problems] == [2, 3, 5]


def test_from_csv_reports_a_missing_file(tmp_path: Path) -> None:
    # Read as every input is (buddymatch.io.files), in the same words.
    with pytest.raises(bm.InputError, match="file not found"):
        TravelMatrix.from_csv(tmp_path / "nowhere.csv")


# -- model selection ----------------------------------------------------------


def test_the_policy_selects_the_model() -> None:
    plain = bm.Problem(trusts=(A, B))
    line = travel_model(plain, bm.Policy(speed_kmh=80, circuity=1.2))
    assert isinstance(line, StraightLine)
    assert (line.speed_kmh, line.circuity) == (80.0, 1.2)

    with_matrix = plain.replace(travel=tuple(times(("A", "B", 40.0))))
    strict = travel_model(with_matrix, bm.Policy())
    assert isinstance(strict, TravelMatrix)
    assert strict.fallback is None
    lenient = travel_model(with_matrix, bm.Policy(travel_fallback=True))
    assert isinstance(lenient, TravelMatrix)
    assert isinstance(lenient.fallback, StraightLine)
    named = travel_model(with_matrix, bm.Policy(), source="osrm.csv")
    assert isinstance(named, TravelMatrix)
    assert named.source == "osrm.csv"


def test_from_csv_enforces_the_size_and_row_limits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "big.csv"
    path.write_text(
        "origin,destination,minutes\nA,B,1\nA,C,2\nB,C,3\n", encoding="utf-8"
    )
    monkeypatch.setattr(io_files, "MAX_ROWS", 2)
    with pytest.raises(bm.InputError, match="more than 2 rows") as info:
        TravelMatrix.from_csv(path)
    assert info.value.problems[0].line == 4
    monkeypatch.setattr(io_files, "MAX_FILE_BYTES", 10)
    with pytest.raises(bm.InputError, match="the limit of 10 bytes"):
        TravelMatrix.from_csv(path)


def test_a_needed_mask_of_the_wrong_shape_is_refused() -> None:
    matrix = TravelMatrix(times(("A", "B", 40.0)))
    with pytest.raises(ValueError, match="shape"):
        matrix.minutes([A], [B], needed=np.ones((2, 2), dtype=bool))
