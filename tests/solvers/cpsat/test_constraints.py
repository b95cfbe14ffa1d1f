"""buddymatch.solvers.cpsat.constraints: each coupling rule binds.

Each rule is checked by forcing a choice that breaks it (the model must be
infeasible) and one that keeps it (feasible).  Then a model that maximises
plain cover, which would exploit any missing rule, is assembled and
checked by ``verify`` on the complete problem.
"""

from __future__ import annotations

import numpy as np
import pytest
from ortools.sat.python import cp_model

import buddymatch as bm

# Internal modules: their paths may move, so every such import is here.
from buddymatch.solvers.assemble import assemble, resolve_pins
from buddymatch.solvers.cpsat.constraints import (
    FEE_SCALE,
    Constraints,
    fee_units,
)
from buddymatch.solvers.cpsat.objective import set_cover_objective
from buddymatch.solvers.cpsat.variables import Variables
from buddymatch.solvers.room import usable_candidates
from conftest import at, buddy, make_trust, seeker

Pick = tuple[str, str, str]


class Model:
    """A CP-SAT model of a problem with every coupling rule."""

    def __init__(
        self, problem: bm.Problem, policy: bm.Policy | None = None
    ) -> None:
        self.problem = problem
        self.policy = policy or bm.Policy()
        self.cands = bm.build_candidates(problem.canonical(), self.policy)
        self.usable = usable_candidates(self.cands)
        self.pins, impossible = resolve_pins(self.cands, self.usable)
        assert impossible == []
        self.model = cp_model.CpModel()
        self.vars = Variables(self.model, self.cands, self.usable)
        Constraints(self.model, self.cands, self.vars, self.pins).add_all()

    def var(self, s: str, area: str, b: str) -> cp_model.IntVar:
        cands = self.cands
        n = next(
            i
            for i, need in enumerate(cands.problem.needs)
            if (need.seeker, need.area) == (s, area)
        )
        k = cands.position(n, cands.problem.trust_ids.index(b))
        assert k is not None
        i = int(np.searchsorted(self.vars.positions, k))
        assert self.vars.positions[i] == k
        return self.vars.assign[i]

    def feasible(self, *picks: Pick, off: tuple[Pick, ...] = ()) -> bool:
        """Whether the rules allow *picks* together (and none of *off*)."""
        model = self.model.clone()
        for pick in picks:
            model.add(
                model.get_bool_var_from_proto_index(self.var(*pick).index) == 1
            )
        for pick in off:
            model.add(
                model.get_bool_var_from_proto_index(self.var(*pick).index) == 0
            )
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        code = solver.solve(model)
        assert code in (cp_model.OPTIMAL, cp_model.INFEASIBLE)
        return bool(code == cp_model.OPTIMAL)

    def max_cover(self) -> bm.Result:
        """Maximise the number of needs met; return the verified result."""
        set_cover_objective(self.model, list(self.vars.covered.values()))
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        assert solver.solve(self.model) == cp_model.OPTIMAL
        chosen = np.zeros(self.cands.n_candidates, dtype=bool)
        for k, var in zip(self.vars.positions, self.vars.assign, strict=True):
            chosen[k] = bool(solver.value(var))
        result = assemble(self.cands, chosen, "feasible")
        assert bm.verify(self.problem, self.policy, result) == []
        return result


def two_seekers(**policy: object) -> Model:
    """S (finance, maternity) and T (finance); buddies B1 and B2."""
    problem = bm.Problem(
        trusts=(
            seeker("S"),
            seeker("T", 5),
            make_trust(
                "B1",
                *at(60),
                capacity=2,
                expertise={"finance": 4, "maternity": 4},
            ),
            make_trust(
                "B2",
                *at(70),
                capacity=5,
                max_partners=1,
                expertise={"finance": 4, "maternity": 4},
            ),
        ),
        needs=(
            bm.Need(seeker="S", area="finance"),
            bm.Need(seeker="S", area="maternity", buddies=2),
            bm.Need(seeker="T", area="finance"),
        ),
    )
    return Model(problem, bm.Policy(**policy))


def test_fee_units_are_whole_pence() -> None:
    assert FEE_SCALE == 100
    assert fee_units(12.34) == 1234
    # Float noise must not cost a penny (0.29 * 100 is 28.999...).
    assert fee_units(0.1 + 0.2) == 30
    assert fee_units(0.29) == 29
    assert fee_units(60_000.0) == 6_000_000


def test_a_covered_need_has_exactly_its_buddies() -> None:
    m = two_seekers()
    both = (("S", "maternity", "B1"), ("S", "maternity", "B2"))
    assert m.feasible(*both)
    # One buddy of two: a partial cover is never a state of the model.
    assert not m.feasible(both[0], off=(both[1],))
    covered = m.vars.covered
    n = next(
        i
        for i, need in enumerate(m.cands.problem.needs)
        if need.area == "maternity"
    )
    model = m.model.clone()
    model.add(model.get_bool_var_from_proto_index(covered[n].index) == 0)
    model.add(model.get_bool_var_from_proto_index(m.var(*both[0]).index) == 1)
    assert cp_model.CpSolver().solve(model) == cp_model.INFEASIBLE


