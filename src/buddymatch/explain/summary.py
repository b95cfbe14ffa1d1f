"""A proposal in brief: the first thing ``buddymatch explain`` shows.

[explain_summary][buddymatch.explain.explain_summary] reads the result
alone (no re-solve, no candidate pairs), so it answers at once even for a
national proposal; the explanations behind each of its lines come on
request, one need, one pair or one buddy at a time.
"""

from __future__ import annotations

from buddymatch.explain.bundle import proposal_notes
from buddymatch.explain.proposal import names_of
from buddymatch.explanation import ResultSummary
from buddymatch.model import Policy, Problem
from buddymatch.result import Result


def explain_summary(
    problem: Problem, policy: Policy | None, result: Result
) -> ResultSummary:
    """Summarise a result: cover, size, fees and every unmet need in a line.

    Parameters
    ----------
    problem, policy, result
        The proposal (``policy=None`` means the defaults); the result must
        come from this problem and policy (check it with
        [verify][buddymatch.verify] when it was read from a file).

    Returns
    -------
    ResultSummary
        The summary, JSON-serialisable; the unmet needs most urgent
        first, each with the result's own words on why.
    """
    policy = policy or Policy()
    notes = list(proposal_notes(result))
    if result.status == "no_solution":
        notes.append(
            "No proposal was found within the time limit, so there is "
            "nothing to explain yet; allow more time."
        )
    elif result.status == "infeasible":
        notes.append("The pins and forced rules cannot all hold together.")
    unmet = tuple(
        sorted(result.unmet, key=lambda u: (-u.priority, u.seeker, u.area))
    )
    seekers = sorted({n.seeker for n in problem.needs})
    short = {u.seeker for u in unmet}
    if not result.is_feasible():
        short = set(seekers)
    buddies = {a.buddy for a in result.assignments}
    full = sum(
        1
        for use in result.utilisation
        if use.buddy in buddies and use.workload >= use.capacity
    )
    named = [*seekers, *buddies]
    return ResultSummary(
        status=result.status,
        coverage=tuple(sorted(result.coverage, key=lambda c: -c.priority)),
        objective=result.objective,
        bound=result.bound,
        gap=result.gap,
        needs=len(problem.needs),
        met=sum(c.covered for c in result.coverage),
        seekers=len(seekers),
        seekers_all_met=len(seekers) - len(short),
        assignments=len(result.assignments),
        partnerships=len(result.partnerships),
        pinned=sum(1 for a in result.assignments if a.pinned),
        buddies=len(buddies),
        buddies_full=full,
        total_fee=result.total_fee,
        budget=policy.budget,
        unmet=unmet,
        infeasibility=result.infeasibility,
        notes=tuple(notes),
        names=names_of(problem, named),
    )
