"""The answer: the engine's result on the transformed problem, as a diff.

`answer` turns the plan and the engine's result into a
[`RematchResult`][buddymatch.rematch_result.RematchResult]: what is kept (and
how), what is new, ended or dropped, and the needs left unmet, with cover
counted over the original needs.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from typing import Any

from buddymatch.arrangement import Arrangement
from buddymatch.candidates import CandidateSet
from buddymatch.model import Policy, Problem
from buddymatch.rematch.plan import Ongoing, Plan
from buddymatch.rematch_result import Change, ChangeKind, RematchResult
from buddymatch.result import (
    Coverage,
    Result,
    UnmetNeed,
    assignment_reason,
)
from buddymatch.terms_model import add_months

__all__ = ["answer", "coverage"]


def answer(
    problem: Problem,
    arrangements: Sequence[Arrangement],
    plan: Plan,
    result: Result,
    cands: CandidateSet,
    budget: float | None,
) -> RematchResult:
    """Build the diff from the plan and the engine's result."""
    names = {t.id: t.name or t.id for t in problem.trusts}
    needs = {(n.seeker, n.area): n for n in problem.needs}
    policy = plan.policy
    feasible = result.is_feasible()
    chosen = {(a.seeker, a.area, a.buddy): a for a in result.assignments}
    unmet_keys = {(u.seeker, u.area) for u in result.unmet}

    def change(
        kind: ChangeKind,
        item: Arrangement | None,
        triple: tuple[str, str, str],
        **values: Any,
    ) -> Change:
        seeker, area, buddy = triple
        need = needs.get((seeker, area))
        tier = need.tier if need is not None else None
        fee = policy.tiers[tier].fee if tier is not None else 0.0
        workload = policy.tiers[tier].workload if tier is not None else 0
        base: dict[str, Any] = {
            "kind": kind,
            "seeker": seeker,
            "seeker_name": names.get(seeker, seeker),
            "area": area,
            "tier": tier,
            "buddy": buddy,
            "buddy_name": names.get(buddy, buddy),
            "workload": workload,
            "fee": fee,
            "start": item.start if item is not None else None,
        }
        base.update(values)
        return Change(**base)

    kept: list[Change] = []
    dropped: list[Change] = []
    disruption = 0.0
    for entry in plan.ongoing:
        values: dict[str, Any] = {
            "workload": entry.workload,
            "fee": entry.fee,
            "flags": tuple(entry.flags),
        }
        if entry.kept_as == "soft" and feasible and entry.triple not in chosen:
            disruption += policy.disruption_cost
            dropped.append(
                change(
                    "dropped",
                    entry.item,
                    entry.triple,
                    note=_dropped_note(entry, cands, unmet_keys, policy),
                    disruption=policy.disruption_cost,
                    **values,
                )
            )
            continue
        note = entry.note or (
            "ongoing"
            if entry.kept_as == "pinned"
            else "kept: worth more than releasing it"
        )
        due = _term_end(entry, policy)
        if due is not None and due < policy.effective_start():
            note += (
                f"; its {entry.need.tier} term ended on {due.isoformat()}: "
                "agree whether to renew or end it"
            )
        kept.append(
            change(
                "kept",
                entry.item,
                entry.triple,
                kept_as=entry.kept_as,
                note=note,
                **values,
            )
        )
    ongoing = {e.triple for e in plan.ongoing}
    ongoing_pairs = {(e.item.seeker, e.item.buddy) for e in plan.ongoing}
    new = []
    for triple, a in chosen.items():
        if triple in ongoing:
            continue
        note = assignment_reason(a)
        if (a.seeker, a.buddy) in ongoing_pairs:
            note = "joins an ongoing partnership; " + note
        new.append(
            change(
                "new", None, triple, workload=a.workload, fee=a.fee, note=note
            )
        )
    ended = [
        change(
            "ended",
            item,
            (item.seeker, item.area, item.buddy),
            note=f"ended: {item.seeker} with {item.buddy} is not proposed "
            "again, in any area",
        )
        for item in arrangements
        if item.status == "ended"
    ]

    unmet: list[UnmetNeed] = []
    for u in result.unmet:
        need = needs[(u.seeker, u.area)]
        kept_out = plan.served.get((u.seeker, u.area), 0)
        if not kept_out:
            unmet.append(u)
            continue
        unmet.append(
            UnmetNeed.model_validate(
                {
                    **u.model_dump(),
                    "buddies": need.buddies,
                    "detail": f"{kept_out} of its {need.buddies} buddies "
                    "continue (ongoing); the rest could not be found: "
                    + u.detail,
                }
            )
        )
    cover = coverage(problem, result, plan)
    outside_fees = sum(e.fee for e in plan.ongoing if e.kept_as == "outside")

    def key(c: Change) -> tuple[str, str, str]:
        return (c.seeker, c.area, c.buddy)

    return RematchResult(
        status=result.status,
        result=result,
        kept=tuple(sorted(kept, key=key)),
        new=tuple(sorted(new, key=key)),
        ended=tuple(sorted(ended, key=key)),
        dropped=tuple(sorted(dropped, key=key)),
        unmet=tuple(sorted(unmet, key=lambda u: (u.seeker, u.area))),
        coverage=cover,
        total_fee=round(result.total_fee + outside_fees, 2),
        disruption=disruption,
        budget=budget,
        notes=tuple(plan.notes),
        problem=plan.problem,
    )


def _term_end(entry: Ongoing, policy: Policy) -> dt.date | None:
    """Return the last day of an arrangement's tier term, if it started."""
    if entry.item.start is None:
        return None
    months = policy.tiers[entry.need.tier].months
    return add_months(entry.item.start, months) - dt.timedelta(days=1)


def _dropped_note(
    entry: Ongoing,
    cands: CandidateSet,
    unmet: set[tuple[str, str]],
    policy: Policy,
) -> str:
    seeker, area, buddy = entry.triple
    if (seeker, area) in unmet:
        return (
            "released: its need could not be covered with all the buddies "
            "it asks for"
        )
    canonical = cands.problem
    n = next(
        (
            i
            for i, need in enumerate(canonical.needs)
            if (need.seeker, need.area) == (seeker, area)
        ),
        None,
    )
    if n is None:
        return (
            "released: its need is served by the ongoing arrangements kept "
            "outside the model"
        )
    j = canonical.trust_ids.index(buddy)
    exclusion = cands.exclusion(n, j)
    if exclusion is not None:
        return f"released: no longer possible ({exclusion[1]})"
    return (
        "released: another buddy serves the need better by more than the "
        f"disruption cost of {policy.disruption_cost:g} points, or keeping "
        "it stood in the way of covering a more urgent need"
    )


def coverage(
    problem: Problem, result: Result, plan: Plan
) -> tuple[Coverage, ...]:
    """Needs covered per priority, over the original needs."""
    unmet = {(u.seeker, u.area) for u in result.unmet}
    feasible = result.is_feasible()
    in_model = {(n.seeker, n.area) for n in plan.problem.needs}
    covered: Counter[int] = Counter()
    total: Counter[int] = Counter()
    for need in problem.needs:
        key = (need.seeker, need.area)
        total[need.priority] += 1
        if key not in in_model or (feasible and key not in unmet):
            covered[need.priority] += 1
    return tuple(
        Coverage(priority=p, covered=covered[p], total=total[p])
        for p in sorted(total, reverse=True)
    )
