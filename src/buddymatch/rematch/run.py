"""The re-solve loop: [`rematch`][buddymatch.rematch.run.rematch] plans,
solves, and solves again.

The engine counts only the buddies in its model, so a seeker with
arrangements kept outside it may get more buddies than
``max_buddies_per_seeker`` allows.  Such a seeker is limited to its best
buddies given the others (one solve of its needs alone) and the whole is
solved once more; a seeker whose kept buddies already reach the limit
gets no new buddy from the start.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from buddymatch.arrangement import Arrangement, arrangement_issues
from buddymatch.candidates import build_candidates
from buddymatch.errors import InputError, InputProblem
from buddymatch.model import Issue, Policy, Problem, Relation
from buddymatch.params import ProgressCallback, SolveParams
from buddymatch.rematch.diff import answer
from buddymatch.rematch.plan import Plan, make_plan
from buddymatch.rematch.room import ledger_of, room_left
from buddymatch.rematch_result import RematchResult
from buddymatch.result import Result
from buddymatch.solvers import propose
from buddymatch.travel import TravelModel

__all__ = ["rematch"]

# Where arrangements given in Python (not read from a file) are said to be.
_SOURCE = "<arrangements>"


def _raise_issues(issues: Sequence[Issue]) -> None:
    if issues:
        raise InputError(
            InputProblem(
                _SOURCE,
                ".".join(str(p) for p in issue.path[:2]),
                str(issue.path[2]) if len(issue.path) > 2 else None,
                issue.message,
                issue.fix,
            )
            for issue in issues
        )


def rematch(
    problem: Problem,
    policy: Policy | None = None,
    arrangements: Iterable[Arrangement] = (),
    *,
    params: SolveParams | None = None,
    time_limit: float | None = None,
    seed: int | None = None,
    workers: int | None = None,
    deterministic: bool | None = None,
    progress: ProgressCallback | None = None,
    stop: threading.Event | None = None,
    travel: TravelModel | None = None,
    solver_params: Mapping[str, Any] | None = None,
) -> RematchResult:
    """Re-match *problem* around the arrangements already in place.

    Ongoing arrangements are kept (pinned, or at ``disruption_cost`` in
    soft mode; one that now breaks a rule is kept and flagged); ended ones
    ban their seeker-buddy pair in every area; the rest is proposed as
    [`propose`][buddymatch.propose] would, so cover still comes first.

    Parameters
    ----------
    problem
        The trusts and needs now (new seekers and needs included).
    policy
        Rules and weights; ``keep_ongoing`` chooses pinned or soft.
    arrangements
        The arrangements in place (see
        [`Arrangement`][buddymatch.rematch.run.Arrangement]).
    params
        How each search runs, as for [`propose`][buddymatch.propose] (see
        [`SolveParams`][buddymatch.SolveParams]); the time limit applies to
        each
        solve, and ``progress`` reports the solves of the whole problem.
        A seeker whose buddies kept outside the model would, together
        with new ones, exceed ``max_buddies_per_seeker`` is limited to its
        best new buddies and solved once more.
    time_limit, seed, workers, deterministic, progress, stop, \
