"""The naive CP-SAT model a competent user would write first.

It is the yardstick of ``bench_engine.py``: the same rules and the same
lexicographic goal as buddymatch's engine, written the straightforward way.

- One Boolean for **every** (need, buddy) pair, where a buddy is any trust
  with capacity; the hard pair rules are constraints that force a
  disallowed pair to 0 (the variable is still created), not omitted
  variables.
- One Boolean per (seeker, buddy) partnership, linked to the pair
  Booleans in both directions.
- Capacity, partner limits, buddies per seeker, budget and pins as plain
  linear constraints.
- One weighted objective: the cover of each priority weighted so that one
  more need of a priority outweighs everything below it, plus quality
  (assignment scores minus the partnership cost).
- Default CP-SAT parameters, apart from the time limit.

Data come from :func:`buddymatch.candidates.build_candidates` (the reason
matrix, travel minutes and culture fit of every pair) and the score terms
from :mod:`buddymatch.scoring`, computed here for **all** pairs rather than
only the candidates.  Only the benchmark imports this module; it is not
part of the library, which is why it may import ortools.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from buddymatch.candidates import CandidateSet
from buddymatch.scoring import pair_terms, sum_terms, to_units

_STATUS = {
    cp_model.OPTIMAL: "optimal",
    cp_model.FEASIBLE: "feasible",
    cp_model.INFEASIBLE: "infeasible",
    cp_model.UNKNOWN: "no_solution",
}

#: Fees in whole pence, as the engine counts them.
_FEE_SCALE = 100


@dataclass
class NaiveOutcome:
    """What the naive model found.

    Attributes
    ----------
    status
        ``optimal``, ``feasible``, ``infeasible`` or ``no_solution``.
    chosen
        Boolean mask over the candidate pairs of the :class:`CandidateSet`
        (a chosen pair is always a candidate, since disallowed pairs are
        forced to 0).
    build_seconds, solve_seconds
        Time to build the model (pair scores included) and to solve it.
    n_pair_variables
        Number of (need, buddy) Booleans created.
    weighted_gap
        Relative gap of the weighted objective, or ``None`` without a
        solution.
    weighted_bound
        CP-SAT's bound on the weighted objective (``None`` without a
        solution), in score units.
    weights
        Cover weight per priority, in score units.
    quality_floor
        The lowest quality any proposal can have, in score units.
    """

    status: str
    chosen: np.ndarray
    build_seconds: float
    solve_seconds: float
    n_pair_variables: int
    weighted_gap: float | None
    weighted_bound: float | None = None
    weights: dict[int, int] | None = None
    quality_floor: int = 0


def all_pair_scores(cands: CandidateSet) -> np.ndarray:
    """Return the score units of every (need, trust) pair.

    Parameters
    ----------
    cands
        Candidate set; its ``minutes`` and ``fit`` matrices are NaN where
        never computed, and those pairs are disallowed anyway, so they
        score as 0 minutes and fit 0.

    Returns
    -------
    numpy.ndarray
        int64 ``(n_needs, n_trusts)`` score units, overrides applied.
    """
    problem, policy = cands.problem, cands.policy
    trusts = problem.trusts
    index = {t.id: j for j, t in enumerate(trusts)}
    needs = problem.needs
    n_needs, n_trusts = len(needs), len(trusts)
    rows = cands.need_seeker.astype(np.int64)
    levels = np.array(
        [[t.expertise[n.area] for t in trusts] for n in needs],
        dtype=np.int64,
    ).reshape(n_needs, n_trusts)
    minutes = np.nan_to_num(cands.minutes[rows], nan=0.0)
    fit = np.nan_to_num(cands.fit[rows], nan=0.0)
    seeker_row = {s: r for r, s in enumerate(cands.seekers)}
    preferred_by_seeker = np.zeros((len(cands.seekers), n_trusts), bool)
    prior_by_seeker = np.zeros((len(cands.seekers), n_trusts), bool)
    for rel in problem.relations:
        if rel.kind == "preferred" and rel.a in seeker_row:
            preferred_by_seeker[seeker_row[rel.a], index[rel.b]] = True
        if rel.kind == "prior":
            # prior is symmetric: either end may be the seeker
            for s, b in ((rel.a, rel.b), (rel.b, rel.a)):
                if s in seeker_row:
                    prior_by_seeker[seeker_row[s], index[b]] = True
    terms = pair_terms(
        levels.reshape(-1),
        fit.reshape(-1),
        minutes.reshape(-1),
        preferred_by_seeker[rows].reshape(-1),
        prior_by_seeker[rows].reshape(-1),
        policy,
    )
    scores = to_units(sum_terms(terms)).reshape(n_needs, n_trusts)
    need_index = {(n.seeker, n.area): i for i, n in enumerate(needs)}
    for ov in problem.overrides:
        if ov.score is not None:
            scores[need_index[(ov.seeker, ov.area)], index[ov.buddy]] = (
                to_units(float(np.round(ov.score, 3)))
            )
    return scores


def solve_naive(
    cands: CandidateSet, time_limit: float, seed: int = 0
) -> NaiveOutcome:
    """Build and solve the naive model.

    Parameters
    ----------
    cands
        Candidate set of the problem (used for its data only).
    time_limit
        Seconds for the solve.
    seed
        CP-SAT random seed.

    Returns
    -------
    NaiveOutcome
        The status, the chosen candidate pairs and timings.
    """
    start = time.perf_counter()
    problem, policy = cands.problem, cands.policy
    trusts, needs = problem.trusts, problem.needs
    index = {t.id: j for j, t in enumerate(trusts)}
    buddies = [j for j, t in enumerate(trusts) if t.capacity > 0]
    scores = all_pair_scores(cands)
    workload = np.array(
        [[policy.tiers[n.tier].workload] * len(trusts) for n in needs],
        dtype=np.int64,
    ).reshape(len(needs), len(trusts))
    need_index = {(n.seeker, n.area): i for i, n in enumerate(needs)}
    for ov in problem.overrides:
        if ov.workload is not None:
            workload[need_index[(ov.seeker, ov.area)], index[ov.buddy]] = (
                ov.workload
            )

    model = cp_model.CpModel()
    assign: dict[tuple[int, int], cp_model.IntVar] = {}
    for n in range(len(needs)):
        for b in buddies:
            var = model.new_bool_var(f"assign_{n}_{b}")
            assign[n, b] = var
            if cands.reason[n, b] != 0:
                # The hard pair rules, as constraints.
                model.add(var == 0)
    covered = [model.new_bool_var(f"covered_{n}") for n in range(len(needs))]
    for n, need in enumerate(needs):
        model.add(
            sum(assign[n, b] for b in buddies) == need.buddies * covered[n]
        )
    seekers = list(cands.seekers)
    needs_of: dict[int, list[int]] = {r: [] for r in range(len(seekers))}
    for n in range(len(needs)):
        needs_of[int(cands.need_seeker[n])].append(n)
    partner: dict[tuple[int, int], cp_model.IntVar] = {}
    for r in range(len(seekers)):
        for b in buddies:
            var = model.new_bool_var(f"partner_{r}_{b}")
            partner[r, b] = var
            for n in needs_of[r]:
                model.add(assign[n, b] <= var)
            model.add(var <= sum(assign[n, b] for n in needs_of[r]))
    for b in buddies:
        trust = trusts[b]
        model.add(
            sum(int(workload[n, b]) * assign[n, b] for n in range(len(needs)))
            <= trust.capacity
        )
        limit = (
            trust.max_partners
            if trust.max_partners is not None
            else policy.max_partners
        )
        if limit is not None:
            model.add(sum(partner[r, b] for r in range(len(seekers))) <= limit)
    if policy.max_buddies_per_seeker is not None:
        for r in range(len(seekers)):
            model.add(
                sum(partner[r, b] for b in buddies)
                <= policy.max_buddies_per_seeker
            )
    if policy.budget is not None:
        model.add(
            sum(
                round(policy.tiers[needs[n].tier].fee * _FEE_SCALE)
                * assign[n, b]
                for n in range(len(needs))
                for b in buddies
            )
            <= int(np.floor(policy.budget * _FEE_SCALE + 1e-6))
        )
    for rel in problem.relations:
        if rel.kind != "pinned":
            continue
        b = index[rel.b]
        pinned = [
            assign[n, b]
            for n, need in enumerate(needs)
            if need.seeker == rel.a
            and (rel.area is None or need.area == rel.area)
            and (n, b) in assign
        ]
        model.add_bool_or(pinned)

    # Weights: one more covered need of a priority is worth more than any
    # change below it (all lower cover plus the whole quality range).  The
    # quality range is bounded need by need (its best pair times the
    # buddies it takes): a sum over every pair would push the weights past
    # what CP-SAT accepts (MODEL_INVALID on national).
    cost = int(to_units(policy.partnership_cost))
    allowed = cands.reason[:, buddies] == 0
    best_abs = np.where(allowed, np.abs(scores[:, buddies]), 0).max(
        axis=1, initial=0
    )
    wanted = np.array([n.buddies for n in needs], dtype=np.int64)
    quality_range = int((best_abs * wanted).sum()) + abs(cost) * int(
        wanted.sum()
    )
    worst = np.where(allowed, np.minimum(scores[:, buddies], 0), 0).min(
        axis=1, initial=0
    )
    quality_floor = int((worst * wanted).sum()) - abs(cost) * int(wanted.sum())
    weight = {1: quality_range + 1}
    count = {p: sum(1 for n in needs if n.priority == p) for p in (1, 2, 3)}
    weight[2] = weight[1] * (count[1] + 1)
    weight[3] = weight[2] * (count[2] + 1)
    objective = sum(
        weight[need.priority] * covered[n] for n, need in enumerate(needs)
    ) + sum(
        int(scores[n, b]) * assign[n, b]
        for n in range(len(needs))
        for b in buddies
    )
    if cost:
        objective -= cost * sum(partner.values())
    model.maximize(objective)
    built = time.perf_counter()

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.random_seed = seed
    code = solver.solve(model)
    solved = time.perf_counter()
    if code == cp_model.MODEL_INVALID:
        raise RuntimeError("the naive model is invalid: " + model.validate())
    status = _STATUS[code]
    chosen = np.zeros(cands.n_candidates, dtype=bool)
    gap: float | None = None
    bound: float | None = None
    if status in ("optimal", "feasible"):
        for (n, b), var in assign.items():
            if solver.boolean_value(var):
                at = cands.position(n, b)
                if at is None:
                    raise RuntimeError(f"pair {(n, b)} is not a candidate")
                chosen[at] = True
        value = solver.objective_value
        bound = solver.best_objective_bound
        gap = abs(bound - value) / max(1.0, abs(value))
    return NaiveOutcome(
        status=status,
        chosen=chosen,
        build_seconds=built - start,
        solve_seconds=solved - built,
        n_pair_variables=len(assign),
        weighted_gap=gap,
        weighted_bound=bound,
        weights=weight,
        quality_floor=quality_floor,
    )
