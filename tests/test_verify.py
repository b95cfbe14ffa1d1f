"""Tests for the independent checker, on results built by hand.

No solver is involved: every result here is assembled from literal numbers
(or from the small helpers below, whose arithmetic is checked against a
fully literal result), then broken on purpose, one rule at a time.
"""

from __future__ import annotations

import ast
import importlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from geopy.distance import great_circle

import buddymatch as bm
from buddymatch.result import (
    Assignment,
    BuddyUse,
    Coverage,
    Partnership,
    Result,
    UnmetNeed,
)
from buddymatch.verify import (
    RULES,
    Violation,
    recompute_objective,
    round_half_even,
    verify,
)
from conftest import make_trust

#: Travel minutes, seeker -> buddy, for the small problem.
MINUTES: dict[tuple[str, str], float] = {
    ("S1", "B1"): 60.0,
    ("S1", "B2"): 20.0,
    ("S1", "B3"): 90.0,
    ("S1", "B4"): 100.0,
    ("S2", "B1"): 110.0,
    ("S2", "B2"): 75.0,
    ("S2", "B3"): 80.0,
    ("S2", "B4"): 120.0,
}

#: Score terms of a computed (not overridden) pair without bonuses.
TERMS = ("expertise", "culture", "travel")

#: A proposal that breaks nothing under the default policy.
GOOD: tuple[tuple[str, str, str], ...] = (
    ("S1", "finance", "B1"),
    ("S1", "governance", "B3"),
    ("S2", "maternity", "B2"),
    ("S2", "maternity", "B3"),
    ("S2", "finance", "B4"),
)

# The module (the package attribute `verify` is the function).
verify_module = importlib.import_module("buddymatch.verify")


def travel_matrix(
    minutes: dict[tuple[str, str], float],
) -> tuple[bm.TravelTime, ...]:
    return tuple(
        bm.TravelTime(origin=s, destination=b, minutes=m)
        for (s, b), m in minutes.items()
    )


@pytest.fixture
def base(small_problem: bm.Problem) -> bm.Problem:
    """The shared small problem with a hand-written travel matrix."""
    return small_problem.replace(travel=travel_matrix(MINUTES))


def with_trust(problem: bm.Problem, trust: bm.Trust) -> bm.Problem:
    """Return *problem* with *trust* replacing the one of the same id."""
    ids = [t.id for t in problem.trusts]
    trusts = list(problem.trusts)
    if trust.id in ids:
        trusts[ids.index(trust.id)] = trust
    else:
        trusts.append(trust)
    return problem.replace(trusts=tuple(trusts))


def with_minutes(
    problem: bm.Problem, changes: dict[tuple[str, str], float]
) -> bm.Problem:
    return problem.replace(travel=travel_matrix({**MINUTES, **changes}))


def with_relation(
    problem: bm.Problem, a: str, b: str, kind: str, **kw: Any
) -> bm.Problem:
    rel = bm.Relation(a=a, b=b, kind=kind, **kw)
    return problem.replace(relations=(*problem.relations, rel))


# -- building results by hand -------------------------------------------------


def minutes_between(problem: bm.Problem, seeker: str, buddy: str) -> float:
    assert problem.travel is not None
    given = {(e.origin, e.destination): e.minutes for e in problem.travel}
    if (seeker, buddy) in given:
        return given[(seeker, buddy)]
    return given[(buddy, seeker)]


def assign(
    problem: bm.Problem, policy: bm.Policy, seeker: str, area: str, buddy: str
) -> Assignment:
    """Return the correct assignment of *buddy* to a need (one culture
    dimension, travel from the matrix, no bonuses or score overrides)."""
    need = next(
        n for n in problem.needs if (n.seeker, n.area) == (seeker, area)
    )
    s, b = problem.trust(seeker), problem.trust(buddy)
    minutes = minutes_between(problem, seeker, buddy)
    # One dimension: the RMS of the difference is its absolute value.
    fit = round(1 - abs(s.culture["openness"] - b.culture["openness"]) / 10, 4)
    level = b.expertise[area]
    tier = policy.tiers[need.tier]
    workload = tier.workload
    for ov in problem.overrides:
        if (ov.seeker, ov.area, ov.buddy) == (seeker, area, buddy):
            workload = ov.workload if ov.workload is not None else workload
    terms = {
        "expertise": round(policy.weight_expertise * level, 3),
        "culture": round(policy.weight_culture * fit, 3),
        "travel": round(-policy.weight_travel * minutes, 3),
    }
    return Assignment(
        seeker=seeker,
        area=area,
        tier=need.tier,
        buddy=buddy,
        travel_minutes=minutes,
        culture_fit=fit,
        expertise=level,
        workload=workload,
        fee=tier.fee,
        score=round(sum(terms.values()), 3),
        terms=terms,
    )


