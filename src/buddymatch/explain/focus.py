"""One part of a proposal explained: a need, or a buddy.

A national proposal explained in full runs to thousands of lines, and
every unmet need's policy changes take re-solves; most questions are
about one need ("why these buddies for RXX's finance?") or one buddy
("what does RYY do, and has it room?").  These answer one such question,
with the same explanations
[`explain_result`][buddymatch.explain.explain_result]
gives, for that part only.
"""

from __future__ import annotations

from collections import Counter
from typing import cast

import numpy as np

from buddymatch.candidates import REASONS, CandidateSet
from buddymatch.explain.assignments import (
    DEFAULT_ALTERNATIVES,
    explain_assignment,
)
from buddymatch.explain.bundle import (
    RESOLVE_PARAMS,
    explain_result,
    proposal_notes,
)
from buddymatch.explain.proposal import ProposalView, input_problem, names_of
from buddymatch.explain.unmet import (
    DEFAULT_MAX_RESOLVES,
    Relaxer,
    explain_unmet_need,
)
from buddymatch.explanation import (
    BuddyExplanation,
    BuddyOpening,
    ResultExplanation,
)
from buddymatch.model import Policy, Problem
from buddymatch.params import SolveParams
from buddymatch.result import Result
from buddymatch.rules import RoomLimitName
from buddymatch.travel import TravelModel
from buddymatch.wording import plural


def _no_need(seeker: str, area: str) -> Exception:
    return input_problem(
        "area",
        f"{seeker!r} has no {area!r} need",
        "name a seeker and one of its need areas",
    )


def explain_need(
    problem: Problem,
    policy: Policy | None,
    result: Result,
    seeker: str,
    area: str,
    k: int = DEFAULT_ALTERNATIVES,
    *,
    relax: bool = True,
    params: SolveParams | None = None,
    max_resolves: int = DEFAULT_MAX_RESOLVES,
    travel: TravelModel | None = None,
    candidates: CandidateSet | None = None,
) -> ResultExplanation:
    """Explain one need: why its buddies, or why it is unmet.

    Parameters
    ----------
    problem, policy, result
        The proposal (``policy=None`` means the defaults); the result must
        come from this problem and policy.
    seeker, area
        The need.
    k
        Alternatives listed per buddy of the need.
    relax
        For an unmet need, look for one-parameter policy changes that
        cover it (each confirmed by a re-solve).
    params
        How each such re-solve runs; by default as for
        [explain_result][buddymatch.explain.explain_result]
        (deterministic).
    max_resolves
        Re-solves for the need.
    travel
        The travel model the result was made with.
    candidates
        Pre-built candidates of ``problem.canonical()`` and *policy*.

    Returns
    -------
    ResultExplanation
        The explanation of the result, holding only this need: its
        assignments (each with its score by term and its alternatives),
        or its unmet explanation.  For a result without a proposal
        (infeasible, no solution), the explanation of the whole result.

    Raises
    ------
    InputError
        If the seeker has no such need, or the result does not belong to
        the problem and policy.
    """
    params = SolveParams.merge(params, defaults=RESOLVE_PARAMS)
    policy = policy or Policy()
    if not result.is_feasible():
        if not any(
            (n.seeker, n.area) == (seeker, area) for n in problem.needs
        ):
            raise _no_need(seeker, area)
        return explain_result(
            problem, policy, result, k, relax=False, travel=travel
        )
    view = ProposalView.build(
        problem, policy, result, travel=travel, candidates=candidates
    )
    need_index = view.need_index.get((seeker, area))
    if need_index is None:
        raise _no_need(seeker, area)
    assignments = tuple(
        sorted(
            (
                explain_assignment(view, p, k)
                for p in view.chosen_of_need(need_index)
            ),
            key=lambda a: a.buddy,
        )
    )
    unmet = [u for u in result.unmet if (u.seeker, u.area) == (seeker, area)]
    relaxer = (
        Relaxer(view, params=params, max_resolves=max_resolves)
        if relax and unmet
        else None
    )
    named = [seeker]
    for a in assignments:
        named.append(a.buddy)
        named.extend(alt.buddy for alt in a.alternatives)
    return ResultExplanation(
        status=result.status,
        objective=result.objective,
        names=names_of(problem, named),
        assignments=assignments,
        unmet=tuple(explain_unmet_need(view, u, relaxer) for u in unmet),
        notes=proposal_notes(result),
    )


