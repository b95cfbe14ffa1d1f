"""Benchmark price-and-branch: decomposition columns, then an integer master.

Run by hand, never as a test::

    python benchmarks/bench_master.py
    python benchmarks/bench_master.py --instances national \\
        --phases 30/20,15/15 --engine-time 60

For each instance (``synth.preset("national", 0)`` and
``instances.national_alt(0)``) and each ``T1/T2`` of ``--phases``:

1. the engine's greedy start (no pins);
2. :func:`~buddymatch.solvers.decomposition.decomposition_bounds` for T1
   seconds, seeded with the greedy proposal (nothing fixed: its cover
   bounds are the unconditional ones of each stage);
3. :func:`~buddymatch.solvers.cpsat.master.integer_master` over the
   decomposition's whole column pool for T2 seconds, the greedy proposal
   as its start, with ``--workers`` CP-SAT workers (default 2, the
   engine's at this size).

One row per phase: cover per priority (3/2/1), quality, seconds, and the
verifier's violations (must be 0); the decomposition's row shows its
cover bounds and the pool size.  Then ``propose`` with
``--engine-time`` seconds on the same instance, for comparison.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

import buddymatch as bm
from buddymatch import synth
from buddymatch.candidates import CandidateSet, build_candidates
from buddymatch.result import Result
from buddymatch.solvers import propose
from buddymatch.solvers.assemble import assemble
from buddymatch.solvers.cpsat.master import integer_master
from buddymatch.solvers.decomposition import decomposition_bounds
from buddymatch.solvers.greedy import greedy
from buddymatch.solvers.room import usable_candidates

sys.path.insert(0, str(Path(__file__).parent))
from instances import national_alt


def _case(name: str) -> tuple[bm.Problem, bm.Policy]:
    if name == "national-alt":
        case = national_alt(0)
        return case.problem, case.policy
    return synth.preset(name, seed=0), bm.Policy()


def _cover(result: Result) -> str:
    cover = {c.priority: c.covered for c in result.coverage}
    met = [cover.get(p, 0) for p in (3, 2, 1)]
    return f"{'/'.join(str(m) for m in met)} ={sum(met)}"


def _row(
    label: str, cover: str, quality: float | None, seconds: float, extra: str
) -> None:
    q = "-" if quality is None else f"{quality:,.1f}"
    print(f"  {label:<22} {cover:>18} {q:>12} {seconds:>8.1f}  {extra}")


def run(
    name: str,
    phases: list[tuple[float, float]],
    engine_time: float,
    workers: int,
) -> None:
    """Print the table of *name*."""
    problem, policy = _case(name)
    began = time.perf_counter()
    cands: CandidateSet = build_candidates(problem.canonical(), policy)
    usable = usable_candidates(cands)
    built = time.perf_counter() - began
    print(
        f"\n{name}: {cands.n_candidates:,} candidate pairs, "
        f"{int(usable.sum()):,} usable, {len(problem.needs):,} needs "
        f"(candidates {built:.1f} s)"
    )
    print(
        f"  {'phase':<22} {'cover 3/2/1':>18} {'quality':>12} "
        f"{'seconds':>8}  notes"
    )
    began = time.perf_counter()
    start = greedy(cands, usable, [])
    assert start is not None
    seconds = time.perf_counter() - began
    first = assemble(cands, start, "feasible")
    bad = len(bm.verify(problem, policy, first))
    _row(
        "greedy", _cover(first), first.objective, seconds, f"violations {bad}"
    )
    for t1, t2 in phases:
        began = time.perf_counter()
        found = decomposition_bounds(cands, time_limit=t1, start=start)
        seconds = time.perf_counter() - began
        bounds = {s.stage: s for s in found.stages}
        cover = "/".join(
            str(bounds[f"cover priority {p}"].bound_units)
            if f"cover priority {p}" in bounds
            else "-"
            for p in (3, 2, 1)
        )
        converged = all(s.converged for s in found.stages)
        quality = bounds["quality"].bound if "quality" in bounds else None
        _row(
            f"dw bounds T1={t1:g}",
            cover,
            quality,
            seconds,
            f"pool {len(found.pool_columns):,} columns, converged {converged}",
        )
        began = time.perf_counter()
        outcome = integer_master(
            cands,
            found.pool_columns,
            found.pool_buddy,
            [],
            start=start,
            time_limit=t2,
            workers=workers,
        )
        seconds = time.perf_counter() - began
        result = assemble(cands, outcome.chosen, "feasible")
        bad = len(bm.verify(problem, policy, result))
        stages = ", ".join(
            f"{s['stage'].replace('cover priority ', 'p')} {s['status']}"
            for s in outcome.stages
        )
        _row(
            f"master T2={t2:g}",
            _cover(result),
            result.objective,
            seconds,
            f"violations {bad}; {outcome.status}; {stages}",
        )
    began = time.perf_counter()
    engine = propose(problem, policy, time_limit=engine_time)
    seconds = time.perf_counter() - began
    bad = len(bm.verify(problem, policy, engine))
    _row(
        f"propose {engine_time:g} s",
        _cover(engine),
        engine.objective,
        seconds,
        f"violations {bad}; {engine.status}",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--instances", default="national,national-alt")
    parser.add_argument("--phases", default="30/20,15/15")
    parser.add_argument("--engine-time", type=float, default=60.0)
    # The engine's own default at this size (WORKERS_LARGE); with 1
    # worker CP-SAT has no LNS and the master barely leaves the greedy
    # start (773 needs met on "national" against 864 with 2).
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    phases = [
        (float(a), float(b))
        for a, b in (p.split("/") for p in args.phases.split(","))
    ]
    np.set_printoptions(linewidth=120)
    for name in args.instances.split(","):
        run(name, phases, args.engine_time, args.workers)


if __name__ == "__main__":
    main()