def finish(
    problem: bm.Problem,
    policy: bm.Policy,
    assignments: Sequence[Assignment],
    *,
    unmet: Sequence[UnmetNeed] | None = None,
) -> Result:
    """Return a feasible result whose totals agree with *assignments*."""
    groups: dict[tuple[str, str], list[Assignment]] = {}
    for a in assignments:
        groups.setdefault((a.seeker, a.buddy), []).append(a)
    partnerships = tuple(
        Partnership(
            seeker=s,
            buddy=b,
            areas=tuple(a.area for a in group),
            tiers={a.area: a.tier for a in group},
            workload=sum(a.workload for a in group),
            fee=sum(a.fee for a in group),
            months=max(policy.tiers[a.tier].months for a in group),
        )
        for (s, b), group in groups.items()
    )
    covered = {
        (n.seeker, n.area)
        for n in problem.needs
        if len(
            {
                a.buddy
                for a in assignments
                if (a.seeker, a.area) == (n.seeker, n.area)
            }
        )
        == n.buddies
    }
    if unmet is None:
        unmet = [
            UnmetNeed(
                seeker=n.seeker,
                area=n.area,
                tier=n.tier,
                priority=n.priority,
                buddies=n.buddies,
                candidates=0,
                reason="capacity",
                detail="left over",
            )
            for n in problem.needs
            if (n.seeker, n.area) not in covered
        ]
    coverage = tuple(
        Coverage(
            priority=p,
            covered=sum(
                1
                for n in problem.needs
                if n.priority == p and (n.seeker, n.area) in covered
            ),
            total=sum(1 for n in problem.needs if n.priority == p),
        )
        for p in (3, 2, 1)
        if any(n.priority == p for n in problem.needs)
    )
    used = list(dict.fromkeys(a.buddy for a in assignments))
    utilisation = tuple(
        BuddyUse(
            buddy=b,
            capacity=problem.trust(b).capacity,
            workload=sum(a.workload for a in assignments if a.buddy == b),
            partners=len({a.seeker for a in assignments if a.buddy == b}),
            max_partners=problem.trust(b).max_partners,
        )
        for b in used
    )
    objective = sum(a.score for a in assignments) - (
        policy.partnership_cost * len(groups)
    )
    return Result(
        status="optimal",
        coverage=coverage,
        objective=objective,
        bound=objective,
        gap=0.0,
        assignments=tuple(assignments),
        partnerships=partnerships,
        unmet=tuple(unmet),
        utilisation=utilisation,
        total_fee=sum(a.fee for a in assignments),
        policy=policy,
    )


def proposal(
    problem: bm.Problem,
    policy: bm.Policy,
    triples: Sequence[tuple[str, str, str]] = GOOD,
    **kw: Any,
) -> Result:
    return finish(
        problem, policy, [assign(problem, policy, *t) for t in triples], **kw
    )


def rules(violations: list[Violation]) -> set[str]:
    return {v.rule for v in violations}


# -- the fully literal, correct result ---------------------------------------


def literal_result() -> Result:
    """The GOOD proposal with every number worked out by hand.

    Default weights: 10 per expertise level, 30 per unit of fit, 0.1 per
    minute; fit = 1 - |openness difference| / 10; partnership cost 5.
    """

    def a(
        seeker: str,
        area: str,
        tier: str,
        buddy: str,
        minutes: float,
        fit: float,
        level: int,
        workload: int,
        fee: float,
        terms: tuple[float, float, float],
        score: float,
    ) -> Assignment:
        return Assignment(
            seeker=seeker,
            area=area,
            tier=tier,
            buddy=buddy,
            travel_minutes=minutes,
            culture_fit=fit,
            expertise=level,
            workload=workload,
            fee=fee,
            score=score,
            terms=dict(zip(TERMS, terms, strict=True)),
        )

    assignments = (
        a("S1", "finance", "programme", "B1", 60, 0.95, 5, 3, 20_000,
          (50.0, 28.5, -6.0), 72.5),
        a("S1", "governance", "light", "B3", 90, 0.85, 5, 1, 5_000,
          (50.0, 25.5, -9.0), 66.5),
        a("S2", "maternity", "light", "B2", 75, 0.9, 5, 1, 5_000,
          (50.0, 27.0, -7.5), 69.5),
        a("S2", "maternity", "light", "B3", 80, 0.85, 4, 1, 5_000,
          (40.0, 25.5, -8.0), 57.5),
        a("S2", "finance", "light", "B4", 120, 1.0, 3, 1, 5_000,
          (30.0, 30.0, -12.0), 48.0),
    )  # fmt: skip

    def p(
        seeker: str,
        buddy: str,
        tiers: dict[str, str],
        workload: int,
        fee: float,
        months: int,
    ) -> Partnership:
        return Partnership(
            seeker=seeker,
            buddy=buddy,
            areas=tuple(tiers),
            tiers=tiers,
            workload=workload,
            fee=fee,
            months=months,
        )

    return Result(
        status="optimal",
        coverage=(
            Coverage(priority=3, covered=1, total=1),
            Coverage(priority=2, covered=2, total=2),
            Coverage(priority=1, covered=1, total=1),
        ),
        # 314.0 in scores, less 5 partnerships at 5 points.
        objective=289.0,
        bound=289.0,
        gap=0.0,
        assignments=assignments,
        partnerships=(
            p("S1", "B1", {"finance": "programme"}, 3, 20_000, 12),
            p("S1", "B3", {"governance": "light"}, 1, 5_000, 6),
            p("S2", "B2", {"maternity": "light"}, 1, 5_000, 6),
            p("S2", "B3", {"maternity": "light"}, 1, 5_000, 6),
            p("S2", "B4", {"finance": "light"}, 1, 5_000, 6),
        ),
        utilisation=(
            BuddyUse(
                buddy="B1",
                capacity=4,
                workload=3,
                partners=1,
                max_partners=None,
            ),
            BuddyUse(
                buddy="B3",
                capacity=3,
                workload=2,
                partners=2,
                max_partners=None,
            ),
        ),
        total_fee=40_000.0,
    )


