"""Why a need is unmet, in codes and words, and how many more may be met.

The reasons an assembled result gives its unmet needs (``no_candidate``,
``too_few_candidates``, ``capacity``, ``budget``, ``not_solved`` ...),
their words, and the cover bounds behind "up to N more needs of this
priority may be coverable".  They read the room a proposal leaves from
`buddymatch.solvers.room`, so the reasons and the explanations'
funnel agree.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import numpy as np

from buddymatch.candidates import REASONS, CandidateSet
from buddymatch.errors import SolverError
from buddymatch.model import Need, Policy
from buddymatch.result import (
    Status,
    UnmetReason,
)
from buddymatch.solvers.room import (
    NeedRoom,
    ProposalUse,
    over_budget,
    usable_candidates,
)
from buddymatch.wording import plural

#: What the words say of an unmet need the proposal has room for.
UNPROVEN = "not met in this proposal, not proven impossible"


def _passing(n: int) -> str:
    """Return ``1 buddy passes`` / ``3 buddies pass``."""
    return f"{plural(n, 'buddy')} {'passes' if n == 1 else 'pass'}"


def workload_source(policy: Policy, need: Need, workload: int) -> str:
    """Name a pair's workload and where it comes from.

    Parameters
    ----------
    policy
        The policy (its tiers).
    need
        The pair's need.
    workload
        The pair's workload.

    Returns
    -------
    str
        ``the intensive workload (6)``, or ``the workload a pair override
        sets (4)`` when an override changes the tier's workload.
    """
    if workload == policy.tiers[need.tier].workload:
        return f"the {need.tier} workload ({workload})"
    return f"the workload a pair override sets ({workload})"


def workload_words(cands: CandidateSet, position: int) -> str:
    """Name a candidate pair's workload and where it comes from (see
    `workload_source`)."""
    need = cands.problem.needs[int(cands.need[position])]
    return workload_source(cands.policy, need, int(cands.workload[position]))


def capacity_shortfall(cands: CandidateSet, position: int) -> str | None:
    """Say that a buddy's whole capacity is below a pair's workload.

    Parameters
    ----------
    cands
        The candidate pairs.
    position
        A candidate pair.

    Returns
    -------
    str or None
        ``capacity (1) is below the intensive workload (6)`` (the caller
        names whose), or ``None`` when the workload fits the capacity.
    """
    capacity = cands.problem.trusts[int(cands.buddy[position])].capacity
    if int(cands.workload[position]) <= capacity:
        return None
    return f"capacity ({capacity}) is below {workload_words(cands, position)}"


def _capacities(cands: CandidateSet) -> np.ndarray:
    """Return every trust's capacity, by trust index."""
    trusts = cands.problem.trusts
    return np.fromiter((t.capacity for t in trusts), np.int64, len(trusts))


def too_few_fitting(
    cands: CandidateSet, need: int, capacity: np.ndarray | None = None
) -> str | None:
    """Say that too few of a need's candidates can take its workload.

    Parameters
    ----------
    cands
        The candidate pairs.
    need
        The need's index.
    capacity
        Every trust's capacity, if at hand.

    Returns
    -------
    str or None
        ``takes 2 buddies and only 1 of the 3 that pass the hard rules
        can take its workload (B4's capacity (1) is below the intensive
        workload (6))``; ``None`` when enough can, or when too few pass
        the hard rules in the first place.
    """
    pairs = cands.pairs_of_need(need)
    wanted = cands.problem.needs[need].buddies
    if len(pairs) < wanted:
        return None
    if capacity is None:
        capacity = _capacities(cands)
    short = pairs[cands.workload[pairs] > capacity[cands.buddy[pairs]]]
    fitting = len(pairs) - len(short)
    if fitting >= wanted:
        return None
    trusts = cands.problem.trusts
    named = "; ".join(
        f"{trusts[int(cands.buddy[at])].id}'s "
        f"{capacity_shortfall(cands, int(at))}"
        for at in short[:3].tolist()
    )
    more = f"; and {len(short) - 3} more" if len(short) > 3 else ""
    return (
        f"takes {plural(wanted, 'buddy')} and only {fitting} of the "
        f"{len(pairs)} that pass the hard rules can take its workload "
        f"({named}{more})"
    )


