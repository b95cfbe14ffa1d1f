"""Tests of the synthetic problem generator and the table of places."""

from __future__ import annotations

import math
import re
from collections import Counter

import numpy as np
import pytest

import buddymatch as bm
from buddymatch import synth
from buddymatch.model import DEFAULT_TIERS, problem_issues
from buddymatch.places import PLACES, REGIONS, TEACHING_TOWNS

# England's bounding box (WGS84).
LAT_RANGE = (49.9, 55.9)
LON_RANGE = (-5.8, 1.8)


def demand(problem: bm.Problem) -> int:
    """Total workload the needs ask for: tier workload x buddies."""
    return sum(
        DEFAULT_TIERS[need.tier].workload * need.buddies
        for need in problem.needs
    )


def km(a: bm.Trust, b: bm.Trust) -> float:
    """Great-circle distance between two trusts (haversine)."""
    la1, lo1, la2, lo2 = map(math.radians, (a.lat, a.lon, b.lat, b.lon))
    h = (
        math.sin((la2 - la1) / 2) ** 2
        + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    )
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


@pytest.fixture(scope="module")
def national() -> bm.Problem:
    return synth.preset("national", seed=11)


# -- places -------------------------------------------------------------------


def test_places_are_english_towns_in_known_regions() -> None:
    names = [p.name for p in PLACES]
    assert 180 <= len(PLACES) <= 250
    assert len(set(names)) == len(names)
    assert {p.region for p in PLACES} == set(REGIONS)
    for place in PLACES:
        assert LAT_RANGE[0] <= place.lat <= LAT_RANGE[1], place
        assert LON_RANGE[0] <= place.lon <= LON_RANGE[1], place
    assert set(TEACHING_TOWNS) <= set(names)


def test_places_are_denser_where_people_are() -> None:
    per_region = Counter(p.region for p in PLACES)
    assert per_region["Midlands"] > per_region["South West"]
    assert per_region["London"] > per_region["East of England"]
    assert per_region["North West"] > per_region["South West"]


def test_known_distances_between_places() -> None:
    # Road-atlas straight-line distances, to within a few km.
    by_name = {p.name: p for p in PLACES}

    def dist(a: str, b: str) -> float:
        pa, pb = by_name[a], by_name[b]
        return km(
            bm.Trust(id="A", lat=pa.lat, lon=pa.lon),
            bm.Trust(id="B", lat=pb.lat, lon=pb.lon),
        )

    assert dist("Westminster", "Birmingham") == pytest.approx(163, abs=4)
    assert dist("Leeds", "Manchester") == pytest.approx(58, abs=3)
    assert dist("Bristol", "Exeter") == pytest.approx(103, abs=4)
    assert dist("Newcastle upon Tyne", "Carlisle") == pytest.approx(83, abs=4)


# -- generate: determinism, sizes, validity -----------------------------------


def test_same_seed_gives_the_same_problem() -> None:
    first = synth.generate(6, (2, 4), 60, seed=5, pins=2)
    second = synth.generate(6, (2, 4), 60, seed=5, pins=2)
    assert first == second


def test_another_seed_gives_another_problem() -> None:
    first = synth.generate(6, 3, 60, seed=5)
    other = synth.generate(6, 3, 60, seed=6)
    assert first != other
    assert first.trust_ids != other.trust_ids


@pytest.mark.parametrize(
    ("n_seekers", "needs_per_seeker", "n_buddies"),
    [(1, 1, 1), (4, 3, 25), (10, (2, 5), 80), (0, 1, 12), (5, 9, 5)],
)
def test_sizes(
    n_seekers: int, needs_per_seeker: int | tuple[int, int], n_buddies: int
) -> None:
    problem = synth.generate(n_seekers, needs_per_seeker, n_buddies, seed=1)
    low, high = (
        needs_per_seeker
        if isinstance(needs_per_seeker, tuple)
        else (needs_per_seeker, needs_per_seeker)
    )
    assert len(problem.trusts) == n_seekers + n_buddies
    assert len(problem.seeker_ids) == n_seekers
    per_seeker = Counter(n.seeker for n in problem.needs)
    assert all(low <= k <= high for k in per_seeker.values())
    if low == high:
        assert len(problem.needs) == n_seekers * low