def test_literal_result_verifies(base: bm.Problem) -> None:
    assert verify(base, None, literal_result()) == []


def test_helpers_agree_with_the_literal_result(base: bm.Problem) -> None:
    built = proposal(base, bm.Policy())
    literal = literal_result()
    assert built.assignments == literal.assignments
    assert built.partnerships == literal.partnerships
    assert built.coverage == literal.coverage
    assert built.objective == pytest.approx(literal.objective)
    assert verify(base, bm.Policy(), built) == []


def test_recompute_objective_by_hand(base: bm.Problem) -> None:
    # 72.5 + 66.5 + 69.5 + 57.5 + 48.0 = 314.0; five partnerships at 5.
    assert recompute_objective(base, None, literal_result()) == (
        pytest.approx(289.0)
    )
    cheaper = bm.Policy(partnership_cost=2.5)
    assert recompute_objective(base, cheaper, literal_result()) == (
        pytest.approx(301.5)
    )


def test_recompute_ignores_reported_scores(base: bm.Problem) -> None:
    result = literal_result()
    inflated = tuple(
        a.model_copy(update={"score": a.score + 100})
        for a in result.assignments
    )
    result = result.model_copy(update={"assignments": inflated})
    assert recompute_objective(base, None, result) == pytest.approx(289.0)


def test_bonuses_and_overrides(base: bm.Problem) -> None:
    problem = base.replace(
        relations=(
            bm.Relation(a="S2", b="B4", kind="preferred"),
            # prior is symmetric: written buddy-first, it still counts.
            bm.Relation(a="B4", b="S2", kind="prior"),
        ),
        overrides=(
            bm.PairOverride(
                seeker="S1", area="finance", buddy="B1", score=12.3456
            ),
        ),
    )
    literal = literal_result()
    first = literal.assignments[0].model_copy(
        update={"score": 12.346, "terms": {"override": 12.346}}
    )
    last = literal.assignments[4].model_copy(
        update={
            "score": 73.0,
            "terms": {
                "expertise": 30.0,
                "culture": 30.0,
                "travel": -12.0,
                "preferred": 15.0,
                "prior": 10.0,
            },
        }
    )
    assignments = (first, *literal.assignments[1:4], last)
    # 12.346 + 66.5 + 69.5 + 57.5 + 73.0 - 5 * 5
    result = literal.model_copy(
        update={"assignments": assignments, "objective": 253.846}
    )
    assert recompute_objective(problem, None, result) == pytest.approx(253.846)
    assert verify(problem, None, result) == []
    # The unchanged literal result now under-reports both pairs.
    stale = verify(problem, None, literal)
    assert rules(stale) == {"values", "objective"}
    assert [(v.seeker, v.area, v.buddy) for v in stale][:2] == [
        ("S1", "finance", "B1"),
        ("S2", "finance", "B4"),
    ]


def test_preferred_reads_seeker_first(base: bm.Problem) -> None:
    # Written buddy-first, a preference earns nothing.
    problem = with_relation(base, "B4", "S2", "preferred")
    assert verify(problem, None, literal_result()) == []


