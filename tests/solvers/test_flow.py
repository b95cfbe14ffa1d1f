"""The exact min-cost-flow path against the CP-SAT path."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

import buddymatch as bm
from buddymatch import synth
from buddymatch.solvers import flow
from buddymatch.solvers.room import usable_candidates

AREA = "review"
# Any CP-SAT parameter sends propose down the CP-SAT path.
CPSAT = {"num_workers": 8}


def without_partner_limits(problem: bm.Problem) -> bm.Problem:
    """*problem* with every trust's own partner limit removed."""
    return problem.model_copy(
        update={
            "trusts": tuple(
                t.model_copy(update={"max_partners": None})
                for t in problem.trusts
            )
        }
    )


def reviewing(
    seed: int,
    *,
    seekers: int = 12,
    buddies: int = 9,
    needs_per_seeker: int = 1,
    wanted: int = 1,
    density: float = 0.6,
    **policy: object,
) -> tuple[bm.Problem, bm.Policy]:
    """A random reviewer-style problem: user scores (some negative) on a
    random share of the pairs, unit workloads, random capacities,
    partner limits and priorities."""
    rng = np.random.default_rng(seed)
    areas = [f"{AREA}{k}" for k in range(needs_per_seeker)]
    trusts = [
        bm.Trust(
            id=f"B{i:02d}",
            lat=52.5,
            lon=-1.5,
            expertise={a: 5 for a in areas},
            capacity=int(rng.integers(1, 4)),
            max_partners=(
                None if rng.random() < 0.5 else int(rng.integers(0, 4))
            ),
        )
        for i in range(buddies)
    ] + [
        bm.Trust(
            id=f"S{j:02d}",
            lat=52.5,
            lon=-1.5,
            expertise={a: 1 for a in areas},
        )
        for j in range(seekers)
    ]
    needs = [
        bm.Need(
            seeker=f"S{j:02d}",
            area=a,
            buddies=wanted,
            priority=int(rng.integers(1, 4)),
        )
        for j in range(seekers)
        for a in areas
    ]
    overrides = []
    vetoes = []
    for need in needs:
        for i in range(buddies):
            if rng.random() < density:
                overrides.append(
                    bm.PairOverride(
                        seeker=need.seeker,
                        area=need.area,
                        buddy=f"B{i:02d}",
                        score=float(np.round(rng.uniform(-5, 20), 3)),
                        workload=1,
                    )
                )
    # Scores are user-supplied; a veto rules some pairs out entirely.
    for j in range(seekers):
        for i in range(buddies):
            if rng.random() < (1 - density) / 2:
                vetoes.append(
                    bm.Relation(a=f"S{j:02d}", b=f"B{i:02d}", kind="veto")
                )
    settings: dict[str, object] = {
        "min_expertise": 0,
        "min_travel_minutes": 0.0,
        "max_travel_minutes": None,
        "max_partners": None,
        "max_buddies_per_seeker": None,
        "partnership_cost": float(rng.choice([0.0, 2.5, 5.0])),
    }
    settings.update(policy)
    problem = bm.Problem(
        trusts=tuple(trusts),
        needs=tuple(needs),
        relations=tuple(vetoes),
        overrides=tuple(overrides),
    )
    return problem, bm.Policy(**settings)  # type: ignore[arg-type]


def structure(
    problem: bm.Problem, policy: bm.Policy
) -> flow.FlowStructure | None:
    cands = bm.build_candidates(problem.canonical(), policy)
    return flow.flow_structure(cands, usable_candidates(cands))


def cover(result: bm.Result) -> dict[int, int]:
    return {c.priority: c.covered for c in result.coverage}


def bounds(result: bm.Result) -> dict[int, int]:
    return {c.priority: c.bound or 0 for c in result.coverage}


def rank(result: bm.Result) -> tuple[float, ...]:
    got = cover(result)
    assert result.objective is not None
    return (*(got.get(p, 0) for p in (3, 2, 1)), result.objective)


def same_optimum(problem: bm.Problem, policy: bm.Policy) -> bm.Result:
    """Propose both ways; check they agree and pass verify."""
    fast = bm.propose(problem, policy)
    slow = bm.propose(problem, policy, solver_params=CPSAT)
    assert slow.solver["backend"] == "ortools-cpsat"
    assert fast.status == "optimal"
    assert bm.verify(problem, policy, fast) == []
    assert bm.verify(problem, policy, slow) == []
    assert slow.status in ("optimal", "feasible")
    if slow.status == "feasible":
        # The search found an answer but did not prove it: the flow's
        # must rank at least as high and within the search's bounds.
        assert rank(fast) >= rank(slow)
        for c in fast.coverage:
            assert c.covered <= bounds(slow)[c.priority]
        assert slow.bound is not None
        assert fast.objective <= slow.bound + 1e-6
        return fast
    assert cover(fast) == cover(slow)
    assert fast.objective == pytest.approx(slow.objective, abs=1e-6)
    assert fast.bound == fast.objective and fast.gap == 0.0
    return fast


