"""buddymatch.model: field rules, policy parsing, whole-problem checks."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pytest
from pydantic import ValidationError

import buddymatch as bm
from buddymatch.model import (
    DEFAULT_TIERS,
    MAX_ID_LENGTH,
    Policy,
    Problem,
    problem_issues,
)
from conftest import make_trust


def trusts2() -> tuple[bm.Trust, bm.Trust]:
    return make_trust("S", 52.0, -1.5), make_trust("B", 53.0, -1.5, capacity=2)


# -- single models ------------------------------------------------------


def test_models_are_frozen_and_forbid_unknown_fields() -> None:
    trust = make_trust("S", 52.0, -1.5)
    with pytest.raises(ValidationError):
        trust.capacity = 3  # type: ignore[misc]
    with pytest.raises(ValidationError, match="capcity"):
        bm.Trust(id="S", lat=52, lon=-1, capcity=3)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("tid", "ok"),
    [
        ("RXX", True),
        ("a1_b.c-d", True),
        ("x" * MAX_ID_LENGTH, True),
        ("x" * (MAX_ID_LENGTH + 1), False),
        ("-RXX", False),  # must start with a letter or digit
        ("R X", False),
        ("", False),
    ],
)
def test_trust_ids_follow_the_pattern(tid: str, ok: bool) -> None:
    def build() -> bm.Trust:
        return bm.Trust(id=tid, lat=52.0, lon=-1.5)

    if ok:
        assert build().id == tid
    else:
        with pytest.raises(ValidationError):
            build()


@pytest.mark.parametrize(
    "changes",
    [
        {"lat": 90.5},
        {"lon": -180.5},
        {"lat": math.nan},  # NaN passes ge/le, the finite check stops it
        {"lon": math.inf},
        {"culture": {"openness": 10.5}},
        {"expertise": {"finance": 6}},
        {"expertise": {"finance": -1}},
        {"capacity": -1},
        {"max_partners": -1},
        {"kind": "hospital"},
    ],
)
def test_trust_fields_are_range_checked(changes: dict[str, Any]) -> None:
    data: dict[str, Any] = {"id": "T", "lat": 52.0, "lon": -1.5}
    data.update(changes)
    with pytest.raises(ValidationError):
        bm.Trust(**data)


def test_need_defaults_and_limits() -> None:
    need = bm.Need(seeker="S", area="finance")
    assert (need.tier, need.buddies, need.priority) == ("light", 1, 2)
    for bad in (
        {"buddies": 0},
        {"buddies": 21},
        {"priority": 0},
        {"priority": 4},
    ):
        with pytest.raises(ValidationError):
            bm.Need(seeker="S", area="finance", **bad)


@pytest.mark.parametrize(
    ("model", "data"),
    [
        (bm.PairOverride, {"score": math.inf}),
        (bm.PairOverride, {"score": math.nan}),
        (bm.PairOverride, {"workload": -1}),
        (bm.TravelTime, {"minutes": -0.1}),
        (bm.TravelTime, {"minutes": math.inf}),
    ],
)
def test_numbers_of_overrides_and_travel_are_finite(
    model: type[Any], data: dict[str, Any]
) -> None:
    base = (
        {"seeker": "S", "area": "finance", "buddy": "B"}
        if model is bm.PairOverride
        else {"origin": "S", "destination": "B", "minutes": 1.0}
    )
    with pytest.raises(ValidationError):
        model(**{**base, **data})


def test_an_override_score_may_be_negative() -> None:
    ov = bm.PairOverride(seeker="S", area="finance", buddy="B", score=-3.5)
    assert ov.score == -3.5


# -- policy -------------------------------------------------------------


@pytest.mark.parametrize(
    "field",
    [
        "max_travel_minutes",
        "max_partners",
        "max_buddies_per_seeker",
        "budget",
        "cost_neutral_allowance",
    ],
)
@pytest.mark.parametrize("word", ["none", " None ", "NONE"])
def test_none_switches_a_limit_off(field: str, word: str) -> None:
    assert getattr(Policy(**{field: word}), field) is None


def test_none_is_refused_where_a_limit_cannot_be_off() -> None:
    # A bug applying "none" to every field would make this pass silently.
    with pytest.raises(ValidationError):
        Policy(min_travel_minutes="none")


def test_tiers_are_merged_over_the_defaults_field_by_field() -> None:
    policy = Policy(
        tiers={
            "programme": {"fee": 25_000},
            "mentoring": {"workload": 1, "months": 3, "fee": 2_000},
        }
    )
    assert policy.tier("programme") == bm.Tier(
        workload=3, months=12, fee=25_000.0
    )
    assert policy.tier("light") == DEFAULT_TIERS["light"]
    assert policy.tier("mentoring").months == 3
    with pytest.raises(KeyError):
        policy.tier("heavy")


def test_a_new_tier_needs_all_three_fields() -> None:
    with pytest.raises(ValidationError, match="months"):
        Policy(tiers={"mentoring": {"workload": 1, "fee": 2_000}})


def test_default_tiers_are_not_shared_between_policies() -> None:
    # A mutable default shared between instances would leak one
    # policy's tiers into the next.
    a = Policy(tiers={"mentoring": {"workload": 1, "months": 3, "fee": 1}})
    assert "mentoring" in a.tiers
    assert "mentoring" not in Policy().tiers


def test_travel_window_must_be_open() -> None:
    with pytest.raises(ValidationError, match="below min_travel_minutes"):
        Policy(min_travel_minutes=60, max_travel_minutes=45)
    # Equal bounds leave a window of one value: allowed.
    assert Policy(min_travel_minutes=60, max_travel_minutes=60)


@pytest.mark.parametrize(
    "field", ["weight_travel", "budget", "min_travel_minutes"]
)
def test_policy_numbers_are_finite(field: str) -> None:
    with pytest.raises(ValidationError):
        Policy(**{field: math.inf})


def test_effective_start_is_the_date_or_today() -> None:
    assert Policy(start_date=dt.date(2025, 4, 1)).effective_start() == (
        dt.date(2025, 4, 1)
    )
    assert Policy().effective_start() == dt.date.today()


# -- the problem as a whole ---------------------------------------------


def issues_of(**fields: Any) -> list[tuple[tuple[str | int, ...], str]]:
    """Whole-problem issues of an unvalidated problem: (path, message)."""
    data: dict[str, Any] = {
        "trusts": trusts2(),
        "needs": (bm.Need(seeker="S", area="finance"),),
        "relations": (),
        "overrides": (),
        "travel": None,
    }
    data.update(fields)
    problem = Problem.model_construct(**data)
    return [(i.path, i.message) for i in problem_issues(problem)]


S, B = trusts2()
NEED = bm.Need(seeker="S", area="finance")


@pytest.mark.parametrize(
    ("fields", "path", "words"),
    [
        ({"trusts": ()}, ("trusts",), "no trusts"),
        ({"trusts": (S, B, S)}, ("trusts", 2, "id"), "more than once"),
        (
            {"trusts": (S, B.model_copy(update={"culture": {"x": 1.0}}))},
            ("trusts", 1, "culture"),
            "culture dimensions",
        ),
        (
            {"trusts": (S, B.model_copy(update={"expertise": {"x": 1}}))},
            ("trusts", 1, "expertise"),
            "expertise areas",
        ),
        (
            {"needs": (bm.Need(seeker="Q", area="finance"),)},
            ("needs", 0, "seeker"),
            "not a trust",
        ),
        (
            {"needs": (bm.Need(seeker="S", area="surgery"),)},
            ("needs", 0, "area"),
            "no expertise data",
        ),
        ({"needs": (NEED, NEED)}, ("needs", 1, "area"), "more than once"),
        (
            {"relations": (bm.Relation(a="S", b="Q", kind="veto"),)},
            ("relations", 0, "b"),
            "not a trust",
        ),
        (
            {"relations": (bm.Relation(a="S", b="S", kind="prior"),)},
            ("relations", 0, "b"),
            "with itself",
        ),
        (
            {
                "relations": (
                    bm.Relation(a="S", b="B", kind="veto", area="finance"),
                )
            },
            ("relations", 0, "area"),
            "only a pinned relation",
        ),
        (
            {"relations": (bm.Relation(a="B", b="S", kind="pinned"),)},
            ("relations", 0, "a"),
            "has no needs",
        ),
        (
            {
                "relations": (
                    bm.Relation(a="S", b="B", kind="pinned", area="maternity"),
                )
            },
            ("relations", 0, "area"),
            "not a need",
        ),
        (
            {
                "relations": (
                    bm.Relation(a="S", b="B", kind="veto"),
                    bm.Relation(a="S", b="B", kind="pinned"),
                )
            },
            ("relations", 1, "kind"),
            "both pinned and vetoed",
        ),
        (
            {
                "overrides": (
                    bm.PairOverride(seeker="S", area="maternity", buddy="B"),
                )
            },
            ("overrides", 0, "area"),
            "not a need",
        ),
        (
            {
                "overrides": (
                    bm.PairOverride(seeker="S", area="finance", buddy="Q"),
                )
            },
            ("overrides", 0, "buddy"),
            "not a trust",
        ),
        (
            {
                "overrides": (
                    bm.PairOverride(seeker="S", area="finance", buddy="S"),
                )
            },
            ("overrides", 0, "buddy"),
            "with itself",
        ),
        (
            {
                "overrides": (
                    bm.PairOverride(seeker="S", area="finance", buddy="B"),
                    bm.PairOverride(
                        seeker="S", area="finance", buddy="B", score=1
                    ),
                )
            },
            ("overrides", 1, "buddy"),
            "more than once",
        ),
        (
            {
                "travel": (
                    bm.TravelTime(origin="S", destination="Q", minutes=5),
                )
            },
            ("travel", 0, "destination"),
            "not a trust",
        ),
        (
            {
                "travel": (
                    bm.TravelTime(origin="S", destination="B", minutes=5),
                    bm.TravelTime(origin="S", destination="B", minutes=6),
                )
            },
            ("travel", 1, "minutes"),
            "given twice",
        ),
    ],
)
def test_each_whole_problem_issue_is_found_at_its_path(
    fields: dict[str, Any], path: tuple[str | int, ...], words: str
) -> None:
    found = issues_of(**fields)
    assert [p for p, _ in found] == [path], found
    assert words in found[0][1]


def test_a_pin_against_a_veto_of_the_other_direction_is_fine() -> None:
    # Veto and pin read "seeker a with buddy b": only the same direction
    # contradicts.
    assert (
        issues_of(
            relations=(
                bm.Relation(a="B", b="S", kind="veto"),
                bm.Relation(a="S", b="B", kind="pinned"),
            )
        )
        == []
    )


def test_the_same_travel_time_twice_is_fine() -> None:
    entry = bm.TravelTime(origin="S", destination="B", minutes=5)
    assert issues_of(travel=(entry, entry)) == []


def test_every_issue_is_reported_at_once() -> None:
    with pytest.raises(ValidationError) as info:
        Problem(
            trusts=(S, B, S),
            needs=(bm.Need(seeker="Q", area="surgery"),),
        )
    text = str(info.value)
    assert "3 problem(s)" in text
    assert "needs.0.seeker" in text and "needs.0.area" in text


def test_conveniences(complete_problem: bm.Problem) -> None:
    p = complete_problem
    assert p.trust("B2").max_partners == 1
    with pytest.raises(KeyError):
        p.trust("nobody")
    assert p.trust_ids[:2] == ("S1", "S2")
    # Order of first need, not of the trusts.
    assert p.seeker_ids == ("S1", "S2", "SB", "S4", "S3", "S5")
    assert p.areas == ("finance", "maternity", "governance")
    assert p.culture_dimensions == ("openness", "learning")


def test_canonical_sorts_everything_and_keeps_a_canonical_problem(
    complete_problem: bm.Problem,
) -> None:
    canon = complete_problem.canonical()
    assert list(canon.trust_ids) == sorted(complete_problem.trust_ids)
    keys = [(n.seeker, n.area) for n in canon.needs]
    assert keys == sorted(keys)
    assert [r.kind for r in canon.relations] == sorted(
        r.kind for r in complete_problem.relations
    )
    assert canon.travel is not None
    assert [(e.origin, e.destination) for e in canon.travel] == [
        ("B5", "SB"),
        ("S5", "BF"),
    ]
    # The same content in another order.
    assert set(canon.needs) == set(complete_problem.needs)
    assert canon.canonical() is canon


def test_replace_validates_the_changed_problem(
    complete_problem: bm.Problem,
) -> None:
    more = complete_problem.replace(
        needs=(*complete_problem.needs, bm.Need(seeker="S5", area="finance"))
    )
    assert len(more.needs) == len(complete_problem.needs) + 1
    with pytest.raises(ValidationError, match="more than once"):
        # model_copy(update=...) would accept this duplicate need.
        complete_problem.replace(
            needs=(*complete_problem.needs, complete_problem.needs[0])
        )
