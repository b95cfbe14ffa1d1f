"""The transportation relaxation's bounds: never below the true optimum.

Every stage's bound is checked against exhaustive enumeration on a few
hundred tiny random problems (`enumeration`, written independently of the
solver code: pair overrides with workloads 0-3, partner and seeker
limits, budgets, partnership costs), given the cover of the lexicographic
optimum and of a random proposal; and on "nhs" against the engine's
proven optimum.
"""

from __future__ import annotations

import numpy as np
import pytest

import buddymatch as bm
from buddymatch import synth
from buddymatch.candidates import build_candidates
from buddymatch.scoring import to_units
from buddymatch.solvers import propose
from buddymatch.solvers.room import usable_candidates
from buddymatch.solvers.transport import Transport, transport_bounds
from enumeration import check_stage_bounds, tiny_problem


@pytest.mark.parametrize("block", range(10))
def test_bounds_are_never_below_the_enumerated_optimum(block: int) -> None:
    checked = check_stage_bounds(
        range(block * 30, block * 30 + 30),
        lambda cands, fixed: transport_bounds(
            cands, usable_candidates(cands), fixed, max_solves=30
        ),
    )
    assert any(s.stage == "quality" for s in checked)
    for stage in checked:
        if stage.stage != "quality":
            assert stage.bound == stage.bound_units
    # The multipliers were searched, not only the first flow.
    assert any(s.iterations > 1 for s in checked)


def _contested() -> Transport:
    """One buddy of capacity 1; one need of priority 3 and one of
    priority 2, both able to use it."""
    trusts = (
        bm.Trust(id="S1", lat=52.0, lon=-1.5, expertise={"a1": 1, "a2": 1}),
        bm.Trust(
            id="B1",
            lat=52.1,
            lon=-1.4,
            expertise={"a1": 5, "a2": 5},
            capacity=1,
        ),
    )
    needs = (
        bm.Need(seeker="S1", area="a1", tier="light", priority=3),
        bm.Need(seeker="S1", area="a2", tier="light", priority=2),
    )
    problem = bm.Problem(trusts=trusts, needs=needs)
    policy = bm.Policy(min_travel_minutes=0, max_travel_minutes=None)
    cands = build_candidates(problem.canonical(), policy)
    return Transport(cands, usable_candidates(cands))


def test_multipliers_tighten_a_conditional_bound() -> None:
    # Unpriced, the flow meets the priority-2 need; given the priority-3
    # need met, the bound must fall to 0.
    free = _contested().stage(2, {})
    given = _contested().stage(2, {3: 1})
    assert free is not None and given is not None
    assert free.bound_units == 1
    assert given.bound_units == 0
    assert given.fixed == {3: 1}


def test_a_proposal_meeting_a_bound_stops_its_search() -> None:
    # The conditional stage takes several flows to reach its bound; told
    # that the proposal already meets the first flow's bound, it stops
    # after that one.
    searched = _contested().stage(2, {3: 1})
    assert searched is not None and searched.iterations > 1
    first = _contested().stage(2, {3: 1}, max_solves=1)
    assert first is not None
    again = _contested().stage(2, {3: 1}, reached=first.bound_units)
    assert again is not None and again.iterations == 1


def test_zero_workload_needs_cost_no_capacity() -> None:
    # Both needs' only buddy has no capacity left, but their pairs carry
    # workload 0: both can be met, and the bound must say so.
    trusts = (
        bm.Trust(id="S1", lat=52.0, lon=-1.5, expertise={"a1": 1}),
        bm.Trust(id="S2", lat=52.0, lon=-1.6, expertise={"a1": 1}),
        bm.Trust(id="B1", lat=52.1, lon=-1.4, expertise={"a1": 5}, capacity=1),
    )
    needs = (
        bm.Need(seeker="S1", area="a1", tier="programme", priority=2),
        bm.Need(seeker="S2", area="a1", tier="programme", priority=2),
    )
    overrides = tuple(
        bm.PairOverride(seeker=s, area="a1", buddy="B1", score=10, workload=0)
        for s in ("S1", "S2")
    )
    problem = bm.Problem(trusts=trusts, needs=needs, overrides=overrides)
    policy = bm.Policy(min_travel_minutes=0, max_travel_minutes=None)
    cands = build_candidates(problem.canonical(), policy)
    found = {
        s.stage: s
        for s in transport_bounds(cands, usable_candidates(cands), {})
    }
    assert found["cover priority 2"].bound_units == 2
    # Two partnerships, each costing the policy's 5 points.
    assert found["quality"].bound_units == to_units(2 * (10 - 5))


def test_nhs_bounds_hold_against_the_engines_proven_optimum() -> None:
    problem, policy = synth.preset("nhs", seed=0), bm.Policy()
    result = propose(problem, policy, time_limit=60, seed=1)
    assert result.status == "optimal"
    assert bm.verify(problem, policy, result) == []
    cands = build_candidates(problem.canonical(), policy)
    cover = {c.priority: c.covered for c in result.coverage}
    found = {
        s.stage: s
        for s in transport_bounds(cands, usable_candidates(cands), cover)
    }
    for c in result.coverage:
        assert found[f"cover priority {c.priority}"].bound_units >= c.covered
    assert result.objective is not None
    assert found["quality"].bound >= result.objective - 1e-9
    assert np.isfinite(found["quality"].lp_value)


def test_weights_too_large_to_be_exact_are_refused() -> None:
    # A multiplier so large that a weight could not be exact (or would
    # overflow the solver's int64 costs) gives no flow, never a wrong one.
    problem, policy = tiny_problem(5)
    cands = build_candidates(problem.canonical(), policy)
    relaxation = Transport(cands, usable_candidates(cands))
    assert not relaxation.empty
    top = int(relaxation.priority.max())
    below = int(relaxation.priority.min())
    if top == below:
        below = top  # one priority: price it against itself
    assert relaxation._cover_flow(below, {top: 2**70}) is None
    assert relaxation._quality_flow({top: 2**70}) is None
    assert relaxation._cover_flow(below, {top: 16}) is not None