def test_result_is_a_valid_problem(national: bm.Problem) -> None:
    # Constructing the Problem validates it; check again explicitly.
    assert problem_issues(national) == []
    assert national.areas == synth.AREAS[:10]
    assert national.culture_dimensions == synth.CULTURE_DIMENSIONS[:4]


def test_ids_and_names(national: bm.Problem) -> None:
    ids = national.trust_ids
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"R[A-Z]{2}[0-9]", i) for i in ids)
    assert list(ids) == sorted(ids)
    assert all(
        t.name.endswith((" NHS Trust", " NHS Foundation Trust"))
        for t in national.trusts
    )
    towns = tuple(p.name for p in PLACES)
    assert all(any(town in t.name for town in towns) for t in national.trusts)


def test_ids_stay_unique_beyond_one_digit() -> None:
    # 26 x 26 x 10 one-digit codes; more trusts need a second digit.
    ids = synth._ids(np.random.default_rng(0), 7000)
    assert len(set(ids)) == 7000
    assert all(re.fullmatch(r"R[A-Z]{2}[0-9]{2}", i) for i in ids)


def test_needs_are_in_areas_the_seeker_runs_and_is_weak_in(
    national: bm.Problem,
) -> None:
    by_id = {t.id: t for t in national.trusts}
    for need in national.needs:
        level = by_id[need.seeker].expertise[need.area]
        assert 1 <= level <= 2
        assert need.tier in DEFAULT_TIERS
    tiers = Counter(n.tier for n in national.needs)
    total = len(national.needs)
    assert tiers["light"] / total == pytest.approx(0.50, abs=0.06)
    assert tiers["programme"] / total == pytest.approx(0.35, abs=0.06)
    assert tiers["intensive"] / total == pytest.approx(0.15, abs=0.05)
    assert {n.priority for n in national.needs} == {1, 2, 3}
    assert any(n.buddies == 2 for n in national.needs)


# -- realism ------------------------------------------------------------------


def test_kind_mix_is_nhs_like() -> None:
    problem = synth.generate(0, 1, 2000, seed=2)
    kinds: Counter[str] = Counter(t.kind for t in problem.trusts)
    for kind, share in synth.KIND_MIX.items():
        assert kinds[kind] / 2000 == pytest.approx(share, abs=0.03), kind


@pytest.mark.parametrize("ratio", [0.5, 0.8, 1.2])
def test_capacity_is_the_asked_share_of_demand(ratio: float) -> None:
    problem = synth.generate(40, 4, 300, seed=3, capacity_ratio=ratio)
    offered = sum(t.capacity for t in problem.trusts)
    assert offered == pytest.approx(ratio * demand(problem), abs=1)
    buddies = [t for t in problem.trusts if t.capacity > 0]
    assert all(1 <= t.capacity <= 6 for t in buddies)
    assert not set(problem.seeker_ids) & {t.id for t in buddies}


def test_capacity_goes_above_six_only_when_the_pool_is_too_small() -> None:
    problem = synth.generate(30, 5, 20, seed=4, capacity_ratio=1.0)
    offered = sum(t.capacity for t in problem.trusts)
    assert offered == pytest.approx(demand(problem), abs=1)
    assert max(t.capacity for t in problem.trusts) > 6


def test_services_follow_the_kind(national: bm.Problem) -> None:
    for trust in national.trusts:
        if trust.kind in ("mental_health", "ambulance"):
            assert trust.expertise["maternity"] == 0
            assert trust.expertise["elective_recovery"] == 0
        if trust.kind in ("acute", "acute_teaching"):
            assert trust.expertise["mental_health_services"] == 0
            assert trust.expertise["maternity"] >= 1