def test_override_workload_counts(base: bm.Problem) -> None:
    def overridden(workload: int) -> bm.Problem:
        override = bm.PairOverride(
            seeker="S1", area="governance", buddy="B3", workload=workload
        )
        return base.replace(overrides=(override,))

    problem = overridden(2)
    result = proposal(problem, bm.Policy())
    assert result.assignments[1].workload == 2
    # B3 carries 2 + 1 = 3 units: exactly its capacity.
    assert verify(problem, None, result) == []
    # The literal result still reports the tier's workload of 1.
    assert rules(verify(problem, None, literal_result())) == {
        "values",
        "partnerships",
    }
    # 3 + 1 = 4 units is over B3's capacity of 3.
    heavier = overridden(3)
    found = verify(heavier, None, proposal(heavier, bm.Policy()))
    assert [(v.rule, v.buddy) for v in found] == [("capacity", "B3")]


def test_straight_line_travel(small_problem: bm.Problem) -> None:
    """Without a matrix, minutes follow the great circle × circuity."""
    policy = bm.Policy(max_travel_minutes=None)
    s1, b1 = small_problem.trust("S1"), small_problem.trust("B1")
    km = great_circle((s1.lat, s1.lon), (b1.lat, b1.lon)).km
    minutes = round(km * 1.3 / 60 * 60, 1)
    assert 90 < minutes < 110  # about 75 km apart
    result = literal_result()
    first = result.assignments[0]
    fixed = first.model_copy(update={"travel_minutes": minutes})
    problem = small_problem.replace(travel=None)
    found = verify(
        problem,
        policy,
        result.model_copy(update={"assignments": (fixed,)}),
    )
    # Only the travel minutes of the first assignment are right now.
    values = [v for v in found if v.rule == "values"]
    assert values[0].buddy == "B1"
    assert "travel_minutes" not in values[0].message
    assert "score" in values[0].message
    wrong = first.model_copy(update={"travel_minutes": minutes + 0.2})
    found = verify(
        problem,
        policy,
        result.model_copy(update={"assignments": (wrong,)}),
    )
    assert "travel_minutes" in next(
        v.message for v in found if v.rule == "values"
    )


def test_one_direction_serves_both(base: bm.Problem) -> None:
    assert base.travel is not None
    flipped = tuple(
        bm.TravelTime(
            origin=e.destination, destination=e.origin, minutes=e.minutes
        )
        for e in base.travel
    )
    problem = base.replace(travel=flipped)
    assert verify(problem, None, literal_result()) == []


def test_matrix_gap_falls_back_to_straight_line(base: bm.Problem) -> None:
    assert base.travel is not None
    problem = base.replace(
        travel=tuple(
            e for e in base.travel if (e.origin, e.destination) != ("S2", "B4")
        )
    )
    missing = verify(problem, None, literal_result())
    assert rules(missing) == {"travel_missing"}
    assert (missing[0].seeker, missing[0].buddy) == ("S2", "B4")
    # With the fallback, S2-B4 is about 160 km: over three and a half hours.
    fallback = verify(
        problem, bm.Policy(travel_fallback=True), literal_result()
    )
    assert rules(fallback) == {"too_far", "values", "objective"}


def test_round_half_even_matches_numpy() -> None:
    np = pytest.importorskip("numpy")
    for value in (0.15, 0.25, 2.675, 29.95, 30.05, 1e-7, 123.456789, -4.35):
        for digits in (1, 3, 4):
            assert round_half_even(value, digits) == float(
                np.round(value, digits)
            )


# -- one broken rule at a time ------------------------------------------------

Case = Callable[[bm.Problem], tuple[bm.Problem, bm.Policy, Result]]
CASES: dict[str, tuple[Case, set[str]]] = {}


def case(name: str, expected: set[str]) -> Callable[[Case], Case]:
    def register(fn: Case) -> Case:
        CASES[name] = (fn, expected)
        return fn

    return register


def policy_case(name: str, expected: set[str], **policy: Any) -> None:
    def fn(base: bm.Problem) -> tuple[bm.Problem, bm.Policy, Result]:
        pol = bm.Policy(**policy)
        return base, pol, proposal(base, pol)

    CASES[name] = (fn, expected)


def problem_case(
    name: str,
    expected: set[str],
    change: Callable[[bm.Problem], bm.Problem],
    **policy: Any,
) -> None:
    def fn(base: bm.Problem) -> tuple[bm.Problem, bm.Policy, Result]:
        pol = bm.Policy(**policy)
        problem = change(base)
        return problem, pol, proposal(problem, pol)

    CASES[name] = (fn, expected)


