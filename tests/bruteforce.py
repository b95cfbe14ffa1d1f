"""An exhaustive reference matcher for tiny problems, from the docs alone.

Written from the documented rules (``docs/concepts.md``,
``docs/explanations.md``, ``docs/api.md``) and sharing no code with the
engine, the candidate builder, the scorer, the explainer or ``verify``:
only the data model is imported.  It lists every proposal of a tiny
problem (each need gets exactly its number of distinct eligible buddies
or none) that keeps every hard rule, and ranks them as the engine must:
cover of priority 3, then 2, then 1, then quality.

The rules are held in a :class:`World` whose limits can be lifted or
replaced one by one, so that a test can ask "would the need be covered
without the budget?" or "do only these pins and this capacity conflict?"
by enumeration rather than by trusting the engine.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass, field

from buddymatch.model import PairOverride, Policy, Problem

#: The hard pair rules in the documented candidate order.
RULE_ORDER = (
    "self",
    "not_a_buddy",
    "expertise",
    "too_close",
    "too_far",
    "competitor",
    "tertiary",
    "acquirer",
    "veto",
    "culture",
)

#: Needs are identified by (seeker, area).
NeedKey = tuple[str, str]
#: A pin: seeker, buddy and area (``None``: any area of the seeker).
Pin = tuple[str, str, str | None]


def travel_minutes(problem: Problem, seeker: str, buddy: str) -> float:
    """Minutes from the seeker's site to the buddy's, rounded to 0.1.

    The tiny problems always carry a travel matrix: the seeker-to-buddy
    entry wins, and a single direction serves both.
    """
    given = {
        (e.origin, e.destination): e.minutes for e in problem.travel or ()
    }
    if (seeker, buddy) in given:
        minutes = given[(seeker, buddy)]
    elif (buddy, seeker) in given:
        minutes = given[(buddy, seeker)]
    else:
        raise KeyError(f"no travel time between {seeker} and {buddy}")
    return round(minutes, 1)


def culture_fit(problem: Problem, seeker: str, buddy: str) -> float:
    """1 - RMS(profile difference) / 10, to 4 decimals; 1 without data."""
    a = problem.trust(seeker).culture
    b = problem.trust(buddy).culture
    if not a:
        return 1.0
    mean_square = sum((a[d] - b[d]) ** 2 for d in a) / len(a)
    return round(1.0 - math.sqrt(mean_square) / 10.0, 4)


def _related(problem: Problem, kind: str, x: str, y: str) -> bool:
    return any(
        r.kind == kind and {r.a, r.b} == {x, y} for r in problem.relations
    )


def _directed(problem: Problem, kind: str, seeker: str, buddy: str) -> bool:
    return any(
        r.kind == kind and (r.a, r.b) == (seeker, buddy)
        for r in problem.relations
    )


def broken_rules(
    problem: Problem, policy: Policy, need: NeedKey, buddy: str
) -> list[str]:
    """Every hard pair rule the pair (need, buddy) breaks, in the order."""
    seeker, area = need
    s, b = problem.trust(seeker), problem.trust(buddy)
    seekers = {n.seeker for n in problem.needs}
    broken: list[str] = []
    if seeker == buddy:
        return ["self"]
    if b.capacity == 0 or (buddy in seekers and not policy.seekers_can_buddy):
        broken.append("not_a_buddy")
    level = b.expertise[area]
    if level < policy.min_expertise or (
        policy.require_stronger_than_seeker and level <= s.expertise[area]
    ):
        broken.append("expertise")
    minutes = travel_minutes(problem, seeker, buddy)
    if minutes < policy.min_travel_minutes:
        broken.append("too_close")
    if (
        policy.max_travel_minutes is not None
        and minutes > policy.max_travel_minutes
    ):
        broken.append("too_far")
    for kind in ("competitor", "tertiary"):
        if _related(problem, kind, seeker, buddy):
            broken.append(kind)
    if not policy.allow_acquirer_buddies and _related(
        problem, "acquirer", seeker, buddy
    ):
        broken.append("acquirer")
    if _directed(problem, "veto", seeker, buddy):
        broken.append("veto")
    if (
        policy.min_culture_fit > 0
        and culture_fit(problem, seeker, buddy) < policy.min_culture_fit
    ):
        broken.append("culture")
    return broken


def first_rule(
    problem: Problem, policy: Policy, need: NeedKey, buddy: str
) -> str | None:
    """The first hard rule excluding the pair, or ``None`` if it passes."""
    broken = broken_rules(problem, policy, need, buddy)
    return broken[0] if broken else None


def _override(
    problem: Problem, need: NeedKey, buddy: str
) -> PairOverride | None:
    """The pair's override (``pairs.csv`` row), if any."""
    seeker, area = need
    for ov in problem.overrides:
        if (ov.seeker, ov.area, ov.buddy) == (seeker, area, buddy):
            return ov
    return None


