"""buddymatch.solvers.assemble: from chosen pairs to a Result.

Usable and coverable candidates, pins mapped to candidate groups, and the
result built from a mask: assignments, partnerships, cover, utilisation,
objective, and the reason of each unmet need.  Each result whose mask
obeys the rules goes through ``verify``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

import buddymatch as bm

# Internal modules: their paths may move, so every such import is here.
from buddymatch.candidates import CandidateSet
from buddymatch.errors import SolverError
from buddymatch.solvers.assemble import assemble, resolve_pins
from buddymatch.solvers.reasons import (
    capacity_shortfall,
    too_few_fitting,
    workload_source,
    workload_words,
)
from buddymatch.solvers.room import coverable_candidates, usable_candidates
from conftest import at, buddy, make_trust, seeker


def cands_of(
    problem: bm.Problem, policy: bm.Policy | None = None
) -> CandidateSet:
    return bm.build_candidates(problem.canonical(), policy or bm.Policy())


def need_of(cands: CandidateSet, seeker_id: str, area: str) -> int:
    return next(
        n
        for n, need in enumerate(cands.problem.needs)
        if (need.seeker, need.area) == (seeker_id, area)
    )


def pos(cands: CandidateSet, seeker_id: str, area: str, tid: str) -> int:
    at_ = cands.position(
        need_of(cands, seeker_id, area), cands.problem.trust_ids.index(tid)
    )
    assert at_ is not None, (seeker_id, area, tid)
    return at_


def mask(cands: CandidateSet, *picks: tuple[str, str, str]) -> np.ndarray:
    chosen = np.zeros(cands.n_candidates, dtype=bool)
    for s, a, b in picks:
        chosen[pos(cands, s, a, b)] = True
    return chosen


# -- usable and coverable -----------------------------------------------------


def three_needs() -> bm.Problem:
    return bm.Problem(
        trusts=(
            seeker("S"),
            seeker("T", 5),
            seeker("U", 10),
            buddy("B1", 60, capacity=1),  # below the programme workload
            buddy("B2", 60),
            buddy("B3", 60),
        ),
        needs=(
            bm.Need(seeker="S", area="finance", tier="programme", buddies=2),
            bm.Need(seeker="T", area="finance", tier="programme", buddies=2),
            bm.Need(seeker="U", area="finance", buddies=3),
        ),
        relations=(
            bm.Relation(a="T", b="B3", kind="competitor"),
            bm.Relation(a="U", b="B3", kind="veto"),
        ),
    )


def test_usable_drops_short_pairs_and_needs_without_enough_that_fit() -> None:
    cands = cands_of(three_needs())
    usable = usable_candidates(cands)
    ok = {
        (cands.problem.needs[int(n)].seeker, cands.problem.trust_ids[int(b)])
        for n, b in zip(cands.need[usable], cands.buddy[usable], strict=True)
    }
    # S: B1 cannot take 3 units, B2 and B3 can (2 fit, 2 wanted).
    # T: B3 is a competitor; of B1 and B2 only B2 fits (1 < 2).
    # U: wants 3 and only B1 and B2 pass.
    assert ok == {("S", "B2"), ("S", "B3")}


def test_coverable_keeps_short_pairs_of_needs_with_enough_candidates() -> None:
    cands = cands_of(three_needs())
    coverable = coverable_candidates(cands)
    ok = {
        (cands.problem.needs[int(n)].seeker, cands.problem.trust_ids[int(b)])
        for n, b in zip(
            cands.need[coverable], cands.buddy[coverable], strict=True
        )
    }
    assert ok == {
        ("S", "B1"),
        ("S", "B2"),
        ("S", "B3"),
        ("T", "B1"),
        ("T", "B2"),
    }


def test_no_candidates_give_empty_masks() -> None:
    problem = bm.Problem(trusts=(seeker("S"), buddy("B", 60)))
    cands = cands_of(problem)
    assert usable_candidates(cands).shape == (0,)
    assert coverable_candidates(cands).shape == (0,)


# -- words --------------------------------------------------------------------


def test_workload_and_capacity_words() -> None:
    problem = three_needs().replace(
        overrides=(
            bm.PairOverride(
                seeker="S", area="finance", buddy="B2", workload=4
            ),
        )
    )
    cands = cands_of(problem)
    policy = cands.policy
    need = cands.problem.needs[need_of(cands, "S", "finance")]
    assert workload_source(policy, need, 3) == "the programme workload (3)"
    assert workload_source(policy, need, 4) == (
        "the workload a pair override sets (4)"
    )
    assert workload_words(cands, pos(cands, "S", "finance", "B2")) == (
        "the workload a pair override sets (4)"
    )
    assert capacity_shortfall(cands, pos(cands, "S", "finance", "B1")) == (
        "capacity (1) is below the programme workload (3)"
    )
    assert capacity_shortfall(cands, pos(cands, "S", "finance", "B3")) is None
    assert too_few_fitting(cands, need_of(cands, "T", "finance")) == (
        "takes 2 buddies and only 1 of the 2 that pass the hard rules can "
        "take its workload (B1's capacity (1) is below the programme "
        "workload (3))"
    )
    # Enough fit, or too few pass in the first place: nothing to say.
    assert too_few_fitting(cands, need_of(cands, "S", "finance")) is None
    assert too_few_fitting(cands, need_of(cands, "U", "finance")) is None


# -- pins ---------------------------------------------------------------------


def test_resolve_pins() -> None:
    problem = bm.Problem(
        trusts=(
            seeker("S"),
            seeker("T", 5),
            make_trust(
                "B1",
                *at(60),
                capacity=5,
                expertise={"finance": 4, "maternity": 4},
            ),
            buddy("B2", 60, capacity=1),
        ),
        needs=(
            bm.Need(seeker="S", area="finance"),
            bm.Need(seeker="S", area="maternity"),
            bm.Need(seeker="T", area="finance", tier="programme"),
        ),
        relations=(
            bm.Relation(a="S", b="B1", kind="pinned"),  # both areas
            bm.Relation(a="S", b="B1", kind="pinned", area="maternity"),
            bm.Relation(a="T", b="B2", kind="pinned"),  # B2 too small
            bm.Relation(a="T", b="B1", kind="competitor"),
            bm.Relation(a="T", b="B1", kind="pinned", area="finance"),
        ),
    )
    cands = cands_of(problem)
    groups, impossible = resolve_pins(cands, usable_candidates(cands))
    # Canonical order: relations sorted by kind, then a, b, area.
    assert groups == [
        [pos(cands, "S", "finance", "B1"), pos(cands, "S", "maternity", "B1")],
        [pos(cands, "S", "maternity", "B1")],
    ]
    words = dict(impossible)
    kinds = [r.kind for r in cands.problem.relations]
    assert all(kinds[r] == "pinned" for r in words)
    assert sorted(words.values()) == [
        "pin T with buddy B1 in finance cannot hold: finance: relation "
        "competitor",
        "pin T with buddy B2 cannot hold: finance: B2's capacity (1) is "
        "below the programme workload (3)",
    ]


# -- assemble -----------------------------------------------------------------


def two_seekers() -> tuple[bm.Problem, bm.Policy]:
    problem = bm.Problem(
        trusts=(
            bm.Trust(**{**seeker("S").model_dump(), "region": "Midlands"}),
            # Capacity, but a seeker: not a buddy (seekers_can_buddy off).
            seeker("T", 5, capacity=2),
            make_trust(
                "B1",
                *at(60),
                capacity=9,
                expertise={"finance": 5, "maternity": 4},
            ),
            buddy("B2", 90, capacity=4, max_partners=1),
            buddy("BX", 60, capacity=0),  # not a buddy: not in utilisation
            seeker("U", 20),  # no needs, capacity 0: named nowhere
        ),
        needs=(
            bm.Need(seeker="S", area="finance", tier="programme", priority=3),
            bm.Need(seeker="S", area="maternity", tier="intensive"),
            bm.Need(seeker="T", area="finance", priority=1),
        ),
    )
    return problem, bm.Policy(partnership_cost=7.5)


def test_assemble_builds_the_result_of_a_mask() -> None:
    problem, policy = two_seekers()
    cands = cands_of(problem, policy)
    chosen = mask(
        cands,
        ("S", "finance", "B1"),
        ("S", "maternity", "B1"),
        ("T", "finance", "B2"),
    )
    pinned = mask(cands, ("T", "finance", "B2"))
    result = assemble(
        cands,
        chosen,
        "optimal",
        bound=200.0,
        runtime=0.25,
        solver={"backend": "test"},
        pinned=pinned,
    )
    assert bm.verify(problem, policy, result) == []
    assert [
        (a.seeker, a.area, a.buddy, a.pinned) for a in result.assignments
    ] == [
        ("S", "finance", "B1", False),
        ("S", "maternity", "B1", False),
        ("T", "finance", "B2", True),
    ]
    # One partnership for S and B1 in two areas, sums and the longest tier.
    first = result.partnerships[0]
    assert (first.seeker, first.buddy, first.areas) == (
        "S",
        "B1",
        ("finance", "maternity"),
    )
    assert first.tiers == {"finance": "programme", "maternity": "intensive"}
    assert (first.workload, first.fee, first.months) == (9, 80_000.0, 24)
    expected = float(cands.score[chosen].sum()) - 7.5 * 2
    assert result.objective == pytest.approx(expected, abs=1e-9)
    assert result.gap == pytest.approx(
        abs(200.0 - expected) / max(1.0, abs(expected))
    )
    assert [
        (c.priority, c.covered, c.total, c.bound) for c in result.coverage
    ] == [(3, 1, 1, 1), (2, 1, 1, 1), (1, 1, 1, 1)]
    assert result.total_fee == 85_000.0
    assert {u.buddy for u in result.utilisation} == {"B1", "B2"}
    use = {u.buddy: u for u in result.utilisation}
    b2 = use["B2"]
    assert (b2.workload, b2.partners, b2.max_partners) == (1, 1, 1)
    assert use["B1"].max_partners == policy.max_partners
    # Trust references: seekers and assigned buddies only.
    assert {t.id for t in result.trusts} == {"S", "T", "B1", "B2"}
    assert result.trust_name("S") == "S NHS Trust"
    assert next(t for t in result.trusts if t.id == "S").region == ("Midlands")
    assert (result.runtime, result.solver) == (0.25, {"backend": "test"})


def test_a_partial_cover_is_built_and_verify_flags_it() -> None:
    problem = three_needs()
    cands = cands_of(problem)
    # One of S's two buddies: assemble builds what it is given.
    result = assemble(cands, mask(cands, ("S", "finance", "B2")), "feasible")
    assert [u.seeker for u in result.unmet] == ["S", "T", "U"]
    assert {v.rule for v in bm.verify(problem, bm.Policy(), result)} >= {
        "coverage"
    }


@pytest.mark.parametrize(
    ("status", "reason"),
    [("infeasible", "pinned_conflict"), ("no_solution", "not_solved")],
)
def test_without_a_proposal_every_need_is_unmet_for_that_reason(
    status: str, reason: str
) -> None:
    problem, policy = two_seekers()
    cands = cands_of(problem, policy)
    result = assemble(
        cands,
        np.zeros(cands.n_candidates, dtype=bool),
        status,  # type: ignore[arg-type]
        infeasibility=("why",),
    )
    assert bm.verify(problem, policy, result) == []
    assert {u.reason for u in result.unmet} == {reason}
    assert len(result.unmet) == 3
    assert (result.objective, result.gap) == (None, None)
    assert all(c.bound is None for c in result.coverage)
    assert result.infeasibility == ("why",)


def test_an_untried_need_is_not_solved_unless_a_rule_explains_it() -> None:
    problem = three_needs()
    cands = cands_of(problem)
    untried = np.ones(len(cands.problem.needs), dtype=bool)
    result = assemble(
        cands,
        np.zeros(cands.n_candidates, dtype=bool),
        "feasible",
        untried=untried,
    )
    assert bm.verify(problem, bm.Policy(), result) == []
    reasons = {u.seeker: u.reason for u in result.unmet}
    # T's and U's hard-rule reasons stand; only S's is unknown.
    assert reasons == {
        "S": "not_solved",
        "T": "capacity",
        "U": "too_few_candidates",
    }
    s = next(u for u in result.unmet if u.seeker == "S")
    assert "not proven impossible" in s.detail


def test_a_cover_bound_below_the_cover_is_a_bug() -> None:
    problem, policy = two_seekers()
    cands = cands_of(problem, policy)
    chosen = mask(cands, ("S", "finance", "B1"))
    with pytest.raises(SolverError, match="priority 3"):
        assemble(cands, chosen, "feasible", cover_bounds={3: 0})


def test_an_unproven_cover_says_more_may_be_coverable() -> None:
    problem, policy = two_seekers()
    cands = cands_of(problem, policy)
    # T's need is left out though B2 has room: a feasible, unproven result.
    chosen = mask(cands, ("S", "finance", "B1"), ("S", "maternity", "B1"))
    result = assemble(cands, chosen, "feasible")
    assert bm.verify(problem, policy, result) == []
    (t,) = result.unmet
    assert t.reason == "capacity"
    assert "not met in this proposal, not proven impossible" in t.detail
    assert "up to 1 more need of priority 1 may be coverable" in t.detail
    # Said once: the unproven cover and the bound are one statement.
    assert t.detail.count("not met in this proposal") == 1, t.detail
    assert result.coverage[-1].bound == 1
    # A proven bound of 0 (as the solver gives) drops the clause.
    result = assemble(cands, chosen, "feasible", cover_bounds={1: 0})
    assert "may be coverable" not in result.unmet[0].detail


def budget_problem() -> tuple[bm.Problem, bm.Policy]:
    # B1 holds one unit: S's priority-3 need takes it; T's need has no
    # room and is over the budget too.
    problem = bm.Problem(
        trusts=(seeker("S"), seeker("T", 5), buddy("B1", 60, capacity=1)),
        needs=(
            bm.Need(seeker="S", area="finance", priority=3),
            bm.Need(seeker="T", area="finance", priority=1),
        ),
    )
    return problem, bm.Policy(budget=5_000)


@pytest.mark.parametrize(
    ("check", "reason", "words"),
    [
        (None, "capacity", "none has room in this proposal"),
        (lambda n: True, "budget", "lifting the budget alone would let it"),
        (lambda n: False, "capacity", "lifting the budget alone would not"),
        # Time ran out: nothing proven, the limit that binds is named.
        (lambda n: None, "capacity", "; and covering it would cost 5,000"),
    ],
)
def test_the_budget_is_blamed_only_when_lifting_it_alone_helps(
    check: Callable[[int], bool | None] | None, reason: str, words: str
) -> None:
    problem, policy = budget_problem()
    cands = cands_of(problem, policy)
    result = assemble(
        cands,
        mask(cands, ("S", "finance", "B1")),
        "optimal",
        budget_check=check,
    )
    assert bm.verify(problem, policy, result) == []
    (t,) = result.unmet
    assert (t.seeker, t.reason) == ("T", reason)
    assert words in t.detail
    assert "beyond the budget of 5,000 (5,000 committed)" in t.detail


def test_the_complete_proposal_round_trips_through_assemble(
    complete_problem: bm.Problem,
    complete_policy: bm.Policy,
    complete_result: bm.Result,
) -> None:
    cands = cands_of(complete_problem, complete_policy)
    picks = [(a.seeker, a.area, a.buddy) for a in complete_result.assignments]
    chosen = mask(cands, *picks)
    again = assemble(cands, chosen, "optimal")
    assert bm.verify(complete_problem, complete_policy, again) == []
    assert again.unmet == complete_result.unmet
    assert again.partnerships == complete_result.partnerships
    assert again.objective == complete_result.objective