@case("self", {"self"})
def _self(base: bm.Problem) -> tuple[bm.Problem, bm.Policy, Result]:
    problem = bm.Problem(
        trusts=(
            make_trust("X", 52.0, -1.0, capacity=5, expertise={"finance": 5}),
        ),
        needs=(bm.Need(seeker="X", area="finance"),),
        travel=(bm.TravelTime(origin="X", destination="X", minutes=0),),
    )
    policy = bm.Policy(min_travel_minutes=0, seekers_can_buddy=True)
    return problem, policy, proposal(problem, policy, [("X", "finance", "X")])


@case("not_a_buddy: capacity 0", {"not_a_buddy"})
def _zero_capacity(base: bm.Problem) -> tuple[bm.Problem, bm.Policy, Result]:
    problem = with_trust(
        base, make_trust("B5", 52.0, -2.0, expertise={"finance": 5})
    )
    problem = with_minutes(problem, {("S2", "B5"): 50.0}).replace(
        # Zero workload, so the capacity rule alone would not catch it.
        overrides=(
            bm.PairOverride(
                seeker="S2", area="finance", buddy="B5", workload=0
            ),
        )
    )
    triples = [*GOOD[:4], ("S2", "finance", "B5")]
    return problem, bm.Policy(), proposal(problem, bm.Policy(), triples)


def _b1_has_a_need(problem: bm.Problem) -> bm.Problem:
    return problem.replace(
        needs=(*problem.needs, bm.Need(seeker="B1", area="governance"))
    )


problem_case("not_a_buddy: a seeker", {"not_a_buddy"}, _b1_has_a_need)
problem_case(
    "seekers_can_buddy", set(), _b1_has_a_need, seekers_can_buddy=True
)
problem_case(
    "not_a_buddy: no partners allowed",
    {"not_a_buddy", "max_partners"},
    lambda p: with_trust(
        p,
        make_trust(
            "B4",
            51.45,
            -2.59,
            capacity=1,
            max_partners=0,
            expertise={"finance": 3, "governance": 3},
        ),
    ),
)
policy_case("expertise: below the minimum", {"expertise"}, min_expertise=4)
policy_case("expertise: at the minimum", set(), min_expertise=3)
problem_case(
    "expertise: not stronger than the seeker",
    {"expertise"},
    lambda p: with_trust(
        p,
        make_trust(
            "S2", 52.63, -1.13, expertise={"maternity": 1, "finance": 3}
        ),
    ),
    require_stronger_than_seeker=True,
)
policy_case(
    "stronger than the seeker", set(), require_stronger_than_seeker=True
)
problem_case(
    "too_close", {"too_close"}, lambda p: with_minutes(p, {("S2", "B4"): 20})
)
problem_case(
    "at min_travel_minutes",
    set(),
    lambda p: with_minutes(p, {("S2", "B4"): 30}),
)
problem_case(
    "too_far", {"too_far"}, lambda p: with_minutes(p, {("S2", "B4"): 200})
)
problem_case(
    "at max_travel_minutes",
    set(),
    lambda p: with_minutes(p, {("S2", "B4"): 150}),
)
problem_case(
    "no max_travel_minutes",
    set(),
    lambda p: with_minutes(p, {("S2", "B4"): 200}),
    max_travel_minutes=None,
)
problem_case(
    "competitor, buddy first",
    {"competitor"},
    lambda p: with_relation(p, "B4", "S2", "competitor"),
)
problem_case(
    "tertiary",
    {"tertiary"},
    lambda p: with_relation(p, "S2", "B4", "tertiary"),
)
problem_case(
    "acquirer",
    {"acquirer"},
    lambda p: with_relation(p, "B4", "S2", "acquirer"),
)
problem_case(
    "acquirer allowed",
    set(),
    lambda p: with_relation(p, "B4", "S2", "acquirer"),
    allow_acquirer_buddies=True,
)
problem_case("veto", {"veto"}, lambda p: with_relation(p, "S2", "B4", "veto"))
problem_case(
    "veto is directed",
    set(),
    lambda p: with_relation(p, "B4", "S2", "veto"),
)
policy_case("culture", {"culture"}, min_culture_fit=0.9)
policy_case("at min_culture_fit", set(), min_culture_fit=0.85)
policy_case("max_partners", {"max_partners"}, max_partners=1)
problem_case(
    "a trust's own max_partners wins",
    set(),
    lambda p: with_trust(
        p,
        make_trust(
            "B3",
            52.20,
            0.12,
            capacity=3,
            max_partners=2,
            expertise={"maternity": 4, "governance": 5},
            culture={"openness": 7.5},
        ),
    ),
    max_partners=1,
)
policy_case(
    "max_buddies_per_seeker",
    {"max_buddies_per_seeker"},
    max_buddies_per_seeker=2,
)
policy_case("at max_buddies_per_seeker", set(), max_buddies_per_seeker=3)
policy_case("no max_buddies_per_seeker", set(), max_buddies_per_seeker=None)
problem_case(
    "pin with an area",
    {"pin"},
    lambda p: with_relation(p, "S2", "B1", "pinned", area="finance"),
)
problem_case(
    "pin without an area",
    {"pin"},
    lambda p: with_relation(p, "S2", "B1", "pinned"),
)
problem_case(
    "pin honoured", set(), lambda p: with_relation(p, "S1", "B1", "pinned")
)
problem_case(
    "area pin honoured",
    set(),
    lambda p: with_relation(p, "S2", "B4", "pinned", area="finance"),
)
policy_case("budget", {"budget"}, budget=39_999)
policy_case("at the budget", set(), budget=40_000)


