"""Why not that buddy: the rule that excludes a pair, or what it would cost.

A pair a hard rule excludes is answered with the first such rule and its
data ("travel 19.0 min < neighbour threshold 30 min").  A pair that could
be chosen is answered by a re-solve with the pair pinned: the change in
cover and in quality points, and every assignment that moves.
"""

from __future__ import annotations

from buddymatch.candidates import CandidateSet
from buddymatch.explain.assignments import (
    DEFAULT_ALTERNATIVES,
    explain_assignment,
    pair_terms,
)
from buddymatch.explain.infeasible import explain_infeasibility
from buddymatch.explain.proposal import (
    ProposalView,
    input_problem,
)
from buddymatch.explanation import Move, NeedRef, PairExplanation
from buddymatch.model import Policy, Problem, Relation
from buddymatch.params import SolveParams
from buddymatch.result import Result
from buddymatch.solvers.api import (
    capacity_shortfall,
    too_few_fitting,
    workload_words,
)
from buddymatch.travel import TravelModel
from buddymatch.wording import area_words, plural

#: Default seconds for the re-solve with the pair pinned.
DEFAULT_PIN_TIME_LIMIT = 10.0
#: How the re-solve with the pair pinned runs unless told: deterministic,
#: so that the same input gives the same explanation.
PIN_PARAMS = SolveParams(time_limit=DEFAULT_PIN_TIME_LIMIT, deterministic=True)


def _moves(items: set[tuple[str, str, str]]) -> tuple[Move, ...]:
    return tuple(Move(seeker=s, area=a, buddy=b) for s, a, b in sorted(items))


def _met(result: Result, problem: Problem) -> dict[tuple[str, str], int]:
    """Return the needs a feasible result covers, with their priority."""
    if not result.is_feasible():
        return {}
    unmet = {(u.seeker, u.area) for u in result.unmet}
    return {
        (n.seeker, n.area): n.priority
        for n in problem.needs
        if (n.seeker, n.area) not in unmet
    }


def _refs(
    keys: set[tuple[str, str]], met: dict[tuple[str, str], int]
) -> tuple[NeedRef, ...]:
    return tuple(
        NeedRef(seeker=s, area=a, priority=met[(s, a)])
        for s, a in sorted(keys)
    )


def _cannot_cover_words(
    view: ProposalView, need_index: int, position: int
) -> tuple[str, str]:
    """Say why a candidate pair can never be chosen, with the fix.

    Either the buddy's whole capacity is below the pair's workload
    (``capacity``), or the need has fewer candidates than buddies
    (``too_few_candidates``), or fewer candidates that can take its
    workload (``capacity``).
    """
    cands = view.cands
    need = view.need(need_index)
    buddy = view.trust_id(int(cands.buddy[position]))
    count = len(cands.pairs_of_need(need_index))
    head = f"{buddy} passes every hard rule"
    few = (
        f"{need.seeker}'s {area_words(need.area)} need takes "
        f"{plural(need.buddies, 'buddy')} and only {count} pass, so it "
        "cannot be covered"
    )
    short = capacity_shortfall(cands, position)
    if short is not None:
        workload = int(cands.workload[position])
        overridden = "override" in workload_words(cands, position)
        lower = (
            "lower the workload of the pair override"
            if overridden
            else "give the pair a lower workload with a pair override"
        )
        words = (
            f"{head}, but its {short}, so it cannot serve "
            f"{need.seeker}'s {area_words(need.area)} need: raise {buddy}'s "
            "capacity "
            f"to at least {workload}, or {lower}"
        )
        if count < need.buddies:
            return "too_few_candidates", f"{words}; and {few}."
        return "capacity", words + "."
    if count < need.buddies:
        return "too_few_candidates", f"{head}, but {few}."
    fitting = too_few_fitting(cands, need_index)
    assert fitting is not None  # else the pair would be usable
    pairs = cands.pairs_of_need(need_index).tolist()
    fit = sum(capacity_shortfall(cands, at) is None for at in pairs)
    more = need.buddies - fit
    return "capacity", (
        f"{head} and can take the workload, but {need.seeker}'s "
        f"{area_words(need.area)} need {fitting}, so it cannot be covered: "
        "raise the "
        f"capacity of {more} more of them to {'its' if more == 1 else 'their'}"
        " workload"
    ) + "."


