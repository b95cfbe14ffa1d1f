"""Every explanation of a result, in one object."""

from __future__ import annotations

from buddymatch.candidates import CandidateSet
from buddymatch.explain.assignments import (
    DEFAULT_ALTERNATIVES,
    explain_assignments,
)
from buddymatch.explain.infeasible import explain_infeasibility
from buddymatch.explain.proposal import ProposalView, names_of
from buddymatch.explain.unmet import (
    DEFAULT_MAX_RESOLVES,
    DEFAULT_RESOLVE_TIME_LIMIT,
    Relaxer,
    explain_unmet_need,
)
from buddymatch.explanation import Infeasibility, ResultExplanation
from buddymatch.model import Policy, Problem
from buddymatch.params import SolveParams
from buddymatch.result import Result
from buddymatch.solvers.api import DEFAULT_CORE_TIME_LIMIT
from buddymatch.travel import TravelModel

#: How the re-solves that confirm a policy change run unless told:
#: deterministic, so that the same input gives the same explanation.
RESOLVE_PARAMS = SolveParams(
    time_limit=DEFAULT_RESOLVE_TIME_LIMIT, deterministic=True
)


def explain_result(
    problem: Problem,
    policy: Policy | None,
    result: Result,
    k: int = DEFAULT_ALTERNATIVES,
    *,
    relax: bool = True,
    params: SolveParams | None = None,
    time_limit: float | None = None,
    max_resolves: int = DEFAULT_MAX_RESOLVES,
    core_time_limit: float = DEFAULT_CORE_TIME_LIMIT,
    workers: int | None = None,
    deterministic: bool | None = None,
    travel: TravelModel | None = None,
    candidates: CandidateSet | None = None,
) -> ResultExplanation:
    """Explain a result: why each buddy, why each unmet need, why
    infeasible.

    Parameters
    ----------
    problem, policy, result
        The proposal to explain (``policy=None`` means the defaults); the
        result must come from this problem and policy.
    k
        Alternatives listed per assignment.
    relax
        Look for one-parameter policy changes that cover each unmet need
        (each confirmed by a re-solve).
    params
        How each re-solve runs (see [`SolveParams`][buddymatch.SolveParams]);
        default `RESOLVE_PARAMS`: deterministic, so that the same
        input gives the same explanation, with a time limit per re-solve
        of `DEFAULT_RESOLVE_TIME_LIMIT`
        deterministic time units.
    time_limit, workers, deterministic
        The fields of *params*, given one by one instead (the others as
        in `RESOLVE_PARAMS`); not with a *params* they differ from.
    max_resolves
        Re-solves per unmet need.
    core_time_limit
        Seconds per feasibility solve of an infeasibility core.
    travel
        The travel model the result was made with.
    candidates
        Pre-built candidates of ``problem.canonical()`` and *policy*.

    Returns
    -------
    ResultExplanation
        Every explanation, JSON-serialisable.

    Raises
    ------
    InputError
        If the result does not belong to the problem and policy, or the
        inputs are bad (as for [`buddymatch.propose`][buddymatch.propose]).
    TypeError, ValueError
        If a setting is bad, or *params* is given with a keyword that
        differs from it (see [`SolveParams`][buddymatch.SolveParams]).
    """
    params = SolveParams.merge(
        params,
        defaults=RESOLVE_PARAMS,
        time_limit=time_limit,
        workers=workers,
        deterministic=deterministic,
    )
    policy = policy or Policy()
    notes: list[str] = []
    if result.status == "infeasible":
        why: Infeasibility | None = explain_infeasibility(
            problem,
            policy,
            time_limit=core_time_limit,
            travel=travel,
            candidates=candidates,
        )
        if why is None:
            notes.append(
                "The pins and limits can all hold together when checked "
                "on their own; re-run the proposal with more time."
            )
        named = [m.seeker for m in why.members if m.seeker] if why else []
        named += [m.buddy for m in why.members if m.buddy] if why else []
        return ResultExplanation(
            status=result.status,
            names=names_of(problem, named),
            infeasibility=why,
            notes=tuple(notes),
        )
    if result.status == "no_solution":
        return ResultExplanation(
            status=result.status,
            names=names_of(problem, [n.seeker for n in problem.needs]),
            notes=(
                "No proposal was found within the time limit, so there is "
                "nothing to explain yet; allow more time.",
            ),
        )
    view = ProposalView.build(
        problem, policy, result, travel=travel, candidates=candidates
    )
    assignments = explain_assignments(view, k)
    relaxer = (
        Relaxer(view, params=params, max_resolves=max_resolves)
        if relax
        else None
    )
    unmet = tuple(
        explain_unmet_need(view, u, relaxer)
        for u in sorted(
            result.unmet, key=lambda u: (-u.priority, u.seeker, u.area)
        )
    )
    notes.extend(proposal_notes(result))
    named = [n.seeker for n in problem.needs]
    for a in assignments:
        named.append(a.buddy)
        named.extend(alt.buddy for alt in a.alternatives)
    return ResultExplanation(
        status=result.status,
        objective=result.objective,
        names=names_of(problem, named),
        assignments=assignments,
        unmet=unmet,
        notes=tuple(notes),
    )


def proposal_notes(result: Result) -> tuple[str, ...]:
    """Return what a reader of any explanation of *result* should know:
    that it is not proven optimal, when it is not."""
    if result.status != "feasible":
        return ()
    gap = f"{result.gap:.2%}" if result.gap is not None else "unknown"
    return (
        f"The proposal is not proven optimal (gap {gap}): a better "
        "alternative may exist that the search did not reach.",
    )
