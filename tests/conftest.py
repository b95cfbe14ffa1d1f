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
            "B1", 51.75, -1.26, capacity=4,
            expertise={"finance": 5, "maternity": 3},
            culture={"openness": 6.5},
        ),
        make_trust(
            "B2", 53.38, -1.47, capacity=2,
            expertise={"finance": 4, "maternity": 5, "governance": 4},
            culture={"openness": 5.0},
        ),
        make_trust(
            "B3", 52.20, 0.12, capacity=3,
            expertise={"maternity": 4, "governance": 5},
            culture={"openness": 7.5},
        ),
        make_trust(
            "B4", 51.45, -2.59, capacity=1,
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
