"""Reference costs of the GAP instances of ``instances.py``.

Run by hand, never as a test::

    python benchmarks/gap_reference.py                  # the 8 of README
    python benchmarks/gap_reference.py --instances gap-all --time-limit 300

The instances are our own draws of Chu & Beasley's recipes, not the
OR-Library files, so no published best-known value applies to them.  For
each one this solves the plain GAP model (``min sum c x``, each job to one
agent, each agent's workload within its capacity) with HiGHS, and with
SCIP too unless HiGHS proved its answer optimal, each for
``--time-limit`` seconds, plus the LP relaxation (GLOP).  It writes
``gap_reference.json`` beside it: per instance the lowest cost found, the
best lower bound (the MIP bounds and the LP bound, rounded up: costs are
integers), whether the cost is proven optimal, and a source line saying
which solver found it in how long.  ``bench_engine.py`` prints each
solver's cost against it.  A reference that is not proven optimal is the
best *found*, not a best-known value.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

from ortools.linear_solver import pywraplp

sys.path.insert(0, str(Path(__file__).resolve().parent))
import instances as more_instances
from instances import GapData

#: The instances of the README run: types A-D at 5 x 100 and 10 x 200.
DEFAULT_INSTANCES = tuple(
    f"gap-{kind}-{size}" for kind in "abcd" for size in ("5x100", "10x200")
)
OUT = Path(__file__).resolve().parent / "gap_reference.json"


def fingerprint(data: GapData) -> str:
    """Return a short hash of the instance's numbers (to spot a stale file)."""
    digest = hashlib.sha256()
    for array in (data.workload, data.cost, data.capacity):
        digest.update(array.tobytes())
    return digest.hexdigest()[:16]


def solve_gap(
    data: GapData, backend: str, time_limit: float, relax: bool = False
) -> dict[str, Any]:
    """Solve the plain GAP model with a ``pywraplp`` backend.

    Returns
    -------
    dict
        ``status``, ``cost`` (``None`` without a solution), ``bound``
        (lower bound on cost) and ``seconds``.
    """
    solver = pywraplp.Solver.CreateSolver(backend)
    if solver is None:
        raise RuntimeError(f"pywraplp has no {backend} backend here")
    m, n = data.cost.shape
    if relax:
        x = [[solver.NumVar(0.0, 1.0, "") for _ in range(n)] for _ in range(m)]
    else:
        x = [[solver.BoolVar("") for _ in range(n)] for _ in range(m)]
    for j in range(n):
        solver.Add(solver.Sum([x[i][j] for i in range(m)]) == 1)
    for i in range(m):
        solver.Add(
            solver.Sum([int(data.workload[i, j]) * x[i][j] for j in range(n)])
            <= int(data.capacity[i])
        )
    solver.Minimize(
        solver.Sum(
            [
                int(data.cost[i, j]) * x[i][j]
                for i in range(m)
                for j in range(n)
            ]
        )
    )
    solver.SetTimeLimit(int(time_limit * 1000))
    params = pywraplp.MPSolverParameters()
    if not relax:
        params.SetDoubleParam(params.RELATIVE_MIP_GAP, 0.0)
    start = time.perf_counter()
    code = solver.Solve(params)
    seconds = time.perf_counter() - start
    found = code in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE)
    value = solver.Objective().Value() if found else None
    if relax:
        bound = value
    else:
        bound = solver.Objective().BestBound() if found else None
    return {
        "status": {
            pywraplp.Solver.OPTIMAL: "optimal",
            pywraplp.Solver.FEASIBLE: "feasible",
            pywraplp.Solver.INFEASIBLE: "infeasible",
        }.get(code, "no_solution"),
        "cost": value,
        "bound": bound,
        "seconds": seconds,
    }


def reference(name: str, time_limit: float) -> dict[str, Any]:
    """Return the reference entry of one instance."""
    data = more_instances.gap_case(name).gap
    assert data is not None
    lp = solve_gap(data, "GLOP", time_limit, relax=True)
    runs = {"highs": solve_gap(data, "HIGHS", time_limit)}
    if runs["highs"]["status"] != "optimal":
        runs["scip"] = solve_gap(data, "SCIP", time_limit)
    found = {k: r for k, r in runs.items() if r["cost"] is not None}
    if not found:
        raise RuntimeError(f"{name}: no solver found a full assignment")
    best = min(found, key=lambda k: found[k]["cost"])
    cost = round(found[best]["cost"])
    bounds = [r["bound"] for r in runs.values() if r["bound"] is not None]
    bounds.append(lp["bound"])
    lower = math.ceil(max(bounds) - 1e-6)
    proven = lower >= cost
    seconds = runs[best]["seconds"]
    source = (
        f"{best} {seconds:.1f} s, proven optimal"
        if proven
        else f"best found by {best} in {time_limit:g} s (not best-known)"
    )
    return {
        "cost": cost,
        "lower_bound": float(lower),
        "lp_bound": lp["bound"],
        "proven_optimal": proven,
        "source": source,
        "fingerprint": fingerprint(data),
        "runs": runs,
    }


def main(argv: list[str] | None = None) -> int:
    """Compute the references and write ``gap_reference.json``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--instances",
        default=",".join(DEFAULT_INSTANCES),
        help="comma-separated gap-<type>-<m>x<n> names, or gap-all",
    )
    parser.add_argument(
        "--time-limit",
        type=float,
        default=120.0,
        help="seconds per solver and instance",
    )
    args = parser.parse_args(argv)
    names = [s for s in args.instances.split(",") if s]
    if names == ["gap-all"]:
        names = list(more_instances.GAP_INSTANCES)
    table: dict[str, Any] = json.loads(OUT.read_text()) if OUT.exists() else {}
    for name in names:
        entry = reference(name, args.time_limit)
        table[name] = entry
        print(
            f"{name}: cost {entry['cost']} lower bound "
            f"{entry['lower_bound']:.0f} LP {entry['lp_bound']:.1f} "
            f"({entry['source']})",
            flush=True,
        )
        # Written after each instance: a long run keeps what it found.
        OUT.write_text(json.dumps(dict(sorted(table.items())), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
