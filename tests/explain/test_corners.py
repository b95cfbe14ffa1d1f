"""Corners of the explanations found by an independent brute-force check.

A buddy whose whole capacity is below a pair's workload passes every hard
pair rule (it stays a candidate) but can never take the pair: the
explanations must say so, with the numbers, and an infeasible pin on such
a pair is a conflict with the buddy's capacity.  An unmet need's reason is
``budget`` only when the budget alone stops the proposal from covering it.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import buddymatch as bm
from buddymatch.explain import explain_infeasibility, explain_pair
from buddymatch.explain.proposal import ProposalView
from buddymatch.explain.unmet import funnel
from buddymatch.solvers.assemble import assemble
from buddymatch.verify import verify
from conftest import buddy, seeker, solve_verified
from explain.test_explain import assert_core_is_minimal_and_infeasible, need

INTENSIVE = bm.Policy().tiers["intensive"].workload  # 6


def small_buddy_problem(**kw: object) -> bm.Problem:
    """S's intensive finance need; ROOMY fits, SMALL (capacity 1) not."""
    return bm.Problem(
        trusts=(
            seeker(),
            buddy("ROOMY", 60, capacity=10),
            buddy("SMALL", 70, capacity=1),
        ),
        needs=(need(tier="intensive"),),
        **kw,  # type: ignore[arg-type]
    )


def pin(seeker_id: str, buddy_id: str) -> bm.Relation:
    return bm.Relation(a=seeker_id, b=buddy_id, kind="pinned", area="finance")


# -- a buddy too small for the pair's workload --------------------------------


def test_a_buddy_too_small_for_the_workload_is_still_a_candidate() -> None:
    problem = small_buddy_problem()
    result = solve_verified(problem, deterministic=True)
    assert [a.buddy for a in result.assignments] == ["ROOMY"]
    cands = bm.build_candidates(problem.canonical(), bm.Policy())
    assert len(cands.pairs_of_need(0)) == 2  # the pair rules pass SMALL


def test_explain_pair_names_the_capacity_below_the_tier_workload() -> None:
    problem = small_buddy_problem()
    result = solve_verified(problem, deterministic=True)
    why = explain_pair(problem, None, result, "S", "finance", "SMALL")
    assert why.status == "cannot_cover"
    assert why.rule == "capacity"
    assert why.words == (
        "SMALL passes every hard rule, but its capacity (1) is below the "
        f"intensive workload ({INTENSIVE}), so it cannot serve S's finance "
        f"need: raise SMALL's capacity to at least {INTENSIVE}, or give the "
        "pair a lower workload with a pair override."
    )


def test_explain_pair_uses_the_workload_of_a_pair_override() -> None:
    problem = small_buddy_problem(
        overrides=(
            bm.PairOverride(
                seeker="S", area="finance", buddy="SMALL", workload=2
            ),
        )
    )
    result = solve_verified(problem, deterministic=True)
    why = explain_pair(problem, None, result, "S", "finance", "SMALL")
    assert why.rule == "capacity"
    assert (
        "its capacity (1) is below the workload a pair override sets (2)"
        in why.words
    )
    assert "raise SMALL's capacity to at least 2" in why.words
    assert "lower the workload of the pair override" in why.words


def test_an_override_that_fits_makes_the_pair_usable() -> None:
    problem = small_buddy_problem(
        overrides=(
            bm.PairOverride(
                seeker="S", area="finance", buddy="SMALL", workload=1
            ),
        )
    )
    result = solve_verified(problem, deterministic=True)
    why = explain_pair(problem, None, result, "S", "finance", "SMALL")
    assert why.status == "allowed"


def test_a_fitting_buddy_of_a_need_that_others_cannot_take() -> None:
    problem = small_buddy_problem().replace(
        needs=(need(tier="intensive", buddies=2),)
    )
    result = solve_verified(problem, deterministic=True)
    (unmet,) = result.unmet
    assert unmet.reason == "capacity"
    assert "only 1 of the 2 that pass the hard rules can take" in (
        unmet.detail
    )
    why = explain_pair(problem, None, result, "S", "finance", "ROOMY")
    assert why.status == "cannot_cover" and why.rule == "capacity"
    assert "ROOMY passes every hard rule and can take the workload" in (
        why.words
    )
    assert (
        f"SMALL's capacity (1) is below the intensive workload ({INTENSIVE})"
        in why.words
    )
    assert "only 2 pass" not in why.words


