"""Scenario sweeps: one problem, many policies, solved side by side.

What-if questions ("what if buddies may be three hours away?", "what does
a £400k budget leave unmet?") are independent solves of one problem under
different policies.  [`propose_many`][buddymatch.sweep.propose_many] runs them
through any
`concurrent.futures.Executor`: by default a local process pool, and
for users who outgrow one machine, the executor of a cluster, such as Dask
distributed's ``client.get_executor()``::

    from distributed import Client
    with Client("scheduler:8786") as client:
        results = propose_many(problem, policies,
                               executor=client.get_executor())

Problems, policies and results are Pydantic models and pickle as they are,
so they travel to worker processes and machines unchanged.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterable, Mapping
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from typing import Any, overload

from buddymatch.model import Policy, Problem
from buddymatch.params import SolveParams
from buddymatch.result import Result

__all__ = ["propose_many"]


def _propose_one(
    problem: Problem, policy: Policy | None, params: SolveParams
) -> Result:
    """Solve one scenario (module-level, so process pools can pickle it)."""
    from buddymatch.solvers import propose

    return propose(problem, policy, params=params)


@overload
def propose_many(
    problem: Problem,
    policies: Mapping[str, Policy | None],
    executor: Executor | None = None,
    *,
    params: SolveParams | None = None,
    time_limit: float | None = None,
    seed: int | None = None,
    workers: int | None = None,
    deterministic: bool | None = None,
    solver_params: Mapping[str, Any] | None = None,
) -> dict[str, Result]: ...


@overload
def propose_many(
    problem: Problem,
    policies: Iterable[Policy | None],
    executor: Executor | None = None,
    *,
    params: SolveParams | None = None,
    time_limit: float | None = None,
    seed: int | None = None,
    workers: int | None = None,
    deterministic: bool | None = None,
    solver_params: Mapping[str, Any] | None = None,
) -> list[Result]: ...


def propose_many(
    problem: Problem,
    policies: Mapping[str, Policy | None] | Iterable[Policy | None],
    executor: Executor | None = None,
    *,
    params: SolveParams | None = None,
    time_limit: float | None = None,
    seed: int | None = None,
    workers: int | None = None,
    deterministic: bool | None = None,
    solver_params: Mapping[str, Any] | None = None,
) -> dict[str, Result] | list[Result]:
    """Propose an arrangement for *problem* under each policy, concurrently.

    Each policy is an independent call of [`propose`][buddymatch.propose]
    with the same parameters, so a sweep gives exactly the results
    of solving the scenarios one by one (in deterministic mode, the same
    assignments and objective).

    Parameters
    ----------
    problem
        The problem every scenario shares.
    policies
        The scenarios: a sequence of policies (``None`` = the defaults),
        or a mapping of scenario name to policy.
    executor
        Where the solves run: any `concurrent.futures.Executor`
        (a ``ThreadPoolExecutor``, a ``ProcessPoolExecutor``, Dask
        distributed's ``client.get_executor()`` ...).  It is used, not
        shut down.  By default a pool of fresh (spawned) processes, one
        per scenario up to the number of CPUs, made and shut down here;
        as with any process pool, a script that uses it must start from
        an ``if __name__ == "__main__":`` block.
    params
        How each search runs (see [`SolveParams`][buddymatch.SolveParams]),
        passed to every [`propose`][buddymatch.propose] call.  Several solves
        share the machine's cores, so with a local pool consider fewer
        CP-SAT ``workers`` per solve.  With a process pool the parameters
        travel to the workers, so ``progress`` must be a module-level
        function and ``stop`` cannot be used.
    time_limit, seed, workers, deterministic, solver_params
        The fields of *params*, given one by one instead; not with a
        *params* they differ from.

    Returns
    -------
    list of Result or dict of str to Result
        One result per policy, in the order of *policies* (with a mapping,
        a dict with the same keys in the same order).

    Raises
    ------
    InputError
        If a scenario's inputs are bad (for example a need's tier that a
        policy does not define): the error of the first such scenario, in
        the order of *policies*; the scenarios not yet started are
        cancelled.
    TypeError, ValueError
        If a setting is bad, or *params* is given with a keyword that
        differs from it (see [`SolveParams`][buddymatch.SolveParams]).
    """
    params = SolveParams.merge(
        params,
        time_limit=time_limit,
        seed=seed,
        workers=workers,
        deterministic=deterministic,
        solver_params=solver_params,
    )
    if isinstance(policies, Mapping):
        names = list(policies)
        scenarios = [policies[name] for name in names]
    else:
        names = []
        scenarios = list(policies)
    results: list[Result] = []
    if scenarios:
        if executor is None:
            size = max(1, min(len(scenarios), os.cpu_count() or 1))
            # Spawned, not forked: forking a process that runs threads
            # (CP-SAT's, a web server's) can deadlock the child.
            context = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(size, mp_context=context) as pool:
                results = _run_all(pool, problem, scenarios, params)
        else:
            results = _run_all(executor, problem, scenarios, params)
    if isinstance(policies, Mapping):
        return dict(zip(names, results, strict=True))
    return results


def _run_all(
    executor: Executor,
    problem: Problem,
    scenarios: list[Policy | None],
    params: SolveParams,
) -> list[Result]:
    """Submit every scenario, then collect the results in order."""
    futures: list[Future[Result]] = [
        executor.submit(_propose_one, problem, policy, params)
        for policy in scenarios
    ]
    try:
        return [future.result() for future in futures]
    except BaseException:
        # One scenario failed (or the caller interrupted us): the others
        # are not wanted any more.
        for future in futures:
            future.cancel()
        raise
