"""Benchmark instances beyond ``synth.preset``: national-alt and GAP A-D.

Only the benchmarks import this module; every instance is generated at run
time from a fixed seed, so no third-party data ships with the repository.

``national-alt``
    The "other generator" of the scale issue: 200 seekers x 5 needs, 1,000
    buddies, one priority (all needs priority 2, one buddy each), capacity
    3-8 units per buddy, at most 2 partners per buddy and 3 buddies per
    seeker, a travel matrix of 30-180 minutes (uniform per seeker and
    buddy; the policy's window is 30-180 minutes, so travel only scores),
    the default tiers (workloads 1/3/6, 50/35/15 % of needs).  A buddy's
    level in an area is 1-5 with 12 % of levels at 3 or more (the policy's
    floor), so each need has about 120 candidate buddies; the partner
    limits, not the pair rules, decide how many needs can be met.

``gap-<type>-<m>x<n>``
    A generalized assignment problem of Chu & Beasley's (1997) type A, B,
    C or D with *m* agents and *n* jobs, written as a buddying problem:
    each job is a seeker with one need, each agent a buddy whose capacity
    is the agent's, and every (job, agent) pair carries an override with
    workload ``a_ij`` and score ``K - c_ij`` (``K`` = the largest cost plus
    one).  The policy switches every other rule off (no travel window, no
    partner or seeker limit, no partnership cost, no culture), so a
    proposal meeting all *n* needs with quality ``Q`` is a GAP assignment
    of cost ``n K - Q`` and maximising quality minimises cost.  The
    recipes (a_ij, c_ij integer):

    - A: a U(5,25), c U(10,50), b_i = 9 (n/m) + 0.4 max_i sum_{j in J_i}
      a_ij, where J_i are the jobs whose cheapest agent is i;
    - B: a and c as A, b_i = 0.7 x A's;
    - C: a U(5,25), c U(10,50), b_i = 0.8 sum_j a_ij / m;
    - D: a U(1,100), c_ij = 111 - a_ij + e, e U(-10,10),
      b_i = 0.8 sum_j a_ij / m;

    capacities rounded down.  These are *our* draws of the recipes, not the
    OR-Library files gap_a ... gap_d, so the published best-known values do
    not apply; ``gap_reference.py`` computes a reference per instance.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from buddymatch.model import (
    Need,
    PairOverride,
    Policy,
    Problem,
    TravelTime,
    Trust,
)

#: Names of the instances this module makes (besides the GAP pattern).
NATIONAL_ALT = "national-alt"
#: ``gap-<type>-<agents>x<jobs>``, e.g. ``gap-d-10x200``.
GAP_NAME = re.compile(r"^gap-([abcd])-(\d+)x(\d+)$")
#: The GAP instances of the issue's sizes.
GAP_INSTANCES: tuple[str, ...] = tuple(
    f"gap-{kind}-{m}x{n}"
    for kind in "abcd"
    for m, n in (
        (5, 100),
        (5, 200),
        (10, 100),
        (10, 200),
        (20, 100),
        (20, 200),
    )
)

# Share of buddy expertise levels 1..5 in national-alt: 12 % at 3 or more.
_LEVEL_SHARE = (0.45, 0.43, 0.07, 0.035, 0.015)
_TIER_SHARE = {"light": 0.50, "programme": 0.35, "intensive": 0.15}
_AREAS = tuple(f"area{k}" for k in range(10))
_CULTURE = ("compassion", "voice", "learning", "teamwork")
_GAP_AREA = "service"


@dataclass(frozen=True)
class GapData:
    """The numbers of one GAP instance (agents x jobs matrices).

    Attributes
    ----------
    kind
        ``a``, ``b``, ``c`` or ``d``.
    workload, cost
        int ``(m, n)``: ``a_ij`` and ``c_ij``.
    capacity
        int ``(m,)``: ``b_i``.
    offset
        ``K``: a pair's score is ``K - c_ij``.
    """

    kind: str
    workload: np.ndarray
    cost: np.ndarray
    capacity: np.ndarray
    offset: int

    @property
    def jobs(self) -> int:
        """The number of jobs (needs)."""
        return int(self.cost.shape[1])

    def cost_of(self, met: int, quality: float) -> float:
        """Return the GAP cost of a proposal meeting *met* needs."""
        return met * self.offset - quality


@dataclass(frozen=True)
class Case:
    """A benchmark instance: the problem, its policy, and GAP data if any."""

    name: str
    problem: Problem
    policy: Policy
    gap: GapData | None = None


def _site(rng: np.random.Generator, count: int) -> np.ndarray:
    # Anywhere in the Midlands; travel comes from the matrix, not from here.
    return np.column_stack(
        (rng.uniform(52.0, 53.0, count), rng.uniform(-2.5, -0.5, count))
    ).round(4)


def national_alt(seed: int = 0) -> Case:
    """Return the ``national-alt`` instance (see the module docstring).

    Parameters
    ----------
    seed
        Seed of every draw.

    Returns
    -------
    Case
        Problem (with a travel matrix) and policy.
    """
    n_seekers, per_seeker, n_buddies = 200, 5, 1000
    rng = np.random.default_rng(seed)
    n_areas = len(_AREAS)
    buddy_levels = rng.choice(
        np.arange(1, 6), size=(n_buddies, n_areas), p=_LEVEL_SHARE
    )
    seeker_levels = rng.integers(1, 5, size=(n_seekers, n_areas))
    need_areas = np.argsort(rng.random((n_seekers, n_areas)), axis=1)[
        :, :per_seeker
    ]
    # Seekers are weak where they ask for help.
    rows = np.arange(n_seekers)[:, None]
    seeker_levels[rows, need_areas] = rng.integers(1, 3, size=need_areas.shape)
    capacity = rng.integers(3, 9, size=n_buddies)
    culture = np.clip(
        rng.normal(6.5, 0.8, size=(n_seekers + n_buddies, len(_CULTURE))),
        0.0,
        10.0,
    ).round(1)
    sites = _site(rng, n_seekers + n_buddies)
    seeker_ids = [f"S{k:04d}" for k in range(n_seekers)]
    buddy_ids = [f"B{k:04d}" for k in range(n_buddies)]
    trusts = []
    for k, tid in enumerate(seeker_ids + buddy_ids):
        is_buddy = k >= n_seekers
        levels = buddy_levels[k - n_seekers] if is_buddy else seeker_levels[k]
        trusts.append(
            Trust(
                id=tid,
                lat=float(sites[k, 0]),
                lon=float(sites[k, 1]),
                culture=dict(zip(_CULTURE, culture[k].tolist(), strict=True)),
                expertise=dict(
                    zip(_AREAS, (int(v) for v in levels), strict=True)
                ),
                capacity=int(capacity[k - n_seekers]) if is_buddy else 0,
            )
        )
    tiers = rng.choice(
        list(_TIER_SHARE),
        size=n_seekers * per_seeker,
        p=list(_TIER_SHARE.values()),
    )
    needs = [
        Need(
            seeker=seeker_ids[s],
            area=_AREAS[int(a)],
            tier=str(tiers[s * per_seeker + i]),
            priority=2,
        )
        for s in range(n_seekers)
        for i, a in enumerate(sorted(need_areas[s].tolist()))
    ]
    minutes = rng.uniform(30.0, 180.0, size=(n_seekers, n_buddies)).round(1)
    travel = tuple(
        TravelTime(origin=s, destination=b, minutes=float(m))
        for s, row in zip(seeker_ids, minutes.tolist(), strict=True)
        for b, m in zip(buddy_ids, row, strict=True)
    )
    problem = Problem(trusts=tuple(trusts), needs=tuple(needs), travel=travel)
    policy = Policy(
        max_partners=2,
        max_buddies_per_seeker=3,
        min_travel_minutes=30.0,
        max_travel_minutes=180.0,
    )
    return Case(NATIONAL_ALT, problem, policy)


def gap_data(kind: str, agents: int, jobs: int, seed: int = 0) -> GapData:
    """Draw one GAP instance of Chu & Beasley's type *kind*.

    Parameters
    ----------
    kind
        ``a``, ``b``, ``c`` or ``d``.
    agents, jobs
        ``m`` and ``n``.
    seed
        Seed of the draw.

    Returns
    -------
    GapData
        The matrices and capacities.
    """
    rng = np.random.default_rng([seed, ord(kind), agents, jobs])
    m, n = agents, jobs
    if kind == "d":
        a = rng.integers(1, 101, size=(m, n))
        c = 111 - a + rng.integers(-10, 11, size=(m, n))
    elif kind in "abc":
        a = rng.integers(5, 26, size=(m, n))
        c = rng.integers(10, 51, size=(m, n))
    else:
        raise ValueError(f"unknown GAP type {kind!r}")
    if kind in "ab":
        cheapest = np.argmin(c, axis=0)  # lowest index on ties
        loads = np.array(
            [a[i, cheapest == i].sum() for i in range(m)], dtype=float
        )
        b = np.full(m, 9.0 * n / m + 0.4 * loads.max())
        if kind == "b":
            b = 0.7 * b
    else:
        b = 0.8 * a.sum(axis=1) / m
    return GapData(
        kind=kind,
        workload=a.astype(np.int64),
        cost=c.astype(np.int64),
        capacity=np.floor(b).astype(np.int64),
        offset=int(c.max()) + 1,
    )


def gap_case(name: str, seed: int = 0) -> Case:
    """Return the GAP instance *name* (``gap-<type>-<m>x<n>``) as a problem.

    Parameters
    ----------
    name
        E.g. ``gap-d-10x200``.
    seed
        Seed of the draw.

    Returns
    -------
    Case
        Problem, policy (every rule but capacity off) and the GAP data.
    """
    match = GAP_NAME.match(name)
    if match is None:
        raise ValueError(f"not a GAP instance name: {name!r}")
    kind, m, n = match.group(1), int(match.group(2)), int(match.group(3))
    data = gap_data(kind, m, n, seed)
    agent_ids = [f"A{i:02d}" for i in range(m)]
    job_ids = [f"J{j:03d}" for j in range(n)]
    trusts = [
        Trust(
            id=aid,
            lat=52.5,
            lon=-1.5,
            expertise={_GAP_AREA: 5},
            capacity=int(data.capacity[i]),
        )
        for i, aid in enumerate(agent_ids)
    ] + [
        Trust(id=jid, lat=52.5, lon=-1.5, expertise={_GAP_AREA: 1})
        for jid in job_ids
    ]
    needs = [Need(seeker=jid, area=_GAP_AREA) for jid in job_ids]
    overrides = [
        PairOverride(
            seeker=jid,
            area=_GAP_AREA,
            buddy=aid,
            score=float(data.offset - data.cost[i, j]),
            workload=int(data.workload[i, j]),
        )
        for j, jid in enumerate(job_ids)
        for i, aid in enumerate(agent_ids)
    ]
    problem = Problem(
        trusts=tuple(trusts), needs=tuple(needs), overrides=tuple(overrides)
    )
    policy = Policy(
        min_expertise=0,
        min_travel_minutes=0.0,
        max_travel_minutes=None,
        max_partners=None,
        max_buddies_per_seeker=None,
        partnership_cost=0.0,
    )
    return Case(name, problem, policy, data)


def is_case(name: str) -> bool:
    """Return whether *name* is an instance of this module."""
    return name == NATIONAL_ALT or GAP_NAME.match(name) is not None


def load_case(name: str, seed: int = 0) -> Case:
    """Return the instance *name* of this module.

    Raises
    ------
    ValueError
        If *name* is not one of them.
    """
    if name == NATIONAL_ALT:
        return national_alt(seed)
    return gap_case(name, seed)
