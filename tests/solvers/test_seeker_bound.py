"""The seekers' caps on cover: each seeker's best, by brute force.

Each seeker alone is solved by enumeration here (every way to give each of
its needs no buddy or exactly its ``buddies`` distinct candidates, within
its buddy limit and its buddies' capacity), independently of the dynamic
programme in `seeker_bound`.  The caps must equal it where the seeker is
solved, never fall below it anywhere, and their sums must bound every
proposal of the whole problem.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import buddymatch as bm
from buddymatch.candidates import CandidateSet, build_candidates
from buddymatch.solvers.room import usable_candidates
from buddymatch.solvers.seeker_bound import seeker_bound
from conftest import solve_verified
from enumeration import enumerate_proposals, tiny_problem


def _seeker_best(cands: CandidateSet, seeker: int) -> dict[int, int]:
    """The most needs of each priority *seeker* can have met, alone."""
    problem, policy = cands.problem, cands.policy
    mine = [
        n
        for n in range(len(problem.needs))
        if int(cands.need_seeker[n]) == seeker
    ]
    options = [
        [
            (),
            *itertools.combinations(
                np.flatnonzero(cands.need == n).tolist(),
                problem.needs[n].buddies,
            ),
        ]
        for n in mine
    ]
    best = {problem.needs[n].priority: 0 for n in mine}
    limit = policy.max_buddies_per_seeker
    for choice in itertools.product(*options):
        load: dict[int, int] = {}
        for pair in itertools.chain.from_iterable(choice):
            buddy = int(cands.buddy[pair])
            load[buddy] = load.get(buddy, 0) + int(cands.workload[pair])
        if limit is not None and len(load) > limit:
            continue
        if any(w > problem.trusts[b].capacity for b, w in load.items()):
            continue
        met: dict[int, int] = {}
        for n, pairs in zip(mine, choice, strict=True):
            if pairs:
                p = problem.needs[n].priority
                met[p] = met.get(p, 0) + 1
        for p, k in met.items():
            best[p] = max(best[p], k)
    return best


@pytest.mark.parametrize("block", range(4))
def test_each_cap_is_the_seekers_own_best(block: int) -> None:
    solved = limited = 0
    for seed in range(block * 100, block * 100 + 100):
        problem, policy = tiny_problem(seed)
        cands = build_candidates(problem.canonical(), policy)
        usable = usable_candidates(cands)
        found = seeker_bound(cands, usable)
        if policy.max_buddies_per_seeker is None:
            assert found is None
            continue
        assert found is not None
        # Needs that have enough usable candidates, and what they ask.
        enough = np.bincount(cands.need[usable], minlength=len(problem.needs))
        for s in range(len(cands.seekers)):
            best = _seeker_best(cands, s)
            asked = sum(
                need.buddies
                for n, need in enumerate(problem.needs)
                if int(cands.need_seeker[n]) == s and enough[n] >= need.buddies
            )
            for p, most in best.items():
                cap = int(found.caps[p][s])
                assert cap >= most, (seed, s, p)
                if asked > policy.max_buddies_per_seeker:
                    # Solved, not left at the trivial cap: exact.
                    assert cap == most, (seed, s, p)
                    solved += 1
                limited += bool(found.limited[p][s])
    assert solved >= 30 and limited >= 5


def test_the_sums_bound_every_proposal() -> None:
    checked = 0
    for seed in range(60):
        problem, policy = tiny_problem(seed)
        cands = build_candidates(problem.canonical(), policy)
        found = seeker_bound(cands, usable_candidates(cands))
        if found is None:
            continue
        for outcome in enumerate_proposals(cands):
            for p in (3, 2, 1):
                assert outcome.cover[3 - p] <= found.cover.get(p, 0), seed
        checked += 1
    assert checked >= 30


def _three_needs_two_buddies() -> tuple[bm.Problem, bm.Policy]:
    """One seeker, three needs in three areas, three buddies expert in
    one area each, and a limit of two buddies per seeker."""
    areas = ("a1", "a2", "a3")
    seeker = bm.Trust(
        id="S",
        lat=52.0,
        lon=-1.5,
        expertise=dict.fromkeys(areas, 1),
        capacity=0,
    )
    buddies = [
        bm.Trust(
            id=f"B{k}",
            lat=52.1,
            lon=-1.4 - 0.01 * k,
            expertise={a: 5 if a == area else 0 for a in areas},
            capacity=9,
        )
        for k, area in enumerate(areas)
    ]
    needs = tuple(
        bm.Need(seeker="S", area=a, tier="light", priority=2) for a in areas
    )
    policy = bm.Policy(
        min_travel_minutes=0,
        max_travel_minutes=None,
        max_buddies_per_seeker=2,
    )
    return bm.Problem(trusts=(seeker, *buddies), needs=needs), policy


def test_an_unmet_need_at_its_seekers_cap_says_so() -> None:
    problem, policy = _three_needs_two_buddies()
    result = solve_verified(problem, policy, time_limit=10.0)
    (coverage,) = result.coverage
    assert (coverage.covered, coverage.bound) == (2, 2)
    assert result.solver["seeker_bound"]["cover"] == {"2": 2}
    assert result.solver["seeker_bound"]["limited"] == {"2": 1}
    (unmet,) = result.unmet
    assert unmet.reason == "capacity"
    assert (
        "meeting it would leave another of this seeker's priority-2 needs "
        "unmet: with at most 2 buddies (max_buddies_per_seeker), no "
        "proposal meets more than 2 of its 3 needs of priority 2, and this "
        "one meets 2"
    ) in unmet.detail
