"""buddymatch.solvers.cpsat.objective: cover by priority, then quality.

The objective helpers on toy models, then the stages wired by hand on the
complete problem: the proposal they give is the documented optimum (the
one ``propose`` returns), checked by ``verify``.
"""

from __future__ import annotations

import numpy as np
import pytest
from ortools.sat.python import cp_model

import buddymatch as bm

# Internal modules: their paths may move, so every such import is here.
from buddymatch.errors import InputError
from buddymatch.scoring import POINTS_SCALE
from buddymatch.solvers.assemble import assemble, resolve_pins
from buddymatch.solvers.cpsat.constraints import Constraints
from buddymatch.solvers.cpsat.objective import (
    MAX_OBJECTIVE_UNITS,
    PRIORITY_ORDER,
    check_range,
    cover_terms,
    fix_cover,
    maximize,
    quality_coefficients,
    set_cover_objective,
    set_quality_objective,
)
from buddymatch.solvers.cpsat.variables import Variables
from buddymatch.solvers.room import usable_candidates


def solve(model: cp_model.CpModel) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    assert solver.solve(model) == cp_model.OPTIMAL
    return solver


def test_maximize_writes_a_negated_minimisation() -> None:
    model = cp_model.CpModel()
    x, y = model.new_bool_var("x"), model.new_bool_var("y")
    model.add(x + y <= 1)
    maximize(model, [x.index, y.index], [3, 5])
    objective = model.proto.objective
    assert list(objective.coeffs) == [-3, -5]
    assert objective.scaling_factor == -1.0
    solver = solve(model)
    assert (solver.value(x), solver.value(y)) == (0, 1)
    assert solver.objective_value == 5


def test_maximize_replaces_the_objective() -> None:
    # Appending (as CP-SAT's own maximize does per call) would mix stages.
    model = cp_model.CpModel()
    x, y = model.new_bool_var("x"), model.new_bool_var("y")
    model.add(x + y <= 1)
    maximize(model, [x.index], [1])
    maximize(model, [y.index], [1])
    assert list(model.proto.objective.vars) == [y.index]
    assert solve(model).value(y) == 1


def test_fix_cover_keeps_a_stage_for_the_next() -> None:
    model = cp_model.CpModel()
    a, b, c = (model.new_bool_var(n) for n in "abc")
    model.add(a + b + c <= 2)
    set_cover_objective(model, [a, b])
    assert solve(model).objective_value == 2
    fix_cover(model, [a, b], 2)
    # The next stage would rather have c, but a and b stay.
    maximize(model, [c.index], [1])
    solver = solve(model)
    assert (solver.value(a), solver.value(b), solver.value(c)) == (1, 1, 0)


def test_check_range() -> None:
    scores = np.array([1e6, -2e6])
    check_range(scores, partnership=5.0, partners=10)
    limit = MAX_OBJECTIVE_UNITS / POINTS_SCALE
    with pytest.raises(InputError, match="too large to add up exactly"):
        check_range(np.array([limit / 2, -limit / 2]), 0.0, 0)
    # The partnership costs count too.
    with pytest.raises(InputError):
        check_range(np.array([1.0]), partnership=limit, partners=1)


def test_priority_order_is_most_urgent_first() -> None:
    assert PRIORITY_ORDER == (3, 2, 1)


class Staged:
    """The CP-SAT model of a problem with every rule, built by hand."""

    def __init__(self, problem: bm.Problem, policy: bm.Policy) -> None:
        self.problem, self.policy = problem, policy
        self.cands = bm.build_candidates(problem.canonical(), policy)
        usable = usable_candidates(self.cands)
        pins, _ = resolve_pins(self.cands, usable)
        self.model = cp_model.CpModel()
        self.vars = Variables(self.model, self.cands, usable)
        Constraints(self.model, self.cands, self.vars, pins).add_all()

    def result(self, solver: cp_model.CpSolver) -> bm.Result:
        chosen = np.zeros(self.cands.n_candidates, dtype=bool)
        for k, var in zip(self.vars.positions, self.vars.assign, strict=True):
            chosen[k] = bool(solver.value(var))
        result = assemble(self.cands, chosen, "optimal")
        assert bm.verify(self.problem, self.policy, result) == []
        return result


def test_cover_terms_are_the_needs_of_one_priority(
    complete_problem: bm.Problem, complete_policy: bm.Policy
) -> None:
    m = Staged(complete_problem, complete_policy)
    needs = m.cands.problem.needs
    for priority in PRIORITY_ORDER:
        terms = {v.index for v in cover_terms(m.cands, m.vars, priority)}
        expected = {
            var.index
            for n, var in m.vars.covered.items()
            if needs[n].priority == priority
        }
        assert terms == expected and terms
    # Needs without usable pairs have no cover variable at all.
    assert len(m.vars.covered) < len(needs)


def test_quality_coefficients_are_score_units(
    complete_problem: bm.Problem, complete_policy: bm.Policy
) -> None:
    m = Staged(complete_problem, complete_policy)
    scores, partnership = quality_coefficients(m.cands, m.vars)
    expected = [
        round(float(m.cands.score[k]) * POINTS_SCALE) for k in m.vars.positions
    ]
    assert scores == expected
    assert partnership == 4_000  # partnership_cost 4.0


@pytest.mark.parametrize("cost", [0.0, 4.0])
def test_partnerships_enter_the_objective_only_at_a_cost(
    complete_problem: bm.Problem, complete_policy: bm.Policy, cost: float
) -> None:
    policy = bm.Policy(
        **{**complete_policy.model_dump(), "partnership_cost": cost}
    )
    m = Staged(complete_problem, policy)
    set_quality_objective(m.model, m.cands, m.vars)
    objective = m.model.proto.objective
    n_assign, n_partner = len(m.vars.assign), len(m.vars.partner)
    assert len(objective.vars) == n_assign + (n_partner if cost else 0)
    if cost:
        # Minimisation form: a partnership adds +cost units.
        assert set(list(objective.coeffs)[n_assign:]) == {4_000}


def test_the_stages_give_the_lexicographic_optimum(
    complete_problem: bm.Problem,
    complete_policy: bm.Policy,
    complete_result: bm.Result,
) -> None:
    m = Staged(complete_problem, complete_policy)
    for priority in PRIORITY_ORDER:
        terms = cover_terms(m.cands, m.vars, priority)
        set_cover_objective(m.model, terms)
        covered = round(solve(m.model).objective_value)
        fix_cover(m.model, terms, covered)
    set_quality_objective(m.model, m.cands, m.vars)
    solver = solve(m.model)
    result = m.result(solver)
    assert result.objective == complete_result.objective
    assert solver.objective_value / POINTS_SCALE == pytest.approx(
        result.objective
    )
    assert result.coverage == tuple(
        c.model_copy(update={"bound": c.covered})
        for c in complete_result.coverage
    )
    # Quality alone (no cover stages) gives up a priority-3 need: the
    # stages are what put cover first.
    plain = Staged(complete_problem, complete_policy)
    set_quality_objective(plain.model, plain.cands, plain.vars)
    alone = plain.result(solve(plain.model))
    assert alone.coverage[0].covered < result.coverage[0].covered
