"""Shared fixtures: small hand-made problems used across test modules."""

from __future__ import annotations

import math

import pytest

import buddymatch as bm

AREAS = ("finance", "maternity", "governance")


def make_trust(
    tid: str,
    lat: float,
    lon: float,
    *,
    capacity: int = 0,
    expertise: dict[str, int] | None = None,
    culture: dict[str, float] | None = None,
    kind: str = "acute",
    max_partners: int | None = None,
) -> bm.Trust:
    """Return a trust with every area of AREAS (missing levels are 0)."""
    levels = {area: 0 for area in AREAS}
    levels.update(expertise or {})
    return bm.Trust(
        id=tid,
        name=f"{tid} NHS Trust",
        kind=kind,  # type: ignore[arg-type]
        lat=lat,
        lon=lon,
        culture=culture if culture is not None else {"openness": 6.0},
        expertise=levels,
        capacity=capacity,
        max_partners=max_partners,
    )


@pytest.fixture
def small_problem() -> bm.Problem:
    """Two seekers in the Midlands, four buddies 45-120 minutes away."""
    trusts = (
        make_trust("S1", 52.41, -1.51, expertise={"finance": 1}),
        make_trust("S2", 52.63, -1.13, expertise={"maternity": 1}),
        make_trust(
            "B1",
            51.75,
            -1.26,
            capacity=4,
            expertise={"finance": 5, "maternity": 3},
            culture={"openness": 6.5},
        ),
        make_trust(
            "B2",
            53.38,
            -1.47,
            capacity=2,
            expertise={"finance": 4, "maternity": 5, "governance": 4},
            culture={"openness": 5.0},
        ),
        make_trust(
            "B3",
            52.20,
            0.12,
            capacity=3,
            expertise={"maternity": 4, "governance": 5},
            culture={"openness": 7.5},
        ),
        make_trust(
            "B4",
            51.45,
            -2.59,
            capacity=1,
            expertise={"finance": 3, "governance": 3},
            culture={"openness": 6.0},
        ),
    )
    needs = (
        bm.Need(seeker="S1", area="finance", tier="programme", priority=3),
        bm.Need(seeker="S1", area="governance"),
        bm.Need(seeker="S2", area="maternity", buddies=2),
        bm.Need(seeker="S2", area="finance", priority=1),
    )
    return bm.Problem(trusts=trusts, needs=needs)


def solve_verified(
    problem: bm.Problem,
    policy: bm.Policy | None = None,
    **kwargs: object,
) -> bm.Result:
    """Propose, and check the result with the independent verifier.

    Every solver result in the tests goes through here (or through
    ``verify`` directly): no rule may be broken and the reported objective
    must equal the one recomputed from the raw inputs.
    """
    from buddymatch.solvers import propose
    from buddymatch.verify import recompute_objective, verify

    policy = policy or bm.Policy()
    kwargs.setdefault("time_limit", 20.0)
    result = propose(problem, policy, **kwargs)  # type: ignore[arg-type]
    violations = verify(problem, policy, result)
    assert violations == [], "\n".join(str(v) for v in violations)
    if result.objective is not None:
        assert result.objective == pytest.approx(
            recompute_objective(problem, policy, result), abs=1e-6
        )
    return result


# -- Geometry: trusts placed a given travel time from a base site ----------

BASE_LAT, BASE_LON = 52.0, -1.5
#: Minutes of travel per degree of latitude under the default policy
#: (111.2 km x circuity 1.3 / 60 km/h x 60).
MIN_PER_DEG = 6371.0088 * math.pi / 180 * 1.3


def at(minutes: float, east: bool = False) -> tuple[float, float]:
    """Coordinates *minutes* of straight-line travel from the base."""
    if east:
        dlon = minutes / MIN_PER_DEG / math.cos(math.radians(BASE_LAT))
        return BASE_LAT, BASE_LON + dlon
    return BASE_LAT + minutes / MIN_PER_DEG, BASE_LON


