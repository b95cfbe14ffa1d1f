"""The hard rules of a matching, one method per rule family.

Pair rules (expertise, travel window, conflicts, culture) are already
enforced by creating variables for candidate pairs only; what is left here
are the rules that couple several pairs.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
from ortools.sat.python import cp_model

from buddymatch.candidates import CandidateSet
from buddymatch.solvers.cpsat.variables import Variables

#: Fees are money: they become whole pence, so that budget sums are exact.
FEE_SCALE = 100


def fee_units(fee: float) -> int:
    """Return *fee* (pounds) in whole pence."""
    return round(fee * FEE_SCALE)


class Constraints:
    """Adds every coupling rule of the policy to a CP-SAT model."""

    def __init__(
        self,
        model: cp_model.CpModel,
        cands: CandidateSet,
        variables: Variables,
        forced: list[list[int]],
    ) -> None:
        self.model = model
        self.cands = cands
        self.vars = variables
        self.forced = forced
        self.policy = cands.policy
        self.problem = cands.problem

    def add_all(self) -> None:
        """Add every rule."""
        self._cover_with_exact_buddies()
        self._link_partnerships()
        self._buddy_capacity()
        self._buddy_partner_limit()
        self._seeker_buddy_limit()
        self._budget()
        self._pins()

    def _by(self, keys: np.ndarray) -> dict[int, list[int]]:
        """Group variable positions by *keys* (insertion order is stable)."""
        groups: dict[int, list[int]] = defaultdict(list)
        for i, key in enumerate(keys.tolist()):
            groups[key].append(i)
        return groups

    def _cover_with_exact_buddies(self) -> None:
        """Ensures that a covered need has exactly `buddies` buddies and an
        uncovered one has none."""
        needs = self.cands.need[self.vars.positions]
        for need, idx in self._by(needs).items():
            count = self.problem.needs[need].buddies
            self.model.add(
                cp_model.LinearExpr.sum([self.vars.assign[i] for i in idx])
                == count * self.vars.covered[need]
            )

    def _link_partnerships(self) -> None:
        """Ensures that a partnership exists when the buddy supports at
        least one of the seeker's needs.

        The converse (no idle partnerships) needs no constraint: an idle
        partnership only costs points and uses up limits, so no optimal
        proposal has one, and the result's partnerships are built from the
        assignments.  Leaving it out made the priority-3 cover stage of
        "national" prove in ~10 s instead of ~48 s (docs/performance.md).
        """
        for i, p in enumerate(self.vars.pair_partner.tolist()):
            self.model.add_implication(
                self.vars.assign[i], self.vars.partner[p]
            )

    def _buddy_capacity(self) -> None:
        """Ensures that no buddy's workload exceeds its capacity."""
        trusts = self.problem.trusts
        positions = self.vars.positions
        workload = self.cands.workload[positions]
        for buddy, idx in self._by(self.cands.buddy[positions]).items():
            capacity = trusts[buddy].capacity
            if int(workload[idx].sum()) <= capacity:
                continue  # cannot bind: leave the model smaller
            self.model.add(
                cp_model.LinearExpr.weighted_sum(
                    [self.vars.assign[i] for i in idx],
                    [int(w) for w in workload[idx]],
                )
                <= capacity
            )

    def _buddy_partner_limit(self) -> None:
        """Ensures that no buddy supports more distinct seekers than its
        limit (its own `max_partners`, else the policy's)."""
        trusts = self.problem.trusts
        buddies = np.array(
            [b for _, b in self.vars.partner_keys], dtype=np.int64
        )
        for buddy, idx in self._by(buddies).items():
            own = trusts[buddy].max_partners
            limit = own if own is not None else self.policy.max_partners
            if limit is None or len(idx) <= limit:
                continue
            self.model.add(
                cp_model.LinearExpr.sum([self.vars.partner[i] for i in idx])
                <= limit
            )

    def _seeker_buddy_limit(self) -> None:
        """Ensures that no seeker has more distinct buddies than
        `max_buddies_per_seeker`."""
        limit = self.policy.max_buddies_per_seeker
        if limit is None:
            return
        seekers = np.array(
            [s for s, _ in self.vars.partner_keys], dtype=np.int64
        )
        for _, idx in self._by(seekers).items():
            if len(idx) > limit:
                self.model.add(
                    cp_model.LinearExpr.sum(
                        [self.vars.partner[i] for i in idx]
                    )
                    <= limit
                )

    def _budget(self) -> None:
        """Ensures that the total of fees stays within the budget."""
        budget = self.policy.budget
        if budget is None or not self.vars.assign:
            return
        fees = [fee_units(f) for f in self.cands.fee[self.vars.positions]]
        self.model.add(
            cp_model.LinearExpr.weighted_sum(self.vars.assign, fees)
            <= int(np.floor(budget * FEE_SCALE + 1e-6))
        )

    def _pins(self) -> None:
        """Ensures that every pin holds: at least one of its candidate
        assignments is made (exactly that one when the pin names an
        area)."""
        where = {int(k): i for i, k in enumerate(self.vars.positions)}
        for group in self.forced:
            self.model.add_bool_or([self.vars.assign[where[k]] for k in group])
