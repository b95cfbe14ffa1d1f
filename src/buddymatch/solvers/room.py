"""The room a proposal leaves for a need: every limit but the budget.

One computation, shared by the unmet reasons of a result
(`buddymatch.solvers.assemble`) and by the explanations (the funnel's
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

The same limits, pair by pair, are kept by
[`Ledger`][buddymatch.solvers.room.Ledger]: the greedy
start asks it whether each pair still fits as it builds a proposal, and
`ProposalUse` is a ledger's state read into arrays, so that the
room of many buddies is one vectorised step.  The budget rule
(`over_budget`) and fees in whole pence (`fee_units`,
`budget_units`, for the exact sums of the CP-SAT models) are here
too, so that every part of the solver reads one definition.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

import numpy as np

from buddymatch.candidates import CandidateSet
from buddymatch.model import Policy, Problem
from buddymatch.rules import ROOM_LIMITS, LimitName, partner_limit

#: Why a candidate buddy has no room, by code (0: it has room): its whole
#: capacity is below the workload, then the room limits in rule order.
BLOCKS: tuple[str, ...] = ("", "workload", *ROOM_LIMITS)
_WORKLOAD, _CAPACITY, _PARTNERS, _SEEKER = 1, 2, 3, 4

#: How a [`Ledger`][buddymatch.solvers.room.Ledger] knows seekers: rows of a
#: candidate set, or ids.
Seeker = TypeVar("Seeker", bound=Hashable)

#: Fees are money: they become whole pence, so that budget sums are exact.
FEE_SCALE = 100
#: Slack on a budget compared with fees summed in pounds (floats).
BUDGET_TOLERANCE = 1e-9


def fee_units(fee: float) -> int:
    """Return *fee* (pounds) in whole pence."""
    return round(fee * FEE_SCALE)


def fee_units_of(fees: np.ndarray) -> np.ndarray:
    """Return each fee of *fees* (pounds) in whole pence, as
    `fee_units` gives it one by one (both round half to even)."""
    return np.rint(np.asarray(fees, dtype=np.float64) * FEE_SCALE).astype(
        np.int64
    )


def budget_units(budget: float) -> int:
    """Return *budget* (pounds) in whole pence, rounded down (a budget
    given to the penny stays exact despite float error)."""
    return math.floor(budget * FEE_SCALE + 1e-6)


def over_budget(
    spent: float,
    fee: float,
    budget: float | None,
    tolerance: float = BUDGET_TOLERANCE,
) -> bool:
    """Return whether *fee* on top of *spent* breaks the budget rule.

    Parameters
    ----------
    spent
        Fees committed so far (pounds).
    fee
        The fee to add.
    budget
        The budget; ``None`` for none.
    tolerance
        Slack for float sums.
    """
    return budget is not None and spent + fee > budget + tolerance


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
        (an index into `BLOCKS`; 0: it has room).
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
        return Ledger.of_picks(cands, picks).use()

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


class Ledger(Generic[Seeker]):
    """What a proposal uses of every limit, kept pair by pair.

    A buddy is identified by its trust index, a seeker by any key (its
    row in a candidate set, or its id).  `broken` and `fits`
    judge one more pair against the limits as the proposal stands;
    `take` and `undo` change the proposal.

    Parameters
    ----------
    capacity
        Every trust's capacity, by trust index.
    limit
        Every trust's partner limit (``None``: none).
    seeker_limit
        The seekers' buddy limit (``None``: none).
    budget
        The budget (``None``: none).
    tolerance
        Slack on the budget for float sums of fees.

    Attributes
    ----------
    left
        Capacity each trust has left.
    partners
        Distinct seekers each trust supports.
    buddies_of
        Seeker -> the trusts supporting it.
    spent
        Fees committed.
    """

    def __init__(
        self,
        capacity: list[int],
        limit: list[int | None],
        seeker_limit: int | None,
        budget: float | None,
        tolerance: float = BUDGET_TOLERANCE,
    ) -> None:
        self.capacity = capacity
        self.limit = limit
        self.seeker_limit = seeker_limit
        self.budget = budget
        self.tolerance = tolerance
        # Plain lists: read once per tried pair by the greedy, faster than
        # numpy scalars.
        self.left = list(capacity)
        self.partners = [0] * len(capacity)
        self.buddies_of: dict[Seeker, set[int]] = {}
        self.spent = 0.0

    @classmethod
    def of(
        cls,
        problem: Problem,
        policy: Policy,
        tolerance: float = BUDGET_TOLERANCE,
    ) -> Ledger[Seeker]:
        """Return an empty ledger for *problem*'s trusts under *policy*."""
        return cls(
            [t.capacity for t in problem.trusts],
            [partner_limit(t, policy) for t in problem.trusts],
            policy.max_buddies_per_seeker,
            policy.budget,
            tolerance,
        )

    @classmethod
    def of_picks(cls, cands: CandidateSet, picks: np.ndarray) -> Ledger[int]:
        """Return the ledger of the chosen candidate positions *picks*
        (seekers keyed by their row in *cands*)."""
        ledger: Ledger[int] = Ledger.of(cands.problem, cands.policy)
        for k in picks.tolist():
            ledger.take(
                int(cands.buddy[k]),
                int(cands.need_seeker[int(cands.need[k])]),
                int(cands.workload[k]),
                float(cands.fee[k]),
            )
        return ledger

    def broken(
        self, buddy: int, seeker: Seeker, workload: int, fee: float
    ) -> list[LimitName]:
        """Return the limits one more pair would break, in rule order.

        Parameters
        ----------
        buddy
            The buddy's trust index.
        seeker
            The seeker's key.
        workload, fee
            What the pair takes of the buddy's capacity and the budget.
        """
        out: list[LimitName] = []
        if self.left[buddy] < workload:
            out.append("capacity")
        mine = self.buddies_of.get(seeker, ())
        if buddy not in mine:
            limit = self.limit[buddy]
            if limit is not None and self.partners[buddy] >= limit:
                out.append("max_partners")
            seeker_limit = self.seeker_limit
            if seeker_limit is not None and len(mine) >= seeker_limit:
                out.append("max_buddies_per_seeker")
        if over_budget(self.spent, fee, self.budget, self.tolerance):
            out.append("budget")
        return out

    def fits(
        self, buddy: int, seeker: Seeker, workload: int, fee: float
    ) -> bool:
        """Return whether one more pair breaks no limit."""
        return not self.broken(buddy, seeker, workload, fee)

    def take(
        self, buddy: int, seeker: Seeker, workload: int, fee: float
    ) -> bool:
        """Add a pair to the proposal; return whether it opened a new
        partnership (pass that to `undo`)."""
        self.left[buddy] -= workload
        mine = self.buddies_of.setdefault(seeker, set())
        opened = buddy not in mine
        if opened:
            mine.add(buddy)
            self.partners[buddy] += 1
        self.spent += fee
        return opened

    def undo(
        self,
        buddy: int,
        seeker: Seeker,
        workload: int,
        fee: float,
        opened: bool,
    ) -> None:
        """Take back a pair `take` added (the last of its
        partnership when *opened*)."""
        self.left[buddy] += workload
        if opened:
            self.buddies_of[seeker].discard(buddy)
            self.partners[buddy] -= 1
        self.spent -= fee

    def capacity_left(self, buddy: int) -> int:
        """Return the capacity a buddy has left (never below 0)."""
        return max(0, self.left[buddy])

    def partners_left(self, buddy: int) -> int | None:
        """Return how many more seekers a buddy may support (``None``:
        no limit)."""
        limit = self.limit[buddy]
        return None if limit is None else max(0, limit - self.partners[buddy])

    def budget_left(self) -> float | None:
        """Return the budget not yet committed (``None``: no budget)."""
        if self.budget is None:
            return None
        return max(0.0, self.budget - self.spent)

    def use(self: Ledger[int]) -> ProposalUse:
        """Return the ledger's state as arrays, for the room of many
        buddies at once (seekers keyed as here)."""
        capacity = np.asarray(self.capacity, dtype=np.int64)
        return ProposalUse(
            capacity=capacity,
            limit=np.asarray(
                [-1 if lim is None else lim for lim in self.limit],
                dtype=np.int64,
            ),
            used=capacity - np.asarray(self.left, dtype=np.int64),
            partners=np.asarray(self.partners, dtype=np.int64),
            buddies_of={s: set(b) for s, b in self.buddies_of.items() if b},
        )


