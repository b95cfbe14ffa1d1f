"""Hypothesis strategies for valid buddymatch inputs.

``problems()`` draws whole valid :class:`~buddymatch.model.Problem` objects
(2-15 trusts sharing 0-3 culture dimensions and 1-4 expertise areas; needs;
consistent relations of every kind; pair overrides; an optional travel
matrix), with names and notes full of what CSV files and spreadsheets find
hard: commas, quotes, line breaks, formula starts, non-ASCII.
``policies()`` draws valid :class:`~buddymatch.model.Policy` objects.

Needs come grouped by seeker in trust order, the order a trusts CSV can
express, so a problem survives a CSV round trip unchanged.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import strategies as st

import buddymatch as bm
from buddymatch.model import (
    DEFAULT_TIER_NAMES,
    RELATION_KINDS,
    TRUST_KINDS,
)

_ALNUM = "ABRXYZabxyz0189"
#: Ids, area and dimension names: valid, short, sometimes odd ("0", "a.-").
#: (Built from two parts rather than from_regex, which draws far slower.)
ids = st.builds(
    str.__add__,
    st.sampled_from(_ALNUM),
    st.text(st.sampled_from(_ALNUM + "_.-"), max_size=7),
)

# Arbitrary text (no NUL, which readers refuse as binary data, and no lone
# surrogates, which cannot be written as UTF-8) around the characters that
# break naive CSV or spreadsheet handling.  Built from a few draws, as a
# text over a mixed alphabet draws ten times slower.
_plain = st.text(
    st.characters(codec="utf-8", exclude_characters="\x00"), max_size=10
)
_STARTS = ("", "", "=", "+", "-", "@", "'", " ", "\t")
_MIDDLES = (
    "",
    ",",
    '"',
    '""',
    "\n",
    "\r",
    "\r\n",
    ";",
    ":",
    "é",
    "中",
    "\u00a0",
)


def texts(max_size: int) -> st.SearchStrategy[str]:
    """Return a strategy for awkward text of up to *max_size* characters."""
    return st.builds(
        lambda start, head, middle, tail: (start + head + middle + tail)[
            :max_size
        ],
        st.sampled_from(_STARTS),
        _plain,
        st.sampled_from(_MIDDLES),
        _plain,
    )


def optional_texts(max_size: int) -> st.SearchStrategy[str | None]:
    """Text with something in it, or None (an empty cell means None)."""
    return st.one_of(
        st.none(),
        texts(max_size).map(lambda text: text if text.strip() else None),
    )


# Strategies are built once: Hypothesis validates every new strategy
# object, which costs more than drawing from it.
_lat = st.floats(-90.0, 90.0, allow_nan=False)
_lon = st.floats(-180.0, 180.0, allow_nan=False)
_culture_score = st.floats(0.0, 10.0, allow_nan=False)
_level = st.integers(0, 5)
_kind = st.sampled_from(TRUST_KINDS)
_name = texts(24)
_region = optional_texts(12)
_note = optional_texts(24)
_capacity = st.integers(0, 10)
_max_partners = st.none() | st.integers(0, 5)
_small = st.integers(1, 3)
_score = st.none() | st.floats(allow_nan=False, allow_infinity=False)
_workload = st.none() | st.integers(0, 10)
_minutes = st.floats(0.0, 1e4, allow_nan=False)
_relation_kind = st.sampled_from(RELATION_KINDS)


# The parts of a problem are drawn by plain functions taking ``draw``: a
# composite strategy called per trust would be a new strategy object each
# time, and validating those dominates the cost.


def _draw_trust(
    draw: st.DrawFn, trust_id: str, dims: list[str], areas: list[str]
) -> bm.Trust:
    return bm.Trust(
        id=trust_id,
        name=draw(_name),
        kind=draw(_kind),
        lat=draw(_lat),
        lon=draw(_lon),
        region=draw(_region),
        culture={dim: draw(_culture_score) for dim in dims},
        expertise={area: draw(_level) for area in areas},
        capacity=draw(_capacity),
        max_partners=draw(_max_partners),
    )


@st.composite
def trusts(
    draw: st.DrawFn, trust_id: str, dims: list[str], areas: list[str]
) -> bm.Trust:
    """Draw one trust with the given culture dimensions and areas."""
    return _draw_trust(draw, trust_id, dims, areas)


def _draw_needs(
    draw: st.DrawFn,
    trust_ids: list[str],
    areas: list[str],
    tiers: tuple[str, ...],
) -> list[bm.Need]:
    """Needs for some trusts, grouped by seeker in trust order."""
    area_sets = st.lists(st.sampled_from(areas), unique=True, max_size=3)
    tier = st.sampled_from(tiers)
    needs: list[bm.Need] = []
    for seeker in trust_ids:
        if not draw(st.booleans()):
            continue
        needs.extend(
            bm.Need(
                seeker=seeker,
                area=area,
                tier=draw(tier),
                buddies=draw(_small),
                priority=draw(_small),
            )
            for area in draw(area_sets)
        )
    return needs


def _draw_relations(
    draw: st.DrawFn, trust_ids: list[str], needs: list[bm.Need]
) -> list[bm.Relation]:
    """Relations of every kind, consistent with the needs."""
    seekers = list(dict.fromkeys(n.seeker for n in needs))
    areas_of: dict[str, list[str]] = {}
    for need in needs:
        areas_of.setdefault(need.seeker, []).append(need.area)
    relations: list[bm.Relation] = []
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(_relation_kind)
        if kind == "pinned" and not seekers:
            continue
        a = draw(st.sampled_from(seekers if kind == "pinned" else trust_ids))
        b = draw(st.sampled_from([t for t in trust_ids if t != a]))
        area = None
        if kind == "pinned":
            area = draw(st.none() | st.sampled_from(areas_of[a]))
        relations.append(
            bm.Relation(a=a, b=b, kind=kind, area=area, note=draw(_note))
        )
    # A pin that contradicts a veto is invalid: drop such pins.
    vetoes = {(r.a, r.b) for r in relations if r.kind == "veto"}
    return [
        r
        for r in relations
        if not (r.kind == "pinned" and (r.a, r.b) in vetoes)
    ]


def _draw_overrides(
    draw: st.DrawFn, trust_ids: list[str], needs: list[bm.Need]
) -> list[bm.PairOverride]:
    """Overrides of (need, buddy) pairs, one per pair."""
    if not needs:
        return []
    overrides: dict[tuple[str, str, str], bm.PairOverride] = {}
    for _ in range(draw(st.integers(0, 4))):
        need = draw(st.sampled_from(needs))
        buddies = [t for t in trust_ids if t != need.seeker]
        buddy = draw(st.sampled_from(buddies))
        overrides[(need.seeker, need.area, buddy)] = bm.PairOverride(
            seeker=need.seeker,
            area=need.area,
            buddy=buddy,
            score=draw(_score),
            workload=draw(_workload),
        )
    return list(overrides.values())


def _draw_travel(
    draw: st.DrawFn, trust_ids: list[str]
) -> tuple[bm.TravelTime, ...] | None:
    """No matrix, or one with some (origin, destination) entries."""
    if draw(st.booleans()):
        return None
    ends = st.sampled_from(trust_ids)
    pairs = draw(st.lists(st.tuples(ends, ends), unique=True, max_size=6))
    return tuple(
        bm.TravelTime(
            origin=origin, destination=destination, minutes=draw(_minutes)
        )
        for origin, destination in pairs
    )


@st.composite
def problems(
    draw: st.DrawFn,
    min_trusts: int = 2,
    max_trusts: int = 15,
    tiers: tuple[str, ...] = DEFAULT_TIER_NAMES,
) -> bm.Problem:
    """Draw a valid problem.

    Parameters
    ----------
    min_trusts, max_trusts
        How many trusts (2-15 by default).
    tiers
        Tier names the needs may use.
    """
    n = draw(st.integers(min_trusts, max_trusts))
    trust_ids = draw(st.lists(ids, min_size=n, max_size=n, unique=True))
    dims = draw(st.lists(ids, max_size=3, unique=True))
    areas = draw(st.lists(ids, min_size=1, max_size=4, unique=True))
    trust_list = [_draw_trust(draw, tid, dims, areas) for tid in trust_ids]
    needs = _draw_needs(draw, trust_ids, areas, tiers)
    return bm.Problem(
        trusts=tuple(trust_list),
        needs=tuple(needs),
        relations=tuple(_draw_relations(draw, trust_ids, needs)),
        overrides=tuple(_draw_overrides(draw, trust_ids, needs)),
        travel=_draw_travel(draw, trust_ids),
    )


@st.composite
def policies(draw: st.DrawFn) -> bm.Policy:
    """Draw a valid policy: some keys changed, limits sometimes off."""
    min_travel = draw(st.floats(0.0, 120.0, allow_nan=False))
    max_travel = draw(
        st.none() | st.floats(min_travel, 600.0, allow_nan=False)
    )
    tiers = {
        name: bm.Tier(
            workload=draw(st.integers(0, 10)),
            months=draw(st.integers(1, 36)),
            fee=draw(st.floats(0.0, 1e6, allow_nan=False)),
        )
        for name in draw(
            st.lists(
                st.sampled_from([*DEFAULT_TIER_NAMES, "mentoring"]),
                unique=True,
                max_size=2,
            )
        )
    }
    return bm.Policy(
        min_expertise=draw(st.integers(0, 5)),
        require_stronger_than_seeker=draw(st.booleans()),
        min_culture_fit=draw(st.floats(0.0, 1.0, allow_nan=False)),
        min_travel_minutes=min_travel,
        max_travel_minutes=max_travel,
        speed_kmh=draw(st.floats(1.0, 1000.0, allow_nan=False)),
        max_partners=draw(st.none() | st.integers(0, 10)),
        max_buddies_per_seeker=draw(st.none() | st.integers(0, 10)),
        seekers_can_buddy=draw(st.booleans()),
        weight_travel=draw(st.floats(0.0, 1e4, allow_nan=False)),
        keep_ongoing=draw(st.sampled_from(["pinned", "soft"])),
        budget=draw(st.none() | st.floats(0.0, 1e9, allow_nan=False)),
        start_date=draw(
            st.none() | st.dates(dt.date(2000, 1, 1), dt.date(2100, 1, 1))
        ),
        tiers=tiers,
    )