def seeker(tid: str = "S", minutes: float = 0.0, **kw: object) -> bm.Trust:
    lat, lon = at(minutes, east=True)
    return make_trust(tid, lat, lon, **kw)  # type: ignore[arg-type]


def two_pinned_buddies() -> bm.Problem:
    """One seeker with two needs, each pinned to its own buddy: with a
    seeker limit of 1 the pins cannot both hold."""
    return bm.Problem(
        trusts=(
            seeker("S"),
            make_trust(
                "B1",
                *at(60),
                capacity=5,
                expertise={"finance": 4, "maternity": 4},
            ),
            make_trust(
                "B2",
                *at(70),
                capacity=5,
                expertise={"finance": 4, "maternity": 4},
            ),
        ),
        needs=(
            bm.Need(seeker="S", area="finance"),
            bm.Need(seeker="S", area="maternity"),
        ),
        relations=(
            bm.Relation(a="S", b="B1", kind="pinned", area="finance"),
            bm.Relation(a="S", b="B2", kind="pinned", area="maternity"),
        ),
    )


def buddy(
    tid: str,
    minutes: float,
    *,
    capacity: int = 5,
    level: int = 4,
    area: str = "finance",
    east: bool = False,
    **kw: object,
) -> bm.Trust:
    lat, lon = at(minutes, east=east)
    return make_trust(
        tid, lat, lon, capacity=capacity, expertise={area: level}, **kw
    )  # type: ignore[arg-type]


# -- The "complete" problem: every feature of the model and the policy ------
#
# After PyJobShop's ``complete`` fixture: one small problem that uses every
# field of the data model and of the policy, so that a module's test can
# run its code over all of them at once.  ``tests/test_complete_fixture.py``
# checks that it keeps doing so (every exclusion reason, every unmet
# reason of a feasible result, every relation kind, tier, trust kind ...),
# so the fixture cannot silently lose coverage.

#: Straight-line travel of the complete policy (not the defaults, so that
#: a model that ignores the policy's speed or circuity is caught).
COMPLETE_SPEED_KMH = 50.0
COMPLETE_CIRCUITY = 1.25
#: Minutes of travel per degree of latitude under the complete policy.
COMPLETE_MIN_PER_DEG = (
    6371.0088 * math.pi / 180 * COMPLETE_CIRCUITY / COMPLETE_SPEED_KMH * 60
)


def _complete_at(minutes: float, east: bool = False) -> tuple[float, float]:
    """Coordinates *minutes* of travel (complete policy) from the base."""
    if east:
        dlon = minutes / COMPLETE_MIN_PER_DEG
        return BASE_LAT, BASE_LON + dlon / math.cos(math.radians(BASE_LAT))
    return BASE_LAT + minutes / COMPLETE_MIN_PER_DEG, BASE_LON


def _complete_trust(
    tid: str,
    minutes: float,
    *,
    east: bool = False,
    kind: str = "acute",
    region: str | None = None,
    capacity: int = 0,
    max_partners: int | None = None,
    expertise: tuple[int, int, int] = (0, 0, 0),
    culture: tuple[float, float] = (6.0, 6.0),
) -> bm.Trust:
    """A trust *minutes* from the base, expertise in AREAS order."""
    lat, lon = _complete_at(minutes, east=east)
    return bm.Trust(
        id=tid,
        name=f"{tid} NHS Foundation Trust",
        kind=kind,
        lat=lat,
        lon=lon,
        region=region,
        culture={"openness": culture[0], "learning": culture[1]},
        expertise=dict(zip(AREAS, expertise, strict=True)),
        capacity=capacity,
        max_partners=max_partners,
    )