def usable_candidates(cands: CandidateSet) -> np.ndarray:
    """Return the mask of candidates that can ever be chosen.

    A pair whose workload exceeds the buddy's whole capacity never fits
    (34% of the pairs of the "national" benchmark); and a need is met with
    exactly ``buddies`` distinct buddies or not at all, so the candidates
    of a need with fewer fitting candidates than that can never be chosen.
    """
    if not len(cands.need):
        return np.zeros(0, dtype=bool)
    capacity = np.array(
        [t.capacity for t in cands.problem.trusts], dtype=np.int64
    )
    fits = cands.workload <= capacity[cands.buddy]
    counts = np.bincount(cands.need[fits], minlength=len(cands.problem.needs))
    wanted = np.array([n.buddies for n in cands.problem.needs], dtype=int)
    return np.asarray(
        fits & (counts[cands.need] >= wanted[cands.need]), dtype=bool
    )


def coverable_candidates(cands: CandidateSet) -> np.ndarray:
    """Return the mask of candidates whose need has enough of them.

    Unlike `usable_candidates`, a pair whose workload exceeds the
    buddy's capacity is kept: it passes every hard pair rule, and only the
    buddy's capacity (a limit, not a pair rule) stops it.
    """
    if not len(cands.need):
        return np.zeros(0, dtype=bool)
    counts = np.bincount(cands.need, minlength=len(cands.problem.needs))
    wanted = np.array([n.buddies for n in cands.problem.needs], dtype=int)
    return np.asarray(counts[cands.need] >= wanted[cands.need], dtype=bool)
