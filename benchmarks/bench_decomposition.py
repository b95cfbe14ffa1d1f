"""Benchmark the decomposition bound against the engine's own.

Run by hand, never as a test::

    python benchmarks/bench_decomposition.py
    python benchmarks/bench_decomposition.py --instances nhs,national \\
        --engine-time 60 --bound-time 120

For each instance (``buddymatch.synth.preset`` with seed 0), two fresh
processes (``spawn``, so each peak resident memory is that run's own):

1. the engine, ``propose`` with ``--engine-time`` seconds: its cover per
   priority, quality objective and CP-SAT bounds (a cover stage's bound
   is known only when CP-SAT proved it: then it is the cover itself);
2. :func:`buddymatch.solvers.decomposition.decomposition_bounds`, given
   the engine's cover counts and seeded with the engine's proposal.

One row per stage: the engine's value and bound, the decomposition's
bound, its restricted-master value, pricing rounds, whether it
converged, its seconds, and the peak RSS of each process.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np

from buddymatch import synth
from buddymatch.candidates import CandidateSet, build_candidates
from buddymatch.model import Policy
from buddymatch.result import Result
from buddymatch.solvers import propose
from buddymatch.solvers.decomposition import decomposition_bounds
from buddymatch.verify import verify

Row = dict[str, Any]


def _peak_mb() -> float:
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _candidates(name: str) -> CandidateSet:
    problem = synth.preset(name, seed=0)
    return build_candidates(problem.canonical(), Policy())


def _positions(cands: CandidateSet, result: Result) -> list[int]:
    """The candidate positions of the result's assignments."""
    needs = {(n.seeker, n.area): i for i, n in enumerate(cands.problem.needs)}
    trusts = {t.id: j for j, t in enumerate(cands.problem.trusts)}
    found = []
    for a in result.assignments:
        k = cands.position(needs[(a.seeker, a.area)], trusts[a.buddy])
        assert k is not None
        found.append(k)
    return found


def run_engine(name: str, time_limit: float) -> Row:
    """Run ``propose``; return its cover, objective, bounds, proposal."""
    problem = synth.preset(name, seed=0)
    policy = Policy()
    cands = build_candidates(problem.canonical(), policy)
    began = time.perf_counter()
    result = propose(problem, policy, time_limit=time_limit, candidates=cands)
    seconds = time.perf_counter() - began
    assert verify(problem, policy, result) == []
    stages = [
        s for s in result.solver.get("stages", []) if not s.get("shortlist")
    ]
    proven = {
        s["stage"]: s["objective"]
        for s in stages
        if s.get("status") == "optimal"
    }
    return {
        "status": result.status,
        "cover": {c.priority: c.covered for c in result.coverage},
        "total": {c.priority: c.total for c in result.coverage},
        "objective": result.objective,
        "bound": result.bound,
        "proven": proven,
        "positions": _positions(cands, result),
        "pairs": cands.n_candidates,
        "seconds": seconds,
        "peak_mb": _peak_mb(),
    }


def run_bound(
    name: str, cover: dict[int, int], positions: list[int], time_limit: float
) -> Row:
    """Run the decomposition given the engine's cover and proposal."""
    cands = _candidates(name)
    start = np.zeros(cands.n_candidates, dtype=bool)
    start[positions] = True
    began = time.perf_counter()
    found = decomposition_bounds(
        cands, cover=cover, time_limit=time_limit, start=start
    )
    return {
        "stages": [vars(s) for s in found.stages],
        "seconds": time.perf_counter() - began,
        "peak_mb": _peak_mb(),
    }


def _fresh(work: Callable[..., Row], *args: Any) -> Row:
    """Run *work(*args)* in a new spawned process and return its row."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        return pool.submit(work, *args).result()


def _cell(value: Any, width: int) -> str:
    if value is None:
        text = "-"
    elif isinstance(value, float):
        text = f"{value:,.3f}" if abs(value) < 1e4 else f"{value:,.1f}"
    else:
        text = str(value)
    return text.rjust(width)


def report(name: str, engine: Row, bound: Row) -> None:
    """Print one table for *name*."""
    print(
        f"\n{name}: {engine['pairs']:,} candidate pairs; engine "
        f"{engine['status']} in {engine['seconds']:.1f} s "
        f"(peak {engine['peak_mb']:,.0f} MB); decomposition "
        f"{bound['seconds']:.1f} s (peak {bound['peak_mb']:,.0f} MB)"
    )
    head = (
        "stage",
        "engine",
        "cp-sat bound",
        "dw bound",
        "dw master",
        "rounds",
        "converged",
        "seconds",
        "columns",
    )
    widths = (18, 11, 13, 11, 11, 7, 10, 8, 8)
    print(" ".join(h.rjust(w) for h, w in zip(head, widths, strict=True)))
    for stage in bound["stages"]:
        title = stage["stage"]
        if title == "quality":
            value, cpsat = engine["objective"], engine["bound"]
        else:
            p = int(title.rsplit(" ", 1)[1])
            value = engine["cover"].get(p)
            cpsat = engine["proven"].get(title)
            if cpsat is None and value == engine["total"].get(p):
                cpsat = value
        cells = (
            title,
            value,
            cpsat,
            stage["bound"],
            stage["lp_value"],
            stage["iterations"],
            stage["converged"],
            stage["seconds"],
            stage["columns"],
        )
        print(
            " ".join(_cell(c, w) for c, w in zip(cells, widths, strict=True))
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--instances", default="nhs,national")
    parser.add_argument("--engine-time", type=float, default=60.0)
    parser.add_argument("--bound-time", type=float, default=120.0)
    args = parser.parse_args()
    for name in args.instances.split(","):
        engine = _fresh(run_engine, name, args.engine_time)
        bound = _fresh(
            run_bound,
            name,
            engine["cover"],
            engine["positions"],
            args.bound_time,
        )
        report(name, engine, bound)


if __name__ == "__main__":
    main()