def test_an_assignment_makes_a_partnership() -> None:
    m = two_seekers()
    p = m.vars.partner[m.vars.pair_partner[0]]
    model = m.model.clone()
    model.add(model.get_bool_var_from_proto_index(p.index) == 0)
    model.add(model.get_bool_var_from_proto_index(m.vars.assign[0].index) == 1)
    assert cp_model.CpSolver().solve(model) == cp_model.INFEASIBLE


def test_capacity() -> None:
    m = two_seekers()
    # B1 holds two light units: S's finance and T's finance fit ...
    assert m.feasible(("S", "finance", "B1"), ("T", "finance", "B1"))
    # ... but not three.
    assert not m.feasible(
        ("S", "finance", "B1"),
        ("T", "finance", "B1"),
        ("S", "maternity", "B1"),
    )


@pytest.mark.parametrize("policy_limit", [None, 3])
def test_a_buddys_own_partner_limit_wins(policy_limit: int | None) -> None:
    m = two_seekers(max_partners=policy_limit)
    assert m.feasible(("S", "finance", "B2"), ("S", "maternity", "B2"))
    assert not m.feasible(("S", "finance", "B2"), ("T", "finance", "B2"))


@pytest.mark.parametrize(("limit", "ok"), [(1, False), (2, True)])
def test_the_policys_partner_limit(limit: int, ok: bool) -> None:
    m = two_seekers(max_partners=limit)
    # B1 has no limit of its own.
    assert m.feasible(("S", "finance", "B1"), ("T", "finance", "B1")) is ok


@pytest.mark.parametrize(
    ("limit", "ok"), [(1, False), (2, True), (None, True)]
)
def test_the_seekers_buddy_limit(limit: int | None, ok: bool) -> None:
    m = two_seekers(max_buddies_per_seeker=limit)
    assert m.feasible(("S", "finance", "B1"), ("S", "maternity", "B2")) is ok


@pytest.mark.parametrize(
    ("budget", "ok"),
    [
        (9_999.99, False),
        (9_999.999, False),
        (10_000.0, True),
        (10_000.004, True),
    ],
)
def test_the_budget_is_a_cap_in_whole_pence(budget: float, ok: bool) -> None:
    m = two_seekers(budget=budget)
    # Two light fees of 5,000.
    assert m.feasible(("S", "finance", "B1"), ("T", "finance", "B1")) is ok


def test_a_budget_of_exactly_the_fees_is_enough() -> None:
    # 0.58 * 100 is 57.999...: a plain floor would make it 57 pence.
    m = two_seekers(budget=0.58, tiers={"light": {"fee": 0.29}})
    assert m.feasible(("S", "finance", "B1"), ("T", "finance", "B1"))


def pinned(*pins: bm.Relation) -> Model:
    problem = bm.Problem(
        trusts=(
            seeker("S"),
            seeker("T", 5),
            buddy("B1", 60, level=5, capacity=1),
            buddy("B2", 70, level=3),
        ),
        needs=(
            bm.Need(seeker="S", area="finance"),
            bm.Need(seeker="T", area="finance", priority=3),
        ),
        relations=pins,
    )
    return Model(problem)


def test_a_pin_forces_its_pair() -> None:
    m = pinned(bm.Relation(a="S", b="B1", kind="pinned"))
    assert not m.feasible(off=(("S", "finance", "B1"),))
    # Max cover keeps the pin: T goes to B2.
    result = m.max_cover()
    assert {(a.seeker, a.buddy) for a in result.assignments} == {
        ("S", "B1"),
        ("T", "B2"),
    }
    assert not pinned().feasible(
        ("S", "finance", "B1"), ("T", "finance", "B1")
    )


def test_two_pins_on_one_unit_cannot_both_hold() -> None:
    m = pinned(
        bm.Relation(a="S", b="B1", kind="pinned"),
        bm.Relation(a="T", b="B1", kind="pinned"),
    )
    solver = cp_model.CpSolver()
    assert solver.solve(m.model) == cp_model.INFEASIBLE


def test_maximum_cover_of_the_complete_problem_breaks_no_rule(
    complete_problem: bm.Problem, complete_policy: bm.Policy
) -> None:
    # Without the lexicographic order, cover alone would take any room a
    # missing rule left (B1's capacity, B2's partner limit, the budget).
    m = Model(complete_problem, complete_policy)
    result = m.max_cover()
    # Plain cover gives up S2's two intensive buddies (120,000) for S4's
    # and S5's needs; S3's two needs cannot be met at all.
    assert sorted((u.seeker, u.area) for u in result.unmet) == [
        ("S2", "maternity"),
        ("S3", "governance"),
        ("S3", "maternity"),
    ]
    assert result.total_fee <= (complete_policy.budget or 0)