def pair_score(
    problem: Problem, policy: Policy, need: NeedKey, buddy: str
) -> float:
    """The documented pair score, or the override's, to 0.001 point."""
    seeker, area = need
    ov = _override(problem, need, buddy)
    if ov is not None and ov.score is not None:
        return round(ov.score, 3)
    score = (
        policy.weight_expertise * problem.trust(buddy).expertise[area]
        + policy.weight_culture * culture_fit(problem, seeker, buddy)
        - policy.weight_travel * travel_minutes(problem, seeker, buddy)
    )
    if _directed(problem, "preferred", seeker, buddy):
        score += policy.bonus_preferred
    if _related(problem, "prior", seeker, buddy):
        score += policy.bonus_prior
    return round(score, 3)


def pair_workload(
    problem: Problem, policy: Policy, need: NeedKey, buddy: str
) -> int:
    """The tier's workload, or the override's."""
    ov = _override(problem, need, buddy)
    if ov is not None and ov.workload is not None:
        return ov.workload
    tier = next(n.tier for n in problem.needs if (n.seeker, n.area) == need)
    return policy.tiers[tier].workload


@dataclass(frozen=True)
class Proposal:
    """One proposal: the buddies of each need (empty = unmet)."""

    chosen: dict[NeedKey, frozenset[str]]
    cover: tuple[int, int, int]
    quality: float

    @property
    def covered(self) -> frozenset[NeedKey]:
        """Needs met."""
        return frozenset(k for k, v in self.chosen.items() if v)

    @property
    def key(self) -> tuple[int, int, int, float]:
        """What the engine maximises, in order."""
        return (*self.cover, self.quality)


