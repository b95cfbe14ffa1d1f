"""Why unmet: a funnel of the rules, and the policy change that would help.

The funnel counts the buddies left for a need after each rule, in the order
expertise → service → travel → conflicts → culture → workload → capacity
(→ budget), so that a user sees which rule to relax.  Steps and the
candidate rules (:data:`buddymatch.candidates.REASONS`) they apply:

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
(:mod:`buddymatch.solvers.room`), so the bottleneck and the reason agree.

Relaxations try one policy parameter at a time, at the smallest change
that gives the need enough buddies (computed from the data: e.g. the k-th
smallest travel time among buddies that pass every other rule, rounded up
to a whole minute), first counting every such buddy, then only those with
room in the proposal.  A change is reported only when a re-solve with it
covers the need.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from buddymatch.candidates import REASON_CODE, CandidateSet, build_candidates
from buddymatch.errors import InputError
from buddymatch.explain.proposal import ProposalView, fmt_value
from buddymatch.explanation import (
    FunnelStep,
    FunnelStepName,
    NeedRef,
    Relaxation,
    UnmetExplanation,
)
from buddymatch.model import Policy
from buddymatch.params import SolveParams
from buddymatch.result import Result, UnmetNeed
from buddymatch.rules import RuleName
from buddymatch.solvers.api import BLOCKS, over_budget
from buddymatch.wording import plural

#: Funnel steps after ``trusts``, with the rules (of
#: :mod:`buddymatch.rules`) each applies.
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
#: Default re-solves per unmet need when looking for a policy change.
DEFAULT_MAX_RESOLVES = 4
#: Default seconds per re-solve.
DEFAULT_RESOLVE_TIME_LIMIT = 2.0

#: Policy parameters tried, by the funnel step whose rule they relax, in
#: the order they are tried (a longer reach before a shorter neighbour
#: threshold); each is a parameter of one of the step's rules.
STEP_PARAMETERS: dict[FunnelStepName, tuple[str, ...]] = {
    "expertise": ("min_expertise", "require_stronger_than_seeker"),
    "service": ("seekers_can_buddy",),
    "travel": ("max_travel_minutes", "min_travel_minutes"),
    "conflicts": ("allow_acquirer_buddies",),
    "culture": ("min_culture_fit",),
    # A buddy's capacity is trust data, not policy: nothing to relax.
    "workload": (),
    "capacity": ("max_partners", "max_buddies_per_seeker"),
    "budget": ("budget",),
}


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


def _budget_words(view: ProposalView, need_index: int) -> str | None:
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
                f"{policy.min_expertise} in {need.area}"
            )
        return (
            f"{view.trust_id(t)}: expertise {level} <= seeker's own {own} "
            f"in {need.area}"
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
    budget_words = _budget_words(view, need_index)
    if view.policy.budget is not None:
        left = together if budget_words is None else 0
        steps.append(
            FunnelStep(
                step="budget",
                rules=STEP_RULES["budget"],
                remaining=left,
                removed=together - left,
                # One reason for all: say it once.
                examples=(budget_words,) if budget_words and together else (),
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


def _funnel_words(
    view: ProposalView,
    need_index: int,
    steps: tuple[FunnelStep, ...],
    reason: str | None = None,
) -> tuple[FunnelStepName | None, str]:
    need = view.need(need_index)
    wanted = need.buddies
    head = f"{need.seeker}'s {need.area} need takes {plural(wanted, 'buddy')}"
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


# -- relaxations --------------------------------------------------------------


@dataclass(frozen=True)
class _Change:
    parameter: str
    current: Any
    proposed: Any


def relaxed_policy(policy: Policy, parameter: str, value: Any) -> Policy:
    """Return a validated copy of *policy* with one parameter changed.

    Parameters
    ----------
    policy
        The policy.
    parameter
        A field of :class:`~buddymatch.model.Policy`.
    value
        Its new value.

    Returns
    -------
    Policy
        The changed policy.
    """
    data = policy.model_dump()
    data[parameter] = value
    return Policy(**data)


#: Each pair rule's parameter, its loosest value, and whether raising it
#: admits more buddies ("up"), lowering it does ("down"), or it is a switch.
@dataclass(frozen=True)
class _PairRule:
    parameter: str
    loosest: Any
    kind: str  # "up", "down" or "toggle"


_PAIR_RULES: dict[str, _PairRule] = {
    "min_expertise": _PairRule("min_expertise", 1, "down"),
    "require_stronger_than_seeker": _PairRule(
        "require_stronger_than_seeker", False, "toggle"
    ),
    "seekers_can_buddy": _PairRule("seekers_can_buddy", True, "toggle"),
    "max_travel_minutes": _PairRule("max_travel_minutes", None, "up"),
    "min_travel_minutes": _PairRule("min_travel_minutes", 0.0, "down"),
    "allow_acquirer_buddies": _PairRule(
        "allow_acquirer_buddies", True, "toggle"
    ),
    "min_culture_fit": _PairRule("min_culture_fit", 0.0, "down"),
}


class Relaxer:
    """Finds one-parameter policy changes that cover unmet needs.

    Candidate sets under each fully relaxed parameter and re-solves are
    cached, so that needs sharing a fix share the work.

    Parameters
    ----------
    view
        The proposal.
    params
        How each re-solve runs.
    max_resolves
        Re-solves per need (cached ones are free).
    """

    def __init__(
        self,
        view: ProposalView,
        *,
        params: SolveParams,
        max_resolves: int = DEFAULT_MAX_RESOLVES,
    ) -> None:
        self.view = view
        self.params = params
        self.max_resolves = max_resolves
        self._loose: dict[str, CandidateSet | None] = {}
        self._solved: dict[str, Result] = {}

    # -- candidate values -------------------------------------------------

    def _loose_set(self, parameter: str) -> CandidateSet | None:
        if parameter not in self._loose:
            rule = _PAIR_RULES[parameter]
            policy = relaxed_policy(self.view.policy, parameter, rule.loosest)
            try:
                self._loose[parameter] = build_candidates(
                    self.view.problem, policy, travel=self.view.travel
                )
            except InputError:
                # e.g. a travel matrix without the pairs the looser rule
                # opens: this parameter cannot be judged.
                self._loose[parameter] = None
        return self._loose[parameter]

    def _pair_rule_changes(
        self, parameter: str, need_index: int
    ) -> list[_Change]:
        view = self.view
        rule = _PAIR_RULES[parameter]
        current = getattr(view.policy, parameter)
        if current == rule.loosest or (
            rule.kind == "down" and current <= rule.loosest
        ):
            return []
        loose = self._loose_set(parameter)
        if loose is None:
            return []
        wanted = view.need(need_index).buddies
        eligible = np.flatnonzero(loose.reason[need_index] == 0)
        if eligible.size < wanted:
            return []
        now = set(view.cands.buddy[view.cands.pairs_of_need(need_index)])
        if not set(eligible.tolist()) - now:
            return []  # the looser rule brings in no new buddy
        # Buddies with room one by one, under the rule shared with the
        # funnel and the unmet reason.
        space = view.need_room(need_index, loose)
        room = space.buddy[space.block == 0].tolist()
        if rule.kind == "toggle":
            # Worth a re-solve when it gives the need enough buddies, or
            # enough with room where the current ones have too little.
            short = len(now) < wanted
            room_now = len([t for t in room if t in now])
            if short or (room_now < wanted <= len(room)):
                return [_Change(parameter, current, rule.loosest)]
            return []
        row = view.row_of(need_index)
        need = view.need(need_index)
        values: dict[str, Callable[[int], float]] = {
            "min_expertise": lambda t: float(
                view.problem.trusts[t].expertise[need.area]
            ),
            "max_travel_minutes": lambda t: float(loose.minutes[row, t]),
            "min_travel_minutes": lambda t: float(loose.minutes[row, t]),
            "min_culture_fit": lambda t: float(loose.fit[row, t]),
        }
        value_of = values[parameter]
        changes: list[_Change] = []
        for pool in (eligible.tolist(), room):
            if len(pool) < wanted:
                continue
            ordered = sorted(
                (value_of(t) for t in pool), reverse=rule.kind == "down"
            )
            kth = ordered[wanted - 1]
            proposed = _rounded(parameter, kth)
            admits_more = (
                current is not None and proposed > current
                if rule.kind == "up"
                else proposed < current
            )
            change = _Change(parameter, current, proposed)
            if admits_more and change not in changes:
                changes.append(change)
        return changes

    def _limit_changes(self, parameter: str, need_index: int) -> list[_Change]:
        view = self.view
        policy = view.policy
        need = view.need(need_index)
        wanted = need.buddies
        current = getattr(policy, parameter)
        if current is None:
            return []
        if parameter == "budget":
            if _budget_words(view, need_index) is None:
                return []
            fee = policy.tiers[need.tier].fee * wanted
            proposed = float(math.ceil(view.spent + fee - 1e-9))
            return [_Change("budget", current, proposed)]
        room = view.need_room(need_index)
        if len(room.buddy) < wanted:
            return []  # too few candidates: no limit is to blame
        if parameter == "max_partners":
            # Buddies blocked only by the policy's partner limit (not by
            # their own), and the limit each would need.
            blocked = [
                int(view.use.partners[t]) + 1
                for t, code in zip(
                    room.buddy.tolist(), room.block.tolist(), strict=True
                )
                if BLOCKS[code] == "max_partners"
                and view.problem.trusts[int(t)].max_partners is None
            ]
            missing = wanted - room.together
            if missing <= 0 or len(blocked) < missing:
                return []
            proposed = sorted(blocked)[missing - 1]
        else:
            new = wanted - min(wanted, room.existing)
            if new == 0 or room.fresh < new:
                return []
            proposed = len(room.mine) + new
        if proposed <= current:
            return []
        return [_Change(parameter, current, proposed)]

    def changes(
        self, need_index: int, first: FunnelStepName | None
    ) -> list[_Change]:
        """Return the changes worth trying for a need, most relevant first.

        The parameters of the bottleneck step *first* come first, then
        the others in funnel order.
        """
        order = list(STEP_PARAMETERS)
        if first is not None and first in STEP_PARAMETERS:
            order.remove(first)
            order.insert(0, first)
        found: list[_Change] = []
        for step in order:
            for parameter in STEP_PARAMETERS[step]:
                if parameter in _PAIR_RULES:
                    found += self._pair_rule_changes(parameter, need_index)
                else:
                    found += self._limit_changes(parameter, need_index)
        return found

    # -- confirmation -----------------------------------------------------

    def _resolve(self, policy: Policy) -> tuple[Result, bool]:
        """Return the proposal under *policy* and whether it was cached."""
        from buddymatch.solvers import propose

        key = policy.model_dump_json()
        if key in self._solved:
            return self._solved[key], True
        result = propose(
            self.view.original,
            policy,
            params=self.params,
            travel=self.view.travel,
        )
        self._solved[key] = result
        return result, False

    def relax(
        self, need_index: int, first: FunnelStepName | None
    ) -> tuple[tuple[Relaxation, ...], tuple[str, ...]]:
        """Try the changes for one need; return confirmed ones and the
        words of those tried in vain."""
        view = self.view
        need = view.need(need_index)
        before_unmet = {(u.seeker, u.area) for u in view.result.unmet}
        confirmed: list[Relaxation] = []
        tried: list[str] = []
        solves = 0
        for change in self.changes(need_index, first):
            if solves >= self.max_resolves:
                break
            if any(r.parameter == change.parameter for r in confirmed):
                continue  # a smaller change of it covers the need already
            policy = relaxed_policy(
                view.policy, change.parameter, change.proposed
            )
            result, cached = self._resolve(policy)
            solves += not cached
            text = (
                f"{change.parameter} {fmt_value(change.current)} → "
                f"{fmt_value(change.proposed)}"
            )
            unmet = {(u.seeker, u.area): u for u in result.unmet}
            if not result.is_feasible() or (need.seeker, need.area) in unmet:
                tried.append(text)
                continue
            buddies = tuple(
                sorted(
                    a.buddy
                    for a in result.assignments
                    if (a.seeker, a.area) == (need.seeker, need.area)
                )
            )
            lost = tuple(
                NeedRef(seeker=u.seeker, area=u.area, priority=u.priority)
                for key, u in sorted(unmet.items())
                if key not in before_unmet
            )
            words = f"{text} covers it (with {', '.join(buddies)})"
            if lost:
                words += (
                    "; but leaves "
                    + ", ".join(f"{n.seeker}'s {n.area}" for n in lost)
                    + " unmet"
                )
            confirmed.append(
                Relaxation(
                    parameter=change.parameter,
                    current=change.current,
                    proposed=change.proposed,
                    words=words,
                    buddies=buddies,
                    newly_unmet=lost,
                    result=result,
                )
            )
        return tuple(confirmed), tuple(tried)


def _rounded(parameter: str, value: float) -> float:
    """Round a k-th value so that it still admits the trust it came from:
    minutes to whole minutes (up for a maximum, down for a minimum), fit
    down to 2 decimals, levels as they are."""
    if parameter == "max_travel_minutes":
        return float(math.ceil(value - 1e-9))
    if parameter == "min_travel_minutes":
        return float(math.floor(value + 1e-9))
    if parameter == "min_culture_fit":
        return math.floor(value * 100 + 1e-6) / 100
    return value


def explain_unmet_need(
    view: ProposalView,
    unmet: UnmetNeed,
    relaxer: Relaxer | None = None,
) -> UnmetExplanation:
    """Explain one unmet need: its funnel, and (with a *relaxer*) the
    confirmed policy changes that cover it.

    Parameters
    ----------
    view
        The proposal.
    unmet
        The unmet need, from the result.
    relaxer
        Finds policy changes; ``None`` skips them.

    Returns
    -------
    UnmetExplanation
        The explanation.
    """
    need_index = view.need_index[(unmet.seeker, unmet.area)]
    need = view.need(need_index)
    steps = funnel(view, need_index)
    bottleneck, words = _funnel_words(view, need_index, steps, unmet.reason)
    relaxations: tuple[Relaxation, ...] = ()
    tried: tuple[str, ...] = ()
    if relaxer is not None:
        relaxations, tried = relaxer.relax(need_index, bottleneck)
        if relaxations:
            words += " " + "; ".join(r.words for r in relaxations) + "."
        elif tried:
            words += (
                " No one-parameter policy change tried covers it ("
                + ", ".join(tried)
                + ")."
            )
    return UnmetExplanation(
        seeker=need.seeker,
        area=need.area,
        tier=need.tier,
        priority=need.priority,
        buddies=need.buddies,
        reason=unmet.reason,
        funnel=steps,
        bottleneck=bottleneck,
        words=words,
        relaxations=relaxations,
        tried=tried,
    )
