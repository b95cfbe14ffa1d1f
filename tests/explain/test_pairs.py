"""buddymatch.explain.pairs: why (not) this buddy for this need.

Each status on the complete proposal: ``excluded`` (the first hard rule,
with its data), ``cannot_cover`` (a candidate that can never be chosen),
``assigned``, and ``allowed`` (a re-solve with the pair pinned, its cost
and moves; or the conflict when the pin cannot hold).  Every re-solved
proposal goes through ``verify``.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

import buddymatch as bm
from buddymatch.explain import PairExplanation, explain_pair
from conftest import buddy, seeker

Ask = Callable[[str, str, str], PairExplanation]


@pytest.fixture(scope="module")
def ask(
    complete_problem: bm.Problem,
    complete_policy: bm.Policy,
    complete_result: bm.Result,
) -> Ask:
    def explain(seeker_id: str, area: str, buddy_id: str) -> PairExplanation:
        return explain_pair(
            complete_problem,
            complete_policy,
            complete_result,
            seeker_id,
            area,
            buddy_id,
            time_limit=5,
        )

    return explain


def test_excluded_names_the_first_rule(ask: Ask) -> None:
    e = ask("S3", "governance", "BC")
    assert (e.status, e.rule) == ("excluded", "culture")
    assert e.words == (
        "BC cannot serve S3's governance need: culture fit 0.5877 < floor 0.8."
    )
    # BZ has capacity 0 and level 5: not_a_buddy comes before the rest.
    e = ask("S3", "governance", "BZ")
    assert (e.status, e.rule) == ("excluded", "not_a_buddy")


def test_cannot_cover_when_too_few_pass(ask: Ask) -> None:
    e = ask("S3", "maternity", "B1")
    assert (e.status, e.rule) == ("cannot_cover", "too_few_candidates")
    assert e.words == (
        "B1 passes every hard rule, but S3's maternity need takes 2 buddies "
        "and only 1 pass, so it cannot be covered."
    )


def test_cannot_cover_when_the_capacity_is_too_small(ask: Ask) -> None:
    e = ask("S5", "maternity", "B2")
    assert (e.status, e.rule) == ("cannot_cover", "capacity")
    assert e.words == (
        "B2 passes every hard rule, but its capacity (4) is below the "
        "intensive workload (6), so it cannot serve S5's maternity need: "
        "raise B2's capacity to at least 6, or give the pair a lower "
        "workload with a pair override."
    )


def test_an_assigned_pair_is_explained_as_an_assignment(ask: Ask) -> None:
    e = ask("S1", "finance", "B2")
    assert e.status == "assigned"
    assert e.assignment is not None and e.assignment.pinned
    assert e.words == e.assignment.words + "."
    assert e.pinned_result is None


def test_an_allowed_pair_is_re_solved_with_it_pinned(
    ask: Ask,
    complete_problem: bm.Problem,
    complete_policy: bm.Policy,
    complete_result: bm.Result,
) -> None:
    e = ask("S5", "maternity", "BF")
    assert (e.status, e.pinned_status) == ("allowed", "optimal")
    pinned = complete_problem.replace(
        relations=(
            *complete_problem.relations,
            bm.Relation(a="S5", b="BF", kind="pinned", area="maternity"),
        )
    )
    assert e.pinned_result is not None
    assert bm.verify(pinned, complete_policy, e.pinned_result) == []
    # The budget takes S5's 60,000 only if S2's two intensive buddies
    # (120,000) go; that frees B1 for S4.
    before, after = complete_result.objective, e.pinned_result.objective
    assert before is not None and after is not None
    assert (e.objective_before, e.objective_after) == (before, after)
    assert e.objective_change == pytest.approx(after - before)
    assert [(n.seeker, n.area, n.priority) for n in e.newly_unmet] == [
        ("S2", "maternity", 3)
    ]
    assert [(n.seeker, n.area) for n in e.newly_met] == [
        ("S4", "finance"),
        ("S5", "maternity"),
    ]
    added = {(m.seeker, m.area, m.buddy) for m in e.added}
    removed = {(m.seeker, m.area, m.buddy) for m in e.removed}
    assert ("S5", "maternity", "BF") in added
    assert {("S2", "maternity", "B1"), ("S2", "maternity", "B3")} <= removed
    assert "the proposal leaves it unmet" in e.words
    assert "leaves unmet: S2's maternity" in e.words


def test_a_pin_that_cannot_hold_gives_the_conflict(ask: Ask) -> None:
    # S1's finance need takes one buddy and is pinned to B2 already.
    e = ask("S1", "finance", "B5")
    assert (e.status, e.pinned_status) == ("allowed", "infeasible")
    assert e.infeasibility is not None
    assert [(m.kind, m.buddy) for m in e.infeasibility.members] == [
        ("pin", "B2"),
        ("pin", "B5"),
    ]
    assert "but the proposal gives it B2" in e.words
    assert "Pinning it cannot hold with the other rules." in e.words
    assert e.objective_after is None and e.added == ()


@pytest.mark.parametrize(
    ("seeker_id", "area", "buddy_id", "column"),
    [
        ("S1", "finance", "NOPE", "buddy"),
        ("S1", "surgery", "B2", "area"),
        ("B2", "finance", "B1", "area"),  # B2 has no needs
    ],
)
def test_unknown_needs_and_buddies_are_input_errors(
    ask: Ask, seeker_id: str, area: str, buddy_id: str, column: str
) -> None:
    with pytest.raises(bm.InputError) as info:
        ask(seeker_id, area, buddy_id)
    (problem,) = info.value.problems
    assert problem.column == column


def test_policy_none_means_the_defaults() -> None:
    problem = bm.Problem(
        trusts=(seeker("S"), buddy("B1", 60, level=5), buddy("B2", 90)),
        needs=(bm.Need(seeker="S", area="finance"),),
    )
    result = bm.propose(problem, time_limit=5)
    assert bm.verify(problem, None, result) == []
    e = explain_pair(problem, None, result, "S", "finance", "B2", time_limit=5)
    assert (e.status, e.pinned_status) == ("allowed", "optimal")
    assert e.objective_change is not None and e.objective_change < 0
    assert [(m.seeker, m.buddy) for m in e.removed] == [("S", "B1")]


def test_cannot_cover_for_both_reasons_names_both() -> None:
    problem = bm.Problem(
        trusts=(seeker("S"), buddy("B1", 60, capacity=1)),
        needs=(
            bm.Need(seeker="S", area="finance", tier="programme", buddies=2),
        ),
    )
    result = bm.propose(problem, time_limit=5)
    assert bm.verify(problem, None, result) == []
    e = explain_pair(problem, None, result, "S", "finance", "B1")
    assert (e.status, e.rule) == ("cannot_cover", "too_few_candidates")
    assert e.words == (
        "B1 passes every hard rule, but its capacity (1) is below the "
        "programme workload (3), so it cannot serve S's finance need: raise "
        "B1's capacity to at least 3, or give the pair a lower workload "
        "with a pair override; and S's finance need takes 2 buddies and "
        "only 1 pass, so it cannot be covered."
    )