def test_buddies_are_stronger_than_seekers(national: bm.Problem) -> None:
    seekers = set(national.seeker_ids)

    def mean_level(trusts: list[bm.Trust]) -> float:
        levels = [v for t in trusts for v in t.expertise.values() if v > 0]
        return sum(levels) / len(levels)

    weak = mean_level([t for t in national.trusts if t.id in seekers])
    strong = mean_level([t for t in national.trusts if t.capacity > 0])
    teaching = mean_level(
        [t for t in national.trusts if t.kind == "acute_teaching"]
    )
    assert strong > weak + 1.0
    assert teaching > weak + 1.0
    assert any(
        5 in t.expertise.values() for t in national.trusts if t.capacity > 0
    )


def test_culture_looks_like_staff_survey_scores(national: bm.Problem) -> None:
    scores = np.array(
        [list(t.culture.values()) for t in national.trusts]
    ).ravel()
    assert scores.min() >= 0.0
    assert scores.max() <= 10.0
    assert scores.mean() == pytest.approx(6.5, abs=0.2)
    assert 0.6 <= scores.std() <= 1.0
    assert np.allclose(scores, np.round(scores, 1))


def test_all_sites_are_in_england(national: bm.Problem) -> None:
    for trust in national.trusts:
        assert LAT_RANGE[0] <= trust.lat <= LAT_RANGE[1], trust.id
        assert LON_RANGE[0] <= trust.lon <= LON_RANGE[1], trust.id
    # Jittered around their towns: hardly any two trusts share a site.
    sites = {(t.lat, t.lon) for t in national.trusts}
    assert len(sites) >= len(national.trusts) - 2


def test_regions_restrict_the_places() -> None:
    problem = synth.generate(3, 2, 30, seed=0, regions=["South West"])
    assert {t.region for t in problem.trusts} == {"South West"}


def test_teaching_trusts_sit_in_university_towns(
    national: bm.Problem,
) -> None:
    regions = {p.name: p.region for p in PLACES}
    for trust in national.trusts:
        if trust.kind in ("acute_teaching", "specialist"):
            towns = [t for t in TEACHING_TOWNS if t in trust.name]
            assert towns, trust.name
            assert trust.region in {regions[t] for t in towns}


# -- relations and pins -------------------------------------------------------


def test_relations_are_plausible(national: bm.Problem) -> None:
    by_id = {t.id: t for t in national.trusts}
    kinds = Counter(r.kind for r in national.relations)
    assert {"competitor", "tertiary", "prior", "preferred"} <= set(kinds)
    assert kinds["competitor"] == round(0.03 * len(national.trusts))
    assert "pinned" not in kinds
    seekers = set(national.seeker_ids)
    pairs = [
        frozenset((r.a, r.b))
        for r in national.relations
        if r.kind in ("competitor", "tertiary")
    ]
    assert len(set(pairs)) == len(pairs)
    for rel in national.relations:
        a, b = by_id[rel.a], by_id[rel.b]
        if rel.kind == "competitor":
            assert {a.kind, b.kind} <= {"acute", "acute_teaching"}
            assert km(a, b) <= 46.0
        elif rel.kind == "tertiary":
            assert a.kind in ("acute_teaching", "specialist")
            assert km(a, b) <= 81.0
        else:
            assert rel.a in seekers
            assert b.capacity > 0
            assert 24.0 <= km(a, b) <= 111.0
    preferred = {
        (r.a, r.b) for r in national.relations if r.kind == "preferred"
    }
    vetoed = {(r.a, r.b) for r in national.relations if r.kind == "veto"}
    assert not preferred & vetoed


def test_no_relations_when_switched_off() -> None:
    problem = synth.generate(
        10,
        3,
        200,
        seed=0,
        relation_density=0.0,
        partner_rate=0.0,
        veto_rate=0.0,
    )
    assert problem.relations == ()