@case("capacity", {"capacity"})
def _capacity(base: bm.Problem) -> tuple[bm.Problem, bm.Policy, Result]:
    # B4 (capacity 1) takes S1's governance as well as S2's finance.
    triples = [GOOD[0], ("S1", "governance", "B4"), *GOOD[2:]]
    return base, bm.Policy(), proposal(base, bm.Policy(), triples)


@case("travel_missing", {"travel_missing"})
def _no_time(base: bm.Problem) -> tuple[bm.Problem, bm.Policy, Result]:
    assert base.travel is not None
    trimmed = tuple(
        e for e in base.travel if (e.origin, e.destination) != ("S2", "B4")
    )
    return base.replace(travel=trimmed), bm.Policy(), literal_result()


@case("coverage: too few buddies", {"coverage"})
def _too_few(base: bm.Problem) -> tuple[bm.Problem, bm.Policy, Result]:
    triples = [t for t in GOOD if t != ("S2", "maternity", "B3")]
    return base, bm.Policy(), proposal(base, bm.Policy(), triples)


@case("coverage: too many buddies", {"coverage"})
def _too_many(base: bm.Problem) -> tuple[bm.Problem, bm.Policy, Result]:
    triples = [*GOOD, ("S2", "maternity", "B1")]
    return base, bm.Policy(), proposal(base, bm.Policy(), triples)


@case("coverage: a repeated assignment", {"coverage"})
def _repeat(base: bm.Problem) -> tuple[bm.Problem, bm.Policy, Result]:
    result = literal_result()
    repeated = (*result.assignments, result.assignments[0])
    return (
        base,
        bm.Policy(),
        result.model_copy(update={"assignments": repeated}),
    )


@case("unmet_mismatch: neither covered nor unmet", {"unmet_mismatch"})
def _dropped(base: bm.Problem) -> tuple[bm.Problem, bm.Policy, Result]:
    return base, bm.Policy(), proposal(base, bm.Policy(), GOOD[:4], unmet=())


@case("unmet_mismatch: covered and unmet", {"unmet_mismatch"})
def _both(base: bm.Problem) -> tuple[bm.Problem, bm.Policy, Result]:
    result = literal_result()
    listed = UnmetNeed(
        seeker="S1",
        area="finance",
        tier="programme",
        priority=3,
        buddies=1,
        candidates=2,
        reason="capacity",
        detail="",
    )
    return base, bm.Policy(), result.model_copy(update={"unmet": (listed,)})


@case("unmet_mismatch: listed twice", {"unmet_mismatch"})
def _twice(base: bm.Problem) -> tuple[bm.Problem, bm.Policy, Result]:
    result = proposal(base, bm.Policy(), GOOD[:4])
    unmet = (*result.unmet, *result.unmet)
    return base, bm.Policy(), result.model_copy(update={"unmet": unmet})


@case("unknown_trust: buddy", {"unknown_trust"})
def _unknown_buddy(base: bm.Problem) -> tuple[bm.Problem, bm.Policy, Result]:
    result = literal_result()
    ghost = result.assignments[0].model_copy(update={"buddy": "ZZ"})
    return (
        base,
        bm.Policy(),
        result.model_copy(
            update={"assignments": (*result.assignments, ghost)}
        ),
    )


@case("unknown_trust: seeker", {"unknown_trust"})
def _unknown_seeker(base: bm.Problem) -> tuple[bm.Problem, bm.Policy, Result]:
    result = literal_result()
    ghost = result.assignments[0].model_copy(update={"seeker": "ZZ"})
    return (
        base,
        bm.Policy(),
        result.model_copy(
            update={"assignments": (*result.assignments, ghost)}
        ),
    )


@case("unknown_need: assignment", {"unknown_need"})
def _unknown_need(base: bm.Problem) -> tuple[bm.Problem, bm.Policy, Result]:
    result = literal_result()
    ghost = result.assignments[2].model_copy(update={"seeker": "S1"})
    return (
        base,
        bm.Policy(),
        result.model_copy(
            update={"assignments": (*result.assignments, ghost)}
        ),
    )