def test_too_few_candidates_is_still_said_as_such() -> None:
    problem = bm.Problem(
        trusts=(seeker(), buddy("ONLY", 60)),
        needs=(need(buddies=2),),
    )
    result = solve_verified(problem)
    why = explain_pair(problem, None, result, "S", "finance", "ONLY")
    assert why.rule == "too_few_candidates"
    assert "takes 2 buddies and only 1 pass" in why.words


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"max_partners": 0}, "max_partners 0: not a buddy"),
        ({"capacity": 0}, "capacity 0: not a buddy"),
    ],
)
def test_a_buddy_that_offers_no_buddying_is_excluded_not_too_small(
    options: dict[str, object], words: str
) -> None:
    problem = bm.Problem(
        trusts=(
            seeker(),
            buddy("ROOMY", 60, capacity=10),
            buddy("NONE", 70, **options),  # type: ignore[arg-type]
        ),
        needs=(need(tier="intensive"),),
    )
    result = solve_verified(problem, deterministic=True)
    why = explain_pair(problem, None, result, "S", "finance", "NONE")
    assert why.status == "excluded" and why.rule == "not_a_buddy"
    assert words in why.words


def test_the_funnel_says_a_used_buddy_is_too_small_for_the_need() -> None:
    # SMALL (capacity 2) serves S2's light need; S's programme need (3)
    # could never fit it, used or not.
    problem = bm.Problem(
        trusts=(
            seeker(),
            seeker("S2", 1),
            buddy("SMALL", 60, capacity=2),
        ),
        needs=(need(tier="programme"), need("S2", tier="light")),
    )
    result = solve_verified(problem, deterministic=True)
    assert [u.seeker for u in result.unmet] == ["S"]
    view = ProposalView.build(problem, bm.Policy(), result)
    steps = funnel(view, view.need_index[("S", "finance")])
    assert [s.step for s in steps[-2:]] == ["workload", "capacity"]
    assert steps[-2].examples == (
        "SMALL: capacity (2) is below the programme workload (3)",
    )
    assert steps[-1].removed == 0  # removed once, at the workload step


# -- a pin on such a pair ----------------------------------------------------


def test_a_pin_on_a_pair_beyond_the_capacity_conflicts_with_it() -> None:
    problem = small_buddy_problem(relations=(pin("S", "SMALL"),))
    policy = bm.Policy()
    result = solve_verified(problem, policy)
    assert result.status == "infeasible"
    assert result.infeasibility == (
        "pin S with buddy SMALL in finance cannot hold: finance: SMALL's "
        f"capacity (1) is below the intensive workload ({INTENSIVE})",
    )
    why = explain_infeasibility(problem, policy)
    assert why is not None and why.status == "infeasible"
    assert [m.kind for m in why.members] == ["pin", "capacity"]
    assert why.members[1].words == (
        "SMALL's capacity of 1 unit, below the intensive workload "
        f"({INTENSIVE}) of S's finance need"
    )
    assert "hard rules" not in why.words
    assert_core_is_minimal_and_infeasible(problem, policy, why)


def test_a_pin_whose_need_others_cannot_take_names_their_capacity() -> None:
    problem = bm.Problem(
        trusts=(
            seeker(),
            buddy("ROOMY", 60, capacity=10),
            buddy("SMALL", 70, capacity=1),
            buddy("TINY", 80, capacity=2),
        ),
        needs=(need(tier="intensive", buddies=2),),
        relations=(pin("S", "ROOMY"),),
    )
    policy = bm.Policy()
    result = solve_verified(problem, policy)
    assert result.status == "infeasible"
    assert (
        "only 1 of the 3 that pass the hard rules" in (result.infeasibility[0])
    )
    why = explain_infeasibility(problem, policy)
    assert why is not None
    assert sorted(m.kind for m in why.members) == [
        "capacity",
        "capacity",
        "pin",
    ]
    assert_core_is_minimal_and_infeasible(problem, policy, why)