def unusable_words(cands: CandidateSet, need: int, buddy: int) -> str:
    """Say why a candidate pair can never be chosen."""
    at = cands.position(need, buddy)
    assert at is not None  # a candidate
    wanted = cands.problem.needs[need].buddies
    count = len(cands.pairs_of_need(need))
    parts = []
    short = capacity_shortfall(cands, at)
    if short is not None:
        parts.append(f"{cands.problem.trusts[buddy].id}'s {short}")
    if count < wanted:
        parts.append(
            f"needs {plural(wanted, 'buddy')} but only {count} pass the "
            "hard rules"
        )
    elif short is None:
        fitting = too_few_fitting(cands, need)
        assert fitting is not None  # else the pair would be usable
        parts.append(f"the need {fitting}")
    return "; and ".join(parts)


def _funnel_words(cands: CandidateSet, need: int) -> str:
    """Count the trusts each rule excluded for one need."""
    codes = Counter(cands.reason[need].tolist())
    parts = [
        f"{codes[k + 1]} {name}"
        for k, name in enumerate(REASONS)
        if codes.get(k + 1) and name != "self"
    ]
    return ", ".join(parts)


def _blocked_words(
    cands: CandidateSet, need: int, use: ProposalUse, room: NeedRoom
) -> str:
    """Say why the proposal has no room for *need* (``room`` does not
    fit): the buddies without room, and the seeker's buddy limit."""
    problem = cands.problem
    row = int(cands.need_seeker[need])
    pairs = cands.pairs_of_need(need)
    trusts = problem.trusts
    shown = []
    # The seeker's limit is said once, below, not per buddy.  Buddies
    # whose room the proposal took are named before those too small for
    # the workload at all (the funnel's workload step lists those).
    blocked = np.flatnonzero(~room.free)
    blocked = blocked[
        np.argsort(
            np.asarray([room.code(int(i)) == "workload" for i in blocked]),
            kind="stable",
        )
    ]
    for i in blocked[:3].tolist():
        trust = trusts[int(room.buddy[i])]
        code = room.code(i)
        if code == "workload":
            shown.append(
                f"{trust.id}'s {capacity_shortfall(cands, int(pairs[i]))}"
            )
        elif code == "capacity":
            shown.append(
                f"{trust.id}'s capacity is taken "
                f"({int(use.used[room.buddy[i]])} of {trust.capacity} "
                f"units used, this need takes {int(room.workload[i])})"
            )
        else:
            limit = int(use.limit[room.buddy[i]])
            partners = plural(limit, "partner")
            shown.append(f"{trust.id} is at its limit of {partners}")
    if len(blocked) > 3:
        shown.append(f"{len(blocked) - 3} more")
    if room.fresh > room.new:
        seeker_limit = int(cands.policy.max_buddies_per_seeker or 0)
        buddies = plural(seeker_limit, "buddy")
        shown.append(
            f"{cands.seekers[row]} is at its limit of {buddies}"
            if room.new == 0
            else f"{cands.seekers[row]}'s limit of {buddies} leaves "
            f"room for {room.new} more"
        )
    have = room.together
    words = (
        "none has room"
        if have == 0
        else f"only {have} {'has' if have == 1 else 'have'} room"
    )
    return (
        f"{_passing(len(pairs))} the hard rules, but {words} in this "
        f"proposal (it takes {room.wanted}): " + "; ".join(shown)
    )


