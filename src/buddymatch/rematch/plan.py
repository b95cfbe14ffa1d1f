"""Planning: from the arrangements in place to a transformed problem.

Each ongoing arrangement is described (its workload, fee and the pair rule
it now breaks), checked against the coupling limits oldest first, and
placed: pinned in the model, held at ``disruption_cost`` (soft mode), or
kept outside the model, whose room it then takes
(`room_left`).  Ended arrangements veto
their pair.  `make_plan` returns the transformed problem and policy
with what the answer needs to turn the engine's result into a diff.  The
limits are counted in the solver's `Ledger`
throughout.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from buddymatch.arrangement import Arrangement
from buddymatch.candidates import CandidateSet
from buddymatch.model import (
    Need,
    PairOverride,
    Policy,
    Problem,
    Relation,
)
from buddymatch.rematch.room import ledger_of, model_capacity, room_left
from buddymatch.rematch_result import Flag, KeptHow
from buddymatch.rules import LimitName
from buddymatch.scoring import SCORE_DECIMALS
from buddymatch.solvers import Ledger

__all__ = ["Ongoing", "Plan", "make_plan"]

# Money is compared to the penny, as the engine does (fees in whole pence).
_PENNY = 0.005


@dataclass
class Ongoing:
    """An ongoing arrangement and how the transformation treats it."""

    order: int  # position among the arrangements given
    item: Arrangement
    need: Need
    workload: int
    fee: float
    position: int | None  # candidate position in the original set
    flags: list[Flag] = field(default_factory=list)
    kept_as: KeptHow = "pinned"
    note: str = ""

    @property
    def triple(self) -> tuple[str, str, str]:
        return (self.item.seeker, self.item.area, self.item.buddy)


@dataclass
class Plan:
    """The transformed problem and policy, and what the answer needs."""

    problem: Problem
    policy: Policy
    ongoing: list[Ongoing]
    served: dict[tuple[str, str], int]  # need -> buddies kept outside
    notes: list[str]
    # Seeker -> buddies it keeps whatever the proposal (outside the model,
    # pinned in it, or pinned by the user's own relations).
    fixed: dict[str, set[str]]
    outside_buddies: dict[str, set[str]]


def _describe_ongoing(
    problem: Problem,
    policy: Policy,
    original: CandidateSet,
    arrangements: Sequence[Arrangement],
) -> list[Ongoing]:
    """Return the ongoing arrangements, oldest first, with pair-rule flags.

    Oldest first (unknown starts first, then file order): when ongoing
    arrangements together overrun a limit, the later ones are flagged.
    """
    canonical = original.problem
    need_at = {(n.seeker, n.area): i for i, n in enumerate(canonical.needs)}
    trust_at = {t.id: j for j, t in enumerate(canonical.trusts)}
    workloads = {
        (o.seeker, o.area, o.buddy): o.workload
        for o in problem.overrides
        if o.workload is not None
    }
    listed = [
        (i, a) for i, a in enumerate(arrangements) if a.status == "ongoing"
    ]
    listed.sort(key=lambda pair: (pair[1].start or dt.date.min, pair[0]))
    out: list[Ongoing] = []
    for order, item in listed:
        n = need_at[(item.seeker, item.area)]
        need = canonical.needs[n]
        j = trust_at[item.buddy]
        position = original.position(n, j)
        tier = policy.tiers[need.tier]
        if position is not None:
            workload = int(original.workload[position])
        else:
            workload = workloads.get(
                (item.seeker, item.area, item.buddy), tier.workload
            )
        entry = Ongoing(order, item, need, workload, tier.fee, position)
        exclusion = original.exclusion(n, j)
        if exclusion is not None:
            entry.flags.append(Flag(rule=exclusion[0], detail=exclusion[1]))
        out.append(entry)
    return out


def _flag_overruns(
    problem: Problem, policy: Policy, ongoing: Sequence[Ongoing]
) -> None:
    """Flag pinned arrangements that together overrun a coupling rule.

    Taken oldest first; each is counted whether flagged or not (it is kept
    either way), so the ones that tip a buddy, a seeker or the budget over
    its limit are the ones flagged.
    """
    ledger: Ledger[str] = Ledger.of(problem, policy, tolerance=_PENNY)
    index = {t.id: j for j, t in enumerate(problem.trusts)}
    for entry in ongoing:
        seeker, buddy = entry.item.seeker, entry.item.buddy
        j = index[buddy]
        if not entry.flags:
            entry.flags.extend(
                Flag(rule=rule, detail=_overrun(rule, ledger, entry, j))
                for rule in ledger.broken(j, seeker, entry.workload, entry.fee)
            )
        ledger.take(j, seeker, entry.workload, entry.fee)


def _overrun(
    rule: LimitName, ledger: Ledger[str], entry: Ongoing, j: int
) -> str:
    """Say how *entry* (buddy index *j*) would break *rule*, given the
    arrangements in *ledger* before it."""
    seeker, buddy = entry.item.seeker, entry.item.buddy
    if rule == "capacity":
        used = ledger.capacity[j] - ledger.left[j]
        return (
            f"{buddy} would carry {used + entry.workload} workload units, "
            f"above its capacity of {ledger.capacity[j]}"
        )
    if rule == "max_partners":
        return (
            f"{buddy} would support {ledger.partners[j] + 1} seekers, "
            f"above its limit of {ledger.limit[j]}"
        )
    if rule == "max_buddies_per_seeker":
        theirs = len(ledger.buddies_of.get(seeker, ()))
        return (
            f"{seeker} would have {theirs + 1} buddies, above "
            f"max_buddies_per_seeker {ledger.seeker_limit}"
        )
    return (
        f"ongoing fees would reach {ledger.spent + entry.fee:,.2f}, above "
        f"the budget of {ledger.budget:,.2f}"
    )


def _place(policy: Policy, ongoing: Sequence[Ongoing]) -> None:
    """Decide which arrangements the model holds and which stay outside.

    Pinned mode pins a need's ongoing arrangements only when they serve it
    exactly (as many as the need's buddies, none flagged): a pin on part of
    a need would force the engine to find the rest or fail altogether.
    Soft mode holds every unflagged one; the solver may drop it.
    """
    by_need: dict[tuple[str, str], list[Ongoing]] = {}
    for entry in ongoing:
        by_need.setdefault((entry.need.seeker, entry.need.area), []).append(
            entry
        )
    for group in by_need.values():
        wanted = group[0].need.buddies
        if policy.keep_ongoing == "soft":
            for entry in group:
                if entry.flags:
                    entry.kept_as = "outside"
                    entry.note = "kept outside the model: it breaks a rule"
                else:
                    entry.kept_as = "soft"
            continue
        if len(group) > wanted:
            for entry in group[wanted:]:
                entry.flags.append(
                    Flag(
                        rule="coverage",
                        detail=f"the need asks for {wanted} "
                        f"{'buddy' if wanted == 1 else 'buddies'} and "
                        f"{len(group)} arrangements are ongoing",
                    )
                )
        flagged = any(e.flags for e in group)
        exact = len(group) == wanted and not flagged
        for entry in group:
            if exact:
                entry.kept_as = "pinned"
                continue
            entry.kept_as = "outside"
            if entry.flags:
                entry.note = "kept outside the model: it breaks a rule"
            elif flagged:
                entry.note = (
                    "kept outside the model with the need's other ongoing "
                    "arrangement, which breaks a rule"
                )
            else:
                entry.note = (
                    "kept outside the model: the need asks for "
                    f"{wanted} buddies and {len(group)} "
                    f"{'is' if len(group) == 1 else 'are'} ongoing"
                )


def _ledgers(
    problem: Problem, policy: Policy, ongoing: Sequence[Ongoing]
) -> tuple[Ledger[str], Ledger[str]]:
    """Return the ledgers of the arrangements kept whatever the model does
    (outside it, or pinned in it) and of the pinned ones alone."""

    def pairs(kinds: tuple[KeptHow, ...]) -> list[tuple[str, str, int, float]]:
        return [
            (e.item.seeker, e.item.buddy, e.workload, e.fee)
            for e in ongoing
            if e.kept_as in kinds
        ]

    return (
        ledger_of(problem, policy, pairs(("outside", "pinned"))),
        ledger_of(problem, policy, pairs(("pinned",))),
    )


def _unpin_zero_capacity(
    problem: Problem, policy: Policy, ongoing: Sequence[Ongoing]
) -> None:
    """Move pins off buddies whose remaining capacity would be 0.

    A trust with capacity 0 is no buddy to the engine, so its pins could
    not hold; this arises only with tiers of workload 0.  Moving a pin out
    moves its whole need out (pins serve needs exactly), so repeat until
    nothing changes.
    """
    index = {t.id: j for j, t in enumerate(problem.trusts)}
    changed = True
    while changed:
        changed = False
        kept, pins = _ledgers(problem, policy, ongoing)
        pinned_buddies = {
            e.item.buddy for e in ongoing if e.kept_as == "pinned"
        }
        for buddy in sorted(pinned_buddies):
            if model_capacity(kept, pins, index[buddy]) > 0:
                continue
            needs = {
                (e.need.seeker, e.need.area)
                for e in ongoing
                if e.kept_as == "pinned" and e.item.buddy == buddy
            }
            for entry in ongoing:
                key = (entry.need.seeker, entry.need.area)
                if entry.kept_as == "pinned" and key in needs:
                    entry.kept_as = "outside"
                    entry.note = (
                        "kept outside the model: its buddy has no capacity "
                        "left to hold it as a pin"
                    )
                    changed = True


def make_plan(
    problem: Problem,
    policy: Policy,
    arrangements: Sequence[Arrangement],
    original: CandidateSet,
) -> Plan:
    """Transform *problem* and *policy* for the engine (see module doc)."""
    notes: list[str] = []
    ongoing = _describe_ongoing(problem, policy, original, arrangements)
    pinned_mode = policy.keep_ongoing == "pinned"
    if pinned_mode:
        _flag_overruns(problem, policy, ongoing)
    _place(policy, ongoing)
    if pinned_mode:
        _unpin_zero_capacity(problem, policy, ongoing)

    inside = [e for e in ongoing if e.kept_as != "outside"]
    outside = [e for e in ongoing if e.kept_as == "outside"]
    pinned = [e for e in ongoing if e.kept_as == "pinned"]

    # -- buddies and budget: the room kept outside takes ------------------
    # The model gets what its pins use and what all the kept arrangements
    # leave; a partnership both outside and pinned counts once.
    room = room_left(problem.trusts, *_ledgers(problem, policy, ongoing))
    trusts = room.trusts
    for trust_id, change in room.changes.items():
        notes.append(
            f"{trust_id}: "
            + " and ".join(
                f"{name} {was} -> {now}" for name, (was, now) in change.items()
            )
            + " for arrangements kept outside the model"
        )

    # -- needs: what is served outside asks for that many fewer buddies ------
    served: Counter[tuple[str, str]] = Counter(
        (e.need.seeker, e.need.area) for e in outside
    )
    needs: list[Need] = []
    for need in problem.needs:
        key = (need.seeker, need.area)
        left = need.buddies - served[key]
        if served[key] and left <= 0:
            continue  # fully served by arrangements kept outside
        if served[key]:
            need = Need.model_validate({**need.model_dump(), "buddies": left})
        needs.append(need)
    remaining = {(n.seeker, n.area) for n in needs}
    seekers_left = {n.seeker for n in needs}

    # -- relations: ended pairs vetoed, pins for the pinned -----------------
    relations: list[Relation] = []
    outside_buddies: dict[str, set[str]] = {}
    for entry in outside:
        outside_buddies.setdefault(entry.item.seeker, set()).add(
            entry.item.buddy
        )
    for rel in problem.relations:
        if rel.kind == "pinned" and (
            (rel.area is not None and (rel.a, rel.area) not in remaining)
            or (rel.area is None and rel.a not in seekers_left)
        ):
            held = rel.b in outside_buddies.get(rel.a, set())
            scope = f" in {rel.area}" if rel.area else ""
            notes.append(
                f"pin {rel.a} with {rel.b}{scope} set aside: ongoing "
                "arrangements kept outside the model serve "
                + ("it" if rel.area else "every need of the seeker")
                + ("" if held else f", and {rel.b} is not among them")
            )
            continue
        relations.append(rel)
    existing = {(r.kind, r.a, r.b, r.area) for r in relations}
    ended_pairs = list(
        dict.fromkeys(
            (a.seeker, a.buddy) for a in arrangements if a.status == "ended"
        )
    )
    for seeker, buddy in ended_pairs:
        if ("veto", seeker, buddy, None) not in existing:
            relations.append(
                Relation(
                    a=seeker,
                    b=buddy,
                    kind="veto",
                    note="the arrangement ended (arrangements file)",
                )
            )
    for entry in pinned:
        seeker, area, buddy = entry.triple
        if ("pinned", seeker, buddy, area) not in existing:
            relations.append(
                Relation(
                    a=seeker,
                    b=buddy,
                    kind="pinned",
                    area=area,
                    note="ongoing arrangement",
                )
            )

    # -- overrides: soft credit, and no second buddy slot for a kept one ----
    overrides = {
        (o.seeker, o.area, o.buddy): o
        for o in problem.overrides
        if (o.seeker, o.area) in remaining
    }
    capacity_of = {t.id: t.capacity for t in trusts}
    for entry in inside:
        if entry.kept_as != "soft" or entry.position is None:
            continue
        if (entry.need.seeker, entry.need.area) not in remaining:
            continue  # served by arrangements kept outside: released
        # Raising the pair's score by disruption_cost makes dropping it
        # cost exactly that, relative to keeping it.
        given = overrides.get(entry.triple)
        score = round(
            float(original.score[entry.position]) + policy.disruption_cost,
            SCORE_DECIMALS,
        )
        overrides[entry.triple] = PairOverride(
            seeker=entry.item.seeker,
            area=entry.item.area,
            buddy=entry.item.buddy,
            score=score,
            workload=None if given is None else given.workload,
        )
    for entry in outside:
        key = (entry.need.seeker, entry.need.area)
        if key not in remaining:
            continue
        # The need still asks for more buddies, but not this one again: a
        # workload above the buddy's capacity rules the pair out exactly,
        # without banning the pair in the seeker's other areas.
        given = overrides.get(entry.triple)
        overrides[entry.triple] = PairOverride(
            seeker=entry.item.seeker,
            area=entry.item.area,
            buddy=entry.item.buddy,
            score=None if given is None else given.score,
            workload=capacity_of[entry.item.buddy] + 1,
        )

    # -- policy: the budget left -------------------------------------------
    new_policy = policy
    if room.budget is not None and any(e.fee for e in outside):
        notes.append(
            f"budget {policy.budget:,.2f} -> {room.budget:,.2f} for fees of "
            "arrangements kept outside the model"
        )
        new_policy = Policy.model_validate(
            {**policy.model_dump(), "budget": room.budget}
        )

    transformed = problem.replace(
        trusts=trusts,
        needs=tuple(needs),
        relations=tuple(relations),
        overrides=tuple(overrides.values()),
    )
    user_pins: dict[str, set[str]] = {}
    for rel in relations:
        if rel.kind == "pinned":
            user_pins.setdefault(rel.a, set()).add(rel.b)
    fixed = {
        seeker: set(buddies) | user_pins.get(seeker, set())
        for seeker, buddies in outside_buddies.items()
    }
    return Plan(
        transformed,
        new_policy,
        ongoing,
        dict(served),
        notes,
        fixed,
        outside_buddies,
    )
