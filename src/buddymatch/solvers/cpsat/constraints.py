"""The hard rules of a matching, one method per rule family, written once.

Pair rules (expertise, travel window, conflicts, culture) are already
enforced by creating variables for candidate pairs only; what is left here
are the rules that couple several pairs.  The engine
(`solve`) adds them all, always on; the
infeasibility cores (`core`) add the same
ones with each pin and limit behind a literal of its own (a *guard*, as
CPMpy's explanation tools do), so that CP-SAT can name the ones it needs
to prove that they cannot all hold.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from buddymatch.candidates import CandidateSet
from buddymatch.rules import CoreRuleName, partner_limit
from buddymatch.solvers.cpsat.variables import Variables
from buddymatch.solvers.room import (
    FEE_SCALE,
    budget_units,
    fee_units,
    fee_units_of,
)

__all__ = [
    "FEE_SCALE",
    "Constraints",
    "CoreRule",
    "Guard",
    "budget_units",
    "fee_units",
]


@dataclass(frozen=True)
class CoreRule:
    """One pin or limit of the model, as a core may name it.

    Attributes
    ----------
    kind
        ``pin``, ``capacity``, ``max_partners``, ``max_buddies_per_seeker``
        or ``budget``.
    index
        pin: position in the list of pin groups; capacity and max_partners:
        trust index of the buddy; max_buddies_per_seeker: seeker row (in
        ``CandidateSet.seekers``); budget: 0.
    limit
        The limit the rule enforces (units, partners, buddies, pounds);
        ``None`` for a pin.
    """

    kind: CoreRuleName
    index: int
    limit: float | None = None


#: Returns the literal that switches a rule on (the rule holds when it is
#: true), or ``None`` for a rule that always holds.
Guard = Callable[[CoreRule], cp_model.IntVar | None]


class Constraints:
    """Adds the coupling rules of the policy to a CP-SAT model.

    Parameters
    ----------
    model
        The model.
    cands
        The candidate pairs.
    variables
        The model's variables.
    forced
        Pin groups: candidate positions of which at least one must be
        chosen.
    guard
        Called once per pin and per limit (a buddy's capacity or partner
        limit, a seeker's buddy limit, the budget) that can bind, in the
        order they are added; the constraint is enforced only when the
        literal it returns is true.  ``None``: every rule always holds.
    in_trust_order
        Add the buddy limits in trust order (the cores list and try rules
        in that order) rather than in order of first candidate (the
        engine's: changing its order would change CP-SAT's choice among
        equal proposals).
    """

    def __init__(
        self,
        model: cp_model.CpModel,
        cands: CandidateSet,
        variables: Variables,
        forced: list[list[int]],
        *,
        guard: Guard | None = None,
        in_trust_order: bool = False,
    ) -> None:
        self.model = model
        self.cands = cands
        self.vars = variables
        self.forced = forced
        self.guard = guard
        self.in_trust_order = in_trust_order
        self.policy = cands.policy
        self.problem = cands.problem

    def add_all(self) -> None:
        """Add every rule (the engine's model)."""
        self.cover_with_exact_buddies()
        self.link_partnerships()
        self.buddy_capacity()
        self.buddy_partner_limit()
        self.seeker_buddy_limit()
        self.budget()
        self.pins()

    def _by(self, keys: np.ndarray) -> Iterable[tuple[int, list[int]]]:
        """Group variable positions by *keys*: (key, positions), keys in
        order of first appearance (in key order when ``in_trust_order``)."""
        groups: dict[int, list[int]] = defaultdict(list)
        for i, key in enumerate(keys.tolist()):
            groups[key].append(i)
        if self.in_trust_order:
            return sorted(groups.items())
        return groups.items()

    def _hold(self, rule: CoreRule, constraint: cp_model.Constraint) -> None:
        """Put *constraint* (the rule *rule*) behind its guard, if any."""
        if self.guard is None:
            return
        literal = self.guard(rule)
        if literal is not None:
            constraint.only_enforce_if(literal)

    def cover_with_exact_buddies(self) -> None:
        """Ensures that a covered need has exactly `buddies` buddies and an
        uncovered one has none (always on: it is what covering means)."""
        needs = self.cands.need[self.vars.positions]
        for need, idx in self._by(needs):
            count = self.problem.needs[need].buddies
            self.model.add(
                cp_model.LinearExpr.sum([self.vars.assign[i] for i in idx])
                == count * self.vars.covered[need]
            )

    def link_partnerships(self, exact: bool = False) -> None:
        """Ensures that a partnership exists when the buddy supports at
        least one of the seeker's needs (always on: a definition).

        The converse (no idle partnerships) is added only when *exact*.
        The engine needs none: an idle partnership only costs points and
        uses up limits, so no optimal proposal has one, and the result's
        partnerships are built from the assignments.  Leaving it out made
        the priority-3 cover stage of "national" prove in ~10 s instead of
        ~48 s (docs/performance.md).  The cores keep it.
        """
        if not exact:
            for i, p in enumerate(self.vars.pair_partner.tolist()):
                self.model.add_implication(
                    self.vars.assign[i], self.vars.partner[p]
                )
            return
        members = dict(self._by(self.vars.pair_partner))
        for p, partner in enumerate(self.vars.partner):
            idx = members[p]
            for i in idx:
                self.model.add_implication(self.vars.assign[i], partner)
            self.model.add_bool_or(
                [self.vars.assign[i] for i in idx]
            ).only_enforce_if(partner)

    def buddy_capacity(self) -> None:
        """Ensures that no buddy's workload exceeds its capacity."""
        trusts = self.problem.trusts
        positions = self.vars.positions
        workload = self.cands.workload[positions]
        for buddy, idx in self._by(self.cands.buddy[positions]):
            capacity = trusts[buddy].capacity
            if int(workload[idx].sum()) <= capacity:
                continue  # cannot bind: leave the model smaller
            self._hold(
                CoreRule("capacity", buddy, capacity),
                self.model.add(
                    cp_model.LinearExpr.weighted_sum(
                        [self.vars.assign[i] for i in idx],
                        [int(w) for w in workload[idx]],
                    )
                    <= capacity
                ),
            )

    def buddy_partner_limit(self) -> None:
        """Ensures that no buddy supports more distinct seekers than its
        limit (its own `max_partners`, else the policy's)."""
        trusts = self.problem.trusts
        buddies = np.array(
            [b for _, b in self.vars.partner_keys], dtype=np.int64
        )
        for buddy, idx in self._by(buddies):
            limit = partner_limit(trusts[buddy], self.policy)
            if limit is None or len(idx) <= limit:
                continue
            self._hold(
                CoreRule("max_partners", buddy, limit),
                self.model.add(
                    cp_model.LinearExpr.sum(
                        [self.vars.partner[i] for i in idx]
                    )
                    <= limit
                ),
            )

    def seeker_buddy_limit(self) -> None:
        """Ensures that no seeker has more distinct buddies than
        `max_buddies_per_seeker`."""
        limit = self.policy.max_buddies_per_seeker
        if limit is None:
            return
        seekers = np.array(
            [s for s, _ in self.vars.partner_keys], dtype=np.int64
        )
        for row, idx in self._by(seekers):
            if len(idx) <= limit:
                continue
            self._hold(
                CoreRule("max_buddies_per_seeker", row, limit),
                self.model.add(
                    cp_model.LinearExpr.sum(
                        [self.vars.partner[i] for i in idx]
                    )
                    <= limit
                ),
            )

    def budget(self) -> None:
        """Ensures that the total of fees stays within the budget."""
        budget = self.policy.budget
        if budget is None or not self.vars.assign:
            return
        fees = fee_units_of(self.cands.fee[self.vars.positions]).tolist()
        self._hold(
            CoreRule("budget", 0, budget),
            self.model.add(
                cp_model.LinearExpr.weighted_sum(self.vars.assign, fees)
                <= budget_units(budget)
            ),
        )

    def pins(self) -> None:
        """Ensures that every pin holds: at least one of its candidate
        assignments is made (exactly that one when the pin names an
        area)."""
        where = {int(k): i for i, k in enumerate(self.vars.positions)}
        for p, group in enumerate(self.forced):
            self._hold(
                CoreRule("pin", p),
                self.model.add_bool_or(
                    [self.vars.assign[where[k]] for k in group]
                ),
            )
