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
    problem = preset("nhs")
    stop = threading.Event()
    seen = threading.Event()

    def progress(
        elapsed: float, objective: float, bound: float, gap: float
    ) -> None:
        # Cancel as soon as the quality stage has a solution.
        seen.set()

    def cancel() -> None:
        seen.wait(timeout=30)
        stop.set()

    canceller = threading.Thread(target=cancel)
    canceller.start()
    try:
        result = bm.propose(
            problem, None, time_limit=60, progress=progress, stop=stop
        )
    finally:
        stop.set()
        canceller.join()
    assert result.is_feasible()
    assert bm.verify(problem, bm.Policy(), result) == []
    assert result.runtime < 60


def test_the_library_logs_and_never_prints(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    problem = preset("tiny")
    with caplog.at_level(logging.INFO, logger="buddymatch"):
        result = bm.propose(problem, log_search=True, workers=1)
    assert bm.verify(problem, bm.Policy(), result) == []
    captured = capsys.readouterr()
    assert captured.out == ""
    # The search log goes to the "buddymatch" logger.
    assert any(r.name.startswith("buddymatch") for r in caplog.records)
