"""The integer master over per-buddy columns.

Given *every* column a buddy could take on alone (all subsets of its
usable pairs within capacity and partner limit), the master's choice is
the whole problem's: its lexicographic optimum must equal the engine's
proven one, and its proposal must pass the verifier.  With fewer
columns, a start proposal bounds it from below, and deterministic mode
repeats itself.
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
from buddymatch.result import Result
from buddymatch.solvers import propose
from buddymatch.solvers.assemble import assemble, resolve_pins
from buddymatch.solvers.cpsat.master import integer_master
from buddymatch.solvers.decomposition import (
    _Pool,
    decomposition_bounds,
)
from buddymatch.solvers.greedy import greedy
from buddymatch.solvers.room import usable_candidates
from solvers.test_decomposition import tiny_problem


def every_column(
    cands: CandidateSet,
) -> tuple[list[np.ndarray], np.ndarray]:
    """Every set of usable pairs one buddy can take on alone."""
    problem, policy = cands.problem, cands.policy
    usable = usable_candidates(cands)
    columns: list[np.ndarray] = []
    owners: list[int] = []
    for b, trust in enumerate(problem.trusts):
        mine = np.flatnonzero(usable & (cands.buddy == b)).tolist()
        limit = (
            trust.max_partners
            if trust.max_partners is not None
            else policy.max_partners
        )
        for size in range(1, len(mine) + 1):
            for subset in itertools.combinations(mine, size):
                picked = list(subset)
                if cands.workload[picked].sum() > trust.capacity:
                    continue
                seekers = set(cands.need_seeker[cands.need[picked]].tolist())
                if limit is not None and len(seekers) > limit:
                    continue
                columns.append(np.array(picked, dtype=np.int64))
                owners.append(b)
    return columns, np.array(owners, dtype=np.int64)


def _with_pin(
    problem: bm.Problem, policy: bm.Policy, rng: random.Random
) -> bm.Problem:
    """Pin a random usable (seeker, buddy) pair, with or without area."""
    cands = build_candidates(problem.canonical(), policy)
    usable = np.flatnonzero(usable_candidates(cands))
    if not len(usable):
        return problem
    k = int(rng.choice(usable.tolist()))
    need = problem.canonical().needs[int(cands.need[k])]
    buddy = problem.canonical().trusts[int(cands.buddy[k])].id
    pin = bm.Relation(
        a=need.seeker,
        b=buddy,
        kind="pinned",
        area=need.area if rng.random() < 0.5 else None,
    )
    return problem.model_copy(update={"relations": (*problem.relations, pin)})


def _result(cands: CandidateSet, chosen: np.ndarray) -> Result:
    return assemble(cands, chosen, "feasible")


def _rank(result: Result) -> tuple[float, ...]:
    cover = {c.priority: c.covered for c in result.coverage}
    return (*(cover.get(p, 0) for p in (3, 2, 1)), result.objective)


@dataclass
class ProvenCase:
    """A tiny problem (a pin in about a third of them) with the engine's
    proven optimum, its candidates and its pin groups."""

    seed: int
    problem: bm.Problem
    policy: bm.Policy
    engine: Result
    cands: CandidateSet
    pins: list[list[int]]


def proven_cases(block: int) -> Iterator[ProvenCase]:
    """The tiny problems of seeds ``40 * block`` to ``40 * block + 39``
    that the engine proves optimal (pins may not hold together)."""
    for seed in range(block * 40, block * 40 + 40):
        problem, policy = tiny_problem(seed)
        rng = random.Random(seed)
        if rng.random() < 0.3:
            problem = _with_pin(problem, policy, rng)
        engine = propose(problem, policy, time_limit=30)
        if engine.status != "optimal":
            continue
        cands = build_candidates(problem.canonical(), policy)
        pins, impossible = resolve_pins(cands, usable_candidates(cands))
        assert not impossible
        yield ProvenCase(seed, problem, policy, engine, cands, pins)


@pytest.mark.parametrize("block", range(8))
def test_every_column_gives_the_engines_proven_optimum(block: int) -> None:
    checked = pinned = budgeted = 0
    for case in proven_cases(block):
        seed, cands, pins = case.seed, case.cands, case.pins
        columns, owners = every_column(cands)
        found = integer_master(
            cands, columns, owners, pins, time_limit=30, workers=1
        )
        assert found.status == "optimal", seed
        result = _result(cands, found.chosen)
        assert bm.verify(case.problem, case.policy, result) == [], seed
        mine, theirs = _rank(result), _rank(case.engine)
        assert mine[:3] == theirs[:3], seed
        assert mine[3] == pytest.approx(theirs[3], abs=1e-6), seed
        checked += 1
        pinned += bool(pins)
        budgeted += case.policy.budget is not None
    assert checked >= 30
    assert pinned and budgeted


def _nhs() -> tuple[bm.Problem, bm.Policy, CandidateSet]:
    """The "nhs" preset: big enough that a few columns do not solve it."""
    problem = synth.preset("nhs", seed=0)
    policy = bm.Policy()
    return problem, policy, build_candidates(problem.canonical(), policy)


def _singletons(
    cands: CandidateSet, every: int
) -> tuple[list[np.ndarray], np.ndarray]:
    """One-pair columns of every *every*-th usable pair."""
    positions = np.flatnonzero(usable_candidates(cands))[::every]
    columns = [np.array([k], dtype=np.int64) for k in positions.tolist()]
    return columns, cands.buddy[positions].astype(np.int64)


def test_a_start_is_never_lost() -> None:
    problem, policy, cands = _nhs()
    usable = usable_candidates(cands)
    start = greedy(cands, usable, [])
    assert start is not None
    # Columns that cannot rebuild the start on their own.
    columns, owners = _singletons(cands, 7)
    without = integer_master(
        cands, columns, owners, [], time_limit=10, deterministic=True
    )
    found = integer_master(
        cands,
        columns,
        owners,
        [],
        start=start,
        time_limit=10,
        deterministic=True,
    )
    began = _result(cands, start)
    got = _result(cands, found.chosen)
    assert bm.verify(problem, policy, got) == []
    assert _rank(got) >= _rank(began)
    assert _rank(got) >= _rank(_result(cands, without.chosen))
    assert found.columns > without.columns


def test_deterministic_mode_repeats_itself() -> None:
    problem, policy, cands = _nhs()
    usable = usable_candidates(cands)
    start = greedy(cands, usable, [])
    found = decomposition_bounds(cands, time_limit=20, start=start)
    masks = [
        integer_master(
            cands,
            found.pool_columns,
            found.pool_buddy,
            [],
            start=start,
            time_limit=2,
            deterministic=True,
            workers=2,
        ).chosen
        for _ in range(2)
    ]
    assert np.array_equal(masks[0], masks[1])
    assert bm.verify(problem, policy, _result(cands, masks[0])) == []


def test_the_pool_keeps_every_column_of_every_master() -> None:
    problem, policy, cands = _nhs()
    found = decomposition_bounds(cands, time_limit=30)
    pool = {
        (b, c.tobytes())
        for b, c in zip(
            found.pool_buddy.tolist(), found.pool_columns, strict=True
        )
    }
    assert len(pool) == len(found.pool_columns)  # distinct
    last = {
        (b, c.tobytes())
        for b, c in zip(
            found.column_buddy.tolist(), found.columns, strict=True
        )
    }
    # The restarts drop unused columns from the masters, not the pool.
    assert last < pool
    # Every pool column is one its buddy can take on alone: the master
    # checks them and raises otherwise.
    outcome = integer_master(
        cands, found.pool_columns, found.pool_buddy, [], time_limit=5
    )
    assert bm.verify(problem, policy, _result(cands, outcome.chosen)) == []


def test_the_pool_stops_growing_at_its_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("buddymatch.solvers.decomposition.POOL_LIMIT", 25)
    assert _Pool().limit == 25
    _, _, cands = _nhs()
    found = decomposition_bounds(cands, time_limit=10)
    assert len(found.pool_columns) == 25


def test_a_column_no_buddy_could_take_on_is_refused() -> None:
    _, _, cands = _nhs()
    usable = np.flatnonzero(usable_candidates(cands))
    k = int(usable[0])
    other = int(
        usable[cands.buddy[usable] != cands.buddy[k]][0]
    )  # a pair of another buddy
    with pytest.raises(ValueError, match="another buddy"):
        integer_master(
            cands,
            [np.array([k, other])],
            np.array([cands.buddy[k]]),
            [],
            time_limit=1,
        )


def test_a_pin_no_column_holds_leaves_no_solution() -> None:
    _, _, cands = _nhs()
    columns, owners = _singletons(cands, 2)
    held = set(np.concatenate(columns).tolist())
    free = [
        k
        for k in np.flatnonzero(usable_candidates(cands)).tolist()
        if k not in held
    ]
    found = integer_master(cands, columns, owners, [[free[0]]], time_limit=1)
    assert found.status == "no_solution"
    assert not found.chosen.any()
