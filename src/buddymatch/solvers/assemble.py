"""Turn chosen candidate pairs into a [`Result`][buddymatch.result.Result].

The one conversion point from solver output to library objects: every
backend (and every warm start or re-match) hands over a mask of chosen
candidate pairs, and this module builds assignments, partnerships, unmet
needs with their reasons, utilisation and cover.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np

from buddymatch.candidates import CandidateSet
from buddymatch.result import (
    Assignment,
    BuddyUse,
    Coverage,
    Partnership,
    Result,
    Status,
    TrustRef,
    UnmetNeed,
)
from buddymatch.rules import partner_limit
from buddymatch.scoring import TERMS, from_units, to_units
from buddymatch.solvers.reasons import (
    more_possible,
    priority_cover_bounds,
    unmet_reason,
    unusable_words,
    with_more_possible,
    with_seeker_cap,
)
from buddymatch.solvers.room import ProposalUse
from buddymatch.solvers.seeker_bound import SeekerBound


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
                why.append(f"{area}: {unusable_words(cands, n, buddy)}")
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
    budget_check: Callable[[int], bool | None] | None = None,
    cover_bounds: dict[int, int] | None = None,
    interrupted: bool = False,
    seeker_caps: SeekerBound | None = None,
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
    budget_check
        Answers, for an unmet need over the budget with no room in the
        proposal, whether lifting the budget alone would let it be met
        alongside the met needs (``None``: not known); see
        `BudgetCheck`.  Without it
        such a need is reported as ``capacity`` with the budget named too.
    cover_bounds
        Proven upper bound on each priority's cover, given at least the
        proposal's cover of every higher priority (see
        [`Coverage`][buddymatch.result.Coverage]).  Without one, an ``optimal``
        result's bound is its cover and any other proposal's is the number
        of that priority's needs that could be met at all (enough usable
        candidates).
    interrupted
        The caller stopped the search: needs it did not reach (or all,
        without a proposal) say so, not that time ran out.
    seeker_caps
        The seekers' caps on cover (`seeker_bound`): an unmet need whose
        seeker meets its cap of that priority says that its buddy limit
        allows no more, rather than that more may be coverable.
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
    use = ProposalUse.of(cands, picks)
    total_fee = float(sum(a.fee for a in assignments))
    unmet: list[UnmetNeed] = []
    coverage: list[Coverage] = []
    wanted = np.fromiter(
        (need.buddies for need in problem.needs), np.int64, n_needs
    )
    priority_of = np.fromiter(
        (need.priority for need in problem.needs), np.int64, n_needs
    )
    met = (per_need == wanted) & (per_need > 0)
    covered_by_priority: Counter[int] = Counter(priority_of[met].tolist())
    total_by_priority: Counter[int] = Counter(priority_of.tolist())
    bounds = priority_cover_bounds(
        cands, status, met, covered_by_priority, cover_bounds
    )
    # (seeker, priority) -> (its cap, its needs) where the proposal meets
    # the seeker's cap: no proposal meets more of them.
    at_cap: dict[tuple[int, int], tuple[int, int]] = {}
    if seeker_caps is not None:
        met_of = Counter(
            zip(
                cands.need_seeker[met].tolist(),
                priority_of[met].tolist(),
                strict=True,
            )
        )
        for key, count in Counter(
            zip(cands.need_seeker.tolist(), priority_of.tolist(), strict=True)
        ).items():
            s, p = key
            cap = int(seeker_caps.caps[p][s])
            if seeker_caps.limited[p][s] and met_of[key] >= cap:
                at_cap[key] = (cap, count)
    for n, need in enumerate(problem.needs):
        if met[n]:
            continue
        code, words = unmet_reason(
            cands,
            n,
            int(cand_count[n]),
            status,
            total_fee,
            use,
            untried=untried is not None and bool(untried[n]),
            budget_check=budget_check,
            interrupted=interrupted,
        )
        more = more_possible(need.priority, covered_by_priority, bounds)
        capped = at_cap.get((int(cands.need_seeker[n]), need.priority))
        limit = policy.max_buddies_per_seeker
        if code == "capacity" and capped is not None and limit is not None:
            words = with_seeker_cap(words, limit, *capped, need.priority)
        elif code == "capacity" and more:
            words = with_more_possible(words, more, need.priority)
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
                bound=bounds.get(priority),
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
            max_partners=partner_limit(t, policy),
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