def build_complete_problem() -> bm.Problem:
    """Return the complete problem (see :func:`complete_problem`)."""
    t = _complete_trust
    trusts = (
        # Seekers (capacity 0) at the base; AREAS = finance, maternity,
        # governance.
        t("S1", 0, kind="acute", region="Midlands", expertise=(1, 1, 3)),
        t("S2", 0, kind="integrated", expertise=(1, 1, 1)),
        t("S3", 0, kind="community", expertise=(1, 3, 3)),
        t("S4", 0, kind="mental_health", expertise=(1, 1, 1)),
        t("S5", 0, kind="ambulance", expertise=(1, 1, 1)),
        # A seeker that is a buddy too (policy.seekers_can_buddy).
        t(
            "SB",
            60,
            east=True,
            kind="acute_teaching",
            capacity=3,
            expertise=(0, 0, 4),
            culture=(6.5, 6.0),
        ),
        # Buddies.
        t(
            "B1",
            60,
            kind="acute_teaching",
            region="North",
            capacity=6,
            expertise=(5, 4, 3),
            culture=(6.5, 5.5),
        ),
        t(
            "B2",
            90,
            kind="specialist",
            capacity=4,
            max_partners=1,
            expertise=(4, 5, 4),
            culture=(5.5, 6.5),
        ),
        t("B3", 120, east=True, capacity=3, expertise=(0, 4, 5)),
        t("B4", 45, kind="community", capacity=1, expertise=(3, 0, 3)),
        t(
            "B5",
            100,
            kind="mental_health",
            capacity=4,
            expertise=(4, 3, 3),
            culture=(7.0, 6.0),
        ),
        # One buddy per pair rule that excludes it from (nearly) every
        # need: culture, neighbour, too far, capacity 0, max_partners 0,
        # expertise.
        t(
            "BC",
            70,
            kind="integrated",
            capacity=5,
            expertise=(5, 5, 5),
            culture=(1.0, 9.0),
        ),
        t("BN", 15, capacity=5, expertise=(0, 5, 5)),
        t("BF", 200, kind="specialist", capacity=6, expertise=(5, 5, 5)),
        t("BZ", 80, capacity=0, expertise=(5, 5, 5)),
        t("BM", 80, capacity=5, max_partners=0, expertise=(5, 5, 5)),
        t("BL", 80, kind="ambulance", capacity=5, expertise=(2, 2, 2)),
    )
    needs = (
        # Priority 3: a programme need pinned (with its area) to B2, and an
        # intensive need taking two buddies (B3 only fits by an override's
        # workload).
        bm.Need(seeker="S1", area="finance", tier="programme", priority=3),
        bm.Need(
            seeker="S2",
            area="maternity",
            tier="intensive",
            buddies=2,
            priority=3,
        ),
        # Priority 2: B2 by an override's score; B4 by a pin without an
        # area; B5 (prior) for the seeker that buddies; SB (preferred).
        bm.Need(seeker="S1", area="governance"),
        bm.Need(seeker="S2", area="finance", tier="mentoring"),
        bm.Need(seeker="SB", area="finance"),
        bm.Need(seeker="S4", area="governance", tier="programme"),
        # Unmet: too few candidates (only B1 passes), no candidate at all,
        # capacity taken (B1 full, B2 at its partner limit), and the
        # budget (BF has room, only through the travel matrix).
        bm.Need(seeker="S3", area="maternity", buddies=2),
        bm.Need(seeker="S3", area="governance", priority=1),
        bm.Need(seeker="S4", area="finance", priority=1),
        bm.Need(seeker="S5", area="maternity", tier="intensive", priority=1),
    )
    relations = (
        bm.Relation(
            a="S1",
            b="B2",
            kind="pinned",
            area="finance",
            note="agreed by both boards",
        ),
        bm.Relation(a="S2", b="B4", kind="pinned"),
        bm.Relation(a="S1", b="B3", kind="competitor"),
        bm.Relation(a="S4", b="B5", kind="competitor"),
        bm.Relation(a="B4", b="S4", kind="tertiary"),
        bm.Relation(a="S3", b="SB", kind="tertiary"),
        bm.Relation(a="S3", b="B3", kind="acquirer"),
        bm.Relation(a="S3", b="B2", kind="veto", note="board decision"),
        bm.Relation(a="S4", b="SB", kind="preferred"),
        bm.Relation(a="B5", b="SB", kind="prior"),
        bm.Relation(a="S1", b="B1", kind="preferred"),
    )
    overrides = (
        bm.PairOverride(seeker="S1", area="governance", buddy="B2", score=50),
        bm.PairOverride(seeker="S2", area="maternity", buddy="B3", workload=3),
        bm.PairOverride(
            seeker="S5", area="maternity", buddy="B5", score=-5.5, workload=4
        ),
    )
    travel = (
        # BF is 200 minutes away by the straight line, 100 by this entry.
        bm.TravelTime(origin="S5", destination="BF", minutes=100),
        # Given one way round only: it serves SB -> B5 too.
        bm.TravelTime(origin="B5", destination="SB", minutes=80),
    )
    return bm.Problem(
        trusts=trusts,
        needs=needs,
        relations=relations,
        overrides=overrides,
        travel=travel,
    )


