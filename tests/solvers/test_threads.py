"""propose from several threads at once: no shared state, same answers.

A service answers requests in worker threads, so concurrent solves must not
disturb each other.  In deterministic mode each must give exactly what the
same solve gives alone (deterministic time, not the wall clock, limits the
search, so the machine's load cannot change the answer).
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

import buddymatch as bm
from buddymatch.synth import preset
from buddymatch.verify import recompute_objective

THREADS = 4
#: A short deterministic limit: the example's quality stage stops early,
#: so the test also covers a search cut off by its limit.
TIME_LIMIT = 0.15


def _example() -> tuple[bm.Problem, bm.Policy]:
    folder = bm.example_dir()
    problem = bm.read_problem(
        folder / "trusts.csv", relations=folder / "relations.csv"
    )
    return problem, bm.read_policy(folder / "policy.toml")


def _solve(problem: bm.Problem, policy: bm.Policy) -> bm.Result:
    return bm.propose(
        problem,
        policy,
        deterministic=True,
        workers=1,
        time_limit=TIME_LIMIT,
    )


def _comparable(result: bm.Result) -> bm.Result:
    """The result without its wall-clock parts."""
    return result.model_copy(update={"runtime": 0, "solver": {}})


@pytest.mark.parametrize("instance", ["example", "tiny"])
def test_concurrent_deterministic_solves_match_the_single_threaded_one(
    instance: str,
) -> None:
    if instance == "example":
        problem, policy = _example()
    else:
        problem, policy = preset("tiny"), bm.Policy()
    alone = _solve(problem, policy)
    assert bm.verify(problem, policy, alone) == []

    # Start together, so the solves really overlap.
    barrier = threading.Barrier(THREADS)

    def solve_together() -> tuple[bm.Result, bool]:
        barrier.wait()
        result = _solve(problem, policy)
        return result, threading.current_thread() is threading.main_thread()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        futures = [pool.submit(solve_together) for _ in range(THREADS)]
        outcomes = [future.result() for future in futures]
    for result, on_main in outcomes:
        assert not on_main
        assert bm.verify(problem, policy, result) == []
        assert result.objective == pytest.approx(
            recompute_objective(problem, policy, result), abs=1e-6
        )
        assert _comparable(result) == _comparable(alone)
        assert result.solver["stages"] == alone.solver["stages"]


def test_stop_from_another_thread_returns_the_best_so_far() -> None:
    # One sequential worker: the quality stage improves its solution
    # dozens of times over a second or more before it proves optimality,
    # so a stop at the first improvement must leave it unproven.
    problem = preset("nhs")
    stop = threading.Event()
    found = threading.Event()

    def progress(
        elapsed: float, objective: float, bound: float, gap: float
    ) -> None:
        found.set()

    def cancel() -> None:
        found.wait(timeout=60)
        stop.set()

    canceller = threading.Thread(target=cancel)
    canceller.start()
    try:
        result = bm.propose(
            problem,
            None,
            time_limit=60,
            deterministic=True,
            workers=1,
            progress=progress,
            stop=stop,
        )
    finally:
        stop.set()
        canceller.join()
    assert found.is_set()
    assert result.status == "feasible"
    assert result.solver["stages"][-1]["stage"] == "quality"
    assert result.solver["stages"][-1]["status"] == "feasible"
    assert result.gap is not None and result.gap > 0
    assert bm.verify(problem, bm.Policy(), result) == []


def test_a_solve_prints_nothing(capfd: pytest.CaptureFixture[str]) -> None:
    # capfd, not capsys: it also sees what CP-SAT's C++ writes to fd 1/2.
    problem = preset("tiny")
    result = bm.propose(problem, workers=1)
    assert bm.verify(problem, bm.Policy(), result) == []
    captured = capfd.readouterr()
    assert (captured.out, captured.err) == ("", "")


def test_the_search_log_goes_to_the_logger_only(
    capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    problem = preset("tiny")
    with caplog.at_level(logging.INFO, logger="buddymatch"):
        result = bm.propose(problem, log_search=True, workers=1)
    assert bm.verify(problem, bm.Policy(), result) == []
    assert any(r.name == "buddymatch" for r in caplog.records)
    captured = capfd.readouterr()
    assert captured.out == ""
