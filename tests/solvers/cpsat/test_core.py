"""buddymatch.solvers.cpsat.core: infeasibility cores and the budget check.

Hand-made conflicts of each rule kind: the core names exactly the rules
that clash, it is minimal, and it re-checks; ``rules_status`` agrees;
``BudgetCheck`` says whether lifting the budget alone lets a need in.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import buddymatch as bm

# Internal modules: their paths may move, so every such import is here.
from buddymatch.candidates import CandidateSet
from buddymatch.solvers.assemble import assemble, resolve_pins
from buddymatch.solvers.cpsat import core
from buddymatch.solvers.cpsat.core import (
    BudgetCheck,
    CoreRule,
    infeasibility_core,
    rules_status,
)
from buddymatch.solvers.room import coverable_candidates, usable_candidates
from conftest import buddy, seeker, two_pinned_buddies

Inputs = tuple[CandidateSet, np.ndarray, list[list[int]]]


def inputs(problem: bm.Problem, policy: bm.Policy | None = None) -> Inputs:
    cands = bm.build_candidates(problem.canonical(), policy or bm.Policy())
    usable = coverable_candidates(cands)
    pins, impossible = resolve_pins(cands, usable)
    assert impossible == []
    return cands, usable, pins


def two_pins() -> bm.Problem:
    """S and T each pinned to B1 (capacity 1)."""
    return bm.Problem(
        trusts=(seeker("S"), seeker("T", 5), buddy("B1", 60, capacity=1)),
        needs=(
            bm.Need(seeker="S", area="finance"),
            bm.Need(seeker="T", area="finance"),
        ),
        relations=(
            bm.Relation(a="S", b="B1", kind="pinned"),
            bm.Relation(a="T", b="B1", kind="pinned"),
        ),
    )


def kinds(core: tuple[CoreRule, ...]) -> list[str]:
    return sorted(rule.kind for rule in core)


def test_two_pins_on_one_unit_clash_with_its_capacity() -> None:
    cands, usable, pins = inputs(two_pins())
    outcome = infeasibility_core(cands, usable, pins, time_limit=5)
    assert outcome.status == "infeasible"
    assert outcome.minimal
    b1 = cands.problem.trust_ids.index("B1")
    assert sorted(outcome.core, key=lambda r: r.kind) == [
        CoreRule("capacity", b1, 1),
        CoreRule("pin", 0),
        CoreRule("pin", 1),
    ]
    # At least the first solve, one per rule tried, and the re-check.
    assert outcome.solves >= 3
    # The core alone is infeasible; without any one rule it holds.
    assert rules_status(cands, usable, pins, outcome.core) == "infeasible"
    for rule in outcome.core:
        rest = tuple(r for r in outcome.core if r != rule)
        assert rules_status(cands, usable, pins, rest) == "feasible"


def test_a_proposal_exists_exactly_when_there_is_no_core() -> None:
    # The same pins with room for both: feasible, and the engine agrees.
    problem = two_pins().replace(
        trusts=(seeker("S"), seeker("T", 5), buddy("B1", 60, capacity=2))
    )
    cands, usable, pins = inputs(problem)
    outcome = infeasibility_core(cands, usable, pins, time_limit=5)
    assert (outcome.status, outcome.core, outcome.minimal) == (
        "feasible",
        (),
        False,
    )
    assert outcome.solves == 1
    result = bm.propose(problem, time_limit=5)
    assert result.status == "optimal"
    assert bm.verify(problem, bm.Policy(), result) == []


def test_a_capacity_below_the_workload_is_a_core_member() -> None:
    # S's programme need takes 3 units of a 1-unit buddy: the pair passes
    # the pair rules (so the pin resolves) and the capacity stops it.
    problem = bm.Problem(
        trusts=(seeker("S"), buddy("B1", 60, capacity=1)),
        needs=(bm.Need(seeker="S", area="finance", tier="programme"),),
        relations=(bm.Relation(a="S", b="B1", kind="pinned"),),
    )
    cands, usable, pins = inputs(problem)
    assert not usable_candidates(cands).any()
    outcome = infeasibility_core(cands, usable, pins, time_limit=5)
    assert kinds(outcome.core) == ["capacity", "pin"]


@pytest.mark.parametrize(
    ("policy", "own", "kind", "limit"),
    [
        (bm.Policy(budget=9_000), None, "budget", 9_000),
        (bm.Policy(max_partners=1), None, "max_partners", 1),
        # The buddy's own limit, with none in the policy.
        (bm.Policy(max_partners=None), 1, "max_partners", 1),
    ],
)
def test_budget_and_partner_limits_are_core_members(
    policy: bm.Policy, own: int | None, kind: str, limit: float
) -> None:
    b1 = buddy("B1", 60, capacity=9, max_partners=own)
    problem = two_pins().replace(trusts=(seeker("S"), seeker("T", 5), b1))
    cands, usable, pins = inputs(problem, policy)
    outcome = infeasibility_core(cands, usable, pins, time_limit=5)
    assert kinds(outcome.core) == sorted([kind, "pin", "pin"])
    (rule,) = [r for r in outcome.core if r.kind == kind]
    assert rule.limit == limit
    if kind == "budget":
        assert rule.index == 0
    else:
        assert rule.index == cands.problem.trust_ids.index("B1")


def test_the_seekers_buddy_limit_is_a_core_member() -> None:
    problem = two_pinned_buddies()
    cands, usable, pins = inputs(problem, bm.Policy(max_buddies_per_seeker=1))
    outcome = infeasibility_core(cands, usable, pins, time_limit=5)
    assert kinds(outcome.core) == ["max_buddies_per_seeker", "pin", "pin"]
    (rule,) = [r for r in outcome.core if r.kind != "pin"]
    assert (rule.index, rule.limit) == (cands.seekers.index("S"), 1)


def test_the_core_leaves_out_rules_that_take_no_part() -> None:
    # U's pin and B2's capacity are fine on their own: only the clash on
    # B1 is named.
    problem = bm.Problem(
        trusts=(
            seeker("S"),
            seeker("T", 5),
            seeker("U", 10),
            buddy("B1", 60, capacity=1),
            buddy("B2", 70, capacity=1),
        ),
        needs=tuple(
            bm.Need(seeker=s, area="finance") for s in ("S", "T", "U")
        ),
        relations=(
            bm.Relation(a="S", b="B1", kind="pinned"),
            bm.Relation(a="T", b="B1", kind="pinned"),
            bm.Relation(a="U", b="B2", kind="pinned"),
        ),
    )
    cands, usable, pins = inputs(problem)
    outcome = infeasibility_core(cands, usable, pins, time_limit=5)
    b1 = cands.problem.trust_ids.index("B1")
    assert outcome.minimal
    assert sorted(outcome.core, key=lambda r: (r.kind, r.index)) == [
        CoreRule("capacity", b1, 1),
        CoreRule("pin", 0),
        CoreRule("pin", 1),
    ]


def test_of_two_clashing_limits_one_is_named() -> None:
    # B1's capacity and its partner limit each stop the second pin: a
    # minimal core holds one of them, not both.
    b1 = buddy("B1", 60, capacity=1, max_partners=1)
    problem = two_pins().replace(trusts=(seeker("S"), seeker("T", 5), b1))
    cands, usable, pins = inputs(problem)
    outcome = infeasibility_core(cands, usable, pins, time_limit=5)
    assert outcome.minimal
    assert kinds(outcome.core) in (
        ["capacity", "pin", "pin"],
        ["max_partners", "pin", "pin"],
    )


def test_the_core_is_shrunk_when_cp_sat_names_too_much(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # CP-SAT's own cores are minimal on these small models; make it name
    # every rule it was given, so the deletion steps must do the work.
    check = core._FeasibilityModel.check

    def names_everything(
        self: Any, members: list[int], *args: Any, **kwargs: Any
    ) -> tuple[str, list[int]]:
        verdict, _ = check(self, members, *args, **kwargs)
        return verdict, list(members) if verdict == "infeasible" else []

    monkeypatch.setattr(core._FeasibilityModel, "check", names_everything)
    b1 = buddy("B1", 60, capacity=1, max_partners=1)
    problem = two_pins().replace(trusts=(seeker("S"), seeker("T", 5), b1))
    cands, usable, pins = inputs(problem, bm.Policy(budget=9_000))
    outcome = infeasibility_core(cands, usable, pins, time_limit=5)
    assert outcome.minimal
    # Capacity, the partner limit and the budget each clash with the two
    # pins: one of them is kept.
    assert len(outcome.core) == 3
    assert kinds(outcome.core).count("pin") == 2


def test_a_rule_kept_for_lack_of_time_leaves_the_core_unproven(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Every solve without one of the three rules runs out of time: they
    # are kept, but the core is not claimed minimal.
    check = core._FeasibilityModel.check

    def slow_trials(
        self: Any, members: list[int], *args: Any, **kwargs: Any
    ) -> tuple[str, list[int]]:
        if len(members) < 3:
            return "unknown", []
        verdict, named = check(self, members, *args, **kwargs)
        return verdict, named

    monkeypatch.setattr(core._FeasibilityModel, "check", slow_trials)
    cands, usable, pins = inputs(two_pins())
    outcome = infeasibility_core(cands, usable, pins, time_limit=5)
    assert outcome.status == "infeasible"
    assert len(outcome.core) == 3
    assert not outcome.minimal


def test_a_capped_search_says_the_core_is_not_proven_minimal() -> None:
    cands, usable, pins = inputs(two_pins())
    outcome = infeasibility_core(
        cands, usable, pins, time_limit=5, max_solves=1
    )
    # Still infeasible (it is re-checked), but not shrunk to the end.
    assert outcome.status == "infeasible"
    assert not outcome.minimal
    assert rules_status(cands, usable, pins, outcome.core) == "infeasible"


def test_rules_status_refuses_a_rule_the_model_lacks() -> None:
    cands, usable, pins = inputs(two_pins())
    with pytest.raises(ValueError, match="not in the model"):
        rules_status(cands, usable, pins, (CoreRule("budget", 0, 1.0),))


# -- BudgetCheck ----------------------------------------------------------


def budget_inputs(spare: bool) -> tuple[bm.Problem, Inputs]:
    """S (priority 3) takes B1's one unit; the budget has no room for T.

    T may only have B1.  With a *spare* buddy B2 for S, lifting the budget
    would let T in, with S moved to B2.
    """
    extra = (buddy("B2", 70, level=3, capacity=1),) if spare else ()
    problem = bm.Problem(
        trusts=(
            seeker("S"),
            seeker("T", 5),
            buddy("B1", 60, level=5, capacity=1),
            *extra,
        ),
        needs=(
            bm.Need(seeker="S", area="finance", priority=3),
            bm.Need(seeker="T", area="finance", priority=1),
            # No buddy passes: never coverable.
            bm.Need(seeker="T", area="maternity", priority=1),
        ),
        relations=(
            (bm.Relation(a="T", b="B2", kind="veto"),) if spare else ()
        ),
    )
    policy = bm.Policy(budget=5_000)
    cands = bm.build_candidates(problem.canonical(), policy)
    usable = usable_candidates(cands)
    return problem, (cands, usable, [])


def need_index(cands: CandidateSet, seeker_id: str, area: str) -> int:
    return next(
        n
        for n, need in enumerate(cands.problem.needs)
        if (need.seeker, need.area) == (seeker_id, area)
    )


@pytest.mark.parametrize(("spare", "alone"), [(True, True), (False, False)])
def test_budget_check(spare: bool, alone: bool) -> None:
    problem, (cands, usable, pins) = budget_inputs(spare)
    s = need_index(cands, "S", "finance")
    t = need_index(cands, "T", "finance")
    check = BudgetCheck(cands, usable, pins, np.array([s]))
    assert check(t, time_limit=5) is alone
    # A need with no usable pair can never be met.
    assert check(need_index(cands, "T", "maternity"), time_limit=5) is False
    assert check.spent > 0.0
    # Used by assemble, the answer picks the reason of T's unmet need:
    # as the proposal stands (S with B1) T has no room either way.
    chosen = np.zeros(cands.n_candidates, dtype=bool)
    chosen[cands.position(s, cands.problem.trust_ids.index("B1"))] = True
    result = assemble(
        cands,
        chosen,
        "optimal",
        budget_check=lambda n: check(n, time_limit=5),
    )
    assert bm.verify(problem, cands.policy, result) == []
    unmet = {(u.seeker, u.area): u for u in result.unmet}
    t_unmet = unmet[("T", "finance")]
    assert t_unmet.reason == ("budget" if alone else "capacity")
    assert ("with buddies rearranged" in t_unmet.detail) is alone