@case("unknown_need: unmet", {"unknown_need"})
def _unknown_unmet(base: bm.Problem) -> tuple[bm.Problem, bm.Policy, Result]:
    listed = UnmetNeed(
        seeker="S1",
        area="maternity",
        tier="light",
        priority=2,
        buddies=1,
        candidates=0,
        reason="no_candidate",
        detail="",
    )
    return (
        base,
        bm.Policy(),
        literal_result().model_copy(update={"unmet": (listed,)}),
    )


@case("unknown_tier", {"unknown_tier"})
def _unknown_tier(base: bm.Problem) -> tuple[bm.Problem, bm.Policy, Result]:
    need = bm.Need(seeker="S1", area="maternity", tier="bespoke")
    problem = base.replace(needs=(*base.needs, need))
    bespoke = bm.Policy(
        tiers={"bespoke": bm.Tier(workload=1, months=3, fee=1_000.0)}
    )
    result = literal_result()
    stray = assign(problem, bespoke, "S1", "maternity", "B2")
    listed = UnmetNeed(
        seeker="S1",
        area="maternity",
        tier="bespoke",
        priority=2,
        buddies=1,
        candidates=0,
        reason="no_candidate",
        detail="",
    )
    coverage = (
        result.coverage[0],
        Coverage(priority=2, covered=2, total=3),
        result.coverage[2],
    )
    return (
        problem,
        bm.Policy(),
        result.model_copy(
            update={
                "assignments": (*result.assignments, stray),
                "unmet": (listed,),
                "coverage": coverage,
            }
        ),
    )


def _corrupt(**changes: Any) -> Case:
    """A case whose literal result has the first assignment changed."""

    def fn(base: bm.Problem) -> tuple[bm.Problem, bm.Policy, Result]:
        result = literal_result()
        first = result.assignments[0].model_copy(update=changes)
        return (
            base,
            bm.Policy(),
            result.model_copy(
                update={"assignments": (first, *result.assignments[1:])}
            ),
        )

    return fn


for _name, _changes, _expected in (
    ("travel_minutes", {"travel_minutes": 60.1}, {"values"}),
    ("travel_minutes within tolerance", {"travel_minutes": 60.04}, set()),
    ("culture_fit", {"culture_fit": 0.951}, {"values"}),
    ("culture_fit within tolerance", {"culture_fit": 0.9504}, set()),
    ("expertise", {"expertise": 4}, {"values"}),
    ("workload", {"workload": 2}, {"values"}),
    ("fee", {"fee": 20_001.0}, {"values"}),
    ("tier", {"tier": "light"}, {"values"}),
    ("score", {"score": 72.502}, {"values"}),
    ("score within tolerance", {"score": 72.501}, set()),
    (
        "an extra score term",
        {
            "terms": {
                "expertise": 50,
                "culture": 28.5,
                "travel": -6,
                "prior": 10,
            }
        },
        {"values"},
    ),
    (
        "a missing score term",
        {"terms": {"expertise": 50, "culture": 28.5}},
        {"values"},
    ),
    (
        "a zero term may be listed",
        {
            "terms": {
                "expertise": 50,
                "culture": 28.5,
                "travel": -6,
                "preferred": 0.0,
            }
        },
        set(),
    ),
):
    CASES[f"values: {_name}"] = (_corrupt(**_changes), _expected)


def _result_case(name: str, expected: set[str], **changes: Any) -> None:
    def fn(base: bm.Problem) -> tuple[bm.Problem, bm.Policy, Result]:
        return base, bm.Policy(), literal_result().model_copy(update=changes)

    CASES[name] = (fn, expected)


_LIT = literal_result()
_P0 = _LIT.partnerships[0]
_result_case("values: total fee", {"values"}, total_fee=45_000.0)
_result_case(
    "values: utilisation",
    {"values"},
    utilisation=(_LIT.utilisation[0].model_copy(update={"workload": 4}),),
)
_result_case(
    "unknown_trust: utilisation",
    {"unknown_trust"},
    utilisation=(_LIT.utilisation[0].model_copy(update={"buddy": "ZZ"}),),
)
_PARTNERSHIP_CHANGES: tuple[tuple[str, dict[str, Any]], ...] = (
    ("workload", {"workload": 4}),
    ("fee", {"fee": 25_000.0}),
    ("areas", {"areas": ("finance", "governance")}),
    ("tiers", {"tiers": {"finance": "light"}}),
    ("months", {"months": 6}),
)
for _name, _changes in _PARTNERSHIP_CHANGES:
    _result_case(
        f"partnerships: {_name}",
        {"partnerships"},
        partnerships=(_P0.model_copy(update=_changes), *_LIT.partnerships[1:]),
    )
