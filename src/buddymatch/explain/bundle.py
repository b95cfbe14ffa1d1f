"""Every explanation of a result, in one object."""

from __future__ import annotations

from buddymatch.candidates import CandidateSet
from buddymatch.explain.assignments import (
    DEFAULT_ALTERNATIVES,
    explain_assignments,
)
from buddymatch.explain.infeasible import explain_infeasibility
from buddymatch.explain.models import Infeasibility, ResultExplanation
from buddymatch.explain.proposal import ProposalView, names_of
from buddymatch.explain.unmet import (
    DEFAULT_MAX_RESOLVES,
    DEFAULT_RESOLVE_TIME_LIMIT,
    Relaxer,
    explain_unmet_need,
)
from buddymatch.model import Policy, Problem
from buddymatch.result import Result
from buddymatch.solvers.api import DEFAULT_CORE_TIME_LIMIT
from buddymatch.travel import TravelModel


def explain_result(
    problem: Problem,
    policy: Policy | None,
    result: Result,
    k: int = DEFAULT_ALTERNATIVES,
    *,
    relax: bool = True,
    time_limit: float = DEFAULT_RESOLVE_TIME_LIMIT,
    max_resolves: int = DEFAULT_MAX_RESOLVES,
    core_time_limit: float = DEFAULT_CORE_TIME_LIMIT,
    workers: int | None = None,
    deterministic: bool = True,
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
    time_limit
        Seconds per re-solve (deterministic mode).
    max_resolves
        Re-solves per unmet need.
    core_time_limit
        Seconds per feasibility solve of an infeasibility core.
    workers
        Solver threads per re-solve.
    deterministic
        Re-solve in deterministic mode (the same input gives the same
        explanation); ``time_limit`` is then in deterministic time units.
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
        inputs are bad (as for :func:`buddymatch.propose`).
    """
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
        Relaxer(
            view,
            time_limit=time_limit,
            max_resolves=max_resolves,
            workers=workers,
            deterministic=deterministic,
        )
        if relax
        else None
    )
    unmet = tuple(
        explain_unmet_need(view, u, relaxer)
        for u in sorted(
            result.unmet, key=lambda u: (-u.priority, u.seeker, u.area)
        )
    )
    if result.status == "feasible":
        gap = f"{result.gap:.2%}" if result.gap is not None else "unknown"
        notes.append(
            f"The proposal is not proven optimal (gap {gap}): a better "
            "alternative may exist that the search did not reach."
        )
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
