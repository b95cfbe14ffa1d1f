"""buddymatch.explain.unmet: the funnel of rules and confirmed relaxations.

The complete problem's unmet needs, counted by hand rule by rule; the
bottleneck and its words; policy changes found from the data and each
confirmed by a re-solve that ``verify`` accepts under the changed policy.
"""

from __future__ import annotations

import itertools

import pytest
from pydantic import ValidationError

import buddymatch as bm
from buddymatch.candidates import REASONS

# Internal modules: their paths may move, so every such import is here.
from buddymatch.explain.proposal import ProposalView
from buddymatch.explain.unmet import (
    STEP_PARAMETERS,
    STEP_RULES,
    Relaxer,
    explain_unmet_need,
    funnel,
    passes_expertise,
    relaxed_policy,
)
from buddymatch.params import SolveParams
from conftest import buddy, seeker

# The re-solves behind a relaxation: short and repeatable.
_PARAMS = SolveParams(time_limit=5, deterministic=True)


@pytest.fixture(scope="module")
def view(
    complete_problem: bm.Problem,
    complete_policy: bm.Policy,
    complete_result: bm.Result,
) -> ProposalView:
    return ProposalView.build(
        complete_problem, complete_policy, complete_result
    )


def counts(view: ProposalView, seeker_id: str, area: str) -> list[int]:
    steps = funnel(view, view.need_index[(seeker_id, area)])
    assert [s.step for s in steps] == [
        "trusts",
        "expertise",
        "service",
        "travel",
        "conflicts",
        "culture",
        "workload",
        "capacity",
        "budget",
    ]
    for before, step in itertools.pairwise(steps):
        assert step.removed == before.remaining - step.remaining
        assert step.rules == STEP_RULES[step.step]
    return [s.remaining for s in steps]


def test_every_hard_pair_rule_has_a_funnel_step() -> None:
    ruled = {rule for rules in STEP_RULES.values() for rule in rules}
    assert set(REASONS) - ruled == {"self"}  # never counted
    assert set(STEP_PARAMETERS) == set(STEP_RULES)


def test_funnel_of_a_capacity_blocked_need(view: ProposalView) -> None:
    # S4 finance among the 16 other trusts: 8 below level 3 or not above
    # S4's 1 (B3, SB, BN, BL and four seekers), BM and BZ not buddies,
    # BF too far, B4 tertiary and B5 competitor, BC culture; B1 and B2
    # can take one unit but have no room.
    assert counts(view, "S4", "finance") == [16, 8, 6, 5, 3, 2, 2, 0, 0]
    steps = funnel(view, view.need_index[("S4", "finance")])
    assert steps[4].examples == (
        "B4: relation tertiary",
        "B5: relation competitor",
    )
    assert (
        steps[7]
        .examples[0]
        .startswith(
            "B1: capacity used by its partnerships with S2 (maternity)"
        )
    )


def test_funnel_of_a_budget_blocked_need(view: ProposalView) -> None:
    # BF has room (through the travel matrix); the budget does not.
    assert counts(view, "S5", "maternity") == [16, 10, 7, 6, 6, 5, 3, 1, 0]
    steps = funnel(view, view.need_index[("S5", "maternity")])
    assert steps[6].examples == (
        "B2: capacity (4) is below the intensive workload (6)",
        "B3: capacity (3) is below the intensive workload (6)",
    )
    assert steps[-1].examples == (
        "covering it would cost £60,000 more; £168,000 of the £180,000 "
        "budget is committed",
    )


def test_the_expertise_step_applies_the_rule_itself(
    view: ProposalView,
) -> None:
    # The candidate stage reports capacity 0 (BZ) before expertise; the
    # funnel tests expertise first, on its own.
    n = view.need_index[("S3", "governance")]
    passes = passes_expertise(view, n)
    ids = view.problem.trust_ids
    assert passes[ids.index("BZ")]
    # Level 3 is not above S3's own 3.
    assert not passes[ids.index("B1")]
    assert passes[ids.index("B2")]


def test_unmet_words_name_the_bottleneck(view: ProposalView) -> None:
    by_key = {(u.seeker, u.area): u for u in view.result.unmet}
    explained = {
        key: explain_unmet_need(view, unmet) for key, unmet in by_key.items()
    }
    assert {key: e.bottleneck for key, e in explained.items()} == {
        ("S3", "governance"): "culture",
        ("S3", "maternity"): "culture",
        ("S4", "finance"): "capacity",
        ("S5", "maternity"): "budget",
    }
    assert explained[("S3", "maternity")].words == (
        "S3's maternity need takes 2 buddies; 1 buddy is left after the "
        "culture rule, which removed 1 (e.g. BC: culture fit 0.5877 < "
        "floor 0.8)."
    )
    # Without a relaxer nothing is tried.
    assert all(
        e.relaxations == () and e.tried == () for e in explained.values()
    )
    assert explained[("S4", "finance")].reason == "capacity"