@pytest.mark.parametrize("seed", range(40))
def test_one_need_per_seeker_matches_cpsat(seed: int) -> None:
    problem, policy = reviewing(seed)
    assert structure(problem, policy) is not None
    result = same_optimum(problem, policy)
    assert result.solver["backend"] == "min-cost-flow"
    assert result.solver["bound_source"] == "min-cost-flow"
    assert all(c.bound == c.covered for c in result.coverage)


@pytest.mark.parametrize("seed", range(20))
def test_several_needs_without_partnership_cost_match_cpsat(
    seed: int,
) -> None:
    problem, policy = reviewing(
        100 + seed, seekers=6, needs_per_seeker=3, partnership_cost=0.0
    )
    # Partner limits couple a seeker's needs: only when none can bind.
    if structure(problem, policy) is None:
        problem = without_partner_limits(problem)
    assert structure(problem, policy) is not None
    result = same_optimum(problem, policy)
    assert result.solver["backend"] == "min-cost-flow"


@pytest.mark.parametrize("seed", range(15))
def test_several_buddies_per_need(seed: int) -> None:
    """Needs of 2-3 buddies: the flow answers only when it meets every
    need in full; either way the answer is the optimum."""
    wanted = 2 + seed % 2
    problem, policy = reviewing(
        200 + seed,
        seekers=5,
        buddies=6 + seed % 7,
        wanted=wanted,
        density=0.8,
    )
    assert structure(problem, policy) is not None
    result = same_optimum(problem, policy)
    if result.solver["backend"] == "min-cost-flow":
        assert not result.unmet


def test_several_buddies_full_cover_takes_the_flow_path() -> None:
    problem, policy = reviewing(
        7, seekers=4, buddies=12, wanted=3, density=1.0
    )
    problem = problem.model_copy(update={"relations": ()})
    problem = problem.model_copy(
        update={
            "trusts": tuple(
                t.model_copy(update={"capacity": 4, "max_partners": None})
                if t.capacity
                else t
                for t in problem.trusts
            )
        }
    )
    result = same_optimum(problem, policy)
    assert result.solver["backend"] == "min-cost-flow"
    assert not result.unmet


def test_several_buddies_partly_met_goes_to_the_search() -> None:
    """Two buddies of capacity 1 and a need of two next to two needs of
    one: covering the two single needs beats the pair, but both use two
    units; the flow cannot tell, so the search decides."""
    trusts = [
        bm.Trust(id=b, lat=52.5, lon=-1.5, expertise={AREA: 5}, capacity=1)
        for b in ("X", "Y")
    ] + [
        bm.Trust(id=s, lat=52.5, lon=-1.5, expertise={AREA: 1})
        for s in ("A", "C", "D")
    ]
    needs = [
        bm.Need(seeker="A", area=AREA, buddies=2),
        bm.Need(seeker="C", area=AREA),
        bm.Need(seeker="D", area=AREA),
    ]
    pairs = [
        ("A", "X", 50.0),
        ("A", "Y", 50.0),
        ("C", "X", 1.0),
        ("D", "Y", 1.0),
    ]
    overrides = [
        bm.PairOverride(seeker=s, area=AREA, buddy=b, score=v, workload=1)
        for s, b, v in pairs
    ]
    vetoes = [
        bm.Relation(a="C", b="Y", kind="veto"),
        bm.Relation(a="D", b="X", kind="veto"),
    ]
    problem = bm.Problem(
        trusts=tuple(trusts),
        needs=tuple(needs),
        relations=tuple(vetoes),
        overrides=tuple(overrides),
    )
    policy = bm.Policy(
        min_expertise=0,
        min_travel_minutes=0.0,
        max_travel_minutes=None,
        partnership_cost=0.0,
    )
    assert structure(problem, policy) is not None
    result = bm.propose(problem, policy)
    assert bm.verify(problem, policy, result) == []
    assert result.solver["backend"] == "ortools-cpsat"
    assert cover(result) == {2: 2}