def explain_pair(
    problem: Problem,
    policy: Policy | None,
    result: Result,
    seeker: str,
    area: str,
    buddy: str,
    *,
    k: int = DEFAULT_ALTERNATIVES,
    params: SolveParams | None = None,
    time_limit: float | None = None,
    workers: int | None = None,
    deterministic: bool | None = None,
    travel: TravelModel | None = None,
    candidates: CandidateSet | None = None,
) -> PairExplanation:
    """Say why *buddy* does or does not serve *seeker*'s *area* need.

    Parameters
    ----------
    problem, policy, result
        The proposal to explain (``policy=None`` means the defaults).
    seeker, area
        The need.
    buddy
        The buddy asked about.
    k
        Alternatives listed when the pair is assigned.
    params
        How the re-solve with the pair pinned runs (see
        [`SolveParams`][buddymatch.SolveParams]); default `PIN_PARAMS`:
        deterministic, so that the same input gives the same explanation,
        with `DEFAULT_PIN_TIME_LIMIT` deterministic time units.  Its
        time limit is also that of each feasibility solve when the pin
        cannot hold.
    time_limit, workers, deterministic
        The fields of *params*, given one by one instead (the others as
        in `PIN_PARAMS`); not with a *params* they differ from.
    travel
        The travel model the result was made with.
    candidates
        Pre-built candidates of ``problem.canonical()`` and *policy*.

    Returns
    -------
    PairExplanation
        ``assigned``, ``excluded`` (with the first hard rule),
        ``cannot_cover``, or ``allowed`` with the cost of pinning it.

    Raises
    ------
    InputError
        If the need or the buddy does not exist, or the result does not
        belong to the problem and policy.
    TypeError, ValueError
        If a setting is bad, or *params* is given with a keyword that
        differs from it (see [`SolveParams`][buddymatch.SolveParams]).
    """
    from buddymatch.solvers import propose

    params = SolveParams.merge(
        params,
        defaults=PIN_PARAMS,
        time_limit=time_limit,
        workers=workers,
        deterministic=deterministic,
    )
    policy = policy or Policy()
    view = ProposalView.build(
        problem, policy, result, travel=travel, candidates=candidates
    )
    if buddy not in view.trust_index:
        raise input_problem(
            "buddy",
            f"{buddy!r} is not a trust",
            "name a trust by its id",
        )
    need_index = view.need_index.get((seeker, area))
    if need_index is None:
        raise input_problem(
            "area",
            f"{seeker!r} has no {area!r} need",
            "name a seeker and one of its need areas",
        )
    cands = view.cands
    trust = view.trust_index[buddy]
    exclusion = cands.exclusion(need_index, trust)
    if exclusion is not None:
        code, words = exclusion
        return PairExplanation(
            seeker=seeker,
            area=area,
            buddy=buddy,
            status="excluded",
            rule=code,
            words=(
                f"{buddy} cannot serve {seeker}'s {area_words(area)} need: "
                f"{words}."
            ),
        )
    position = cands.position(need_index, trust)
    assert position is not None  # not excluded, so a candidate
    if not view.usable[position]:
        rule, words = _cannot_cover_words(view, need_index, position)
        return PairExplanation(
            seeker=seeker,
            area=area,
            buddy=buddy,
            status="cannot_cover",
            rule=rule,
            words=words,
        )
    if view.chosen[position]:
        assignment = explain_assignment(view, position, k)
        return PairExplanation(
            seeker=seeker,
            area=area,
            buddy=buddy,
            status="assigned",
            words=assignment.words + ".",
            assignment=assignment,
        )

    terms = ", ".join(t.words for t in pair_terms(view, position))
    current = sorted(
        view.trust_id(int(cands.buddy[at]))
        for at in view.chosen_of_need(need_index)
    )
    serving = (
        f"the proposal gives it {', '.join(current)}"
        if current
        else "the proposal leaves it unmet"
    )
    intro = (
        f"{buddy} may serve {seeker}'s {area_words(area)} need (every hard "
        "rule holds: "
        f"{terms}; score {float(cands.score[position]):g}), but {serving}."
    )
    pin = Relation(a=seeker, b=buddy, kind="pinned", area=area)
    pinned_problem = problem.replace(relations=(*problem.relations, pin))
    pinned = propose(pinned_problem, policy, params=params, travel=travel)
    if pinned.status == "infeasible":
        why = explain_infeasibility(
            pinned_problem,
            policy,
            time_limit=params.time_limit,
            travel=travel,
        )
        detail = why.words if why is not None else ""
        return PairExplanation(
            seeker=seeker,
            area=area,
            buddy=buddy,
            status="allowed",
            words=f"{intro} Pinning it cannot hold with the other rules. "
            f"{detail}".strip(),
            pinned_status=pinned.status,
            objective_before=result.objective,
            infeasibility=why,
            pinned_result=pinned,
        )
    if pinned.status == "no_solution":
        return PairExplanation(
            seeker=seeker,
            area=area,
            buddy=buddy,
            status="allowed",
            words=f"{intro} With it pinned, no proposal was found within "
            f"{params.time_limit:g} s; allow more time.",
            pinned_status=pinned.status,
            objective_before=result.objective,
            pinned_result=pinned,
        )
    before = {(a.seeker, a.area, a.buddy) for a in result.assignments}
    after = {(a.seeker, a.area, a.buddy) for a in pinned.assignments}
    met_before = _met(result, view.problem)
    met_after = _met(pinned, view.problem)
    newly_met = set(met_after) - set(met_before)
    newly_unmet = set(met_before) - set(met_after)
    change = (
        None
        if result.objective is None or pinned.objective is None
        else round(pinned.objective - result.objective, 3)
    )
    parts = [intro, "Pinning it"]
    if change is not None:
        parts.append(
            f"changes quality from {result.objective:g} to "
            f"{pinned.objective:g} points ({change:+g})"
        )
    else:
        parts.append(f"gives quality {pinned.objective:g} points")
    words = " ".join(parts)
    if newly_unmet:
        words += "; leaves unmet: " + ", ".join(
            f"{s}'s {a}" for s, a in sorted(newly_unmet)
        )
    if newly_met:
        words += "; newly meets: " + ", ".join(
            f"{s}'s {a}" for s, a in sorted(newly_met)
        )
    added, removed = after - before, before - after
    moves = [f"+ {b} for {s}'s {a}" for s, a, b in sorted(added)]
    moves += [f"- {b} for {s}'s {a}" for s, a, b in sorted(removed)]
    if moves:
        words += "; moves: " + "; ".join(moves)
    return PairExplanation(
        seeker=seeker,
        area=area,
        buddy=buddy,
        status="allowed",
        words=words + ".",
        pinned_status=pinned.status,
        objective_before=result.objective,
        objective_after=pinned.objective,
        objective_change=change,
        added=_moves(added),
        removed=_moves(removed),
        newly_met=_refs(newly_met, met_after),
        newly_unmet=_refs(newly_unmet, met_before),
        pinned_result=pinned,
    )