def test_a_pin_beyond_the_capacity_is_never_a_hard_rule_conflict() -> None:
    # The pair passes every hard rule: a conflict must not say otherwise.
    problem = small_buddy_problem(relations=(pin("S", "SMALL"),))
    why = explain_infeasibility(problem, bm.Policy())
    assert why is not None
    assert all(m.kind != "hard_rule" for m in why.members)


# -- budget, named only when it alone stops the need -------------------------


def two_seekers_one_buddy(capacity: int) -> bm.Problem:
    """S1 (priority 3) and S2 (priority 1) both need B, their only
    candidate, for a light need (one unit each)."""
    return bm.Problem(
        trusts=(
            seeker("S1"),
            seeker("S2", 1),
            buddy("B", 60, capacity=capacity),
        ),
        needs=(
            need("S1", priority=3, tier="light"),
            need("S2", priority=1, tier="light"),
        ),
    )


def test_budget_is_not_the_reason_when_capacity_is_taken() -> None:
    # S1 (priority 3) takes B's only unit; S2's only candidate is B.
    problem = two_seekers_one_buddy(capacity=1)
    policy = bm.Policy(budget=5_000)
    result = solve_verified(problem, policy, deterministic=True)
    (unmet,) = result.unmet
    assert unmet.seeker == "S2"
    assert unmet.reason == "capacity"
    assert "B's capacity is taken (1 of 1 units used" in unmet.detail
    assert "beyond the budget of 5,000" in unmet.detail  # both, in words
    # Lifting the budget alone does not cover it.
    lifted = solve_verified(problem, bm.Policy(), deterministic=True)
    assert [u.seeker for u in lifted.unmet] == ["S2"]


def test_budget_is_the_reason_when_it_alone_stops_the_need() -> None:
    problem = two_seekers_one_buddy(capacity=2)
    policy = bm.Policy(budget=5_000)
    result = solve_verified(problem, policy, deterministic=True)
    (unmet,) = result.unmet
    assert unmet.reason == "budget"
    assert "every other limit leaves room for it" in unmet.detail
    lifted = solve_verified(problem, bm.Policy(), deterministic=True)
    assert lifted.unmet == ()


def _additions(
    cands: bm.CandidateSet, chosen: np.ndarray, need_index: int
) -> list[np.ndarray]:
    """Every way to add the need's buddies to the chosen pairs."""
    pairs = cands.pairs_of_need(need_index).tolist()
    wanted = cands.problem.needs[need_index].buddies
    out = []
    for combo in itertools.combinations(pairs, wanted):
        mask = chosen.copy()
        mask[list(combo)] = True
        out.append(mask)
    return out


@pytest.mark.parametrize("seed", [2, 3, 4, 6])
def test_budget_reason_agrees_with_adding_the_need_by_brute_force(
    seed: int,
) -> None:
    """For each unmet need: ``budget`` whenever some way of adding it to
    the proposal breaks no rule but the budget (checked by ``verify`` on
    the raw inputs).  ``budget`` may also be right when the need fits only
    with buddies rearranged; ``tests/test_bruteforce.py`` checks that
    case against an exhaustive search."""
    from buddymatch.synth import generate

    problem = generate(6, (2, 3), 30, seed=seed, capacity_ratio=1.0)
    policy = bm.Policy(max_partners=2, budget=60_000)
    free = policy.model_copy(update={"budget": None})
    result = solve_verified(problem, policy, deterministic=True)
    cands = bm.build_candidates(problem.canonical(), policy)
    index = {(n.seeker, n.area): i for i, n in enumerate(cands.problem.needs)}
    trusts = {t.id: j for j, t in enumerate(cands.problem.trusts)}
    chosen = np.zeros(cands.n_candidates, dtype=bool)
    for a in result.assignments:
        at = cands.position(index[(a.seeker, a.area)], trusts[a.buddy])
        assert at is not None
        chosen[at] = True
    reasons = []
    for u in result.unmet:
        reasons.append(u.reason)
        n = index[(u.seeker, u.area)]
        fits_without_budget = any(
            verify(problem, free, assemble(cands, mask, "feasible")) == []
            for mask in _additions(cands, chosen, n)
        )
        if fits_without_budget:
            assert u.reason == "budget", (u.seeker, u.area, u.detail)
        if u.reason == "budget" and not fits_without_budget:
            assert "buddies rearranged" in u.detail
    assert {"budget", "capacity"} <= set(reasons)  # both are tested