def test_synthetic_one_need_unit_workloads() -> None:
    """A generated NHS-like problem with every tier's workload 1."""
    problem = synth.generate(20, 1, 40, seed=3, capacity_ratio=0.6)
    base = bm.Policy()
    tiers = {
        name: tier.model_copy(update={"workload": 1})
        for name, tier in base.tiers.items()
    }
    policy = bm.Policy(tiers=tiers, max_partners=2)
    if any(n.buddies > 1 for n in problem.needs):
        problem = problem.model_copy(
            update={
                "needs": tuple(
                    n.model_copy(update={"buddies": 1}) for n in problem.needs
                )
            }
        )
    assert structure(problem, policy) is not None
    result = same_optimum(problem, policy)
    assert result.solver["backend"] == "min-cost-flow"


def test_deterministic_record_has_no_wall_seconds() -> None:
    problem, policy = reviewing(1)
    result = bm.propose(problem, policy, deterministic=True)
    assert result.solver["backend"] == "min-cost-flow"
    assert "wall" not in result.solver["stages"][0]
    again = bm.propose(problem, policy, deterministic=True)
    assert again.assignments == result.assignments


# The couplings the flow cannot hold: each sends propose to CP-SAT.


def test_refuses_pins() -> None:
    problem, policy = reviewing(2)
    pair = problem.overrides[0]
    pinned = problem.model_copy(
        update={
            "relations": (
                bm.Relation(a=pair.seeker, b=pair.buddy, kind="pinned"),
            )
        }
    )
    assert structure(problem, policy) is not None
    assert structure(pinned, policy) is None
    result = bm.propose(pinned, policy)
    assert result.solver["backend"] == "ortools-cpsat"
    assert bm.verify(pinned, policy, result) == []


def test_refuses_a_budget_that_can_bind() -> None:
    problem, policy = reviewing(3)
    cands = bm.build_candidates(problem.canonical(), policy)
    fees = float(cands.fee[usable_candidates(cands)].sum())
    loose = policy.model_copy(update={"budget": fees})
    tight = policy.model_copy(update={"budget": fees - 1.0})
    assert structure(problem, loose) is not None
    assert structure(problem, tight) is None
    assert bm.propose(problem, tight).solver["backend"] == "ortools-cpsat"


def test_refuses_a_seeker_limit_that_can_bind() -> None:
    problem, policy = reviewing(4, needs_per_seeker=3, partnership_cost=0.0)
    problem = without_partner_limits(problem)
    assert structure(problem, policy) is not None
    limited = policy.model_copy(update={"max_buddies_per_seeker": 2})
    assert structure(problem, limited) is None
    roomy = policy.model_copy(update={"max_buddies_per_seeker": 3})
    assert structure(problem, roomy) is not None


def test_refuses_partnership_cost_with_several_needs() -> None:
    problem, policy = reviewing(5, needs_per_seeker=2, partnership_cost=0.0)
    problem = without_partner_limits(problem)
    assert structure(problem, policy) is not None
    costly = policy.model_copy(update={"partnership_cost": 5.0})
    assert structure(problem, costly) is None


def test_refuses_a_partner_limit_with_several_needs() -> None:
    problem, policy = reviewing(6, needs_per_seeker=2, partnership_cost=0.0)
    free = without_partner_limits(problem)
    assert structure(free, policy) is not None
    limited = policy.model_copy(update={"max_partners": 1})
    assert structure(free, limited) is None


def test_refuses_a_workload_of_two() -> None:
    problem, policy = reviewing(8)
    first = problem.overrides[0].model_copy(update={"workload": 2})
    heavy = problem.model_copy(
        update={"overrides": (first, *problem.overrides[1:])}
    )
    cands = bm.build_candidates(heavy.canonical(), policy)
    at = cands.position(
        next(
            k
            for k, n in enumerate(cands.problem.needs)
            if n.seeker == first.seeker
        ),
        next(
            k
            for k, t in enumerate(cands.problem.trusts)
            if t.id == first.buddy
        ),
    )
    assert at is not None
    if not usable_candidates(cands)[at]:
        pytest.skip("the heavy pair does not fit its buddy")
    assert structure(heavy, policy) is None
    assert bm.propose(heavy, policy).solver["backend"] == "ortools-cpsat"


def test_solver_params_keep_cpsat() -> None:
    problem, policy = reviewing(9)
    result = bm.propose(problem, policy, solver_params=CPSAT)
    assert result.solver["backend"] == "ortools-cpsat"


def test_flow_module_imports_no_cpsat_or_pandas() -> None:
    """The flow path must not need CP-SAT or pandas (start-up time)."""
    tree = ast.parse(Path(flow.__file__).read_text(encoding="utf-8"))
    names = [
        node.module or ""
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
    ] + [
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    ]
    assert "ortools.graph.python" in names
    bad = ("ortools.sat", "pandas", "buddymatch.solvers.cpsat")
    assert not [n for n in names if n.startswith(bad)]
