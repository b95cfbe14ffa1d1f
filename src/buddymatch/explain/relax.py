"""Relaxations: the one-parameter policy change that would meet a need.

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

from buddymatch.candidates import CandidateSet, build_candidates
from buddymatch.errors import InputError
from buddymatch.explain.funnel import budget_words
from buddymatch.explain.proposal import ProposalView, fmt_value
from buddymatch.explanation import (
    FunnelStepName,
    NeedRef,
    Relaxation,
)
from buddymatch.model import Policy
from buddymatch.params import SolveParams
from buddymatch.result import Result
from buddymatch.solvers.api import BLOCKS
from buddymatch.wording import area_words

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
        A field of [`Policy`][buddymatch.model.Policy].
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
            if budget_words(view, need_index) is None:
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
                    + ", ".join(
                        f"{n.seeker}'s {area_words(n.area)}" for n in lost
                    )
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
