"""The large-model path: decomposition bounds and price-and-branch.

An NHS-size problem is treated as large (``LARGE_MODEL_PAIRS`` patched
down), so that the decomposition, the integer master over its columns and
the shortlist all run where the whole model proves the optimum for
comparison.
"""

from __future__ import annotations

import pytest

import buddymatch as bm
from buddymatch import solvers, synth
from buddymatch.candidates import build_candidates
from buddymatch.solvers.bounds import cover_counts
from buddymatch.solvers.greedy import greedy
from buddymatch.solvers.room import usable_candidates
from conftest import solve_verified


@pytest.fixture(scope="module")
def nhs() -> tuple[bm.Problem, bm.Result]:
    problem = synth.preset("nhs", seed=0)
    proven = solve_verified(problem, time_limit=20.0)
    assert proven.status == "optimal"
    return problem, proven


def _large(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(solvers, "LARGE_MODEL_PAIRS", 100)
    monkeypatch.setattr(solvers, "DECOMPOSITION_MIN_SECONDS", 0.0)


def test_large_path_bounds_hold_against_the_proven_optimum(
    nhs: tuple[bm.Problem, bm.Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    problem, proven = nhs
    _large(monkeypatch)
    from buddymatch.solvers import staged

    # The neighbourhood search runs even where the cover is within 1 % of
    # its bounds, so that its answer is checked against them too.
    monkeypatch.setattr(staged, "COVER_ROOM_ONLY", False)
    result = solve_verified(problem, time_limit=10.0)
    record = result.solver["decomposition"]
    assert [s["stage"] for s in record["stages"]] == [
        "cover priority 3",
        "cover priority 2",
        "cover priority 1",
        "quality",
    ]
    assert result.solver["bound_source"] in ("cp-sat", "decomposition")
    assert result.solver["master"]  # the integer master ran
    (searched,) = result.solver["neighbourhoods"]  # and the neighbourhoods
    assert searched["steps"] >= 1
    # The decomposition bounds it: the compact search is the shortlist's.
    assert result.solver["shortlist"]["whole_model"] is False
    _assert_bounds_hold(result, proven)


def _assert_bounds_hold(result: bm.Result, proven: bm.Result) -> None:
    """Every bound *result* reports holds, against *proven* too."""
    optimum = {c.priority: c.covered for c in proven.coverage}
    for c in result.coverage:
        assert c.bound is not None and c.covered <= c.bound <= c.total
    # The cover of priority 3 is conditional on nothing: it bounds the
    # optimum outright.
    top = next(c for c in result.coverage if c.priority == 3)
    assert top.bound is not None and top.bound >= optimum[3]
    assert result.bound is not None and result.objective is not None
    assert result.bound >= result.objective
    if [c.covered for c in result.coverage] == [
        c.covered for c in proven.coverage
    ]:
        # Same cover: the quality bound holds for the proven optimum too.
        assert proven.objective is not None
        assert result.bound >= proven.objective - 1e-6


def test_large_path_is_deterministic(
    nhs: tuple[bm.Problem, bm.Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    problem, _ = nhs
    _large(monkeypatch)
    first = solve_verified(problem, time_limit=4.0, deterministic=True)
    second = solve_verified(problem, time_limit=4.0, deterministic=True)
    assert "decomposition" in first.solver
    assert first.to_json() == second.to_json()


def test_master_never_makes_the_warm_start_worse(
    nhs: tuple[bm.Problem, bm.Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    # With no time for the search after it, the proposal is the master's
    # (or the greedy start's, whichever ranks higher), and still verified.
    problem, proven = nhs
    _large(monkeypatch)
    from buddymatch.solvers import staged

    monkeypatch.setattr(staged, "MASTER_SHARE", 1.0)
    result = solve_verified(problem, time_limit=6.0)
    rank = [c.covered for c in result.coverage]
    assert rank <= [c.covered for c in proven.coverage]
    # At least the greedy start's cover, priority by priority (3 first).
    cands = build_candidates(problem.canonical(), bm.Policy())
    start = greedy(cands, usable_candidates(cands), [])
    assert start is not None
    counts = cover_counts(cands, start)
    assert rank >= [counts[c.priority] for c in result.coverage]


def test_an_lp_failure_keeps_a_valid_bound(
    nhs: tuple[bm.Problem, bm.Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    # An LP solver giving up on the master (GLOP once returned ABNORMAL)
    # ends the stage with the best Lagrangian bound so far: propose does
    # not fail, and the bounds still hold.
    from buddymatch.solvers import decomposition

    problem, proven = nhs
    _large(monkeypatch)
    calls = {"n": 0}
    solve = decomposition._Master.solve

    def flaky(self: decomposition._Master) -> float:
        calls["n"] += 1
        if calls["n"] % 3 == 0:
            raise decomposition.MasterLPError("LP status 4 on the master")
        return solve(self)

    monkeypatch.setattr(decomposition._Master, "solve", flaky)
    result = solve_verified(problem, time_limit=8.0)
    assert calls["n"] >= 3
    top = next(c for c in result.coverage if c.priority == 3)
    assert top.bound is not None
    assert top.bound >= next(
        c.covered for c in proven.coverage if c.priority == 3
    )
    assert result.bound is None or (
        result.objective is not None and result.bound >= result.objective
    )


def _programme_sized(monkeypatch: pytest.MonkeyPatch) -> None:
    """Treat the problem as programme-sized: a shortlist only, no
    decomposition, so the transportation relaxation bounds the stages."""
    from buddymatch.solvers import shortlist

    monkeypatch.setattr(solvers, "LARGE_MODEL_PAIRS", 100)
    monkeypatch.setattr(solvers, "STAGED_MAX_PAIRS", 100)
    monkeypatch.setattr(shortlist, "SHORTLIST_ABOVE", 100)


def test_programme_sized_path_bounds_hold_against_the_proven_optimum(
    nhs: tuple[bm.Problem, bm.Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    problem, proven = nhs
    _programme_sized(monkeypatch)
    result = solve_verified(problem, time_limit=6.0)
    assert "decomposition" not in result.solver
    stages = result.solver["transport"]
    assert [s["stage"] for s in stages] == [
        "cover priority 3",
        "cover priority 2",
        "cover priority 1",
        "quality",
    ]
    assert all(s["used"] for s in stages)
    assert result.solver["bound_source"] == "transport"
    _assert_bounds_hold(result, proven)


def test_programme_sized_path_is_deterministic(
    nhs: tuple[bm.Problem, bm.Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    problem, _ = nhs
    _programme_sized(monkeypatch)
    first = solve_verified(problem, time_limit=3.0, deterministic=True)
    second = solve_verified(problem, time_limit=3.0, deterministic=True)
    assert "transport" in first.solver
    assert first.to_json() == second.to_json()
