"""buddymatch.explain.infeasible: the pins and limits that cannot hold.

A pin no candidate can honour is named on its own with the rule that
stops it; otherwise the minimal core of pins and limits, each in words.
The infeasible results of ``propose`` on the same inputs are verified.
"""

from __future__ import annotations

import pytest

import buddymatch as bm
from buddymatch.explain import Infeasibility, explain_infeasibility
from conftest import buddy, seeker, two_pinned_buddies


def infeasible(
    problem: bm.Problem, policy: bm.Policy | None = None
) -> Infeasibility:
    """The explanation, after checking that propose finds no proposal."""
    result = bm.propose(problem, policy, time_limit=5)
    assert result.status == "infeasible"
    assert bm.verify(problem, policy, result) == []
    assert {u.reason for u in result.unmet} == {"pinned_conflict"}
    why = explain_infeasibility(problem, policy, time_limit=5)
    assert why is not None and why.status == "infeasible"
    return why


def test_feasible_pins_have_no_conflict(
    complete_problem: bm.Problem, complete_policy: bm.Policy
) -> None:
    assert (
        explain_infeasibility(complete_problem, complete_policy, time_limit=5)
        is None
    )


def test_a_pin_no_candidate_can_honour(
    complete_problem: bm.Problem, complete_policy: bm.Policy
) -> None:
    problem = complete_problem.replace(
        relations=(
            *complete_problem.relations,
            bm.Relation(a="S3", b="BC", kind="pinned", area="governance"),
            bm.Relation(a="S3", b="B1", kind="pinned", area="maternity"),
        )
    )
    why = infeasible(problem, complete_policy)
    assert why.minimal
    assert [(m.kind, m.rule) for m in why.members] == [
        ("pin", None),
        ("hard_rule", "too_few_candidates"),
    ]
    assert why.members[1].words == (
        "maternity: S3's maternity need takes 2 buddies but only 1 pass "
        "the hard rules"
    )
    # The other pin that cannot hold is listed too, with its rule.
    assert why.also == (
        "pin S3 with buddy BC in governance cannot hold: governance: "
        "culture fit 0.5877 < floor 0.8",
    )
    assert why.words.startswith(
        "The pin S3 with buddy B1 in maternity cannot hold: maternity: "
    )


def test_a_pin_without_an_area_names_each_need(
    complete_problem: bm.Problem, complete_policy: bm.Policy
) -> None:
    problem = complete_problem.replace(
        relations=(
            *complete_problem.relations,
            bm.Relation(a="S3", b="BC", kind="pinned"),
        )
    )
    why = infeasible(problem, complete_policy)
    assert [(m.kind, m.area, m.rule) for m in why.members] == [
        ("pin", None, None),
        ("hard_rule", "governance", "culture"),
        ("hard_rule", "maternity", "culture"),
    ]
    assert why.members[0].words == "pin S3 with buddy BC (any of its needs)"


def clash(*trusts: bm.Trust, tier: str = "light") -> bm.Problem:
    """S and T pinned to B1."""
    return bm.Problem(
        trusts=(seeker("S"), seeker("T", 5), *trusts),
        needs=(
            bm.Need(seeker="S", area="finance", tier=tier),
            bm.Need(seeker="T", area="finance"),
        ),
        relations=(
            bm.Relation(a="S", b="B1", kind="pinned"),
            bm.Relation(a="T", b="B1", kind="pinned", area="finance"),
        ),
    )


def test_a_core_of_two_pins_and_a_capacity() -> None:
    why = infeasible(clash(buddy("B1", 60, capacity=1)))
    assert why.minimal
    assert sorted(
        (m.kind, m.seeker, m.buddy, m.limit) for m in why.members
    ) == [
        ("capacity", None, "B1", 1.0),
        ("pin", "S", "B1", None),
        ("pin", "T", "B1", None),
    ]
    capacity = next(m for m in why.members if m.kind == "capacity")
    assert capacity.words == "B1's capacity of 1 unit"
    assert why.context == (
        "S's finance need takes exactly 1 buddy, each giving light-tier "
        "support (1 unit of capacity, fee £5,000) unless a pair override "
        "says otherwise",
        "T's finance need takes exactly 1 buddy, each giving light-tier "
        "support (1 unit of capacity, fee £5,000) unless a pair override "
        "says otherwise",
    )
    assert why.words.startswith("These rules cannot all hold together: ")
    assert why.words.endswith(
        "Without any one of them the others can hold: relax or remove one."
    )


def test_a_capacity_below_a_pinned_workload_says_so() -> None:
    # B1 holds 2 units; S's programme need alone takes 3.
    why = infeasible(clash(buddy("B1", 60, capacity=2), tier="programme"))
    capacity = next(m for m in why.members if m.kind == "capacity")
    assert capacity.words == (
        "B1's capacity of 2 units, below the programme workload (3) of S's "
        "finance need"
    )


@pytest.mark.parametrize(
    ("own", "policy", "words"),
    [
        (1, bm.Policy(), "B1's limit of 1 partner (its own max_partners)"),
        (
            None,
            bm.Policy(max_partners=1),
            "B1's limit of 1 partner (policy.max_partners)",
        ),
    ],
)
def test_a_partner_limit_in_the_core_says_whose_it_is(
    own: int | None, policy: bm.Policy, words: str
) -> None:
    why = infeasible(clash(buddy("B1", 60, max_partners=own)), policy)
    (member,) = [m for m in why.members if m.kind == "max_partners"]
    assert (member.buddy, member.limit, member.words) == ("B1", 1.0, words)


def test_budget_and_seeker_limits_in_words() -> None:
    why = infeasible(clash(buddy("B1", 60)), bm.Policy(budget=9_000))
    (member,) = [m for m in why.members if m.kind == "budget"]
    assert (member.limit, member.words) == (9_000.0, "the budget of £9,000")
    problem = two_pinned_buddies()
    why = infeasible(problem, bm.Policy(max_buddies_per_seeker=1))
    (member,) = [m for m in why.members if m.kind != "pin"]
    assert (member.kind, member.seeker, member.limit) == (
        "max_buddies_per_seeker",
        "S",
        1.0,
    )
    assert member.words == (
        "S's limit of 1 buddy (policy.max_buddies_per_seeker)"
    )


def test_two_pins_on_a_one_buddy_need_say_the_need_once() -> None:
    problem = bm.Problem(
        trusts=(seeker("S"), buddy("B1", 60), buddy("B2", 70)),
        needs=(bm.Need(seeker="S", area="finance"),),
        relations=(
            bm.Relation(a="S", b="B1", kind="pinned"),
            bm.Relation(a="S", b="B2", kind="pinned", area="finance"),
        ),
    )
    why = infeasible(problem)
    # No limit takes part: the need's exact number of buddies does.
    assert [m.kind for m in why.members] == ["pin", "pin"]
    assert why.context == (
        "S's finance need takes exactly 1 buddy, each giving light-tier "
        "support (1 unit of capacity, fee £5,000) unless a pair override "
        "says otherwise",
    )
