"""buddymatch.result: queries, JSON round trip, summary, pairings rows."""

from __future__ import annotations

import json
from typing import Any

import pytest

import buddymatch as bm
from buddymatch.result import (
    PAIRINGS_COLUMNS,
    TrustRef,
    assignment_reason,
    pairings_rows,
)


def assignment(**changes: Any) -> bm.Assignment:
    data: dict[str, Any] = {
        "seeker": "S",
        "area": "finance",
        "tier": "light",
        "buddy": "B",
        "travel_minutes": 61.26,
        "culture_fit": 0.9512,
        "expertise": 4,
        "workload": 1,
        "fee": 5000.0,
        "score": 40.0,
        "terms": {"expertise": 40.0},
    }
    data.update(changes)
    return bm.Assignment(**data)


def unmet(**changes: Any) -> bm.UnmetNeed:
    data: dict[str, Any] = {
        "seeker": "S",
        "area": "maternity",
        "tier": "light",
        "priority": 2,
        "buddies": 1,
        "candidates": 0,
        "reason": "no_candidate",
        "detail": "no buddy passes the hard rules",
    }
    data.update(changes)
    return bm.UnmetNeed(**data)


@pytest.mark.parametrize(
    ("status", "unmet_needs", "feasible", "met"),
    [
        ("optimal", (), True, True),
        ("feasible", (), True, True),
        ("optimal", (unmet(),), True, False),
        # No proposal: never "all met", even with nothing listed unmet.
        ("infeasible", (), False, False),
        ("no_solution", (), False, False),
    ],
)
def test_is_feasible_and_all_met(
    status: str,
    unmet_needs: tuple[bm.UnmetNeed, ...],
    feasible: bool,
    met: bool,
) -> None:
    result = bm.Result(status=status, unmet=unmet_needs)
    assert result.is_feasible() is feasible
    assert result.all_met() is met


def test_trust_name_falls_back_to_the_id() -> None:
    result = bm.Result(
        status="optimal",
        trusts=(
            TrustRef(
                id="A", name="Alpha NHS Trust", kind="acute", lat=52, lon=-1
            ),
            TrustRef(id="B", name="", kind="acute", lat=52, lon=-1),
        ),
    )
    assert result.trust_name("A") == "Alpha NHS Trust"
    assert result.trust_name("B") == "B"  # an empty name
    assert result.trust_name("Z") == "Z"  # not in the result


def test_json_round_trip_is_lossless(complete_result: bm.Result) -> None:
    text = complete_result.to_json()
    back = bm.Result.from_json(text)
    # Deterministic: runtime is written as null, everything else kept.
    assert back == complete_result.model_copy(update={"runtime": None})
    assert back.policy == complete_result.policy
    assert json.loads(text)["runtime"] is None


def test_runtime_is_kept_unless_deterministic() -> None:
    result = bm.Result(status="optimal", runtime=1.25)
    assert bm.Result.from_json(result.to_json()).runtime == 1.25
    det = result.model_copy(update={"solver": {"deterministic": True}})
    assert bm.Result.from_json(det.to_json()).runtime is None
    # The Python object keeps it either way.
    assert det.runtime == 1.25


def test_to_dict_is_plain_json_data(complete_result: bm.Result) -> None:
    data = complete_result.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["policy"]["start_date"] == "2025-04-01"
    assert data["total_fee"] == complete_result.total_fee


def test_summary_counts_and_bounds() -> None:
    result = bm.Result(
        status="feasible",
        coverage=(
            bm.Coverage(priority=3, covered=1, total=1, bound=1),
            bm.Coverage(priority=2, covered=1, total=3, bound=2),
        ),
        objective=40.0,
        bound=44.0,
        gap=0.1,
        runtime=0.5,
        assignments=(assignment(),),
        unmet=(unmet(), unmet(area="governance")),
        total_fee=5000.0,
        infeasibility=("pin S with buddy B cannot hold",),
    )
    text = result.summary()
    assert "status: feasible" in text
    # The bound is named only where more may be possible.
    assert "priority 3: 1/1, priority 2: 1/3 (at most 2 possible)" in text
    assert "quality: 40.000 points (bound 44.000, gap 10.00%)" in text
    # Singular and plural nouns.
    assert "1 assignment in 0 partnerships; 2 unmet needs" in text
    assert "total fees 5,000" in text
    assert "runtime: 0.50 s" in text
    assert text.endswith("infeasible: pin S with buddy B cannot hold")


def test_str_lists_assignments_then_unmet_needs(
    complete_result: bm.Result,
) -> None:
    lines = str(complete_result).splitlines()
    body = [line for line in lines if line.startswith("  ")]
    n = len(complete_result.assignments)
    assert all("<-" in line for line in body[:n])
    assert all("UNMET" in line for line in body[n:])
    assert len(body) == n + len(complete_result.unmet)


def test_pairings_rows_sorted_with_unmet_last(
    complete_result: bm.Result,
) -> None:
    rows = pairings_rows(complete_result)
    assert all(tuple(row) == PAIRINGS_COLUMNS for row in rows)
    n = len(complete_result.assignments)
    keys = [(r["seeker"], r["area"], r["buddy"]) for r in rows[:n]]
    assert keys == sorted(keys)
    assert all(r["buddy"] == "" for r in rows[n:])
    assert len(rows) == n + len(complete_result.unmet)
    budget = next(r for r in rows[n:] if r["seeker"] == "S5")
    assert str(budget["reason"]).startswith("unmet (budget): covering it")
    # Names come from the result's own trust references.
    assert rows[0]["seeker_name"] == "S1 NHS Foundation Trust"


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        (
            {},
            "expertise 4/5, culture fit 0.95, 61 min away",
        ),
        (
            {"terms": {"expertise": 40.0, "preferred": 15.0}},
            "expertise 4/5, culture fit 0.95, 61 min away, preferred by "
            "the seeker",
        ),
        (
            {"terms": {"expertise": 40.0, "prior": 10.0}},
            "expertise 4/5, culture fit 0.95, 61 min away, prior relationship",
        ),
        # An override replaces the computed terms in words too.
        ({"terms": {"override": 42.5}}, "user score 42.5"),
        (
            {"terms": {"override": -1.0}, "pinned": True},
            "pinned; user score -1",
        ),
    ],
)
def test_assignment_reason(changes: dict[str, Any], words: str) -> None:
    assert assignment_reason(assignment(**changes)) == words