solver_params
        The fields of *params*, given one by one instead; not with a
        *params* they differ from.
    travel
        The travel model, as for [`propose`][buddymatch.propose].

    Returns
    -------
    RematchResult
        The diff, and the engine's result on the transformed problem.

    Raises
    ------
    InputError
        If an arrangement names an unknown trust or area, an ongoing one
        a need the seeker does not list, or the arrangements contradict
        each other or a pin (see
        [`arrangement_issues`][buddymatch.rematch.run.arrangement_issues]).
    TypeError, ValueError
        If a setting is bad, or *params* is given with a keyword that
        differs from it (see [`SolveParams`][buddymatch.SolveParams]).
    """
    params = SolveParams.merge(
        params,
        time_limit=time_limit,
        seed=seed,
        workers=workers,
        deterministic=deterministic,
        progress=progress,
        stop=stop,
        solver_params=solver_params,
    )
    policy = policy or Policy()
    items = tuple(arrangements)
    _raise_issues(arrangement_issues(problem, items))
    original = build_candidates(problem.canonical(), policy, travel=travel)
    plan = make_plan(problem, policy, items, original)

    limit = policy.max_buddies_per_seeker
    restricted: set[str] = set()
    extra: list[Relation] = []
    if limit is not None:
        for seeker in sorted(plan.fixed):
            pins = {
                e.item.buddy
                for e in plan.ongoing
                if e.kept_as == "pinned" and e.item.seeker == seeker
            }
            keep = plan.fixed[seeker] | pins
            if len(keep) >= limit:
                restricted.add(seeker)
                extra += _restrict(
                    plan.problem, seeker, keep, _limit_note(seeker, limit)
                )
                plan.notes.append(
                    f"{seeker} gets no new buddy: its kept buddies reach "
                    f"max_buddies_per_seeker {limit}"
                )
    # A seeker solved alone reports no progress: that is of the whole.
    alone = replace(params, progress=None, events=None)
    solves = 0
    while True:
        transformed = (
            plan.problem.replace(
                relations=plan.problem.relations + tuple(extra)
            )
            if extra
            else plan.problem
        )
        cands = build_candidates(
            transformed.canonical(), plan.policy, travel=travel
        )
        result = propose(
            transformed, plan.policy, params=params, candidates=cands
        )
        solves += 1
        if limit is None or not result.is_feasible():
            break
        over = _over_limit(plan, result, limit, restricted)
        if not over:
            break
        for seeker in over:
            keep = _best_buddies(
                plan, transformed, result, seeker, limit, alone, travel
            )
            restricted.add(seeker)
            extra += _restrict(
                transformed, seeker, keep, _limit_note(seeker, limit)
            )
            new_ones = sorted(keep - plan.fixed[seeker])
            plan.notes.append(
                f"{seeker}: new buddies limited to "
                f"{', '.join(new_ones) or 'none'} so that, with the ones "
                f"kept outside the model, it stays within "
                f"max_buddies_per_seeker {limit}"
            )
    if solves > 1:
        plan.notes.append(f"solved {solves} times")
    plan.problem = transformed
    return answer(problem, items, plan, result, cands, policy.budget)


def _limit_note(seeker: str, limit: int) -> str:
    return (
        f"re-matching: {seeker} keeps buddies outside the model; this keeps "
        f"it within max_buddies_per_seeker {limit}"
    )


def _restrict(
    problem: Problem, seeker: str, keep: set[str], why: str
) -> list[Relation]:
    """Return vetoes keeping *seeker* to the buddies in *keep*."""
    vetoed = {
        r.b for r in problem.relations if r.kind == "veto" and r.a == seeker
    }
    return [
        Relation(a=seeker, b=t.id, kind="veto", note=why)
        for t in problem.trusts
        if t.capacity > 0
        and t.id != seeker
        and t.id not in keep
        and t.id not in vetoed
    ]


def _over_limit(
    plan: Plan, result: Result, limit: int, restricted: set[str]
) -> list[str]:
    """Return seekers whose buddies, kept outside included, exceed *limit*.

    The engine counts only the buddies in its model, so a seeker with
    arrangements kept outside it may get too many.
    """
    over: list[str] = []
    for seeker in sorted(plan.outside_buddies):
        if seeker in restricted:
            continue
        mine = {a.buddy for a in result.assignments if a.seeker == seeker}
        if len(plan.outside_buddies[seeker] | mine) > limit:
            over.append(seeker)
    return over


def _best_buddies(
    plan: Plan,
    transformed: Problem,
    result: Result,
    seeker: str,
    limit: int,
    params: SolveParams,
    travel: TravelModel | None,
) -> set[str]:
    """Return the buddies *seeker* may keep so that it stays within *limit*.

    Solves the seeker's needs on their own, with what the other seekers
    use in *result* taken off capacity, partner limits and budget, and
    with room for only as many buddies as the ones kept outside the model
    leave.  That choice is the best for the seeker given the others, so
    restricting the seeker to it and solving again loses no cover the
    others have, and can cost the seeker only what the limit demands.
    """
    policy = plan.policy
    others = ledger_of(
        transformed,
        policy,
        (
            (a.seeker, a.buddy, a.workload, a.fee)
            for a in result.assignments
            if a.seeker != seeker
        ),
    )
    room = room_left(transformed.trusts, others)
    alone = transformed.replace(
        trusts=room.trusts,
        needs=tuple(n for n in transformed.needs if n.seeker == seeker),
        relations=tuple(
            r
            for r in transformed.relations
            if r.kind != "pinned" or r.a == seeker
        ),
        overrides=tuple(
            o for o in transformed.overrides if o.seeker == seeker
        ),
    )
    pinned = {
        e.item.buddy
        for e in plan.ongoing
        if e.kept_as == "pinned" and e.item.seeker == seeker
    }
    outside_only = plan.outside_buddies[seeker] - pinned
    changes: dict[str, Any] = {
        "max_buddies_per_seeker": max(0, limit - len(outside_only))
    }
    if room.budget is not None:
        changes["budget"] = room.budget
    mine = propose(
        alone,
        Policy.model_validate({**policy.model_dump(), **changes}),
        params=params,
        travel=travel,
    )
    keep = plan.fixed[seeker] | pinned
    if mine.is_feasible():
        keep |= {a.buddy for a in mine.assignments}
    return keep
