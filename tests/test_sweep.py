"""Scenario sweeps: propose_many through executors (buddymatch.sweep)."""

from __future__ import annotations

from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any

import pytest

import buddymatch as bm
from buddymatch.sweep import propose_many
from buddymatch.synth import preset
from buddymatch.verify import recompute_objective

#: Deterministic, one CP-SAT worker: every scenario's answer is fixed.
TIME_LIMIT = 5.0

SCENARIOS = (
    bm.Policy(),
    bm.Policy(max_travel_minutes=90),
    bm.Policy(min_expertise=4, partnership_cost=20),
)


def _comparable(result: bm.Result) -> bm.Result:
    """The result without its wall-clock parts."""
    return result.model_copy(update={"runtime": 0.0, "solver": {}})


def _many(
    problem: bm.Problem, policies: Any, executor: Executor | None = None
) -> Any:
    """propose_many in deterministic mode with one CP-SAT worker."""
    return propose_many(
        problem,
        policies,
        executor,
        deterministic=True,
        workers=1,
        time_limit=TIME_LIMIT,
    )


def _check(
    problem: bm.Problem, policy: bm.Policy | None, result: bm.Result
) -> None:
    policy = policy or bm.Policy()
    assert bm.verify(problem, policy, result) == []
    if result.objective is not None:
        assert result.objective == pytest.approx(
            recompute_objective(problem, policy, result), abs=1e-6
        )


@pytest.fixture(scope="module")
def tiny() -> bm.Problem:
    return preset("tiny")


@pytest.fixture(scope="module")
def one_by_one(tiny: bm.Problem) -> list[bm.Result]:
    """Each scenario solved on its own, in this thread."""
    return [
        _comparable(
            bm.propose(
                tiny,
                policy,
                deterministic=True,
                workers=1,
                time_limit=TIME_LIMIT,
            )
        )
        for policy in SCENARIOS
    ]


def test_results_come_in_the_order_of_the_policies(
    tiny: bm.Problem, one_by_one: list[bm.Result]
) -> None:
    # The scenarios differ, so a mix-up of order would show.
    assert len({r.objective for r in one_by_one}) == len(SCENARIOS)
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = _many(tiny, SCENARIOS, pool)
    assert isinstance(results, list)
    for policy, result, alone in zip(
        SCENARIOS, results, one_by_one, strict=True
    ):
        _check(tiny, policy, result)
        assert _comparable(result) == alone


def test_named_scenarios_give_a_dict_in_the_same_order(
    tiny: bm.Problem, one_by_one: list[bm.Result]
) -> None:
    named = {"default": SCENARIOS[0], "near": SCENARIOS[1], "none": None}
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = _many(tiny, named, pool)
        # The caller's executor is used, not shut down.
        assert pool.submit(sum, [1, 2]).result() == 3
    assert list(results) == ["default", "near", "none"]
    for name, result in results.items():
        _check(tiny, named[name], result)
    assert _comparable(results["default"]) == one_by_one[0]
    assert _comparable(results["near"]) == one_by_one[1]
    # No policy means the defaults.
    assert _comparable(results["none"]) == one_by_one[0]


def test_default_executor_is_a_process_pool(
    tiny: bm.Problem, one_by_one: list[bm.Result]
) -> None:
    # Two scenarios: a pool of (at most) two fresh processes.
    results = _many(tiny, SCENARIOS[:2])
    for policy, result, alone in zip(
        SCENARIOS[:2], results, one_by_one[:2], strict=True
    ):
        _check(tiny, policy, result)
        assert _comparable(result) == alone


def test_no_scenarios_no_work(tiny: bm.Problem) -> None:
    assert propose_many(tiny, []) == []
    assert propose_many(tiny, {}) == {}


def test_a_failing_scenario_raises_its_error(tiny: bm.Problem) -> None:
    # A need in a tier only one of the policies defines.
    need = tiny.needs[0]
    problem = tiny.replace(
        needs=(need.model_copy(update={"tier": "coaching"}), *tiny.needs[1:])
    )
    coaching = bm.Policy(
        tiers={"coaching": bm.Tier(workload=1, months=3, fee=100.0)}
    )
    with (
        ThreadPoolExecutor(max_workers=1) as pool,
        pytest.raises(bm.InputError, match="coaching"),
    ):
        _many(problem, [coaching, bm.Policy()], pool)
    with ThreadPoolExecutor(max_workers=1) as pool:
        (result,) = _many(problem, [coaching], pool)
    _check(problem, coaching, result)