_result_case(
    "partnerships: missing",
    {"partnerships"},
    partnerships=_LIT.partnerships[1:],
)
_result_case(
    "partnerships: repeated",
    {"partnerships"},
    partnerships=(*_LIT.partnerships, _P0),
)
_result_case(
    "partnerships: without assignments",
    {"partnerships"},
    partnerships=(*_LIT.partnerships, _P0.model_copy(update={"buddy": "B2"})),
)
_result_case(
    "coverage_count: wrong numbers",
    {"coverage_count"},
    coverage=(Coverage(priority=3, covered=0, total=1), *_LIT.coverage[1:]),
)
_result_case(
    "coverage_count: a priority missing",
    {"coverage_count"},
    coverage=_LIT.coverage[:2],
)
_result_case(
    "coverage_count: a priority twice",
    {"coverage_count"},
    coverage=(*_LIT.coverage, _LIT.coverage[0]),
)
_result_case("objective: off", {"objective"}, objective=289.01)
_result_case("objective: within tolerance", set(), objective=289.002)
_result_case("objective: missing", {"objective"}, objective=None)
_result_case(
    "values: unmet need's tier",
    {"values"},
    assignments=_LIT.assignments[:4],
    partnerships=_LIT.partnerships[:4],
    utilisation=(),
    total_fee=35_000.0,
    objective=289.0 - 48.0 + 5.0,
    coverage=(*_LIT.coverage[:2], Coverage(priority=1, covered=0, total=1)),
    unmet=(
        UnmetNeed(
            seeker="S2",
            area="finance",
            tier="programme",
            priority=1,
            buddies=1,
            candidates=1,
            reason="capacity",
            detail="",
        ),
    ),
)
_result_case(
    "status: infeasible with assignments", {"status"}, status="infeasible"
)
_result_case(
    "status: infeasible and empty",
    set(),
    status="infeasible",
    assignments=(),
    partnerships=(),
    objective=None,
)


@pytest.mark.parametrize("name", list(CASES))
def test_each_rule(base: bm.Problem, name: str) -> None:
    build, expected = CASES[name]
    problem, policy, result = build(base)
    found = verify(problem, policy, result)
    assert rules(found) == expected, [str(v) for v in found]
    for violation in found:
        assert violation.rule in RULES
        assert str(violation) == violation.message
        assert violation.message


def test_every_rule_is_exercised() -> None:
    exercised = set().union(*(expected for _, expected in CASES.values()))
    assert exercised == set(RULES)


def test_violation_names_the_pair(base: bm.Problem) -> None:
    problem = with_relation(base, "S2", "B4", "veto")
    (found,) = verify(problem, None, literal_result())
    assert found == Violation(
        "veto", found.message, seeker="S2", area="finance", buddy="B4"
    )
    assert "S2" in str(found) and "B4" in str(found)
    assert "vetoed" in str(found)


def test_several_rules_at_once(base: bm.Problem) -> None:
    problem = with_relation(
        with_relation(
            with_minutes(base, {("S2", "B4"): 10}), "S2", "B4", "competitor"
        ),
        "S2",
        "B4",
        "veto",
    )
    policy = bm.Policy(min_expertise=4, budget=1_000)
    result = proposal(problem, policy)
    assert rules(verify(problem, policy, result)) == {
        "expertise",
        "too_close",
        "competitor",
        "veto",
        "budget",
    }


def test_recompute_objective_rejects_unknown_ids(base: bm.Problem) -> None:
    result = literal_result()
    ghost = result.assignments[0].model_copy(update={"buddy": "ZZ"})
    result = result.model_copy(update={"assignments": (ghost,)})
    with pytest.raises(ValueError, match="ZZ"):
        recompute_objective(base, None, result)


def test_objective_tolerance_grows_with_partnerships(
    base: bm.Problem,
) -> None:
    # Five partnerships: up to 0.0005 x 6 = 0.003 is accepted.
    for delta, ok in ((0.0029, True), (-0.0029, True), (0.0032, False)):
        result = literal_result().model_copy(
            update={"objective": 289.0 + delta}
        )
        assert (verify(base, None, result) == []) is ok, delta


def test_verify_shares_no_code_with_the_solver() -> None:
    source = Path(verify_module.__file__).read_text(encoding="utf-8")
    imported: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
    allowed = {
        "__future__",
        "math",
        "collections.abc",
        "dataclasses",
        "buddymatch.model",
        "buddymatch.result",
        "buddymatch.errors",
    }
    assert imported <= allowed, imported - allowed