def unmet_reason(
    cands: CandidateSet,
    need: int,
    candidates: int,
    status: Status,
    spent: float,
    use: ProposalUse,
    untried: bool = False,
    budget_check: Callable[[int], bool | None] | None = None,
    interrupted: bool = False,
) -> tuple[UnmetReason, str]:
    problem = cands.problem
    policy = cands.policy
    wanted = problem.needs[need].buddies
    if status == "infeasible":
        return "pinned_conflict", (
            "no proposal was made: the pins cannot all hold together"
        )
    if status == "no_solution" and interrupted:
        return "not_solved", (
            "the search was stopped before any proposal was found"
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
    room = use.need_room(cands, need)
    if room.fitting < wanted:
        fitting = too_few_fitting(cands, need, use.capacity)
        assert fitting is not None  # the same rule, in words
        return "capacity", f"it {fitting}"
    if untried and interrupted:
        # The search was stopped before the greedy start reached it.
        return "not_solved", (
            "not met in this proposal, not proven impossible: the search "
            "was stopped before it was tried"
        )
    if untried:
        # The time limit ran out before the greedy start reached it:
        # nothing is known about why it is unmet.
        return "not_solved", (
            "not met in this proposal, not proven impossible: the time "
            "limit ran out before it was tried; allow more time"
        )
    fee = policy.tiers[problem.needs[need].tier].fee * wanted
    over = over_budget(spent, fee, policy.budget)
    budget = (
        f"covering it would cost {fee:,.0f} more, beyond the budget of "
        f"{policy.budget:,.0f} ({spent:,.0f} committed)"
        if over
        else ""
    )
    # "budget" only when lifting it alone lets the need be met along with
    # every need the proposal meets; otherwise the limit that binds is
    # named (and the budget too).
    if not room.fits:
        blocked = _blocked_words(cands, need, use, room)
        if over and budget_check is not None:
            alone = budget_check(need)
            if alone:
                return "budget", (
                    f"{budget}; lifting the budget alone would let it be "
                    "met along with every need this proposal meets, with "
                    f"buddies rearranged (as the proposal stands, {blocked})"
                )
            if alone is False:
                return "capacity", (
                    f"{blocked}; and {budget}, but lifting the budget "
                    "alone would not let it be met along with every need "
                    "this proposal meets"
                )
        return "capacity", blocked + (f"; and {budget}" if over else "")
    if over:
        return "budget", (
            f"{budget}; every other limit leaves room for it in this proposal"
        )
    # The proposal as it stands has room for the need within every
    # limit; only a search that stopped early leaves such a need.
    stopped = (
        " (the search stopped before proving it optimal)"
        if status == "feasible"
        else ""
    )
    return "capacity", (
        f"{_passing(candidates)} the hard rules and {room.together} "
        f"{'has' if room.together == 1 else 'have'} room in this "
        f"proposal; {UNPROVEN}" + stopped
    )


def with_more_possible(words: str, more: int, priority: int) -> str:
    """Add to a capacity reason's *words* that up to *more* further needs
    of *priority* may be coverable (the cover is not proven), saying "not
    met in this proposal" once."""
    count = f"up to {more} more {'need' if more == 1 else 'needs'}"
    clause = f"{count} of priority {priority} may be coverable"
    if UNPROVEN in words:
        return f"{words}: {clause}"
    return (
        f"{words}; not met in this proposal, and the search did not prove "
        f"that more cannot be met: {clause}"
    )


def with_seeker_cap(
    words: str, limit: int, cap: int, needs: int, priority: int
) -> str:
    """Add to a capacity reason's *words* that the seeker already meets
    *cap* of its *needs* needs of *priority*, the most its buddy *limit*
    allows in any proposal (`seeker_bound`)."""
    most = (
        f"with at most {limit} {'buddy' if limit == 1 else 'buddies'} "
        "(max_buddies_per_seeker)"
    )
    if cap == 0:
        return (
            f"{words}; no proposal can meet it: {most}, none of this "
            f"seeker's {needs} {'need' if needs == 1 else 'needs'} of "
            f"priority {priority} can be met"
        )
    return (
        f"{words}; meeting it would leave another of this seeker's "
        f"priority-{priority} needs unmet: {most}, no proposal meets more "
        f"than {cap} of its {needs} needs of priority {priority}, and this "
        f"one meets {cap}"
    )


def priority_cover_bounds(
    cands: CandidateSet,
    status: Status,
    met: np.ndarray,
    covered: Counter[int],
    proven: dict[int, int] | None,
) -> dict[int, int]:
    """Return the proven upper bound on each priority's cover.

    The smallest of: the bounds the search proved (*proven*), the cover
    itself when the whole result is ``optimal``, and the number of the
    priority's needs that could be met at all (enough candidates that can
    take the workload).  Never below the cover: a bound under what the
    proposal meets would be a bug, and raises.
    """
    if status in ("infeasible", "no_solution"):
        return {}
    usable = usable_candidates(cands)
    n_needs = len(cands.problem.needs)
    # A need met by a proposal that breaks a rule (assemble builds what it
    # is given; verify reports the rule) counts too.
    coverable = (np.bincount(cands.need[usable], minlength=n_needs) > 0) | met
    priority_of = np.fromiter(
        (need.priority for need in cands.problem.needs), np.int64, n_needs
    )
    bounds: dict[int, int] = {}
    for priority in sorted(set(priority_of.tolist()), reverse=True):
        bound = int(np.count_nonzero(coverable & (priority_of == priority)))
        if proven and priority in proven:
            bound = min(bound, proven[priority])
        if status == "optimal":
            bound = min(bound, covered[priority])
        if bound < covered[priority]:
            raise SolverError(
                f"priority {priority}: a cover bound of {bound} below the "
                f"{covered[priority]} needs met (a bug in buddymatch)"
            )
        bounds[priority] = bound
    return bounds


def more_possible(
    priority: int, covered: Counter[int], bounds: dict[int, int]
) -> int:
    """How many more needs of *priority* may be coverable (0: proven)."""
    if priority not in bounds:
        return 0
    return bounds[priority] - covered[priority]