@dataclass(frozen=True)
class World:
    """Every rule of one tiny problem, with limits that can be changed.

    ``eligible`` holds, per need, the buddies that pass every hard pair
    rule; the limits are explicit per buddy and per seeker (``None`` =
    off) so that a test can lift any one of them.
    """

    needs: tuple[NeedKey, ...]
    priority: dict[NeedKey, int]
    wanted: dict[NeedKey, int]
    fee_pence: dict[NeedKey, int]
    eligible: dict[NeedKey, tuple[str, ...]]
    score: dict[tuple[NeedKey, str], float]
    workload: dict[tuple[NeedKey, str], int]
    capacity: dict[str, int | None]
    partner_limit: dict[str, int | None]
    seeker_limit: dict[str, int | None]
    budget_pence: int | None
    partnership_cost: float
    pins: tuple[Pin, ...] = ()
    _cache: dict[str, list[Proposal]] = field(
        default_factory=dict, compare=False, repr=False
    )

    @classmethod
    def of(cls, problem: Problem, policy: Policy) -> World:
        """Build the world of *problem* under *policy*."""
        needs = tuple((n.seeker, n.area) for n in problem.needs)
        eligible: dict[NeedKey, tuple[str, ...]] = {}
        score: dict[tuple[NeedKey, str], float] = {}
        workload: dict[tuple[NeedKey, str], int] = {}
        for need in needs:
            ok = []
            for t in problem.trusts:
                if t.id == need[0]:
                    continue
                if not broken_rules(problem, policy, need, t.id):
                    ok.append(t.id)
                    score[(need, t.id)] = pair_score(
                        problem, policy, need, t.id
                    )
                    workload[(need, t.id)] = pair_workload(
                        problem, policy, need, t.id
                    )
            eligible[need] = tuple(ok)
        partner_limit = {
            t.id: t.max_partners
            if t.max_partners is not None
            else policy.max_partners
            for t in problem.trusts
        }
        budget = None if policy.budget is None else round(policy.budget * 100)
        return cls(
            needs=needs,
            priority={(n.seeker, n.area): n.priority for n in problem.needs},
            wanted={(n.seeker, n.area): n.buddies for n in problem.needs},
            fee_pence={
                (n.seeker, n.area): round(policy.tiers[n.tier].fee * 100)
                * n.buddies
                for n in problem.needs
            },
            eligible=eligible,
            score=score,
            workload=workload,
            capacity={t.id: t.capacity for t in problem.trusts},
            partner_limit=partner_limit,
            seeker_limit={
                s: policy.max_buddies_per_seeker
                for s in {n.seeker for n in problem.needs}
            },
            budget_pence=budget,
            partnership_cost=policy.partnership_cost,
            pins=tuple(
                (r.a, r.b, r.area)
                for r in problem.relations
                if r.kind == "pinned"
            ),
        )

    def but(self, **changes: object) -> World:
        """A copy with *changes* (a fresh cache)."""
        return dataclasses.replace(self, _cache={}, **changes)  # type: ignore[arg-type]

    def lifted(self) -> World:
        """Every pin dropped and every limit (capacity, partners, buddies
        per seeker, budget) lifted: only the pair rules and exact cover."""
        return self.but(
            pins=(),
            capacity={b: None for b in self.capacity},
            partner_limit={b: None for b in self.partner_limit},
            seeker_limit={s: None for s in self.seeker_limit},
            budget_pence=None,
        )

    def pin_holds(
        self, pin: Pin, chosen: dict[NeedKey, frozenset[str]]
    ) -> bool:
        """Whether a proposal honours one pin."""
        seeker, buddy, area = pin
        return any(
            buddy in buddies
            for (s, a), buddies in chosen.items()
            if s == seeker and (area is None or a == area)
        )

    def proposals(self) -> list[Proposal]:
        """Every proposal that keeps every rule of this world."""
        if "all" in self._cache:
            return self._cache["all"]
        options: list[list[frozenset[str]]] = []
        for need in self.needs:
            combos = [
                frozenset(c)
                for c in itertools.combinations(
                    self.eligible[need], self.wanted[need]
                )
            ]
            options.append([frozenset(), *combos])
        found: list[Proposal] = []
        for choice in self._search(options, 0, {}, {}, {}, 0):
            chosen = dict(zip(self.needs, choice, strict=True))
            if not all(self.pin_holds(p, chosen) for p in self.pins):
                continue
            found.append(self._proposal(chosen))
        self._cache["all"] = found
        return found

    def _search(
        self,
        options: list[list[frozenset[str]]],
        i: int,
        load: dict[str, int],
        partners: dict[str, frozenset[str]],
        buddies_of: dict[str, frozenset[str]],
        fees: int,
    ) -> Iterator[tuple[frozenset[str], ...]]:
        if i == len(self.needs):
            yield ()
            return
        need = self.needs[i]
        seeker = need[0]
        for option in options[i]:
            new_load = dict(load)
            new_partners = dict(partners)
            new_buddies = dict(buddies_of)
            new_fees = fees + (self.fee_pence[need] if option else 0)
            if (
                option
                and self.budget_pence is not None
                and new_fees > self.budget_pence
            ):
                continue
            ok = True
            for b in option:
                new_load[b] = new_load.get(b, 0) + self.workload[(need, b)]
                cap = self.capacity[b]
                if cap is not None and new_load[b] > cap:
                    ok = False
                new_partners[b] = new_partners.get(b, frozenset()) | {seeker}
                lim = self.partner_limit[b]
                if lim is not None and len(new_partners[b]) > lim:
                    ok = False
            new_buddies[seeker] = new_buddies.get(seeker, frozenset()) | option
            lim = self.seeker_limit[seeker]
            if lim is not None and len(new_buddies[seeker]) > lim:
                ok = False
            if not ok:
                continue
            for rest in self._search(
                options, i + 1, new_load, new_partners, new_buddies, new_fees
            ):
                yield (option, *rest)

    def _proposal(self, chosen: dict[NeedKey, frozenset[str]]) -> Proposal:
        cover = [0, 0, 0]
        total = 0.0
        pairs: set[tuple[str, str]] = set()
        for need, buddies in chosen.items():
            if buddies:
                cover[3 - self.priority[need]] += 1
            for b in buddies:
                total += self.score[(need, b)]
                pairs.add((need[0], b))
        quality = total - self.partnership_cost * len(pairs)
        return Proposal(chosen, (cover[0], cover[1], cover[2]), quality)

    def feasible(self) -> bool:
        """Whether any proposal keeps every rule (the pins included)."""
        return bool(self.proposals())

    def best(self) -> Proposal | None:
        """A lexicographically best proposal (``None``: infeasible)."""
        found = self.proposals()
        return max(found, key=lambda p: p.key) if found else None

    def can_cover(self, needs: frozenset[NeedKey]) -> bool:
        """Whether some proposal meets every need of *needs*."""
        return any(needs <= p.covered for p in self.proposals())
