"""Tests of the candidate stage: every hard pair rule, its order and words."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import buddymatch as bm
from buddymatch.candidates import (
    OVERRIDE_TERM,
    REASONS,
    AreaSummary,
    CandidateSet,
    InstanceSummary,
    build_candidates,
    summarise,
)
from buddymatch.scoring import TERMS
from buddymatch.travel import EARTH_RADIUS_KM
from conftest import make_trust

LAT, LON = 52.0, -1.5


def lat_at(minutes: float, policy: bm.Policy | None = None) -> float:
    """Latitude due north of (LAT, LON) at *minutes* by the straight line."""
    policy = policy or bm.Policy()
    km = minutes * policy.speed_kmh / (policy.circuity * 60.0)
    return LAT + math.degrees(km / EARTH_RADIUS_KM)


def seeker(tid: str = "S", **kwargs: object) -> bm.Trust:
    """A seeker at (LAT, LON) with low expertise everywhere."""
    return make_trust(tid, LAT, LON, **kwargs)  # type: ignore[arg-type]


def buddy(
    tid: str, minutes: float = 60.0, level: int = 5, **kwargs: object
) -> bm.Trust:
    """A buddy *minutes* north of the seeker, expert in finance."""
    kwargs.setdefault("capacity", 3)
    kwargs.setdefault("expertise", {"finance": level})
    return make_trust(
        tid,
        lat_at(minutes),
        LON,
        **kwargs,  # type: ignore[arg-type]
    )


def problem(
    *trusts: bm.Trust,
    needs: Sequence[bm.Need] | None = None,
    relations: Sequence[bm.Relation] = (),
    overrides: Sequence[bm.PairOverride] = (),
    travel: Sequence[bm.TravelTime] | None = None,
) -> bm.Problem:
    if needs is None:
        needs = (bm.Need(seeker="S", area="finance"),)
    return bm.Problem(
        trusts=trusts,
        needs=tuple(needs),
        relations=tuple(relations),
        overrides=tuple(overrides),
        travel=None if travel is None else tuple(travel),
    )


def why(
    cands: CandidateSet, trust_id: str, need_index: int = 0
) -> tuple[str, str] | None:
    return cands.exclusion(need_index, cands.problem.trust_ids.index(trust_id))


def is_candidate(cands: CandidateSet, trust_id: str, need: int = 0) -> bool:
    trust = cands.problem.trust_ids.index(trust_id)
    return cands.position(need, trust) is not None


class FixedMinutes:
    """A travel model with given minutes (both ways), for exact values."""

    def __init__(self, minutes: dict[tuple[str, str], float]) -> None:
        self.table = {
            **{(b, a): m for (a, b), m in minutes.items()},
            **minutes,
        }

    def minutes(
        self, origins: Sequence[bm.Trust], destinations: Sequence[bm.Trust]
    ) -> np.ndarray:
        return np.array(
            [
                [
                    0.0 if o.id == d.id else self.table[(o.id, d.id)]
                    for d in destinations
                ]
                for o in origins
            ]
        ).reshape(len(origins), len(destinations))


# -- self and not_a_buddy -------------------------------------------------


def test_a_seeker_never_buddies_itself() -> None:
    # With the neighbour rule off and seekers allowed to buddy, only the
    # self rule keeps S from serving its own need.
    trusts = (seeker(capacity=3, expertise={"finance": 5}), buddy("B"))
    policy = bm.Policy(min_travel_minutes=0, seekers_can_buddy=True)
    cands = build_candidates(problem(*trusts), policy)
    assert why(cands, "S") == ("self", "S cannot be its own buddy")
    assert is_candidate(cands, "B")


def test_capacity_zero_is_not_a_buddy() -> None:
    cands = build_candidates(
        problem(seeker(), buddy("B", capacity=0), buddy("C")), bm.Policy()
    )
    assert why(cands, "B") == ("not_a_buddy", "capacity 0: not a buddy")
    assert is_candidate(cands, "C")


def test_max_partners_zero_is_not_a_buddy() -> None:
    trusts = (seeker(), buddy("B", max_partners=0), buddy("C"))
    cands = build_candidates(problem(*trusts), bm.Policy())
    assert why(cands, "B") == ("not_a_buddy", "max_partners 0: not a buddy")
    assert is_candidate(cands, "C")
    # A policy default of 0 applies to trusts without their own limit.
    cands = build_candidates(problem(*trusts), bm.Policy(max_partners=0))
    assert why(cands, "C") == (
        "not_a_buddy",
        "policy.max_partners 0: no trust may buddy",
    )


def test_a_seeker_buddies_only_when_the_policy_allows() -> None:
    trusts = (seeker(), buddy("T", capacity=2))
    needs = (
        bm.Need(seeker="S", area="finance"),
        bm.Need(seeker="T", area="maternity"),
    )
    off = build_candidates(problem(*trusts, needs=needs), bm.Policy())
    assert why(off, "T") == (
        "not_a_buddy",
        "T has needs of its own and policy.seekers_can_buddy is off",
    )
    on = build_candidates(
        problem(*trusts, needs=needs), bm.Policy(seekers_can_buddy=True)
    )
    assert is_candidate(on, "T")


# -- expertise --------------------------------------------------------------


def test_expertise_below_the_minimum_excludes() -> None:
    trusts = (seeker(), buddy("B", level=2), buddy("C", level=3))
    cands = build_candidates(problem(*trusts), bm.Policy())
    assert why(cands, "B") == (
        "expertise",
        "expertise 2 < required 3 in finance",
    )
    assert is_candidate(cands, "C")
    cands = build_candidates(problem(*trusts), bm.Policy(min_expertise=2))
    assert is_candidate(cands, "B")


def test_require_stronger_than_seeker() -> None:
    trusts = (
        seeker(expertise={"finance": 4}),
        buddy("B", level=4),
        buddy("C", level=5),
    )
    policy = bm.Policy(require_stronger_than_seeker=True)
    cands = build_candidates(problem(*trusts), policy)
    code, words = why(cands, "B") or ("", "")
    assert code == "expertise"
    assert "expertise 4 <= seeker's own 4 in finance" in words
    assert is_candidate(cands, "C")
    assert is_candidate(build_candidates(problem(*trusts), bm.Policy()), "B")


# -- the travel window ------------------------------------------------------


def test_a_pair_ten_minutes_apart_is_banned_as_neighbours() -> None:
    cands = build_candidates(problem(seeker(), buddy("B", 10)), bm.Policy())
    assert cands.minutes[0, 1] == 10.0
    assert why(cands, "B") == (
        "too_close",
        "travel 10.0 min < neighbour threshold 30 min",
    )
    off = build_candidates(
        problem(seeker(), buddy("B", 10)), bm.Policy(min_travel_minutes=0)
    )
    assert is_candidate(off, "B")


def test_a_pair_five_hours_apart_is_too_far() -> None:
    cands = build_candidates(problem(seeker(), buddy("B", 300)), bm.Policy())
    assert why(cands, "B") == (
        "too_far",
        "travel 300.0 min > maximum 150 min",
    )
    off = build_candidates(
        problem(seeker(), buddy("B", 300)),
        bm.Policy(max_travel_minutes=None),
    )
    assert is_candidate(off, "B")


@pytest.mark.parametrize(
    ("raw", "rounded", "code"),
    [
        (29.94, 29.9, "too_close"),
        (29.96, 30.0, None),  # compared after rounding: on the boundary
        (30.0, 30.0, None),
        (150.0, 150.0, None),
        (150.04, 150.0, None),
        (150.06, 150.1, "too_far"),
    ],
)
def test_the_window_compares_rounded_minutes(
    raw: float, rounded: float, code: str | None
) -> None:
    trusts = (seeker(), buddy("B"))
    cands = build_candidates(
        problem(*trusts),
        bm.Policy(),
        travel=FixedMinutes({("S", "B"): raw}),
    )
    assert cands.minutes[0, 1] == rounded
    exclusion = why(cands, "B")
    assert (exclusion[0] if exclusion else None) == code


# -- relations --------------------------------------------------------------


def test_a_competitor_relation_bans_the_pair_in_both_directions() -> None:
    trusts = (
        seeker(capacity=2, expertise={"finance": 4, "maternity": 4}),
        buddy("T", expertise={"finance": 4, "maternity": 4}),
        buddy("C"),
    )
    needs = (
        bm.Need(seeker="S", area="finance"),
        bm.Need(seeker="T", area="maternity"),
    )
    rel = bm.Relation(a="T", b="S", kind="competitor", note="shared catchment")
    policy = bm.Policy(seekers_can_buddy=True)
    cands = build_candidates(
        problem(*trusts, needs=needs, relations=[rel]), policy
    )
    words = "relation competitor: shared catchment"
    assert why(cands, "T", 0) == ("competitor", words)
    assert why(cands, "S", 1) == ("competitor", words)
    assert is_candidate(cands, "C", 0)
    free = build_candidates(problem(*trusts, needs=needs), policy)
    assert is_candidate(free, "T", 0)
    assert is_candidate(free, "S", 1)


def test_a_tertiary_relation_bans_the_pair() -> None:
    rel = bm.Relation(a="S", b="B", kind="tertiary")
    cands = build_candidates(
        problem(seeker(), buddy("B"), relations=[rel]), bm.Policy()
    )
    assert why(cands, "B") == ("tertiary", "relation tertiary")


def test_an_acquirer_relation_bans_unless_the_policy_allows() -> None:
    rel = bm.Relation(a="B", b="S", kind="acquirer", note="merger talks")
    trusts = (seeker(), buddy("B"))
    banned = build_candidates(problem(*trusts, relations=[rel]), bm.Policy())
    assert why(banned, "B") == (
        "acquirer",
        "relation acquirer (policy.allow_acquirer_buddies is off): "
        "merger talks",
    )
    allowed = build_candidates(
        problem(*trusts, relations=[rel]),
        bm.Policy(allow_acquirer_buddies=True),
    )
    assert is_candidate(allowed, "B")


def test_a_veto_bans_one_direction_only() -> None:
    trusts = (
        seeker(capacity=2, expertise={"finance": 4, "maternity": 4}),
        buddy("T", expertise={"finance": 4, "maternity": 4}),
    )
    needs = (
        bm.Need(seeker="S", area="finance"),
        bm.Need(seeker="T", area="maternity"),
    )
    veto = bm.Relation(a="S", b="T", kind="veto", note="failed before")
    cands = build_candidates(
        problem(*trusts, needs=needs, relations=[veto]),
        bm.Policy(seekers_can_buddy=True),
    )
    assert why(cands, "T", 0) == ("veto", "relation veto: failed before")
    assert is_candidate(cands, "S", 1)


# -- culture ----------------------------------------------------------------


def test_culture_fit_below_the_floor_excludes() -> None:
    # Fit = 1 - |6.0 - 1.9| / 10 = 0.59 with one dimension.
    trusts = (seeker(), buddy("B", culture={"openness": 1.9}))
    cands = build_candidates(problem(*trusts), bm.Policy(min_culture_fit=0.6))
    assert cands.fit[0, 1] == 0.59
    assert why(cands, "B") == ("culture", "culture fit 0.59 < floor 0.6")
    assert is_candidate(build_candidates(problem(*trusts), bm.Policy()), "B")


def test_without_culture_dimensions_every_fit_is_one() -> None:
    trusts = (
        make_trust("S", LAT, LON, culture={}),
        make_trust(
            "B",
            lat_at(60),
            LON,
            capacity=2,
            expertise={"finance": 5},
            culture={},
        ),
    )
    cands = build_candidates(problem(*trusts), bm.Policy(min_culture_fit=1))
    assert cands.fit[0, 1] == 1.0
    assert is_candidate(cands, "B")


# -- rule order ---------------------------------------------------------------


def test_the_first_rule_in_order_is_the_reason() -> None:
    trusts = (
        seeker(),
        buddy("NEAR", 10),  # too close and a competitor
        buddy("WEAK", 300, level=1),  # too far and too weak
        buddy("IDLE", 60, level=1, capacity=0),  # not a buddy and too weak
        buddy("RIVAL", 60, culture={"openness": 0.0}),  # veto and culture
    )
    relations = [
        bm.Relation(a="S", b="NEAR", kind="competitor"),
        bm.Relation(a="S", b="RIVAL", kind="veto"),
        bm.Relation(a="S", b="RIVAL", kind="tertiary"),
    ]
    cands = build_candidates(
        problem(*trusts, relations=relations),
        bm.Policy(min_culture_fit=0.9),
    )
    codes = {
        tid: (why(cands, tid) or ("",))[0] for tid in cands.problem.trust_ids
    }
    assert codes == {
        "S": "self",
        "NEAR": "too_close",
        "WEAK": "expertise",
        "IDLE": "not_a_buddy",
        "RIVAL": "tertiary",
    }
    assert cands.reason_counts(0) == {
        "self": 1,
        "not_a_buddy": 1,
        "expertise": 1,
        "too_close": 1,
        "tertiary": 1,
    }
    assert cands.n_candidates == 0


# -- values, terms and overrides ---------------------------------------------


def test_pair_values_and_terms() -> None:
    trusts = (
        seeker(),
        buddy("B", 60, culture={"openness": 7.0}),
        buddy("C", 90, level=4),
    )
    relations = [
        bm.Relation(a="S", b="B", kind="preferred"),
        bm.Relation(a="C", b="S", kind="prior"),  # either orientation
    ]
    needs = [bm.Need(seeker="S", area="finance", tier="programme")]
    cands = build_candidates(
        problem(*trusts, needs=needs, relations=relations), bm.Policy()
    )
    assert cands.seekers == ("S",)
    assert cands.need.tolist() == [0, 0]
    assert cands.buddy.tolist() == [1, 2]
    assert cands.expertise.tolist() == [5, 4]
    assert cands.workload.tolist() == [3, 3]
    assert cands.fee.tolist() == [20_000.0, 20_000.0]
    assert cands.terms["expertise"].tolist() == [50.0, 40.0]
    assert cands.terms["culture"].tolist() == [27.0, 30.0]
    assert cands.terms["travel"].tolist() == [-6.0, -9.0]
    assert cands.terms["preferred"].tolist() == [15.0, 0.0]
    assert cands.terms["prior"].tolist() == [0.0, 10.0]
    assert cands.terms[OVERRIDE_TERM].tolist() == [0.0, 0.0]
    assert cands.score.tolist() == [86.0, 71.0]
    assert not cands.overridden.any()


def test_preferred_reads_seeker_a_with_buddy_b() -> None:
    trusts = (seeker(), buddy("B"))
    reverse = bm.Relation(a="B", b="S", kind="preferred")
    cands = build_candidates(
        problem(*trusts, relations=[reverse]), bm.Policy()
    )
    assert cands.terms["preferred"].tolist() == [0.0]


def test_an_override_replaces_score_and_workload_but_no_rule() -> None:
    trusts = (seeker(), buddy("B"), buddy("C", 10))
    overrides = [
        bm.PairOverride(
            seeker="S", area="finance", buddy="B", score=-2.5, workload=7
        ),
        bm.PairOverride(seeker="S", area="finance", buddy="C", score=99.0),
    ]
    cands = build_candidates(
        problem(*trusts, overrides=overrides), bm.Policy()
    )
    assert why(cands, "C") is not None  # overrides never bypass a hard rule
    at = cands.position(0, 1)
    assert at is not None
    assert cands.overridden[at]
    assert cands.score[at] == -2.5
    assert cands.workload[at] == 7
    assert cands.terms[OVERRIDE_TERM][at] == -2.5
    assert all(cands.terms[t][at] == 0.0 for t in TERMS)


def test_a_workload_only_override_keeps_the_computed_score() -> None:
    trusts = (seeker(), buddy("B"))
    ov = bm.PairOverride(seeker="S", area="finance", buddy="B", workload=0)
    cands = build_candidates(problem(*trusts, overrides=[ov]), bm.Policy())
    assert cands.workload.tolist() == [0]
    assert not cands.overridden[0]
    assert cands.score[0] == pytest.approx(50.0 + 30.0 - 6.0)


def test_terms_always_sum_to_the_score(small_problem: bm.Problem) -> None:
    cands = build_candidates(small_problem, bm.Policy())
    total = sum(cands.terms[name] for name in (*TERMS, OVERRIDE_TERM))
    np.testing.assert_allclose(total, cands.score, atol=1e-9)
    assert np.all(np.round(cands.score, 3) == cands.score)


def test_minutes_and_fit_are_rounded(small_problem: bm.Problem) -> None:
    cands = build_candidates(small_problem, bm.Policy())
    shown = ~np.isnan(cands.minutes)
    assert np.array_equal(
        np.round(cands.minutes[shown], 1), cands.minutes[shown]
    )
    assert np.array_equal(np.round(cands.fit[shown], 4), cands.fit[shown])


def test_arrays_are_read_only(small_problem: bm.Problem) -> None:
    cands = build_candidates(small_problem, bm.Policy())
    with pytest.raises(ValueError, match="read-only"):
        cands.score[0] = 1.0
    with pytest.raises(ValueError, match="read-only"):
        cands.reason[0, 0] = 0


def test_pairs_of_need_and_position(small_problem: bm.Problem) -> None:
    cands = build_candidates(small_problem, bm.Policy())
    for i in range(len(small_problem.needs)):
        positions = cands.pairs_of_need(i)
        assert np.all(cands.need[positions] == i)
        assert list(cands.buddy[positions]) == sorted(cands.buddy[positions])
        for j in range(len(small_problem.trusts)):
            at = cands.position(i, j)
            assert (at is None) == (cands.reason[i, j] != 0)
            assert (cands.exclusion(i, j) is None) == (at is not None)
    assert sum(cands.pairs_of_need(i).size for i in range(4)) == (
        cands.n_candidates
    )


# -- input errors and travel matrices ----------------------------------------


def test_an_unknown_tier_is_an_input_error() -> None:
    needs = [
        bm.Need(seeker="S", area="finance", tier="gold"),
        bm.Need(seeker="S", area="maternity"),
    ]
    with pytest.raises(bm.InputError) as info:
        build_candidates(
            problem(seeker(), buddy("B"), needs=needs), bm.Policy()
        )
    [found] = info.value.problems
    assert (found.file, found.line) == ("<problem>", "needs.0.tier")
    assert "'gold'" in found.message


def test_a_matrix_needs_only_pairs_that_could_be_candidates() -> None:
    trusts = (seeker(), buddy("B"), buddy("IDLE", capacity=0))
    travel = [bm.TravelTime(origin="B", destination="S", minutes=45.0)]
    cands = build_candidates(problem(*trusts, travel=travel), bm.Policy())
    assert cands.minutes[0, 1] == 45.0
    assert math.isnan(cands.minutes[0, 2])  # not a buddy: never asked
    assert why(cands, "IDLE") == ("not_a_buddy", "capacity 0: not a buddy")


def test_a_matrix_missing_a_needed_pair_is_an_input_error() -> None:
    trusts = (seeker(), buddy("B"), buddy("C"))
    travel = [bm.TravelTime(origin="S", destination="B", minutes=45.0)]
    with pytest.raises(bm.InputError) as info:
        build_candidates(problem(*trusts, travel=travel), bm.Policy())
    [found] = info.value.problems
    assert found.file == "travel matrix"
    assert "from S to C" in found.message
    fallback = build_candidates(
        problem(*trusts, travel=travel), bm.Policy(travel_fallback=True)
    )
    assert fallback.minutes[0].tolist()[1:] == [45.0, 60.0]


# -- order invariance and a reference implementation --------------------------


def _random_problem(seed: int) -> bm.Problem:
    rng = np.random.default_rng(seed)
    n = 14
    trusts = []
    for i in range(n):
        levels = rng.integers(0, 6, 3)
        trusts.append(
            make_trust(
                f"T{i:02d}",
                float(rng.uniform(51.0, 53.5)),
                float(rng.uniform(-3.0, 0.5)),
                capacity=int(rng.integers(0, 4)),
                expertise={
                    "finance": int(levels[0]),
                    "maternity": int(levels[1]),
                    "governance": int(levels[2]),
                },
                culture={"openness": float(rng.uniform(3, 9))},
                max_partners=None if rng.random() < 0.8 else 0,
            )
        )
    needs = [
        bm.Need(seeker=f"T{i:02d}", area=area, tier="programme")
        for i in range(4)
        for area in ("finance", "governance")[: 1 + i % 2]
    ]
    kinds = (
        "competitor",
        "tertiary",
        "acquirer",
        "veto",
        "prior",
        "preferred",
    )
    relations = []
    seen = set()
    for _ in range(12):
        a, b = rng.choice(n, 2, replace=False)
        kind = kinds[int(rng.integers(0, len(kinds)))]
        if (a, b, kind) not in seen:
            seen.add((a, b, kind))
            relations.append(
                bm.Relation(a=f"T{a:02d}", b=f"T{b:02d}", kind=kind)
            )
    overrides = [
        bm.PairOverride(
            seeker="T00", area="finance", buddy=f"T{j:02d}", score=7.5
        )
        for j in (5, 6, 7)
    ]
    return bm.Problem(
        trusts=tuple(trusts),
        needs=tuple(needs),
        relations=tuple(relations),
        overrides=tuple(overrides),
    )


POLICIES = [
    bm.Policy(),
    bm.Policy(
        seekers_can_buddy=True,
        require_stronger_than_seeker=True,
        min_culture_fit=0.7,
        allow_acquirer_buddies=True,
        min_expertise=2,
    ),
]


def _as_rows(
    cands: CandidateSet,
) -> dict[tuple[str, str, str], tuple[object, ...]]:
    problem = cands.problem
    rows: dict[tuple[str, str, str], tuple[object, ...]] = {}
    for k in range(cands.n_candidates):
        need = problem.needs[int(cands.need[k])]
        buddy_id = problem.trusts[int(cands.buddy[k])].id
        row = int(cands.need_seeker[int(cands.need[k])])
        rows[(need.seeker, need.area, buddy_id)] = (
            float(cands.minutes[row, cands.buddy[k]]),
            float(cands.fit[row, cands.buddy[k]]),
            int(cands.expertise[k]),
            int(cands.workload[k]),
            float(cands.score[k]),
            bool(cands.overridden[k]),
            tuple(float(cands.terms[t][k]) for t in cands.terms),
        )
    return rows


def _reasons(
    cands: CandidateSet,
) -> dict[tuple[int, str], tuple[str, str] | None]:
    return {
        (i, trust.id): cands.exclusion(i, j)
        for i in range(len(cands.problem.needs))
        for j, trust in enumerate(cands.problem.trusts)
    }


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 3),
    policy_index=st.integers(0, len(POLICIES) - 1),
    order=st.permutations(range(14)),
)
def test_results_do_not_depend_on_the_order_of_trusts(
    seed: int, policy_index: int, order: list[int]
) -> None:
    base = _random_problem(seed)
    policy = POLICIES[policy_index]
    shuffled = base.replace(trusts=tuple(base.trusts[i] for i in order))
    a = build_candidates(base, policy)
    b = build_candidates(shuffled, policy)
    assert _as_rows(a) == _as_rows(b)
    assert _reasons(a) == _reasons(b)


def _reference_reason(
    problem: bm.Problem, policy: bm.Policy, need: bm.Need, trust: bm.Trust
) -> str | None:
    """The rules written pair by pair with plain Python, for comparison."""
    me = problem.trust(need.seeker)
    seekers = {n.seeker for n in problem.needs}
    partners = (
        trust.max_partners
        if trust.max_partners is not None
        else policy.max_partners
    )
    if trust.id == me.id:
        return "self"
    if (
        trust.capacity == 0
        or partners == 0
        or (trust.id in seekers and not policy.seekers_can_buddy)
    ):
        return "not_a_buddy"
    level = trust.expertise[need.area]
    if level < policy.min_expertise or (
        policy.require_stronger_than_seeker
        and level <= me.expertise[need.area]
    ):
        return "expertise"
    p1, p2 = math.radians(me.lat), math.radians(trust.lat)
    dlon = math.radians(trust.lon - me.lon)
    hav = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(dlon / 2) ** 2
    )
    km = 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(hav))
    minutes = round(km * policy.circuity / policy.speed_kmh * 60, 1)
    if minutes < policy.min_travel_minutes:
        return "too_close"
    if (
        policy.max_travel_minutes is not None
        and minutes > policy.max_travel_minutes
    ):
        return "too_far"
    for kind in ("competitor", "tertiary", "acquirer", "veto"):
        if kind == "acquirer" and policy.allow_acquirer_buddies:
            continue
        for rel in problem.relations:
            if rel.kind != kind:
                continue
            if (rel.a, rel.b) == (me.id, trust.id) or (
                kind != "veto" and (rel.b, rel.a) == (me.id, trust.id)
            ):
                return kind
    diffs = [(me.culture[d] - trust.culture[d]) ** 2 for d in me.culture]
    fit = round(1 - math.sqrt(sum(diffs) / len(diffs)) / 10, 4)
    if fit < policy.min_culture_fit:
        return "culture"
    return None


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("policy", POLICIES)
def test_vectorised_rules_agree_with_a_pair_by_pair_reference(
    seed: int, policy: bm.Policy
) -> None:
    prob = _random_problem(seed)
    cands = build_candidates(prob, policy)
    for i, need in enumerate(prob.needs):
        for j, trust in enumerate(prob.trusts):
            code = int(cands.reason[i, j])
            got = REASONS[code - 1] if code else None
            assert got == _reference_reason(prob, policy, need, trust), (
                need,
                trust.id,
            )


def test_a_custom_model_of_the_wrong_shape_is_refused() -> None:
    class Broken:
        def minutes(
            self, origins: Sequence[bm.Trust], destinations: Sequence[bm.Trust]
        ) -> np.ndarray:
            return np.zeros((1, 1))

    with pytest.raises(ValueError, match="shape"):
        build_candidates(
            problem(seeker(), buddy("B"), buddy("C")),
            bm.Policy(),
            travel=Broken(),
        )


def test_travel_and_fit_are_computed_only_towards_open_trusts() -> None:
    trusts = (
        seeker(),
        buddy("B", 60),
        buddy("IDLE", 45, capacity=0),
        buddy("WEAK", 45, level=1),
    )
    cands = build_candidates(problem(*trusts), bm.Policy())
    assert cands.minutes[0, 1] == 60.0
    assert cands.fit[0, 1] == 1.0
    for column in (0, 2, 3):  # self, not a buddy, too weak for every need
        assert math.isnan(cands.minutes[0, column])
        assert math.isnan(cands.fit[0, column])
    # A second need that WEAK can serve opens its column.
    needs = [
        bm.Need(seeker="S", area="finance"),
        bm.Need(seeker="S", area="maternity"),
    ]
    weak = buddy("WEAK", 45, expertise={"finance": 1, "maternity": 4})
    cands = build_candidates(
        problem(*trusts[:3], weak, needs=needs), bm.Policy()
    )
    assert cands.minutes[0, 3] == 45.0
    assert why(cands, "WEAK", 0) == (
        "expertise",
        "expertise 1 < required 3 in finance",
    )
    assert is_candidate(cands, "WEAK", 1)


def test_a_problem_without_needs_has_no_candidates() -> None:
    cands = build_candidates(
        problem(seeker(), buddy("B"), needs=[]), bm.Policy()
    )
    assert cands.n_candidates == 0
    assert cands.reason.shape == (0, 2)
    assert cands.minutes.shape == (0, 2)
    assert set(cands.terms) == {*TERMS, OVERRIDE_TERM}


# -- the instance summary -----------------------------------------------------


def test_summary_counts_needs_buddies_and_exclusions() -> None:
    # S and T are seekers at the same site; B (60 min) is a candidate for
    # finance only, C (20 min) is a neighbour, D has no capacity.
    trusts = (
        seeker("S"),
        seeker("T"),
        buddy("B"),
        buddy("C", minutes=20.0),
        buddy("D", capacity=0),
    )
    needs = (
        bm.Need(seeker="S", area="finance"),
        bm.Need(seeker="S", area="maternity"),
        bm.Need(seeker="T", area="finance"),
    )
    cands = build_candidates(problem(*trusts, needs=needs), bm.Policy())
    summary = summarise(cands)
    assert summary == InstanceSummary(
        trusts=5,
        seekers=2,
        needs=3,
        buddies=2,
        capacity=6,
        areas=(
            AreaSummary("finance", needs=2, fewest_candidates=1),
            AreaSummary("maternity", needs=1, fewest_candidates=0),
        ),
        # 15 pairs: 3 self (left out), 6 not_a_buddy, 2 expertise, 2
        # too_close, 2 candidates.
        excluded=(("not_a_buddy", 6), ("expertise", 2), ("too_close", 2)),
        candidates=2,
    )


def test_summary_counts_seekers_as_buddies_when_the_policy_allows() -> None:
    trusts = (seeker("S", capacity=2), buddy("B"))
    policy = bm.Policy(seekers_can_buddy=True)
    allowed = summarise(build_candidates(problem(*trusts), policy))
    assert (allowed.buddies, allowed.capacity) == (2, 5)
    default = summarise(build_candidates(problem(*trusts), bm.Policy()))
    assert (default.buddies, default.capacity) == (1, 3)
