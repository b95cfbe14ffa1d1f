"""The room some assignments leave: capacity, partner limits and budget.

Re-matching takes room off the model twice: for the arrangements kept
outside it (:func:`~buddymatch.rematch.plan.make_plan`), and for the other
seekers' assignments when one seeker is solved alone (in
:mod:`buddymatch.rematch.run`).  Both go through
:func:`room_left`, the one place this arithmetic is done here.  It works
on trust ids and whole trusts, where :mod:`buddymatch.solvers.room` works
on the candidate pairs of one model.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from buddymatch.model import Policy, Trust

__all__ = ["Room", "Use", "partner_limit", "room_left"]


def partner_limit(trust: Trust, policy: Policy) -> int | None:
    """Return the most seekers *trust* may support: its own limit, else
    the policy's; ``None`` without a limit."""
    if trust.max_partners is not None:
        return trust.max_partners
    return policy.max_partners


@dataclass
class Use:
    """What some assignments use, by buddy id.

    Attributes
    ----------
    load
        Workload units per buddy.
    partners
        Seekers per buddy.
    fees
        Their fees together.
    """

    load: Counter[str] = field(default_factory=Counter)
    partners: dict[str, set[str]] = field(default_factory=dict)
    fees: float = 0.0

    def add(
        self,
        seeker: str,
        buddy: str,
        workload: int,
        *,
        partner: bool = True,
    ) -> None:
        """Count one assignment's workload, and its seeker as a partner of
        *buddy* unless *partner* is false (one counted elsewhere)."""
        self.load[buddy] += workload
        if partner:
            self.partners.setdefault(buddy, set()).add(seeker)


@dataclass
class Room:
    """The limits left once a use is taken off.

    Attributes
    ----------
    trusts
        Every trust, with capacity and ``max_partners`` lowered where the
        use takes some.
    changes
        Trust id -> limit name (``capacity``, ``max_partners``) -> (before,
        after), for the trusts changed, in the order of *trusts*.
    budget
        The budget left (to the penny); ``None`` without a budget.
    """

    trusts: tuple[Trust, ...]
    changes: dict[str, dict[str, tuple[int | None, int]]]
    budget: float | None


def room_left(
    trusts: tuple[Trust, ...],
    policy: Policy,
    taken: Use,
    keep: Use | None = None,
) -> Room:
    """Return the capacity, partner limits and budget *taken* leaves.

    A limit is lowered only where *taken* uses some of it, and never below
    what *keep* (the pins the model must still hold) needs: a buddy
    already overrun can take nothing new, but its pins still hold.

    Parameters
    ----------
    trusts
        The trusts, with their limits.
    policy
        The policy: its partner limit and budget.
    taken
        What is taken off.
    keep
        The least each limit must still allow (default: nothing).

    Returns
    -------
    Room
        The trusts with their limits left, what changed, and the budget
        left.
    """
    keep = keep or Use()
    out: list[Trust] = []
    changes: dict[str, dict[str, tuple[int | None, int]]] = {}
    for trust in trusts:
        change: dict[str, tuple[int | None, int]] = {}
        load = taken.load[trust.id]
        if load:
            change["capacity"] = (
                trust.capacity,
                max(keep.load[trust.id], trust.capacity - load),
            )
        limit = partner_limit(trust, policy)
        gone = len(taken.partners.get(trust.id, ()))
        if gone and limit is not None:
            change["max_partners"] = (
                limit,
                max(len(keep.partners.get(trust.id, ())), limit - gone),
            )
        if change:
            changes[trust.id] = change
            trust = Trust.model_validate(
                {
                    **trust.model_dump(),
                    **{name: now for name, (_, now) in change.items()},
                }
            )
        out.append(trust)
    budget = (
        None
        if policy.budget is None
        else round(max(keep.fees, policy.budget - taken.fees), 2)
    )
    return Room(tuple(out), changes, budget)
