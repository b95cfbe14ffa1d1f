"""The room a proposal leaves for a need: every limit but the budget.

One computation, shared by the unmet reasons of a result
(:mod:`buddymatch.solvers.assemble`) and by the explanations (the funnel's
``workload`` and ``capacity`` steps, the alternatives of an assignment and
the limit changes proposed for an unmet need), so that they cannot
disagree.  For each candidate buddy of the need, in order:

1. ``workload``: its whole capacity is below the pair's workload (the
   tier's, or a pair override's); nothing the proposal frees could help.
2. ``capacity``: the workload it already gives leaves too little.
3. ``max_partners``: it is not a buddy of the seeker yet, and is at its
   limit of partners.
4. ``max_buddies_per_seeker``: it is not a buddy of the seeker yet, and
   the seeker is at its limit of buddies.

The seeker's buddy limit is the one limit that couples the buddies of a
need: with room for ``slack`` more buddies, at most ``slack`` of the new
buddies with room can join together.  So the need fits the proposal as it
stands exactly when ``existing + min(fresh, slack) >= buddies`` (existing:
buddies of the seeker already, with room; fresh: the others with room).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from buddymatch.candidates import CandidateSet

#: Why a candidate buddy has no room, by code (0: it has room).
BLOCKS: tuple[str, ...] = (
    "",
    "workload",
    "capacity",
    "max_partners",
    "max_buddies_per_seeker",
)
_WORKLOAD, _CAPACITY, _PARTNERS, _SEEKER = 1, 2, 3, 4


@dataclass(frozen=True)
class NeedRoom:
    """The room a proposal leaves for some candidate buddies of a need.

    Attributes
    ----------
    buddy
        The buddies' trust indices.
    workload
        What the need would take of each.
    block
        Per buddy, the first limit that leaves it no room on its own
        (an index into :data:`BLOCKS`; 0: it has room).
    partner
        Per buddy, whether it is a buddy of the seeker already.
    mine
        The seeker's buddies in the proposal (trust indices, sorted).
    slack
        New buddies the seeker's limit allows; ``None`` without a limit.
    wanted
        The buddies the need takes.
    """

    buddy: np.ndarray
    workload: np.ndarray
    block: np.ndarray
    partner: np.ndarray
    mine: tuple[int, ...]
    slack: int | None
    wanted: int

    def code(self, i: int) -> str | None:
        """Return why buddy *i* (a position here) has no room, or ``None``."""
        code = int(self.block[i])
        return BLOCKS[code] if code else None

    @property
    def fitting(self) -> int:
        """Buddies whose whole capacity can take the workload."""
        return int(np.count_nonzero(self.block != _WORKLOAD))

    @property
    def free(self) -> np.ndarray:
        """Mask of buddies with room but for the seeker's buddy limit."""
        free: np.ndarray = (self.block == 0) | (self.block == _SEEKER)
        return free

    @property
    def existing(self) -> int:
        """Buddies of the seeker already that have room."""
        return int(np.count_nonzero(self.free & self.partner))

    @property
    def fresh(self) -> int:
        """New buddies with room but for the seeker's buddy limit."""
        return int(np.count_nonzero(self.free & ~self.partner))

    @property
    def new(self) -> int:
        """New buddies that can join together within the seeker's limit."""
        if self.slack is None:
            return self.fresh
        return min(self.fresh, max(self.slack, 0))

    @property
    def together(self) -> int:
        """The most of these buddies the proposal could add to the need
        at once, with every limit but the budget holding."""
        return self.existing + self.new

    @property
    def fits(self) -> bool:
        """Whether the proposal as it stands has room for the need."""
        return self.together >= self.wanted


@dataclass
class ProposalUse:
    """What a proposal uses of every buddy and seeker, by trust index.

    Attributes
    ----------
    capacity
        Every trust's capacity.
    limit
        Every trust's partner limit (its own, else the policy's); -1 for
        none.
    used
        Workload each trust gives.
    partners
        Distinct seekers each trust supports.
    buddies_of
        Seeker row -> the trusts supporting it.
    """

    capacity: np.ndarray
    limit: np.ndarray
    used: np.ndarray
    partners: np.ndarray
    buddies_of: dict[int, set[int]]

    @classmethod
    def of(cls, cands: CandidateSet, picks: np.ndarray) -> ProposalUse:
        """Return the use of the chosen candidate positions *picks*."""
        trusts = cands.problem.trusts
        default = cands.policy.max_partners
        capacity = np.fromiter(
            (t.capacity for t in trusts), np.int64, len(trusts)
        )
        limit = np.fromiter(
            (
                -1 if own is None else own
                for own in (
                    t.max_partners if t.max_partners is not None else default
                    for t in trusts
                )
            ),
            np.int64,
            len(trusts),
        )
        used = np.zeros(len(trusts), dtype=np.int64)
        np.add.at(used, cands.buddy[picks], cands.workload[picks])
        buddies_of: dict[int, set[int]] = {}
        for k in picks.tolist():
            row = int(cands.need_seeker[int(cands.need[k])])
            buddies_of.setdefault(row, set()).add(int(cands.buddy[k]))
        partners = np.zeros(len(trusts), dtype=np.int64)
        for buddies in buddies_of.values():
            partners[list(buddies)] += 1
        return cls(capacity, limit, used, partners, buddies_of)

    def room(
        self,
        cands: CandidateSet,
        need: int,
        buddy: np.ndarray,
        workload: np.ndarray,
        *,
        freed: int = 0,
    ) -> NeedRoom:
        """Return the room left for *need* with the given buddies.

        Parameters
        ----------
        cands
            Candidate pairs of the problem (any policy: only the seeker
            row and the policy's seeker limit are read).
        need
            The need's index.
        buddy, workload
            Trust indices of buddies that do not serve the need yet, and
            what the need would take of each.
        freed
            Partnerships of the seeker the caller ends first (a buddy
            replaced in its only area), which give back room under the
            seeker's buddy limit.

        Returns
        -------
        NeedRoom
            The room, buddy by buddy and together.
        """
        row = int(cands.need_seeker[need])
        mine = self.buddies_of.get(row, set())
        capacity = self.capacity[buddy]
        short = workload > capacity
        taken = self.used[buddy] + workload > capacity
        partner = np.isin(buddy, np.fromiter(mine, np.int64, len(mine)))
        limit = self.limit[buddy]
        full = ~partner & (limit >= 0) & (self.partners[buddy] >= limit)
        seeker_limit = cands.policy.max_buddies_per_seeker
        slack = (
            None if seeker_limit is None else seeker_limit - len(mine) + freed
        )
        at_limit = ~partner & (slack is not None and slack <= 0)
        # The first limit in order wins (see the module docstring).
        block = np.select(
            [short, taken, full, at_limit],
            [_WORKLOAD, _CAPACITY, _PARTNERS, _SEEKER],
            0,
        ).astype(np.int64)
        return NeedRoom(
            buddy=np.asarray(buddy, dtype=np.int64),
            workload=np.asarray(workload, dtype=np.int64),
            block=block,
            partner=partner,
            mine=tuple(sorted(mine)),
            slack=slack,
            wanted=cands.problem.needs[need].buddies,
        )

    def need_room(self, cands: CandidateSet, need: int) -> NeedRoom:
        """Return the room left for *need* with all its candidates, in the
        order of ``cands.pairs_of_need``."""
        pairs = cands.pairs_of_need(need)
        return self.room(
            cands, need, cands.buddy[pairs], cands.workload[pairs]
        )