def explain_buddy(
    problem: Problem,
    policy: Policy | None,
    result: Result,
    buddy: str,
    k: int = DEFAULT_ALTERNATIVES,
    *,
    travel: TravelModel | None = None,
    candidates: CandidateSet | None = None,
) -> BuddyExplanation:
    """Explain what one buddy does in a proposal, and the room it has left.

    No re-solve: the answer reads the proposal and the candidate pairs.

    Parameters
    ----------
    problem, policy, result
        The proposal (``policy=None`` means the defaults); the result must
        come from this problem and policy.
    buddy
        The trust's id.
    k
        Alternatives listed for each need it serves.
    travel
        The travel model the result was made with.
    candidates
        Pre-built candidates of ``problem.canonical()`` and *policy*.

    Returns
    -------
    BuddyExplanation
        Its capacity used and left, its partners, why it serves each need
        it serves, the rules that keep it from the other needs, and why it
        serves none of the unmet needs it passes the rules for.

    Raises
    ------
    InputError
        If *buddy* is not a trust, or the result does not belong to the
        problem and policy.
    """
    policy = policy or Policy()
    feasible = result.is_feasible()
    # Without a proposal the buddy serves nothing: read it as empty.
    shown = (
        result if feasible else result.model_copy(update={"assignments": ()})
    )
    view = ProposalView.build(
        problem, policy, shown, travel=travel, candidates=candidates
    )
    b = view.trust_index.get(buddy)
    if b is None:
        raise input_problem(
            "buddy", f"{buddy!r} is not a trust", "name a trust by its id"
        )
    cands = view.cands
    trust = view.problem.trusts[b]
    used = int(view.used[b])
    serves = tuple(
        sorted(
            (explain_assignment(view, p, k) for p in view.chosen_of_buddy(b)),
            key=lambda a: (a.seeker, a.area),
        )
    )
    partners = tuple(cands.seekers[row] for row in view.partners.get(b, []))
    limit = view.partner_limit(b)
    candidate_needs = int(np.unique(cands.need[cands.buddy == b]).size)
    codes = Counter(int(c) for c in cands.reason[:, b] if c)
    excluded = {
        REASONS[code - 1]: count for code, count in sorted(codes.items())
    }
    openings = []
    for u in sorted(
        result.unmet if feasible else (),
        key=lambda u: (-u.priority, u.seeker, u.area),
    ):
        need_index = view.need_index[(u.seeker, u.area)]
        position = cands.position(need_index, b)
        if position is None:
            continue
        room = view.room(need_index, b, int(cands.workload[position]))
        if room is not None:
            code, words = room
            openings.append(
                BuddyOpening(
                    seeker=u.seeker,
                    area=u.area,
                    priority=u.priority,
                    limit=cast(RoomLimitName, code),
                    words=f"no room: {words}",
                )
            )
        else:
            openings.append(
                BuddyOpening(
                    seeker=u.seeker,
                    area=u.area,
                    priority=u.priority,
                    words=(
                        f"{buddy} has room for it; the need is unmet "
                        f"because {u.detail}"
                    ),
                )
            )
    words = _buddy_words(
        buddy,
        trust.capacity,
        used,
        serves,
        partners,
        limit,
        candidate_needs,
        excluded,
    )
    named = [buddy, *partners, *(o.seeker for o in openings)]
    for a in serves:
        named.extend(alt.buddy for alt in a.alternatives)
    return BuddyExplanation(
        buddy=buddy,
        capacity=trust.capacity,
        used=used,
        left=trust.capacity - used,
        partners=partners,
        partner_limit=limit,
        candidate_needs=candidate_needs,
        excluded=excluded,
        serves=serves,
        openings=tuple(openings),
        words=words,
        names=names_of(problem, named),
    )


def _buddy_words(
    buddy: str,
    capacity: int,
    used: int,
    serves: tuple[object, ...],
    partners: tuple[str, ...],
    limit: int | None,
    candidate_needs: int,
    excluded: dict[str, int],
) -> str:
    """Return a buddy's summary in words."""
    if not candidate_needs:
        rules = ", ".join(
            f"{rule} for {plural(count, 'need')}"
            for rule, count in sorted(
                excluded.items(), key=lambda item: -item[1]
            )
        )
        return (
            f"{buddy} passes the hard rules for no need (first rule "
            f"excluding it: {rules}), so it serves none"
        )
    room = f"{used} of {capacity} units used, {capacity - used} left"
    limit_words = (
        f", {len(partners)} of at most {limit} partners"
        if limit is not None
        else ""
    )
    if not serves:
        return (
            f"{buddy} serves no need in this proposal ({room}); it passes "
            f"the hard rules for {plural(candidate_needs, 'need')}"
        )
    return (
        f"{buddy} serves {plural(len(serves), 'need')} of "
        f"{plural(len(partners), 'seeker')} ({room}{limit_words}); it "
        f"passes the hard rules for {plural(candidate_needs, 'need')}"
    )