def build_complete_policy() -> bm.Policy:
    """Return the complete policy (see :func:`complete_policy`)."""
    import datetime as dt

    return bm.Policy(
        min_expertise=3,
        require_stronger_than_seeker=True,
        min_culture_fit=0.8,
        min_travel_minutes=30,
        max_travel_minutes=150,
        speed_kmh=COMPLETE_SPEED_KMH,
        circuity=COMPLETE_CIRCUITY,
        # The matrix lists two pairs; every other pair falls back to the
        # straight line.
        travel_fallback=True,
        max_partners=2,
        max_buddies_per_seeker=3,
        seekers_can_buddy=True,
        allow_acquirer_buddies=False,
        weight_expertise=8.0,
        weight_culture=20.0,
        weight_travel=0.2,
        bonus_preferred=12.0,
        bonus_prior=6.0,
        partnership_cost=4.0,
        keep_ongoing="soft",
        disruption_cost=30.0,
        # The met needs cost 168,000; the last intensive need's 60,000
        # does not fit.
        budget=180_000.0,
        cost_neutral_allowance=10_000.0,
        start_date=dt.date(2025, 4, 1),
        tiers={
            "programme": {"fee": 18_000.0},
            "mentoring": bm.Tier(workload=1, months=3, fee=2_000.0),
        },
    )


@pytest.fixture(scope="session")
def complete_problem() -> bm.Problem:
    """A small problem using every feature of the data model.

    Five seekers and eleven buddies (one trust is both), three areas, two
    culture dimensions, every trust kind, every relation kind (pins with
    and without an area), pair overrides of score, workload and both, and
    a partial travel matrix (one entry given one way round only).  Needs
    of every priority and of four tiers (one the policy defines), one
    taking two buddies.  Under :func:`complete_policy` every hard pair
    rule excludes some pair, and the optimal proposal leaves one need
    unmet for each reason a proposal can give: ``too_few_candidates``,
    ``no_candidate``, ``capacity`` and ``budget``.  Frozen, so shared by
    the whole session.
    """
    return build_complete_problem()


@pytest.fixture(scope="session")
def complete_policy() -> bm.Policy:
    """A policy setting every field, for :func:`complete_problem`.

    Non-default weights, bonuses, speed and circuity; the seeker-buddy
    switch on; a budget that binds; a fixed start date; a tier fee changed
    and a tier of its own (``mentoring``).
    """
    return build_complete_policy()


@pytest.fixture(scope="session")
def complete_result(
    complete_problem: bm.Problem, complete_policy: bm.Policy
) -> bm.Result:
    """The verified, deterministic proposal for the complete problem."""
    return solve_verified(
        complete_problem, complete_policy, deterministic=True
    )
