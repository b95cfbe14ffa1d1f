"""Realistic synthetic buddying problems, for benchmarks, tests and demos.

[`generate`][buddymatch.synth.generate] builds a
[`Problem`][buddymatch.model.Problem] that looks like
the NHS in England: trusts sit at real towns (`buddymatch.places`), the
mix of trust kinds is the NHS's, each kind runs the services it really runs
(a mental health trust has no maternity unit), buddies are strong and
seekers weak, culture scores look like NHS Staff Survey theme scores, and
the buddies' total capacity falls short of the demand so that not every
need can be met.  [`preset`][buddymatch.synth.preset] names the benchmark
sizes.

Everything is drawn from one ``numpy.random.Generator`` seeded by ``seed``,
so a seed always gives the same problem.  The work over trusts and pairs of
trusts is vectorised with numpy: drawing a problem of 6,000 trusts takes a
fraction of a second, and building the Pydantic objects about as long again
(plus whatever whole-problem validation costs).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from buddymatch.model import DEFAULT_TIERS, Need, Problem, Relation, Trust
from buddymatch.places import PLACES, REGIONS, TEACHING_TOWNS

#: Improvement areas, in the order [`generate`][buddymatch.synth.generate]
#: takes them; the first
#: eight are the ones the 2014 review's trusts most often needed help with.
AREAS: tuple[str, ...] = (
    "quality_safety",
    "governance",
    "finance",
    "leadership_culture",
    "maternity",
    "paediatrics",
    "urgent_care",
    "workforce",
    "mental_health_services",
    "elective_recovery",
    "infection_control",
    "digital",
)

#: Culture dimensions, after the NHS Staff Survey's People Promise themes.
CULTURE_DIMENSIONS: tuple[str, ...] = (
    "compassion",
    "voice",
    "learning",
    "teamwork",
    "recognition",
    "safety",
    "flexibility",
    "engagement",
    "morale",
)

#: Share of each kind of trust, roughly that of NHS trusts in England.
KIND_MIX: dict[str, float] = {
    "acute": 0.50,
    "acute_teaching": 0.10,
    "mental_health": 0.20,
    "community": 0.10,
    "ambulance": 0.05,
    "specialist": 0.05,
}

#: Share of needs per tier (light mentoring is the common case).
TIER_MIX: dict[str, float] = {
    "light": 0.50,
    "programme": 0.35,
    "intensive": 0.15,
}

#: Benchmark sizes: seekers, needs per seeker and buddies, plus options.
PRESETS: dict[str, dict[str, Any]] = {
    # One region only, so that a handful of trusts still has neighbours
    # within the travel window.
    "tiny": {
        "n_seekers": 3,
        "needs_per_seeker": 2,
        "n_buddies": 20,
        "regions": ("Midlands",),
    },
    # About the size of the NHS provider sector with a special-measures
    # cohort like the review's.
    "nhs": {"n_seekers": 15, "needs_per_seeker": 4, "n_buddies": 230},
    "national": {"n_seekers": 200, "needs_per_seeker": 5, "n_buddies": 1000},
    "programme": {"n_seekers": 3000, "needs_per_seeker": 3, "n_buddies": 3000},
}

# Services each kind does NOT run (expertise 0).  Specialist trusts run
# maternity or paediatrics only as a women's or children's hospital, and
# some community trusts also run mental health services.
_NOT_RUN: dict[str, frozenset[str]] = {
    "acute": frozenset({"mental_health_services"}),
    "acute_teaching": frozenset({"mental_health_services"}),
    "mental_health": frozenset(
        {"maternity", "paediatrics", "urgent_care", "elective_recovery"}
    ),
    "community": frozenset(
        {"maternity", "elective_recovery", "mental_health_services"}
    ),
    "ambulance": frozenset(
        {
            "maternity",
            "paediatrics",
            "mental_health_services",
            "elective_recovery",
        }
    ),
    "specialist": frozenset(
        {"maternity", "paediatrics", "urgent_care", "mental_health_services"}
    ),
}
_COMMUNITY_MH_SHARE = 0.3

# Specialist trusts by what they specialise in; the first two run the
# service named (women's: maternity, children's: paediatrics).
_SPECIALISMS: tuple[str, ...] = (
    "Women's Hospital",
    "Children's Hospital",
    "Heart and Chest Hospital",
    "Orthopaedic Hospital",
    "Cancer Centre",
    "Eye Hospital",
)

# Words for a trust's name, by kind; the k-th trust of one kind in one town
# takes the k-th variant, then a compass prefix, so names rarely repeat.
_NAME_WORDS: dict[str, tuple[str, ...]] = {
    "acute": (
        "Hospitals",
        "General Hospital",
        "Royal Infirmary",
        "Hospital",
        "Healthcare",
    ),
    "acute_teaching": ("Teaching Hospitals", "University Hospitals"),
    "mental_health": (
        "Mental Health",
        "Health and Care Partnership",
        "Partnership",
        "Care",
    ),
    "community": (
        "Community Health",
        "Community Healthcare",
        "Community Services",
    ),
    "ambulance": ("Ambulance Service",),
}
_NAME_PREFIXES: tuple[str, ...] = (
    "",
    "North ",
    "South ",
    "East ",
    "West ",
    "Central ",
    "Greater ",
    "Royal ",
)

# How often seekers need help in each area (weights, not probabilities):
# quality, governance and leadership failings dominated the review's cases.
_NEED_WEIGHTS: dict[str, float] = {
    "quality_safety": 3.0,
    "governance": 2.5,
    "finance": 2.0,
    "leadership_culture": 2.5,
    "maternity": 2.0,
    "paediatrics": 1.0,
    "urgent_care": 1.5,
    "workforce": 1.5,
    "mental_health_services": 1.5,
    "elective_recovery": 1.5,
    "infection_control": 1.0,
    "digital": 0.7,
}

# Relative willingness to offer capacity as a buddy, by kind.
_OFFER_WEIGHTS: dict[str, float] = {
    "acute": 1.0,
    "acute_teaching": 2.0,
    "mental_health": 0.8,
    "community": 0.7,
    "ambulance": 0.5,
    "specialist": 1.0,
}

_EARTH_RADIUS_KM = 6371.0088
# England's bounding box; jittered sites are kept inside it.
_LAT_RANGE = (49.9, 55.9)
_LON_RANGE = (-5.8, 1.8)
# Sites are jittered around their town so that trusts of one town differ.
_JITTER_SD_KM = 2.0
_JITTER_MAX_KM = 4.0
# Straight-line distances that sit inside the default travel window
# (30-150 minutes at 60 km/h x 1.3 circuity is 23.1-115.4 km), with a margin.
_WINDOW_KM = (25.0, 110.0)
_COMPETITOR_KM = 45.0
_TERTIARY_KM = 80.0
# A buddy offering capacity offers 2.5 units on average, 1-6 as a rule.
_MEAN_OFFER = 2.5
_MAX_OFFER = 6
_PLAUSIBLE_EXPERTISE = 3
# Relations pick partners from at most this many trusts at a time: plenty
# to find a nearby one, and it keeps the distance work small.
_MAX_TRIED = 1024

_FloatArray = npt.NDArray[np.float64]
_IntArray = npt.NDArray[np.int64]
_BoolArray = npt.NDArray[np.bool_]


def generate(
    n_seekers: int,
    needs_per_seeker: int | tuple[int, int],
    n_buddies: int,
    *,
    seed: int = 0,
    n_areas: int = 10,
    capacity_ratio: float = 0.8,
    culture_dims: int = 4,
    relation_density: float = 0.03,
    partner_rate: float = 0.2,
    veto_rate: float = 0.05,
    pins: int = 0,
    regions: Sequence[str] | None = None,
) -> Problem:
    """Return a realistic synthetic problem, the same for the same seed.

    Parameters
    ----------
    n_seekers
        Trusts that need help (capacity 0, low expertise).
    needs_per_seeker
        Needs of each seeker: a number, or an inclusive ``(low, high)``
        range drawn uniformly per seeker.  Each need is in a different area
        the seeker runs.
    n_buddies
        Trusts without needs: the pool buddies come from.  As many of them
        offer capacity (1-6 units each) as the capacity target needs; the
        others have capacity 0 this round.
    seed
        Seed of the ``numpy.random.Generator`` every draw comes from.
    n_areas
        How many of `AREAS` to use (the first ``n_areas``).
    capacity_ratio
        Total capacity offered, as a share of the total demand (the sum over
        needs of tier workload x buddies).  Below 1, not everything fits.
        When the pool is too small to reach it with at most 6 units per
        buddy, capacities go above 6.
    culture_dims
        How many of `CULTURE_DIMENSIONS` to score (0 = no culture).
    relation_density
        Competitor pairs per trust (nearby acute trusts); tertiary pairs
        (a teaching or specialist trust and an acute or community trust it
        takes referrals from) are half as many.
    partner_rate
        Share of seekers with a ``prior`` relationship with a buddy, and
        (drawn separately) share with a ``preferred`` buddy.
    veto_rate
        Share of seekers that veto one buddy.
    pins
        Up to this many ``pinned`` (seeker, buddy, area) assignments, each
        one that the default policy allows (expertise, travel window,
        capacity; no competing relation), one per seeker and per buddy.
    regions
        Restrict places to these NHS England regions (default: all).

    Returns
    -------
    Problem
        Trusts ordered by id, needs by seeker then area, and relations
        (competitor, tertiary, prior, preferred, veto, pinned).

    Raises
    ------
    ValueError
        If a size or rate is out of range, or a region is unknown.
    """
    low, high = _need_range(needs_per_seeker)
    _check_arguments(
        n_seekers,
        n_buddies,
        low,
        high,
        n_areas,
        capacity_ratio,
        culture_dims,
        relation_density,
        partner_rate,
        veto_rate,
        pins,
        regions,
    )
    rng = np.random.default_rng(seed)
    n_trusts = n_seekers + n_buddies
    areas = AREAS[:n_areas]
    is_seeker = np.zeros(n_trusts, dtype=bool)
    is_seeker[:n_seekers] = True

    kind_names = np.array(list(KIND_MIX))
    kind_of = rng.choice(
        len(kind_names), size=n_trusts, p=list(KIND_MIX.values())
    )
    specialism = rng.integers(len(_SPECIALISMS), size=n_trusts)
    community_mh = rng.random(n_trusts) < _COMMUNITY_MH_SHARE
    n_needs = rng.integers(low, high + 1, size=n_seekers)
    # A seeker must run every area it needs help in; one whose kind runs
    # too few of them becomes an acute trust, which runs nearly all.
    runs = _services(kind_names, kind_of, specialism, community_mh, areas)
    too_few = runs[:n_seekers].sum(axis=1) < n_needs
    kind_of[:n_seekers][too_few] = list(KIND_MIX).index("acute")
    runs = _services(kind_names, kind_of, specialism, community_mh, areas)
    kind = kind_names[kind_of]

    lat, lon, town = _sites(rng, kind, regions)
    expertise = _expertise(rng, kind, runs, is_seeker)
    need_area = _need_areas(rng, runs[:n_seekers], n_needs, areas)
    # Seekers are weak where they ask for help: level 1 or 2.
    seeker_levels = expertise[:n_seekers]
    seeker_levels[need_area] = np.minimum(seeker_levels[need_area], 2)
    culture = _culture(rng, n_trusts, culture_dims, is_seeker)

    tier_names = list(TIER_MIX)
    n_need_rows = int(need_area.sum())
    tier = rng.choice(
        len(tier_names), size=n_need_rows, p=list(TIER_MIX.values())
    )
    buddies = np.where(rng.random(n_need_rows) < 0.1, 2, 1)
    priority = rng.choice([1, 2, 3], size=n_need_rows, p=[0.25, 0.5, 0.25])
    workload = np.array([DEFAULT_TIERS[name].workload for name in tier_names])[
        tier
    ]
    demand = int((workload * buddies).sum())

    capacity, max_partners = _capacities(
        rng, kind, is_seeker, round(capacity_ratio * demand)
    )
    ids = _ids(rng, n_trusts)
    names = _names(rng, kind, specialism, town, is_seeker)

    seeker_of_need, area_of_need = np.nonzero(need_area)
    relations = _relations(
        rng,
        lat=lat,
        lon=lon,
        kind=kind,
        capacity=capacity,
        n_seekers=n_seekers,
        need_area=need_area,
        expertise=expertise,
        relation_density=relation_density,
        partner_rate=partner_rate,
        veto_rate=veto_rate,
    )
    pin_rows = _pins(
        rng,
        pins,
        lat=lat,
        lon=lon,
        capacity=capacity,
        expertise=expertise,
        seeker_of_need=seeker_of_need,
        area_of_need=area_of_need,
        workload=workload,
        relations=relations,
    )

    trusts = _trusts(
        ids,
        names,
        kind,
        lat,
        lon,
        town,
        capacity,
        max_partners,
        expertise,
        culture,
        areas,
        culture_dims,
    )
    needs = [
        Need(
            seeker=ids[s],
            area=areas[a],
            tier=tier_names[t],
            buddies=b,
            priority=p,
        )
        for s, a, t, b, p in zip(
            seeker_of_need.tolist(),
            area_of_need.tolist(),
            tier.tolist(),
            buddies.tolist(),
            priority.tolist(),
            strict=True,
        )
    ]
    rels = [
        Relation(a=ids[a], b=ids[b], kind=rel_kind)
        for a, b, rel_kind in relations
    ] + [
        Relation(a=ids[s], b=ids[b], kind="pinned", area=areas[a])
        for s, b, a in pin_rows
    ]
    order = np.argsort(np.array(ids), kind="stable")
    trusts = [trusts[i] for i in order.tolist()]
    # Needs sorted by seeker id then area order, relations by kind order.
    need_order = sorted(
        range(len(needs)),
        key=lambda i: (ids[int(seeker_of_need[i])], int(area_of_need[i])),
    )
    return Problem(
        trusts=tuple(trusts),
        needs=tuple(needs[i] for i in need_order),
        relations=tuple(rels),
    )


def preset(name: str, seed: int = 0) -> Problem:
    """Return the benchmark problem called *name* (see `PRESETS`).

    Parameters
    ----------
    name
        ``tiny`` (3 seekers x 2 needs, 20 buddies, Midlands only), ``nhs``
        (15 x 4, 230), ``national`` (200 x 5, 1,000) or ``programme``
        (3,000 x 3, 3,000).
    seed
        Seed passed to [`generate`][buddymatch.synth.generate].

    Returns
    -------
    Problem
        The generated problem.

    Raises
    ------
    ValueError
        If *name* is not a preset.
    """
    try:
        options = PRESETS[name]
    except KeyError:
        raise ValueError(
            f"unknown preset {name!r}; expected one of {', '.join(PRESETS)}"
        ) from None
    return generate(**options, seed=seed)


# -- argument checks ---------------------------------------------------------


def _need_range(needs_per_seeker: int | tuple[int, int]) -> tuple[int, int]:
    if isinstance(needs_per_seeker, tuple):
        low, high = needs_per_seeker
    else:
        low = high = needs_per_seeker
    return int(low), int(high)


def _check_arguments(
    n_seekers: int,
    n_buddies: int,
    low: int,
    high: int,
    n_areas: int,
    capacity_ratio: float,
    culture_dims: int,
    relation_density: float,
    partner_rate: float,
    veto_rate: float,
    pins: int,
    regions: Sequence[str] | None,
) -> None:
    if n_seekers < 0 or n_buddies < 0 or n_seekers + n_buddies == 0:
        raise ValueError(
            "n_seekers and n_buddies must be non-negative and not both 0"
        )
    if not 1 <= n_areas <= len(AREAS):
        raise ValueError(f"n_areas must be 1-{len(AREAS)}, not {n_areas}")
    # Acute trusts run every area but mental health services.
    most = n_areas - ("mental_health_services" in AREAS[:n_areas])
    if not 1 <= low <= high <= most:
        raise ValueError(
            f"needs_per_seeker must be 1-{most} with {n_areas} areas "
            f"(low <= high), not {low}-{high}"
        )
    if not 0 <= culture_dims <= len(CULTURE_DIMENSIONS):
        raise ValueError(
            f"culture_dims must be 0-{len(CULTURE_DIMENSIONS)}, not "
            f"{culture_dims}"
        )
    if not (math.isfinite(capacity_ratio) and capacity_ratio >= 0):
        raise ValueError("capacity_ratio must be a non-negative number")
    if not (math.isfinite(relation_density) and relation_density >= 0):
        raise ValueError("relation_density must be a non-negative number")
    for label, rate in (
        ("partner_rate", partner_rate),
        ("veto_rate", veto_rate),
    ):
        if not 0 <= rate <= 1:
            raise ValueError(f"{label} must be 0-1, not {rate}")
    if pins < 0:
        raise ValueError(f"pins must be non-negative, not {pins}")
    unknown = [r for r in regions or () if r not in REGIONS]
    if unknown:
        raise ValueError(
            f"unknown region(s) {unknown}; expected some of {list(REGIONS)}"
        )


# -- trusts ------------------------------------------------------------------


def _services(
    kinds: npt.NDArray[np.str_],
    kind: _IntArray,
    specialism: _IntArray,
    community_mh: _BoolArray,
    areas: tuple[str, ...],
) -> _BoolArray:
    """Return trusts x areas: does the trust run the service at all."""
    runs = np.ones((kind.size, len(areas)), dtype=bool)
    for k, kind_name in enumerate(kinds.tolist()):
        of_kind = kind == k
        for a, area in enumerate(areas):
            if area in _NOT_RUN[kind_name]:
                runs[of_kind, a] = False
    specialist = kinds[kind] == "specialist"
    community = kinds[kind] == "community"
    for a, area in enumerate(areas):
        if area == "maternity":
            runs[specialist & (specialism == 0), a] = True
        elif area == "paediatrics":
            runs[specialist & (specialism == 1), a] = True
        elif area == "mental_health_services":
            runs[community & community_mh, a] = True
    return runs


def _sites(
    rng: np.random.Generator,
    kind: npt.NDArray[np.str_],
    regions: Sequence[str] | None,
) -> tuple[_FloatArray, _FloatArray, _IntArray]:
    """Return latitude, longitude and town index of every trust."""
    n_trusts = kind.size
    wanted = set(regions) if regions else set(REGIONS)
    towns = np.array(
        [i for i, place in enumerate(PLACES) if place.region in wanted],
        dtype=np.int64,
    )
    # Deal towns out like cards (every town once, then again, ...) so that
    # trusts spread as evenly as the table: a small problem never piles
    # several trusts into one small town.
    rounds = -(-n_trusts // towns.size)
    town = np.concatenate([rng.permutation(towns) for _ in range(rounds)])[
        :n_trusts
    ]
    # Teaching and specialist trusts sit in university towns, when the
    # regions have any.
    teaching = towns[[PLACES[i].name in TEACHING_TOWNS for i in towns]]
    in_city = np.isin(kind, ["acute_teaching", "specialist"])
    if teaching.size:
        town[in_city] = teaching[
            rng.integers(teaching.size, size=int(in_city.sum()))
        ]
    base_lat = np.array([p.lat for p in PLACES])[town]
    base_lon = np.array([p.lon for p in PLACES])[town]
    offset = rng.normal(0.0, _JITTER_SD_KM, size=(n_trusts, 2))
    length = np.hypot(offset[:, 0], offset[:, 1])
    offset *= np.minimum(1.0, _JITTER_MAX_KM / np.maximum(length, 1e-9))[
        :, None
    ]
    km_per_deg = math.pi * _EARTH_RADIUS_KM / 180.0
    lat = base_lat + offset[:, 0] / km_per_deg
    lon = base_lon + offset[:, 1] / (km_per_deg * np.cos(np.radians(base_lat)))
    # Rounding to 4 decimals (about 10 m) keeps CSV round trips exact.
    lat = np.clip(lat, *_LAT_RANGE).round(4)
    lon = np.clip(lon, *_LON_RANGE).round(4)
    return lat, lon, town


def _expertise(
    rng: np.random.Generator,
    kind: npt.NDArray[np.str_],
    runs: _BoolArray,
    is_seeker: _BoolArray,
) -> _IntArray:
    """Return trusts x areas expertise levels, 0 where not run."""
    n_trusts, n_areas = runs.shape
    # Buddies are strong overall with a few flagship areas; teaching and
    # specialist trusts stronger still.  Seekers are weak across the board.
    bonus = np.select(
        [kind == "acute_teaching", kind == "specialist"], [0.6, 0.4], 0.0
    )
    strength = np.where(
        is_seeker,
        rng.normal(1.8, 0.4, size=n_trusts),
        rng.normal(2.8, 0.5, size=n_trusts) + bonus,
    )
    noise = rng.normal(0.0, 0.75, size=(n_trusts, n_areas))
    flagship_key = rng.random((n_trusts, n_areas))
    flagship_key[~runs] = -1.0
    n_flagship = min(2, n_areas)
    flagship_cut = -np.sort(-flagship_key, axis=1)[:, n_flagship - 1]
    flagship = (flagship_key >= flagship_cut[:, None]) & runs
    flagship &= ~is_seeker[:, None]
    raw = strength[:, None] + noise + 1.2 * flagship
    top = np.where(is_seeker, 4, 5)[:, None]
    levels = np.clip(np.rint(raw), 1, top).astype(np.int64)
    return np.where(runs, levels, 0)


def _need_areas(
    rng: np.random.Generator,
    runs: _BoolArray,
    n_needs: _IntArray,
    areas: tuple[str, ...],
) -> _BoolArray:
    """Return seekers x areas: does the seeker need help in the area."""
    weights = np.array([_NEED_WEIGHTS[a] for a in areas])
    # Weighted sampling without replacement (Efraimidis-Spirakis): the
    # areas with the largest u ** (1 / w) win.
    key = rng.random(runs.shape) ** (1.0 / weights)
    key[~runs] = -1.0
    rank = np.argsort(np.argsort(-key, axis=1, kind="stable"), axis=1)
    return (rank < n_needs[:, None]) & runs


def _culture(
    rng: np.random.Generator,
    n_trusts: int,
    culture_dims: int,
    is_seeker: _BoolArray,
) -> _FloatArray:
    """Return trusts x dimensions culture scores, 0-10 with one decimal."""
    # A trust-wide effect plus a per-theme one, like Staff Survey theme
    # scores (mean about 6.5, sd about 0.8); trusts in difficulty score
    # lower.
    overall = rng.normal(0.0, 0.6, size=n_trusts) - 0.4 * is_seeker
    themes = rng.normal(0.0, 0.5, size=(n_trusts, culture_dims))
    scores = 6.5 + overall[:, None] + themes
    return np.clip(scores, 0.0, 10.0).round(1)


def _capacities(
    rng: np.random.Generator,
    kind: npt.NDArray[np.str_],
    is_seeker: _BoolArray,
    target: int,
) -> tuple[_IntArray, list[int | None]]:
    """Return capacity and own max_partners of every trust.

    Capacity adds up to *target*, spread over as many buddies as give a
    mean of about 2.5 units, each 1-6 (more only if the pool is too small).
    """
    n_trusts = kind.size
    capacity = np.zeros(n_trusts, dtype=np.int64)
    max_partners: list[int | None] = [None] * n_trusts
    pool = np.flatnonzero(~is_seeker)
    if target <= 0 or pool.size == 0:
        return capacity, max_partners
    n_offering = min(pool.size, math.ceil(target / _MEAN_OFFER))
    willing = np.array([_OFFER_WEIGHTS[k] for k in kind[pool].tolist()])
    willing = willing * rng.lognormal(0.0, 0.5, size=pool.size)
    offering = rng.choice(
        pool, size=n_offering, replace=False, p=willing / willing.sum()
    )
    most = max(_MAX_OFFER, math.ceil(target / n_offering))
    target = min(target, most * n_offering)
    share = rng.lognormal(0.0, 0.6, size=n_offering)
    units = _spread(target, share, most)
    capacity[offering] = units
    # A few large buddies cap how many seekers they take on themselves.
    own_cap = (units >= 3) & (rng.random(n_offering) < 0.1)
    for i in offering[own_cap].tolist():
        max_partners[i] = 2
    return capacity, max_partners


def _spread(total: int, share: _FloatArray, most: int) -> _IntArray:
    """Split *total* units, at least 1 and at most *most* each, by share.

    Assumes ``len(share) <= total <= most * len(share)``.
    """
    units = np.ones(share.size, dtype=np.int64)
    left = total - share.size
    while left > 0:
        room = most - units
        weight = np.where(room > 0, share, 0.0)
        extra = np.minimum(
            np.floor(left * weight / weight.sum()).astype(np.int64), room
        )
        if extra.sum() == 0:
            # Fewer units left than takers: one each to the largest shares.
            takers = np.argsort(-weight, kind="stable")[:left]
            extra = np.zeros_like(units)
            extra[takers] = 1
            extra = np.minimum(extra, room)
        units += extra
        left -= int(extra.sum())
    return units


def _ids(rng: np.random.Generator, n_trusts: int) -> list[str]:
    """Return unique ODS-like ids: ``R``, two letters, one or more digits."""
    digits = 1
    while 26 * 26 * 10**digits < n_trusts:
        digits += 1
    codes = rng.choice(26 * 26 * 10**digits, size=n_trusts, replace=False)
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    ids = []
    for code in codes.tolist():
        pair, number = divmod(code, 10**digits)
        first, second = divmod(pair, 26)
        ids.append(f"R{letters[first]}{letters[second]}{number:0{digits}d}")
    return ids


def _names(
    rng: np.random.Generator,
    kind: npt.NDArray[np.str_],
    specialism: _IntArray,
    town: _IntArray,
    is_seeker: _BoolArray,
) -> list[str]:
    """Return fictional trust names built from the town and the kind."""
    # Most buddies are foundation trusts; trusts in difficulty rarely are.
    foundation = rng.random(kind.size) < np.where(is_seeker, 0.3, 0.6)
    seen: dict[tuple[int, str], int] = {}
    names = []
    for i, (kind_name, town_i) in enumerate(
        zip(kind.tolist(), town.tolist(), strict=True)
    ):
        if kind_name == "specialist":
            words: tuple[str, ...] = (_SPECIALISMS[int(specialism[i])],)
        else:
            words = _NAME_WORDS[kind_name]
        key = (town_i, words[0])
        nth = seen.get(key, 0)
        seen[key] = nth + 1
        prefix = _NAME_PREFIXES[(nth // len(words)) % len(_NAME_PREFIXES)]
        suffix = "NHS Foundation Trust" if foundation[i] else "NHS Trust"
        names.append(
            f"{prefix}{PLACES[town_i].name} {words[nth % len(words)]} {suffix}"
        )
    return names


def _trusts(
    ids: list[str],
    names: list[str],
    kind: npt.NDArray[np.str_],
    lat: _FloatArray,
    lon: _FloatArray,
    town: _IntArray,
    capacity: _IntArray,
    max_partners: list[int | None],
    expertise: _IntArray,
    culture: _FloatArray,
    areas: tuple[str, ...],
    culture_dims: int,
) -> list[Trust]:
    dims = CULTURE_DIMENSIONS[:culture_dims]
    return [
        Trust(
            id=tid,
            name=name,
            kind=kind_name,
            lat=la,
            lon=lo,
            region=PLACES[t].region,
            culture=dict(zip(dims, scores, strict=True)),
            expertise=dict(zip(areas, levels, strict=True)),
            capacity=cap,
            max_partners=own,
        )
        for tid, name, kind_name, la, lo, t, cap, own, levels, scores in zip(
            ids,
            names,
            kind.tolist(),
            lat.tolist(),
            lon.tolist(),
            town.tolist(),
            capacity.tolist(),
            max_partners,
            expertise.tolist(),
            culture.tolist(),
            strict=True,
        )
    ]


# -- relations ---------------------------------------------------------------


def _km(
    lat1: _FloatArray, lon1: _FloatArray, lat2: _FloatArray, lon2: _FloatArray
) -> _FloatArray:
    """Approximate distance in km, broadcasting like numpy.

    The equirectangular formula is within 0.1% of the great circle over
    England at these distances (under 150 km), which the margins of
    ``_WINDOW_KM`` absorb, and several times cheaper than haversine.
    """
    mid = np.radians((lat1 + lat2) / 2.0)
    north = np.radians(lat2 - lat1)
    east = np.radians(lon2 - lon1) * np.cos(mid)
    result: _FloatArray = _EARTH_RADIUS_KM * np.hypot(north, east)
    return result


def _sample(rng: np.random.Generator, items: _IntArray) -> _IntArray:
    """Return at most ``_MAX_TRIED`` of *items*, in their order."""
    if items.size <= _MAX_TRIED:
        return items
    keep = rng.choice(items.size, size=_MAX_TRIED, replace=False)
    return items[np.sort(keep)]


def _pick(
    rng: np.random.Generator, allowed: _BoolArray
) -> tuple[_IntArray, _BoolArray]:
    """Pick one allowed column per row at random; say which rows had one."""
    key = rng.random(allowed.shape)
    key[~allowed] = -1.0
    if allowed.shape[1] == 0:
        return (
            np.zeros(allowed.shape[0], dtype=np.int64),
            np.zeros(allowed.shape[0], dtype=bool),
        )
    return np.argmax(key, axis=1), key.max(axis=1) >= 0.0


def _near_pairs(
    rng: np.random.Generator,
    lat: _FloatArray,
    lon: _FloatArray,
    anchors: _IntArray,
    partners: _IntArray,
    max_km: float,
    count: int,
) -> list[tuple[int, int]]:
    """Return up to *count* distinct pairs (anchor, partner) within max_km.

    Only a few anchors (three per pair wanted) are tried against a sample
    of partners, so the distance work stays small at any size.
    """
    if count == 0 or anchors.size == 0 or partners.size == 0:
        return []
    tried = rng.choice(
        anchors, size=min(anchors.size, 3 * count), replace=False
    )
    partners = _sample(rng, partners)
    dist = _km(
        lat[tried][:, None],
        lon[tried][:, None],
        lat[partners][None, :],
        lon[partners][None, :],
    )
    allowed = (dist <= max_km) & (tried[:, None] != partners[None, :])
    column, found = _pick(rng, allowed)
    pairs = np.stack([tried[found], partners[column[found]]], axis=1)
    # The same two trusts found from either end count once; the anchor
    # stays first (a tertiary relation names the provider first).
    _, first = np.unique(np.sort(pairs, axis=1), axis=0, return_index=True)
    pairs = pairs[np.sort(first)]
    chosen = pairs[rng.permutation(len(pairs))[:count]]
    return [(int(a), int(b)) for a, b in chosen.tolist()]


def _relations(
    rng: np.random.Generator,
    *,
    lat: _FloatArray,
    lon: _FloatArray,
    kind: npt.NDArray[np.str_],
    capacity: _IntArray,
    n_seekers: int,
    need_area: _BoolArray,
    expertise: _IntArray,
    relation_density: float,
    partner_rate: float,
    veto_rate: float,
) -> list[tuple[int, int, str]]:
    """Return (a, b, kind) relations as trust indices."""
    n_trusts = kind.size
    relations: list[tuple[int, int, str]] = []

    acute = np.flatnonzero(np.isin(kind, ["acute", "acute_teaching"]))
    n_competitor = round(relation_density * n_trusts)
    relations += [
        (a, b, "competitor")
        for a, b in _near_pairs(
            rng, lat, lon, acute, acute, _COMPETITOR_KM, n_competitor
        )
    ]
    providers = np.flatnonzero(np.isin(kind, ["acute_teaching", "specialist"]))
    referrers = np.flatnonzero(np.isin(kind, ["acute", "community"]))
    n_tertiary = round(relation_density / 2 * n_trusts)
    taken = {(min(a, b), max(a, b)) for a, b, _ in relations}
    relations += [
        (a, b, "tertiary")
        for a, b in _near_pairs(
            rng, lat, lon, providers, referrers, _TERTIARY_KM, n_tertiary
        )
        if (min(a, b), max(a, b)) not in taken
    ]

    # Seeker-buddy relations: a plausible buddy in the travel window.
    offering = np.flatnonzero(capacity > 0)
    if offering.size == 0 or n_seekers == 0:
        return relations
    preferred: set[tuple[int, int]] = set()
    for rel_kind, rate in (
        ("prior", partner_rate),
        ("preferred", partner_rate),
        ("veto", veto_rate),
    ):
        chosen = np.flatnonzero(rng.random(n_seekers) < rate)
        buddies = _sample(rng, offering)
        dist = _km(
            lat[chosen][:, None],
            lon[chosen][:, None],
            lat[buddies][None, :],
            lon[buddies][None, :],
        )
        allowed = (dist >= _WINDOW_KM[0]) & (dist <= _WINDOW_KM[1])
        if rel_kind == "preferred":
            # A preferred buddy is expert in one of the seeker's needs.
            expert = expertise[buddies] >= _PLAUSIBLE_EXPERTISE
            allowed &= (
                need_area[chosen].astype(np.int64) @ expert.T.astype(np.int64)
            ) > 0
        column, found = _pick(rng, allowed)
        for s, b in zip(
            chosen[found].tolist(),
            buddies[column[found]].tolist(),
            strict=True,
        ):
            if rel_kind == "preferred":
                preferred.add((s, b))
            elif rel_kind == "veto" and (s, b) in preferred:
                # Vetoing one's preferred buddy would be contradictory.
                continue
            relations.append((s, b, rel_kind))
    return relations


def _pins(
    rng: np.random.Generator,
    pins: int,
    *,
    lat: _FloatArray,
    lon: _FloatArray,
    capacity: _IntArray,
    expertise: _IntArray,
    seeker_of_need: _IntArray,
    area_of_need: _IntArray,
    workload: _IntArray,
    relations: list[tuple[int, int, str]],
) -> list[tuple[int, int, int]]:
    """Return up to *pins* (seeker, buddy, area) pins the defaults allow.

    Each pinned buddy is expert in the area, in the travel window, has the
    capacity for the need's tier and no competitor, tertiary or veto
    relation with the seeker; every seeker and buddy is pinned once at
    most, so the pins hold together.
    """
    if pins == 0:
        return []
    blocked = {
        (a, b)
        for a, b, k in relations
        if k in ("competitor", "tertiary", "veto")
    }
    blocked |= {(b, a) for a, b in blocked}
    used_seekers: set[int] = set()
    used_buddies: set[int] = set()
    chosen: list[tuple[int, int, int]] = []
    for need in rng.permutation(seeker_of_need.size).tolist():
        if len(chosen) == pins:
            break
        seeker = int(seeker_of_need[need])
        area = int(area_of_need[need])
        if seeker in used_seekers:
            continue
        dist = _km(lat[seeker], lon[seeker], lat, lon)
        fits = (
            (capacity >= workload[need])
            & (expertise[:, area] >= _PLAUSIBLE_EXPERTISE)
            & (dist >= _WINDOW_KM[0])
            & (dist <= _WINDOW_KM[1])
        )
        for buddy in rng.permutation(np.flatnonzero(fits)).tolist():
            if buddy not in used_buddies and (seeker, buddy) not in blocked:
                chosen.append((seeker, buddy, area))
                used_seekers.add(seeker)
                used_buddies.add(buddy)
                break
    return chosen
