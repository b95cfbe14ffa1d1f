"""Tiny random problems and every proposal of each, by brute force.

Written independently of the solver code: every way to give each need
either no buddy or exactly its ``buddies`` distinct candidates, within
capacity, partner limits, seeker limits and budget (pins aside).  The
relaxations' bound tests (`test_decomposition`, `test_transport`) check
each stage's bound against the best value these proposals reach.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

import buddymatch as bm
from buddymatch.candidates import CandidateSet, build_candidates
from buddymatch.scoring import to_units
from buddymatch.solvers.cpsat.constraints import FEE_SCALE, fee_units

__all__ = [
    "Outcome",
    "best_given",
    "check_stage_bounds",
    "enumerate_proposals",
    "tiny_problem",
]

AREAS = ("a1", "a2", "a3")


def _trust(tid: str, rng: random.Random, capacity: int) -> bm.Trust:
    return bm.Trust(
        id=tid,
        lat=52.0 + rng.uniform(-0.5, 0.5),
        lon=-1.5 + rng.uniform(-0.5, 0.5),
        expertise={a: rng.choice((0, 3, 4, 5)) for a in AREAS},
        capacity=capacity,
        max_partners=rng.choice((None, None, 1, 2)),
    )


def tiny_problem(seed: int) -> tuple[bm.Problem, bm.Policy]:
    """Return a random problem of 2-4 seekers and 2-5 buddies."""
    rng = random.Random(seed)
    n_seekers = rng.randint(2, 4)
    n_buddies = rng.randint(2, 5)
    seekers = [_trust(f"S{i}", rng, 0) for i in range(n_seekers)]
    buddies = [
        _trust(f"B{j}", rng, rng.randint(0, 4)) for j in range(n_buddies)
    ]
    # Few needs when there are many seekers, so enumeration stays quick.
    most = 3 if n_seekers <= 2 else 2
    needs = []
    for s in seekers:
        for area in rng.sample(AREAS, rng.randint(1, most)):
            needs.append(
                bm.Need(
                    seeker=s.id,
                    area=area,
                    tier=rng.choice(("light", "light", "programme")),
                    buddies=rng.choice((1, 1, 1, 2)),
                    priority=rng.randint(1, 3),
                )
            )
    overrides = []
    for need in needs:
        for b in buddies:
            if rng.random() < 0.4:
                overrides.append(
                    bm.PairOverride(
                        seeker=need.seeker,
                        area=need.area,
                        buddy=b.id,
                        score=round(rng.uniform(-20.0, 80.0), 3),
                        workload=rng.choice((None, 0, 1, 2, 3)),
                    )
                )
    policy = bm.Policy(
        min_travel_minutes=0,
        max_travel_minutes=None,
        max_partners=rng.choice((None, 1, 2, 3)),
        max_buddies_per_seeker=rng.choice((None, 1, 2, 3)),
        partnership_cost=rng.choice((0.0, 5.0, 30.0)),
        budget=rng.choice((None, None, 5000.0, 20000.0, 40000.0)),
    )
    problem = bm.Problem(
        trusts=tuple(seekers + buddies),
        needs=tuple(needs),
        overrides=tuple(overrides),
    )
    return problem, policy


@dataclass(frozen=True)
class Outcome:
    """One feasible proposal: cover per priority (3, 2, 1), quality."""

    cover: tuple[int, int, int]
    quality: int


def enumerate_proposals(cands: CandidateSet) -> Iterator[Outcome]:
    """Yield every proposal obeying capacity, partner limits, seeker
    limits and budget (pins aside), by brute force over the needs."""
    problem, policy = cands.problem, cands.policy
    trusts = problem.trusts
    n_needs = len(problem.needs)
    options: list[list[tuple[int, ...]]] = []
    for n, need in enumerate(problem.needs):
        mine = np.flatnonzero(cands.need == n).tolist()
        options.append([(), *itertools.combinations(mine, need.buddies)])
    limit = [
        t.max_partners if t.max_partners is not None else policy.max_partners
        for t in trusts
    ]
    budget = (
        None
        if policy.budget is None
        else int(np.floor(policy.budget * FEE_SCALE + 1e-6))
    )
    scores = to_units(np.asarray(cands.score, dtype=np.float64))
    cost = to_units(policy.partnership_cost)
    load = [0] * len(trusts)
    partners: list[dict[int, int]] = [{} for _ in trusts]
    buddies_of: dict[int, dict[int, int]] = {}
    chosen: list[int] = []

    def fits() -> bool:
        for k in chosen:
            b = int(cands.buddy[k])
            if load[b] > trusts[b].capacity:
                return False
            if limit[b] is not None and len(partners[b]) > limit[b]:
                return False
        cap = policy.max_buddies_per_seeker
        if cap is not None and any(len(v) > cap for v in buddies_of.values()):
            return False
        spent = sum(fee_units(float(cands.fee[k])) for k in chosen)
        return budget is None or spent <= budget

    def step(n: int) -> Iterator[Outcome]:
        if n == n_needs:
            met = [0, 0, 0]
            for m, need in enumerate(problem.needs):
                if any(int(cands.need[k]) == m for k in chosen):
                    met[3 - need.priority] += 1
            pairs = {
                (int(cands.need_seeker[cands.need[k]]), int(cands.buddy[k]))
                for k in chosen
            }
            quality = int(sum(int(scores[k]) for k in chosen))
            yield Outcome(
                (met[0], met[1], met[2]), quality - cost * len(pairs)
            )
            return
        row = int(cands.need_seeker[n])
        for option in options[n]:
            for k in option:
                b = int(cands.buddy[k])
                load[b] += int(cands.workload[k])
                partners[b][row] = partners[b].get(row, 0) + 1
                mine = buddies_of.setdefault(row, {})
                mine[b] = mine.get(b, 0) + 1
                chosen.append(k)
            if fits():
                yield from step(n + 1)
            for k in option:
                b = int(cands.buddy[k])
                load[b] -= int(cands.workload[k])
                partners[b][row] -= 1
                if not partners[b][row]:
                    del partners[b][row]
                buddies_of[row][b] -= 1
                if not buddies_of[row][b]:
                    del buddies_of[row][b]
                chosen.pop()

    yield from step(0)


def best_given(
    outcomes: list[Outcome], fixed: dict[int, int]
) -> tuple[dict[int, int], int]:
    """The best cover of each priority, and the best quality, over the
    proposals keeping *fixed* counts of the priorities above."""
    best: dict[int, int] = {}
    for p in (3, 2, 1):
        keep = [
            o
            for o in outcomes
            if all(o.cover[3 - q] >= c for q, c in fixed.items() if q > p)
        ]
        best[p] = max(o.cover[3 - p] for o in keep)
    keep = [
        o
        for o in outcomes
        if all(o.cover[3 - q] >= c for q, c in fixed.items())
    ]
    return best, max(o.quality for o in keep)


def check_stage_bounds(
    seeds: range,
    bounds_of: Callable[[CandidateSet, dict[int, int]], Sequence[Any]],
) -> list[Any]:
    """Check a relaxation's stage bounds against enumeration.

    For each seed's `tiny_problem`, given the cover counts of its
    lexicographic optimum and of a random proposal, every stage bound
    ``bounds_of(cands, fixed)`` returns (objects with ``stage`` and
    ``bound_units``) must be at least the best any proposal keeping
    those counts reaches.  Returns every stage bound checked.
    """
    checked: list[Any] = []
    for seed in seeds:
        problem, policy = tiny_problem(seed)
        cands = build_candidates(problem.canonical(), policy)
        outcomes = list(enumerate_proposals(cands))
        best = max(outcomes, key=lambda o: (*o.cover, o.quality))
        other = random.Random(seed).choice(outcomes)
        for source in (best, other):
            fixed = dict(zip((3, 2, 1), source.cover, strict=True))
            covers, quality = best_given(outcomes, fixed)
            found = list(bounds_of(cands, fixed))
            bounds = {s.stage: s for s in found}
            for p in (3, 2, 1):
                stage = bounds.get(f"cover priority {p}")
                if stage is None:  # no need of priority p can be met
                    assert covers[p] == 0
                    continue
                assert stage.bound_units >= covers[p], (seed, p, fixed)
            if found:
                assert bounds["quality"].bound_units >= quality, (seed, fixed)
            else:
                assert quality <= 0
            checked.extend(found)
    return checked
