"""The funnel of rules behind an unmet need.

The funnel counts the buddies left for a need after each rule, in the order
expertise → service → travel → conflicts → culture → workload → capacity
(→ budget), so that a user sees which rule to relax.  Steps and the
candidate rules (`buddymatch.candidates.REASONS`) they apply:

========== =============================================================
step        rules
========== =============================================================
trusts      every trust but the seeker itself (``self`` is never counted)
expertise   ``expertise`` (level, and the seeker's own level when
            ``require_stronger_than_seeker``)
service     ``not_a_buddy`` (capacity 0, ``max_partners`` 0, or a trust
            with needs while ``seekers_can_buddy`` is off)
travel      ``too_close``, ``too_far``
conflicts   ``competitor``, ``tertiary``, ``acquirer``, ``veto``
culture     ``culture``
workload    the buddy's whole capacity can take the pair's workload
capacity    room left by the rest of the proposal: the buddy's capacity
            left, its partner limit, and the seeker's buddy limit across
            them (as many as can join together)
budget      (with a budget only) the need's fees within what is left
========== =============================================================

The candidate stage records only the *first* rule excluding a pair, in the
order ``not_a_buddy`` before ``expertise``; the funnel puts expertise first,
so it tests the expertise rule itself for trusts excluded as
``not_a_buddy``.  The hard-rule steps follow the candidate order, so
their counts come from the reason matrix; ``workload``, ``capacity`` and
``budget`` come from the room computation behind ``UnmetNeed.reason``
(`buddymatch.solvers.room`), so the bottleneck and the reason agree.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from buddymatch.candidates import REASON_CODE
from buddymatch.explain.proposal import ProposalView
from buddymatch.explanation import (
    FunnelStep,
    FunnelStepName,
)
from buddymatch.rules import RuleName
from buddymatch.solvers.api import over_budget
from buddymatch.wording import area_words, plural

#: Funnel steps after ``trusts``, with the rules (of
#: `buddymatch.rules`) each applies.
STEP_RULES: dict[FunnelStepName, tuple[RuleName, ...]] = {
    "expertise": ("expertise",),
    "service": ("not_a_buddy",),
    "travel": ("too_close", "too_far"),
    "conflicts": ("competitor", "tertiary", "acquirer", "veto"),
    "culture": ("culture",),
    "workload": ("capacity",),
    "capacity": ("capacity", "max_partners", "max_buddies_per_seeker"),
    "budget": ("budget",),
}
#: Examples of removed buddies listed per funnel step.
EXAMPLES_PER_STEP = 3

# -- the funnel ---------------------------------------------------------------


def passes_expertise(view: ProposalView, need_index: int) -> np.ndarray:
    """Return, per trust, whether it passes the expertise rule for a need.

    Tested directly (not from the reason matrix), because the candidate
    stage reports ``not_a_buddy`` before ``expertise``.
    """
    problem, policy = view.problem, view.policy
    need = view.need(need_index)
    levels = np.array(
        [t.expertise[need.area] for t in problem.trusts], dtype=np.int64
    )
    passes = levels >= policy.min_expertise
    if policy.require_stronger_than_seeker:
        own = problem.trust(need.seeker).expertise[need.area]
        passes &= levels > own
    result: np.ndarray = passes
    return result


def budget_words(view: ProposalView, need_index: int) -> str | None:
    """Say why the budget cannot take a need, or ``None`` if it can."""
    budget = view.policy.budget
    if budget is None:
        return None
    need = view.need(need_index)
    fee = view.policy.tiers[need.tier].fee * need.buddies
    if not over_budget(view.spent, fee, budget):
        return None
    return (
        f"covering it would cost £{fee:,.0f} more; £{view.spent:,.0f} of "
        f"the £{budget:,.0f} budget is committed"
    )


def funnel(view: ProposalView, need_index: int) -> tuple[FunnelStep, ...]:
    """Count the buddies left for a need after each rule, in order.

    Parameters
    ----------
    view
        The proposal (the capacity step measures room in it).
    need_index
        The need.

    Returns
    -------
    tuple of FunnelStep
        ``trusts``, ``expertise``, ``service``, ``travel``, ``conflicts``,
        ``culture``, ``capacity`` and, with a budget, ``budget``.
    """
    cands = view.cands
    codes = cands.reason[need_index].astype(np.int64)
    row = view.row_of(need_index)
    need = view.need(need_index)
    levels = np.array(
        [t.expertise[need.area] for t in view.problem.trusts], dtype=np.int64
    )
    minutes = cands.minutes[row]
    fit = cands.fit[row]

    def code(name: str) -> int:
        return REASON_CODE[name]

    def after(name: str) -> np.ndarray:
        # Every rule from not_a_buddy on follows REASONS order: a trust
        # passes up to *name* when its first excluding rule comes later.
        passed: np.ndarray = (codes == 0) | (codes > code(name))
        return passed

    remaining = codes != code("self")
    steps = [
        FunnelStep(
            step="trusts", rules=(), remaining=int(remaining.sum()), removed=0
        )
    ]

    def add(
        step: FunnelStepName,
        keep: np.ndarray,
        words: Callable[[int], str],
        nearest: Callable[[int], float],
    ) -> None:
        nonlocal remaining
        removed = np.flatnonzero(remaining & ~keep).tolist()
        removed.sort(key=lambda t: (nearest(t), view.trust_id(t)))
        remaining = remaining & keep
        steps.append(
            FunnelStep(
                step=step,
                rules=STEP_RULES[step],
                remaining=int(remaining.sum()),
                removed=len(removed),
                examples=tuple(words(t) for t in removed[:EXAMPLES_PER_STEP]),
            )
        )

    def exclusion(t: int) -> str:
        found = cands.exclusion(need_index, t)
        return f"{view.trust_id(t)}: {found[1] if found else 'candidate'}"

    policy = view.policy
    own = view.problem.trust(need.seeker).expertise[need.area]

    def expertise_words(t: int) -> str:
        level = int(levels[t])
        if level < policy.min_expertise:
            return (
                f"{view.trust_id(t)}: expertise {level} < required "
                f"{policy.min_expertise} in {area_words(need.area)}"
            )
        return (
            f"{view.trust_id(t)}: expertise {level} <= seeker's own {own} "
            f"in {area_words(need.area)}"
        )

    # Nearest misses first: they are the ones a small relaxation brings in.
    add(
        "expertise",
        passes_expertise(view, need_index),
        expertise_words,
        lambda t: -float(levels[t]),
    )
    add(
        "service",
        after("expertise"),
        exclusion,
        lambda t: 0.0,
    )
    low = policy.min_travel_minutes
    high = policy.max_travel_minutes

    def travel_gap(t: int) -> float:
        m = float(minutes[t])
        return low - m if m < low else m - (high if high is not None else m)

    add("travel", after("too_far"), exclusion, travel_gap)
    add("conflicts", after("veto"), exclusion, lambda t: 0.0)
    add("culture", codes == 0, exclusion, lambda t: -float(fit[t]))
    # From here on, one computation of the room the proposal leaves (the
    # one behind UnmetNeed.reason) decides every count.
    room = view.need_room(need_index)
    at = {int(t): i for i, t in enumerate(room.buddy.tolist())}

    def room_words(t: int) -> str:
        i = at[t]
        blocked = view.room(need_index, t, int(room.workload[i]))
        return f"{view.trust_id(t)}: {blocked[1] if blocked else 'room'}"

    def shortfall(t: int) -> float:
        i = at[t]
        capacity = int(room.workload[i]) - view.problem.trusts[t].capacity
        return float(max(0, int(view.used[t]) + capacity))

    def alone(keep_codes: tuple[int, ...]) -> np.ndarray:
        keep = np.zeros(len(view.problem.trusts), dtype=bool)
        keep[room.buddy] = np.isin(room.block, keep_codes)
        return keep

    # Buddies whose whole capacity can take the pair's workload at all.
    add("workload", alone((0, 2, 3, 4)), room_words, shortfall)
    # Room one buddy at a time: capacity left, partner limits, and the
    # seeker's buddy limit when it has no room for any new buddy.
    add("capacity", alone((0,)), room_words, shortfall)
    step = steps[-1]
    cut = step.remaining - room.together
    if cut > 0:
        # The seeker's limit leaves room for some new buddies but fewer
        # than have room one by one: the step counts those that fit
        # together.  (With no room at all it removed each one above.)
        seeker = view.cands.seekers[view.row_of(need_index)]
        mine = ", ".join(view.trust_id(b) for b in room.mine)
        limit = plural(view.policy.max_buddies_per_seeker or 0, "buddy")
        words = (
            f"{seeker}'s limit of {limit} ({mine} already) leaves room "
            f"for {room.new} more of the {room.fresh} with room"
        )
        steps[-1] = step.model_copy(
            update={
                "remaining": step.remaining - cut,
                "removed": step.removed + cut,
                "examples": (words, *step.examples),
            }
        )
    together = steps[-1].remaining
    assert together == room.together  # the step counts the shared room
    over_words = budget_words(view, need_index)
    if view.policy.budget is not None:
        left = together if over_words is None else 0
        steps.append(
            FunnelStep(
                step="budget",
                rules=STEP_RULES["budget"],
                remaining=left,
                removed=together - left,
                # One reason for all: say it once.
                examples=(over_words,) if over_words and together else (),
            )
        )
    return tuple(steps)


def _bottleneck(
    steps: tuple[FunnelStep, ...], wanted: int
) -> FunnelStep | None:
    for step in steps[1:]:
        if step.remaining < wanted:
            return step
    return None


def funnel_words(
    view: ProposalView,
    need_index: int,
    steps: tuple[FunnelStep, ...],
    reason: str | None = None,
) -> tuple[FunnelStepName | None, str]:
    need = view.need(need_index)
    wanted = need.buddies
    head = (
        f"{need.seeker}'s {area_words(need.area)} need takes "
        f"{plural(wanted, 'buddy')}"
    )
    step = _bottleneck(steps, wanted)
    if step is None:
        # Every count, the room left together included, is enough: the
        # proposal as it stands could take the need (see UnmetNeed.reason).
        stopped = (
            " (the search stopped before proving it optimal)"
            if view.result.status == "feasible"
            else ""
        )
        tail = (
            f"{steps[-1].remaining} pass every rule and have room together "
            "in this proposal; not met in this proposal, not proven "
            "impossible" + stopped
        )
        return None, f"{head}; {tail}."
    example = f" (e.g. {step.examples[0]})" if step.examples else ""
    text = (
        f"{head}; {plural(step.remaining, 'buddy')} "
        f"{'is' if step.remaining == 1 else 'are'} left after the "
        f"{step.step} rule, which removed {step.removed}{example}"
    )
    if reason == "budget" and step.step == "capacity":
        # The proposal as it stands has no room, but the result's reason
        # found (by a feasibility solve) that lifting the budget alone
        # lets the need be met with buddies rearranged: the budget is
        # what binds, and the funnel says so rather than blame capacity.
        return "budget", (
            f"{text} as the proposal stands; but lifting the budget alone "
            "would let it be met along with every need this proposal "
            "meets, with buddies rearranged."
        )
    return step.step, text + "."
