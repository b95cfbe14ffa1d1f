"""The decomposition bound: never below the true optimum of any stage.

Tiny random problems are solved by exhaustive enumeration (written here,
independently of the solver code): every way to give each need either no
buddy or exactly its ``buddies`` distinct candidates, within capacity,
partner limits, seeker limits and budget.  The bound of each stage must
be at least the best value any proposal keeping the fixed cover counts
reaches.  The pricing is checked the same way, buddy by buddy, and on
"nhs" the bounds are checked against the engine's proven optimum.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pytest

import buddymatch as bm
from buddymatch import synth
from buddymatch.candidates import CandidateSet, build_candidates
from buddymatch.scoring import to_units
from buddymatch.solvers import propose
from buddymatch.solvers.cpsat.constraints import FEE_SCALE, fee_units
from buddymatch.solvers.decomposition import (
    _Pairs,
    _price,
    decomposition_bounds,
)
from buddymatch.solvers.room import usable_candidates

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


def _best_given(
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


@pytest.mark.parametrize("block", range(10))
def test_bounds_are_never_below_the_enumerated_optimum(block: int) -> None:
    checked = 0
    for seed in range(block * 30, block * 30 + 30):
        problem, policy = tiny_problem(seed)
        cands = build_candidates(problem.canonical(), policy)
        outcomes = list(enumerate_proposals(cands))
        # Lexicographic optimum, and the counts of a random proposal:
        # each stage's bound must hold given either.
        best = max(outcomes, key=lambda o: (*o.cover, o.quality))
        other = random.Random(seed).choice(outcomes)
        for source in (best, other):
            fixed = dict(zip((3, 2, 1), source.cover, strict=True))
            covers, quality = _best_given(outcomes, fixed)
            found = decomposition_bounds(cands, cover=fixed, time_limit=30)
            bounds = {s.stage: s for s in found.stages}
            for p in (3, 2, 1):
                stage = bounds.get(f"cover priority {p}")
                if stage is None:  # no need of priority p can be met
                    assert covers[p] == 0
                    continue
                assert stage.bound_units >= covers[p], (seed, p, fixed)
            if found.stages:
                assert bounds["quality"].bound_units >= quality, (seed, fixed)
                checked += 1
            else:
                assert quality <= 0
    assert checked


def test_a_converged_bound_is_the_master_value() -> None:
    # With the duals read with the right signs, the bound at convergence
    # is the master's LP value (rounded down), not something looser.
    for seed in range(40):
        problem, policy = tiny_problem(seed)
        cands = build_candidates(problem.canonical(), policy)
        found = decomposition_bounds(cands, time_limit=30)
        for stage in found.stages:
            assert stage.converged
            units = 1000 if stage.stage == "quality" else 1
            assert stage.bound_units <= stage.lp_value * units + 1e-6


def _brute_price(
    pairs: _Pairs, item: np.ndarray, group: np.ndarray, b: int
) -> float:
    """The best reduced value of buddy row *b*'s columns, by brute force."""
    mine = np.flatnonzero(pairs.buddy_row == b).tolist()
    limit = pairs.limit[b]
    best = 0.0
    for size in range(1, len(mine) + 1):
        for subset in itertools.combinations(mine, size):
            if int(pairs.workload[list(subset)].sum()) > pairs.capacity[b]:
                continue
            groups = {int(pairs.group[i]) for i in subset}
            if limit >= 0 and len(groups) > limit:
                continue
            value = float(item[list(subset)].sum())
            value -= float(sum(group[g] for g in groups))
            best = max(best, value)
    return best


@pytest.mark.parametrize("seed", range(25))
def test_pricing_finds_each_buddys_best_column(seed: int) -> None:
    problem, policy = tiny_problem(seed)
    cands = build_candidates(problem.canonical(), policy)
    pairs = _Pairs(cands, usable_candidates(cands))
    rng = np.random.default_rng(seed)
    for _ in range(5):
        item = rng.normal(5.0, 10.0, len(pairs.need))
        group = rng.uniform(0.0, 8.0, len(pairs.group_buddy))
        priced = _price(pairs, item, group)
        for b in range(pairs.n_buddies):
            want = _brute_price(pairs, item, group, b)
            assert priced.best[b] == pytest.approx(want, abs=1e-9)
            column = priced.columns[b]
            if want > 0:
                groups = np.unique(pairs.group[column])
                got = item[column].sum() - group[groups].sum()
                assert got == pytest.approx(want, abs=1e-9)
                assert pairs.workload[column].sum() <= pairs.capacity[b]
                assert np.all(pairs.buddy_row[column] == b)


def test_nhs_bounds_hold_against_the_engines_proven_optimum() -> None:
    problem = synth.preset("nhs", seed=0)
    policy = bm.Policy()
    cands = build_candidates(problem.canonical(), policy)
    result = propose(problem, policy, time_limit=30, candidates=cands)
    assert bm.verify(problem, policy, result) == []
    assert result.status == "optimal"
    cover = {c.priority: c.covered for c in result.coverage}
    found = decomposition_bounds(cands, cover=cover, time_limit=30)
    bounds = {s.stage: s for s in found.stages}
    for p, covered in cover.items():
        assert bounds[f"cover priority {p}"].bound >= covered
    assert bounds["quality"].bound >= result.objective
    # The master solution is a fractional proposal over the candidates.
    assert found.pair_weight.shape == (cands.n_candidates,)
    assert found.pair_weight.max() <= 1.0 + 1e-6


def test_a_stage_stopped_early_still_returns_its_master_solution() -> None:
    # One pricing round per stage: each stage ends with columns added
    # after its last LP solve, which must not lose that solve's answer.
    problem = synth.preset("nhs", seed=0)
    cands = build_candidates(problem.canonical(), bm.Policy())
    found = decomposition_bounds(cands, time_limit=30, max_iterations=1)
    assert not found.stages[-1].converged
    assert len(found.weights) == len(found.columns)
    assert found.need_cover.sum() > 0
    # The master's rows hold: each need gets buddies x cover columns.
    for n, need in enumerate(cands.problem.needs):
        held = found.pair_weight[cands.need == n].sum()
        assert held == pytest.approx(need.buddies * found.need_cover[n])
