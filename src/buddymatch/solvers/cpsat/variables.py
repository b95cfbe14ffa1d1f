"""Decision variables of the CP-SAT model, created for candidate pairs only."""

from __future__ import annotations

import numpy as np
from ortools.sat.python import cp_model

from buddymatch.candidates import CandidateSet


class Variables:
    """The model's decision variables, in a stable (input) order.

    Attributes
    ----------
    assign
        One Boolean per candidate (need, buddy) pair, aligned with the
        candidate arrays of the [`CandidateSet`][buddymatch.CandidateSet]: true
        when that buddy
        supports that need.
    covered
        need index -> Boolean, for each need with at least as many candidates
        as the buddies it needs; needs without are unmet by construction.
    partner
        (seeker row, trust index) -> Boolean: the two form a partnership
        (the buddy supports at least one of the seeker's needs).
    pair_partner
        For each candidate, the index into ``partner_keys`` of its
        partnership.
    partner_keys
        The partnerships' (seeker row, trust index), sorted.
    """

    def __init__(
        self,
        model: cp_model.CpModel,
        cands: CandidateSet,
        usable: np.ndarray,
    ) -> None:
        # Only candidates of needs that can be covered at all get a
        # variable: a need is met with exactly `buddies` buddies or not at
        # all, so partial assignments of hopeless needs are never kept.
        self.positions = np.flatnonzero(usable)
        self.assign: list[cp_model.IntVar] = [
            model.new_bool_var(f"assign_{int(k)}") for k in self.positions
        ]
        needs = np.unique(cands.need[self.positions])
        self.covered: dict[int, cp_model.IntVar] = {
            int(n): model.new_bool_var(f"covered_{int(n)}") for n in needs
        }
        seeker_rows = cands.need_seeker[cands.need[self.positions]]
        buddy_cols = cands.buddy[self.positions]
        keys = np.stack([seeker_rows, buddy_cols], axis=1)
        if len(keys):
            uniq, inverse = np.unique(keys, axis=0, return_inverse=True)
        else:
            uniq = np.zeros((0, 2), dtype=np.int64)
            inverse = np.zeros(0, dtype=np.int64)
        self.partner_keys: list[tuple[int, int]] = [
            (int(s), int(b)) for s, b in uniq
        ]
        self.pair_partner = np.asarray(inverse).reshape(-1)
        self.partner: list[cp_model.IntVar] = [
            model.new_bool_var(f"partner_{s}_{b}")
            for s, b in self.partner_keys
        ]