def budget_view() -> ProposalView:
    """T's need fits only if S moves from B1 to B2, which the budget
    forbids: the funnel's capacity step is the bottleneck as the
    proposal stands, the result's reason is the budget."""
    problem = bm.Problem(
        trusts=(
            seeker("S"),
            seeker("T", 5),
            buddy("B1", 60, level=5, capacity=1),
            buddy("B2", 70, level=3, capacity=1),
        ),
        needs=(
            bm.Need(seeker="S", area="finance", priority=3),
            bm.Need(seeker="T", area="finance", priority=1),
        ),
        relations=(bm.Relation(a="T", b="B2", kind="veto"),),
    )
    policy = bm.Policy(budget=5_000)
    result = bm.propose(problem, policy, time_limit=5, deterministic=True)
    assert bm.verify(problem, policy, result) == []
    return ProposalView.build(problem, policy, result)


def test_a_budget_reason_overrides_a_capacity_bottleneck() -> None:
    view = budget_view()
    (unmet,) = view.result.unmet
    assert unmet.reason == "budget"
    explained = explain_unmet_need(view, unmet)
    assert explained.bottleneck == "budget"
    assert explained.words.endswith(
        "as the proposal stands; but lifting the budget alone would let it "
        "be met along with every need this proposal meets, with buddies "
        "rearranged."
    )
    # The funnel itself still counts capacity first.
    steps = {s.step: s.remaining for s in explained.funnel}
    assert (steps["workload"], steps["capacity"]) == (1, 0)


def test_relaxations_are_confirmed_by_a_verified_re_solve(
    view: ProposalView,
) -> None:
    relaxer = Relaxer(view, params=_PARAMS)
    by_key = {(u.seeker, u.area): u for u in view.result.unmet}
    explained = explain_unmet_need(view, by_key[("S5", "maternity")], relaxer)
    (relax,) = explained.relaxations
    # The least budget that takes the need: 168,000 spent + 60,000.
    assert (relax.parameter, relax.current, relax.proposed) == (
        "budget",
        180_000.0,
        228_000.0,
    )
    assert relax.buddies == ("BF",)
    assert relax.words == "budget 180000 → 228000 covers it (with BF)"
    assert relax.result is not None
    policy = relaxed_policy(view.policy, "budget", 228_000.0)
    assert bm.verify(view.original, policy, relax.result) == []
    assert ("S5", "maternity") not in {
        (u.seeker, u.area) for u in relax.result.unmet
    }
    assert explained.words.endswith(
        "budget 180000 → 228000 covers it (with BF)."
    )


def test_pair_rule_relaxations_take_the_smallest_change(
    view: ProposalView,
) -> None:
    relaxer = Relaxer(view, params=_PARAMS)
    by_key = {(u.seeker, u.area): u for u in view.result.unmet}
    explained = explain_unmet_need(view, by_key[("S4", "finance")], relaxer)
    found = {(r.parameter, r.proposed) for r in explained.relaxations}
    # BL's level 2; BF's 200 minutes; BC's fit 0.5877, rounded down.
    assert found == {
        ("min_expertise", 2),
        ("max_travel_minutes", 200.0),
        ("min_culture_fit", 0.58),
    }
    for r in explained.relaxations:
        assert r.result is not None
        policy = relaxed_policy(view.policy, r.parameter, r.proposed)
        assert bm.verify(view.original, policy, r.result) == []


def test_changes_that_do_not_cover_the_need_are_listed_as_tried(
    view: ProposalView,
) -> None:
    # S3's maternity need takes two buddies and each change brings in one.
    relaxer = Relaxer(view, params=_PARAMS, max_resolves=2)
    by_key = {(u.seeker, u.area): u for u in view.result.unmet}
    explained = explain_unmet_need(view, by_key[("S3", "maternity")], relaxer)
    assert explained.relaxations == ()
    assert explained.tried == (
        "min_culture_fit 0.8 → 0.58",
        "require_stronger_than_seeker true → false",
    )
    assert explained.words.endswith(
        "No one-parameter policy change tried covers it (min_culture_fit "
        "0.8 → 0.58, require_stronger_than_seeker true → false)."
    )


def test_relaxed_policy_is_validated(complete_policy: bm.Policy) -> None:
    policy = relaxed_policy(complete_policy, "min_culture_fit", 0.5)
    assert policy.min_culture_fit == 0.5
    assert policy.tiers == complete_policy.tiers
    with pytest.raises(ValidationError):
        relaxed_policy(complete_policy, "min_culture_fit", 1.5)