def test_pins_obey_the_default_rules() -> None:
    problem = synth.generate(20, 3, 200, seed=8, pins=5)
    policy = bm.Policy()
    by_id = {t.id: t for t in problem.trusts}
    needs = {(n.seeker, n.area): n for n in problem.needs}
    blocked = {
        frozenset((r.a, r.b))
        for r in problem.relations
        if r.kind in ("competitor", "tertiary", "veto")
    }
    pins = [r for r in problem.relations if r.kind == "pinned"]
    assert len(pins) == 5
    assert len({p.a for p in pins}) == len({p.b for p in pins}) == 5
    for pin in pins:
        assert pin.area is not None
        need = needs[(pin.a, pin.area)]
        seeker, buddy = by_id[pin.a], by_id[pin.b]
        minutes = km(seeker, buddy) * policy.circuity / policy.speed_kmh * 60
        assert policy.min_travel_minutes <= minutes
        assert policy.max_travel_minutes is not None
        assert minutes <= policy.max_travel_minutes
        assert buddy.expertise[pin.area] >= policy.min_expertise
        assert buddy.capacity >= DEFAULT_TIERS[need.tier].workload
        assert frozenset((pin.a, pin.b)) not in blocked


# -- presets and arguments ----------------------------------------------------


@pytest.mark.parametrize(
    ("name", "seekers", "needs", "trusts"),
    [("tiny", 3, 6, 23), ("nhs", 15, 60, 245), ("national", 200, 1000, 1200)],
)
def test_presets_build(
    name: str, seekers: int, needs: int, trusts: int
) -> None:
    problem = synth.preset(name)
    assert len(problem.seeker_ids) == seekers
    assert len(problem.needs) == needs
    assert len(problem.trusts) == trusts
    assert synth.preset(name) == problem


def test_programme_preset_sizes() -> None:
    # Built by the benchmarks; here only its declared size is checked.
    options = synth.PRESETS["programme"]
    assert (
        options["n_seekers"],
        options["needs_per_seeker"],
        options["n_buddies"],
    ) == (3000, 3, 3000)


def test_tiny_preset_is_one_region() -> None:
    problem = synth.preset("tiny", seed=3)
    assert {t.region for t in problem.trusts} == {"Midlands"}
    assert sum(t.capacity for t in problem.trusts) > 0


def test_unknown_preset() -> None:
    with pytest.raises(ValueError, match="unknown preset 'huge'"):
        synth.preset("huge")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_seekers": -1}, "non-negative"),
        ({"n_seekers": 0, "n_buddies": 0}, "not both 0"),
        ({"n_areas": 0}, "n_areas"),
        ({"n_areas": 13}, "n_areas"),
        ({"needs_per_seeker": 0}, "needs_per_seeker"),
        ({"needs_per_seeker": (3, 2)}, "needs_per_seeker"),
        ({"needs_per_seeker": 10}, "needs_per_seeker"),
        ({"culture_dims": 10}, "culture_dims"),
        ({"capacity_ratio": -0.1}, "capacity_ratio"),
        ({"capacity_ratio": math.nan}, "capacity_ratio"),
        ({"relation_density": -1.0}, "relation_density"),
        ({"partner_rate": 1.5}, "partner_rate"),
        ({"veto_rate": -0.1}, "veto_rate"),
        ({"pins": -1}, "pins"),
        ({"regions": ["Wales"]}, "unknown region"),
    ],
)
def test_bad_arguments(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {
        "n_seekers": 2,
        "needs_per_seeker": 2,
        "n_buddies": 5,
    }
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        synth.generate(**args)  # type: ignore[arg-type]


def test_no_culture_dimensions() -> None:
    problem = synth.generate(2, 2, 10, seed=0, culture_dims=0)
    assert problem.culture_dimensions == ()
