"""The time limit covers the whole ``propose`` call: the budget logic.

No assertion here is about how fast anything runs (timings belong to
``benchmarks/bench_time_limit.py``); these tests force each path of the
budget with an injected clock or a limit too small for any work, and
check that the result is still valid and honest about what it knows.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

import buddymatch as bm
from buddymatch import solvers
from buddymatch.solvers import greedy as greedy_module
from buddymatch.synth import preset
from conftest import solve_verified


@pytest.fixture(scope="module")
def problem() -> bm.Problem:
    return preset("nhs")


def test_no_time_for_the_solver_returns_the_greedy_start(
    problem: bm.Problem, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As if building and solving a model could never fit the time left.
    monkeypatch.setattr(solvers, "MIN_SOLVE_SECONDS", 1e9)
    result = solve_verified(problem, time_limit=10.0)
    assert result.status == "feasible"  # nothing is proven
    assert result.bound is None and result.gap is None
    assert result.solver["stages"] == []
    assert "warm start" in result.solver["stopped"]
    assert result.coverage[0].covered > 0  # the greedy start's cover
    assert all(u.reason != "not_solved" for u in result.unmet)


def test_a_greedy_start_cut_short_says_what_it_did_not_try(
    problem: bm.Problem, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = greedy_module.greedy_start
    # The clock passes the deadline at the greedy's sixth look.
    ticks: Iterator[float] = itertools.chain(
        [-np.inf] * 5, itertools.repeat(np.inf)
    )

    def cut_short(*args: Any, **kwargs: Any) -> greedy_module.GreedyStart:
        kwargs["clock"] = lambda: next(ticks)
        return real(*args, **kwargs)

    monkeypatch.setattr(greedy_module, "CLOCK_EVERY", 1)
    monkeypatch.setattr(solvers, "greedy_start", cut_short)
    result = solve_verified(problem, time_limit=10.0)
    assert result.status == "feasible"
    assert result.bound is None and result.gap is None
    covered = sum(c.covered for c in result.coverage)
    assert 0 < covered <= 5
    untried = [u for u in result.unmet if u.reason == "not_solved"]
    assert untried
    for need in untried:
        assert need.candidates >= need.buddies  # a rule would explain it
        assert "not proven impossible" in need.detail


def test_greedy_start_without_deadline_tries_every_need(
    problem: bm.Problem,
) -> None:
    from buddymatch.candidates import build_candidates
    from buddymatch.solvers.greedy import greedy, greedy_start
    from buddymatch.solvers.room import usable_candidates

    cands = build_candidates(problem.canonical(), bm.Policy())
    usable = usable_candidates(cands)
    start = greedy_start(cands, usable, [])
    assert start.chosen is not None and not start.untried.any()
    later = greedy_start(cands, usable, [], deadline=time.perf_counter() + 1e6)
    assert later.chosen is not None
    assert np.array_equal(start.chosen, later.chosen)
    plain = greedy(cands, usable, [])
    assert plain is not None and np.array_equal(plain, start.chosen)


def test_a_limit_used_up_by_the_candidates_gives_no_solution(
    problem: bm.Problem,
) -> None:
    result = solve_verified(problem, time_limit=0.0)
    assert result.status == "no_solution"
    assert result.objective is None and result.bound is None
    assert not result.assignments
    assert {u.reason for u in result.unmet} <= {
        "not_solved",
        "no_candidate",
        "too_few_candidates",
    }
    assert "before any proposal" in result.solver["stopped"]


def test_deterministic_mode_ignores_the_wall_clock(
    problem: bm.Problem,
) -> None:
    # Its limit is deterministic time for the solver stages only: a
    # wall-clock cut would make the answer depend on the machine's load.
    result = solve_verified(problem, time_limit=0.0, deterministic=True)
    assert "stopped" not in result.solver
    assert result.is_feasible()


def test_runtime_includes_building_the_result(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = solvers.assemble
    took: list[float] = []

    def slow(*args: Any, **kwargs: Any) -> bm.Result:
        began = time.perf_counter()
        time.sleep(0.3)
        result = real(*args, **kwargs)
        took.append(time.perf_counter() - began)
        return result

    monkeypatch.setattr(solvers, "assemble", slow)
    result = solve_verified(preset("tiny"), time_limit=5.0)
    # A lower bound, not a speed: the call cannot be shorter than a part.
    assert result.runtime is not None and result.runtime >= took[0]
