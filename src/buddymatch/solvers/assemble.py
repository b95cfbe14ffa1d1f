"""Turn chosen candidate pairs into a :class:`~buddymatch.result.Result`.

The one conversion point from solver output to library objects: every
backend (and every warm start or re-match) hands over a mask of chosen
candidate pairs, and this module builds assignments, partnerships, unmet
needs with their reasons, utilisation and cover.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from buddymatch.candidates import REASONS, CandidateSet
from buddymatch.result import (
    Assignment,
    BuddyUse,
    Coverage,
    Partnership,
    Result,
    Status,
    TrustRef,
    UnmetNeed,
    UnmetReason,
)
from buddymatch.scoring import TERMS, from_units, to_units


def usable_candidates(cands: CandidateSet) -> np.ndarray:
    """Return the mask of candidates that can ever be chosen.

    A pair whose workload exceeds the buddy's whole capacity never fits
    (34% of the pairs of the "national" benchmark); and a need is met with
    exactly ``buddies`` distinct buddies or not at all, so the candidates
    of a need with fewer fitting candidates than that can never be chosen.
    """
    if not len(cands.need):
        return np.zeros(0, dtype=bool)
    capacity = np.array(
        [t.capacity for t in cands.problem.trusts], dtype=np.int64
    )
    fits = cands.workload <= capacity[cands.buddy]
    counts = np.bincount(cands.need[fits], minlength=len(cands.problem.needs))
    wanted = np.array([n.buddies for n in cands.problem.needs], dtype=int)
    return np.asarray(
        fits & (counts[cands.need] >= wanted[cands.need]), dtype=bool
    )


def resolve_pins(
    cands: CandidateSet, usable: np.ndarray
) -> tuple[list[list[int]], list[tuple[int, str]]]:
    """Map pinned relations to groups of candidate positions.

    Returns
    -------
    groups
        For each pin, the candidate positions of which one must be chosen.
    impossible
        (relation index, words) for each pin no candidate can honour, with
        the hard rule that rules it out.
    """
    problem = cands.problem
    index = {t.id: j for j, t in enumerate(problem.trusts)}
    needs_of: dict[str, list[int]] = {}
    for n, need in enumerate(problem.needs):
        needs_of.setdefault(need.seeker, []).append(n)
    groups: list[list[int]] = []
    impossible: list[tuple[int, str]] = []
    for r, rel in enumerate(problem.relations):
        if rel.kind != "pinned":
            continue
        buddy = index[rel.b]
        needs = [
            n
            for n in needs_of.get(rel.a, [])
            if rel.area is None or problem.needs[n].area == rel.area
        ]
        group: list[int] = []
        why: list[str] = []
        for n in needs:
            where = np.flatnonzero((cands.need == n) & (cands.buddy == buddy))
            area = problem.needs[n].area
            if len(where) == 0:
                exclusion = cands.exclusion(n, buddy)
                words = exclusion[1] if exclusion else "not a candidate"
                why.append(f"{area}: {words}")
            elif not usable[where[0]]:
                need = problem.needs[n]
                count = int(np.count_nonzero(cands.need == n))
                why.append(
                    f"{area}: needs {need.buddies} buddies but only "
                    f"{count} pass the hard rules"
                )
            else:
                group.append(int(where[0]))
        scope = f" in {rel.area}" if rel.area else ""
        if group:
            groups.append(group)
        else:
            impossible.append(
                (
                    r,
                    f"pin {rel.a} with buddy {rel.b}{scope} cannot hold: "
                    + "; ".join(why),
                )
            )
    return groups, impossible


def _funnel_words(cands: CandidateSet, need: int) -> str:
    """Count the trusts each rule excluded for one need."""
    codes = Counter(cands.reason[need].tolist())
    parts = [
        f"{codes[k + 1]} {name}"
        for k, name in enumerate(REASONS)
        if codes.get(k + 1) and name != "self"
    ]
    return ", ".join(parts)


def _unmet_reason(
    cands: CandidateSet,
    need: int,
    candidates: int,
    status: Status,
    spent: float,
    capacity: np.ndarray,
    untried: bool = False,
) -> tuple[UnmetReason, str]:
    problem = cands.problem
    policy = cands.policy
    wanted = problem.needs[need].buddies
    if status == "infeasible":
        return "pinned_conflict", (
            "no proposal was made: the pins cannot all hold together"
        )
    if status == "no_solution":
        return "not_solved", (
            "no proposal was found within the time limit; allow more time"
        )
    if candidates == 0:
        return "no_candidate", (
            "no buddy passes the hard rules (excluded: "
            f"{_funnel_words(cands, need)})"
        )
    if candidates < wanted:
        return "too_few_candidates", (
            f"needs {wanted} buddies but only {candidates} pass the hard "
            f"rules (excluded: {_funnel_words(cands, need)})"
        )
    pairs = cands.pairs_of_need(need)
    fitting = int(
        np.count_nonzero(cands.workload[pairs] <= capacity[cands.buddy[pairs]])
    )
    if fitting < wanted:
        workload = int(cands.workload[pairs].max())
        return "capacity", (
            f"{candidates} buddies pass the hard rules, but only {fitting} "
            f"can take a workload of {workload} units at all (it needs "
            f"{wanted})"
        )
    if untried:
        # The time limit ran out before the greedy start reached it:
        # nothing is known about why it is unmet.
        return "not_solved", (
            "not met in this proposal, not proven impossible: the time "
            "limit ran out before it was tried; allow more time"
        )
    fee = policy.tiers[problem.needs[need].tier].fee * wanted
    if policy.budget is not None and spent + fee > policy.budget + 1e-9:
        return "budget", (
            f"covering it would cost {fee:,.0f} more, beyond the budget of "
            f"{policy.budget:,.0f} ({spent:,.0f} committed)"
        )
    return "capacity", (
        f"{candidates} buddies pass the hard rules, but their capacity or "
        "partner limits are taken by needs of higher priority or better fit"
    )


def assemble(
    cands: CandidateSet,
    chosen: np.ndarray,
    status: Status,
    *,
    bound: float | None = None,
    runtime: float = 0.0,
    solver: dict[str, Any] | None = None,
    infeasibility: tuple[str, ...] = (),
    pinned: np.ndarray | None = None,
    untried: np.ndarray | None = None,
) -> Result:
    """Build the result for the chosen candidate pairs.

    Parameters
    ----------
    cands
        The candidate pairs.
    chosen
        Boolean mask over the candidate pairs.
    status
        The result status.
    bound
        Proven upper bound on quality points, if known.
    runtime, solver, infeasibility
        Copied into the result.
    pinned
        Mask of candidate pairs forced by a pin (for reporting).
    untried
        Mask of needs the time limit left untried (reported as
        ``not_solved`` unless a hard rule already explains them).
    """
    problem, policy = cands.problem, cands.policy
    trusts = problem.trusts
    picks = np.flatnonzero(chosen)
    pinned_mask = (
        pinned if pinned is not None else np.zeros(len(chosen), dtype=bool)
    )
    seekers = cands.seekers

    assignments: list[Assignment] = []
    for k in picks.tolist():
        need = problem.needs[int(cands.need[k])]
        buddy = int(cands.buddy[k])
        row = int(cands.need_seeker[int(cands.need[k])])
        if cands.overridden[k]:
            terms = {"override": float(cands.score[k])}
        else:
            terms = {t: float(cands.terms[t][k]) for t in TERMS}
        assignments.append(
            Assignment(
                seeker=need.seeker,
                area=need.area,
                tier=need.tier,
                buddy=trusts[buddy].id,
                travel_minutes=float(cands.minutes[row, buddy]),
                culture_fit=float(cands.fit[row, buddy]),
                expertise=int(cands.expertise[k]),
                workload=int(cands.workload[k]),
                fee=float(cands.fee[k]),
                score=float(cands.score[k]),
                terms=terms,
                pinned=bool(pinned_mask[k]),
            )
        )

    by_pair: dict[tuple[str, str], list[Assignment]] = {}
    for a in assignments:
        by_pair.setdefault((a.seeker, a.buddy), []).append(a)
    partnerships = [
        Partnership(
            seeker=s,
            buddy=b,
            areas=tuple(a.area for a in items),
            tiers={a.area: a.tier for a in items},
            workload=sum(a.workload for a in items),
            fee=sum(a.fee for a in items),
            months=max(policy.tiers[a.tier].months for a in items),
        )
        for (s, b), items in sorted(by_pair.items())
    ]

    n_needs = len(problem.needs)
    per_need = np.bincount(cands.need[picks], minlength=n_needs)
    cand_count = np.bincount(cands.need, minlength=n_needs)
    capacity = np.array([t.capacity for t in trusts], dtype=np.int64)
    total_fee = float(sum(a.fee for a in assignments))
    unmet: list[UnmetNeed] = []
    coverage: list[Coverage] = []
    covered_by_priority: Counter[int] = Counter()
    total_by_priority: Counter[int] = Counter()
    for n, need in enumerate(problem.needs):
        total_by_priority[need.priority] += 1
        if per_need[n] == need.buddies and per_need[n] > 0:
            covered_by_priority[need.priority] += 1
            continue
        code, words = _unmet_reason(
            cands,
            n,
            int(cand_count[n]),
            status,
            total_fee,
            capacity,
            untried=untried is not None and bool(untried[n]),
        )
        unmet.append(
            UnmetNeed(
                seeker=need.seeker,
                area=need.area,
                tier=need.tier,
                priority=need.priority,
                buddies=need.buddies,
                candidates=int(cand_count[n]),
                reason=code,
                detail=words,
            )
        )
    for priority in sorted(total_by_priority, reverse=True):
        coverage.append(
            Coverage(
                priority=priority,
                covered=covered_by_priority[priority],
                total=total_by_priority[priority],
            )
        )

    workload: Counter[str] = Counter()
    partners: dict[str, set[str]] = {}
    for a in assignments:
        workload[a.buddy] += a.workload
        partners.setdefault(a.buddy, set()).add(a.seeker)
    has_needs = set(seekers)
    utilisation = [
        BuddyUse(
            buddy=t.id,
            capacity=t.capacity,
            workload=workload[t.id],
            partners=len(partners.get(t.id, ())),
            max_partners=(
                t.max_partners
                if t.max_partners is not None
                else policy.max_partners
            ),
        )
        for t in trusts
        if t.capacity > 0
        and (policy.seekers_can_buddy or t.id not in has_needs)
    ]

    objective: float | None = None
    gap: float | None = None
    if status in ("optimal", "feasible"):
        units = int(np.sum(np.asarray(to_units(cands.score[picks])))) - int(
            to_units(policy.partnership_cost)
        ) * len(partnerships)
        objective = from_units(units)
        if bound is not None:
            gap = abs(bound - objective) / max(1.0, abs(objective))
    named = {a.seeker for a in assignments} | {a.buddy for a in assignments}
    named |= {n.seeker for n in problem.needs}
    refs = tuple(
        TrustRef(
            id=t.id,
            name=t.name,
            kind=t.kind,
            lat=t.lat,
            lon=t.lon,
            region=t.region,
        )
        for t in trusts
        if t.id in named
    )
    return Result(
        status=status,
        coverage=tuple(coverage),
        objective=objective,
        bound=bound if objective is not None else None,
        gap=gap,
        runtime=runtime,
        assignments=tuple(assignments),
        partnerships=tuple(partnerships),
        unmet=tuple(unmet),
        utilisation=tuple(utilisation),
        total_fee=total_fee,
        infeasibility=infeasibility,
        solver=solver or {},
        trusts=refs,
        policy=policy,
    )
