"""The compact MIP a user would write, for SCIP or HiGHS via ``pywraplp``.

A second yardstick for ``bench_engine.py``, beside the naive CP-SAT model:
the textbook mixed-integer model over buddymatch's own candidate pairs
(the hard pair rules applied, pairs that can never fit dropped with
:func:`~buddymatch.solvers.assemble.usable_candidates`), solved by a MIP
solver that ships with OR-Tools.

- ``x[k]`` (binary) per usable candidate pair: the pair is chosen;
- ``y[s, b]`` (binary) per seeker and buddy with a candidate pair
  between them: a partnership, ``x[k] <= y[s, b]``;
- ``z[n]`` (binary) per need: met, ``sum_k x[k] == buddies(n) * z[n]``;
- capacity ``sum workload * x <= capacity`` per buddy, partners
  ``sum_s y[s, b] <= limit`` per buddy, buddies per seeker
  ``sum_b y[s, b] <= limit``, budget ``sum fee * x <= budget``, and a pin
  as ``sum x >= 1`` over its pairs;
- one weighted objective: each priority's cover weighted so that one more
  need of it outweighs everything below (as in ``naive_baseline.py``),
  plus quality (scores minus ``partnership_cost`` per partnership).

Default solver settings apart from the time limit and a relative MIP gap
of 0.  Measured with OR-Tools 9.15: ``pywraplp``'s HiGHS interface ignores
that gap (and solver-specific parameters), so HiGHS stops at its default
relative gap of 1e-4 and reports the result as optimal with a "best
bound" equal to the objective; :func:`solve_mip` therefore widens a HiGHS
bound by that tolerance.  HiGHS through ``pywraplp`` also returns no
solution at all when the time limit stops it.  Only the benchmark imports
this module.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from ortools.linear_solver import pywraplp

from buddymatch.candidates import CandidateSet
from buddymatch.solvers.room import usable_candidates

#: HiGHS's default relative MIP gap, which pywraplp cannot change.
HIGHS_REL_GAP = 1e-4

#: pywraplp result status -> buddymatch status.
_STATUS = {
    pywraplp.Solver.OPTIMAL: "optimal",
    pywraplp.Solver.FEASIBLE: "feasible",
    pywraplp.Solver.INFEASIBLE: "infeasible",
}


@dataclass
class MipOutcome:
    """What the compact MIP found.

    Attributes
    ----------
    status
        ``optimal``, ``feasible``, ``infeasible`` or ``no_solution``.
    chosen
        Boolean mask over the candidate pairs.
    build_seconds, solve_seconds
        Time to build the model and to solve it.
    n_pair_variables
        Number of ``x`` variables.
    objective, best_bound
        The weighted objective and the solver's bound on it (``None``
        without a solution).
    weights
        Cover weight per priority.
    """

    status: str
    chosen: np.ndarray
    build_seconds: float
    solve_seconds: float
    n_pair_variables: int
    objective: float | None
    best_bound: float | None
    weights: dict[int, float]
    quality_floor: float = 0.0

    def quality_bound(self, cover: dict[int, int]) -> float | None:
        """Return the bound on quality points at the given cover."""
        return lexicographic_bounds(
            self.best_bound, self.weights, cover, self.quality_floor
        )[0]

    def cover_bound(self, cover: dict[int, int]) -> dict[int, int]:
        """Return the proven most needs per priority (see below)."""
        return lexicographic_bounds(
            self.best_bound, self.weights, cover, self.quality_floor
        )[1]


def lexicographic_bounds(
    best_bound: float | None,
    weights: dict[int, float] | dict[int, int],
    cover: dict[int, int],
    quality_floor: float = 0.0,
    totals: dict[int, int] | None = None,
) -> tuple[float | None, dict[int, int]]:
    """Split a bound on a weighted objective into quality and cover bounds.

    Parameters
    ----------
    best_bound
        The solver's bound on ``sum_p weights[p] * cover_p + quality``.
    weights
        Cover weight per priority, each larger than everything below it.
    cover
        The proposal's cover per priority.
    quality_floor
        The lowest quality any proposal can have (0 or below).
    totals
        Needs per priority, which cap the cover bounds.

    Returns
    -------
    tuple
        The bound on quality of any proposal with this cover (the weighted
        bound less the cover's weight: the number comparable to the
        engine's bound, quality with cover fixed), and the proven most
        needs per priority, most urgent first.  A priority's cover bound
        holds only while every more urgent priority is met up to its own
        bound in this proposal; the ones after are left out.
    """
    if best_bound is None:
        return None, {}
    quality = best_bound - sum(weights[p] * cover.get(p, 0) for p in weights)
    most: dict[int, int] = {}
    # Shifting by the lowest quality makes every tail below a priority
    # non-negative, so flooring cannot cut off a reachable cover.
    left = float(best_bound) - quality_floor
    for p in sorted(weights, reverse=True):
        # Everything below priority p (lower cover and quality) is worth
        # less than one need of p, by the choice of weights.
        most[p] = int(np.floor(left / weights[p] + 1e-9))
        if totals is not None:
            most[p] = min(most[p], totals.get(p, 0))
        if cover.get(p, 0) != most[p]:
            break
        left -= weights[p] * most[p]
    return quality, most


def solve_mip(
    cands: CandidateSet, backend: str, time_limit: float
) -> MipOutcome:
    """Build and solve the compact MIP with *backend*.

    Parameters
    ----------
    cands
        The candidate pairs (with their scores, workloads and fees).
    backend
        ``SCIP`` or ``HIGHS`` (any ``pywraplp`` MIP backend).
    time_limit
        Seconds for the solve.

    Returns
    -------
    MipOutcome
        Status, the chosen pairs and the numbers.
    """
    start = time.perf_counter()
    solver = pywraplp.Solver.CreateSolver(backend)
    if solver is None:
        raise RuntimeError(f"pywraplp has no {backend} backend here")
    problem, policy = cands.problem, cands.policy
    trusts, needs = problem.trusts, problem.needs
    usable = usable_candidates(cands)
    pairs = np.flatnonzero(usable)
    need_of = cands.need[pairs].tolist()
    buddy_of = cands.buddy[pairs].tolist()
    seeker_of = cands.need_seeker[cands.need[pairs]].tolist()
    score = cands.score[pairs].tolist()
    workload = cands.workload[pairs].tolist()
    fee = cands.fee[pairs].tolist()

    x = [solver.BoolVar(f"x{k}") for k in range(len(pairs))]
    partners: dict[tuple[int, int], pywraplp.Variable] = {}
    for k, (s, b) in enumerate(zip(seeker_of, buddy_of, strict=True)):
        y = partners.get((s, b))
        if y is None:
            y = partners[s, b] = solver.BoolVar(f"y{s}_{b}")
        solver.Add(x[k] <= y)
    by_need: dict[int, list[int]] = {}
    by_buddy: dict[int, list[int]] = {}
    for k, (n, b) in enumerate(zip(need_of, buddy_of, strict=True)):
        by_need.setdefault(n, []).append(k)
        by_buddy.setdefault(b, []).append(k)
    met = {n: solver.BoolVar(f"z{n}") for n in by_need}
    for n, ks in by_need.items():
        solver.Add(solver.Sum([x[k] for k in ks]) == needs[n].buddies * met[n])
    for b, ks in by_buddy.items():
        solver.Add(
            solver.Sum([workload[k] * x[k] for k in ks]) <= trusts[b].capacity
        )
    ys_of_buddy: dict[int, list[pywraplp.Variable]] = {}
    ys_of_seeker: dict[int, list[pywraplp.Variable]] = {}
    for (s, b), y in partners.items():
        ys_of_buddy.setdefault(b, []).append(y)
        ys_of_seeker.setdefault(s, []).append(y)
    for b, ys in ys_of_buddy.items():
        own = trusts[b].max_partners
        limit = own if own is not None else policy.max_partners
        if limit is not None and limit < len(ys):
            solver.Add(solver.Sum(ys) <= limit)
    if policy.max_buddies_per_seeker is not None:
        for ys in ys_of_seeker.values():
            if policy.max_buddies_per_seeker < len(ys):
                solver.Add(solver.Sum(ys) <= policy.max_buddies_per_seeker)
    if policy.budget is not None:
        solver.Add(
            solver.Sum([fee[k] * x[k] for k in range(len(x))]) <= policy.budget
        )
    index = {t.id: j for j, t in enumerate(trusts)}
    seeker_row = {sid: r for r, sid in enumerate(cands.seekers)}
    for rel in problem.relations:
        if rel.kind != "pinned":
            continue
        ks = [
            k
            for k in range(len(x))
            if buddy_of[k] == index[rel.b]
            and seeker_of[k] == seeker_row.get(rel.a, -1)
            and (rel.area is None or needs[need_of[k]].area == rel.area)
        ]
        solver.Add(solver.Sum([x[k] for k in ks]) >= 1)

    # One more need of a priority must outweigh all lower cover and the
    # whole quality range; the range is bounded need by need.
    cost = policy.partnership_cost
    best = np.zeros(len(needs))
    worst = np.zeros(len(needs))
    for k, n in enumerate(need_of):
        best[n] = max(best[n], abs(score[k]))
        worst[n] = min(worst[n], score[k])
    wanted = np.array([n.buddies for n in needs], dtype=float)
    quality_range = float((best * wanted).sum() + cost * wanted.sum())
    quality_floor = float((worst * wanted).sum() - cost * wanted.sum())
    weights = {1: quality_range + 1.0}
    count = {p: sum(1 for n in needs if n.priority == p) for p in (1, 2, 3)}
    weights[2] = weights[1] * (count[1] + 1)
    weights[3] = weights[2] * (count[2] + 1)
    objective = solver.Sum(
        [weights[needs[n].priority] * z for n, z in met.items()]
    ) + solver.Sum([score[k] * x[k] for k in range(len(x))])
    if cost:
        objective -= cost * solver.Sum(list(partners.values()))
    solver.Maximize(objective)
    built = time.perf_counter()

    solver.SetTimeLimit(int(time_limit * 1000))
    params = pywraplp.MPSolverParameters()
    params.SetDoubleParam(params.RELATIVE_MIP_GAP, 0.0)
    code = solver.Solve(params)
    solved = time.perf_counter()
    status = _STATUS.get(code, "no_solution")
    chosen = np.zeros(cands.n_candidates, dtype=bool)
    value: float | None = None
    bound: float | None = None
    if status in ("optimal", "feasible"):
        picked = np.array([v.solution_value() > 0.5 for v in x], dtype=bool)
        chosen[pairs[picked]] = True
        value = solver.Objective().Value()
        bound = solver.Objective().BestBound()
        if backend.upper() == "HIGHS":
            # pywraplp reports the objective as HiGHS's bound; the true
            # bound is within HiGHS's relative gap of it.
            bound = max(bound, value + HIGHS_REL_GAP * abs(value) + 1e-6)
    return MipOutcome(
        status=status,
        chosen=chosen,
        build_seconds=built - start,
        solve_seconds=solved - built,
        n_pair_variables=len(x),
        objective=value,
        best_bound=bound,
        weights=weights,
        quality_floor=quality_floor,
    )
