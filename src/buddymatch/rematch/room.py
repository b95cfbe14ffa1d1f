"""The room arrangements kept with their own limits leave the model.

Re-matching takes room off the model twice: for the arrangements kept
outside it (`make_plan`), and for the other
seekers' assignments when one seeker is solved alone (in
`buddymatch.rematch.run`).  Both count what is taken in the solver's
`Ledger`, the one account of capacity, partner
limits and budget, and `room_left` turns what a ledger leaves into
the lowered limits of the problem the engine solves.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from buddymatch.model import Policy, Problem, Trust
from buddymatch.solvers import Ledger

__all__ = ["Room", "ledger_of", "model_capacity", "room_left"]


@dataclass
class Room:
    """The limits left once some assignments are taken off.

    Attributes
    ----------
    trusts
        Every trust, with capacity and ``max_partners`` lowered where the
        assignments take some.
    changes
        Trust id -> limit name (``capacity``, ``max_partners``) -> (before,
        after), for the trusts changed, in the order of *trusts*.
    budget
        The budget left (to the penny); ``None`` without a budget.
    """

    trusts: tuple[Trust, ...]
    changes: dict[str, dict[str, tuple[int | None, int]]]
    budget: float | None


def ledger_of(
    problem: Problem,
    policy: Policy,
    pairs: Iterable[tuple[str, str, int, float]],
) -> Ledger[str]:
    """Return the ledger of *problem*'s trusts with *pairs* taken.

    Parameters
    ----------
    problem, policy
        The trusts (a buddy is its position in ``problem.trusts``) and
        the limits.
    pairs
        ``(seeker, buddy, workload, fee)`` of each assignment, by id.
    """
    index = {t.id: j for j, t in enumerate(problem.trusts)}
    ledger: Ledger[str] = Ledger.of(problem, policy)
    for seeker, buddy, workload, fee in pairs:
        ledger.take(index[buddy], seeker, workload, fee)
    return ledger


def model_capacity(kept: Ledger[str], pins: Ledger[str], buddy: int) -> int:
    """Return the capacity the model gets of *buddy* (a trust index): what
    its pins use of it, and what every kept assignment leaves."""
    return pins.capacity[buddy] - pins.left[buddy] + kept.capacity_left(buddy)


def room_left(
    trusts: Sequence[Trust],
    kept: Ledger[str],
    pins: Ledger[str] | None = None,
) -> Room:
    """Return the capacity, partner limits and budget left to the model.

    *kept* holds every assignment kept whatever the model does, *pins*
    (a part of them) those the model itself must still hold.  Each limit
    of the model is what its pins use plus what *kept* leaves: a buddy
    already overrun can take nothing new, but its pins still hold.  A
    limit changes only where assignments outside the model (in *kept*
    but not *pins*) use some of it.

    Parameters
    ----------
    trusts
        The trusts of the ledgers, in their order.
    kept
        The ledger of every kept assignment.
    pins
        The ledger of those the model holds (default: none).

    Returns
    -------
    Room
        The trusts with their limits left, what changed, and the budget
        left.
    """
    held = pins or Ledger[str](
        kept.capacity, kept.limit, kept.seeker_limit, kept.budget
    )
    out: list[Trust] = []
    changes: dict[str, dict[str, tuple[int | None, int]]] = {}
    for j, trust in enumerate(trusts):
        change: dict[str, tuple[int | None, int]] = {}
        if kept.left[j] != held.left[j]:
            change["capacity"] = (
                trust.capacity,
                model_capacity(kept, held, j),
            )
        partners = kept.partners_left(j)
        if partners is not None and kept.partners[j] != held.partners[j]:
            change["max_partners"] = (
                kept.limit[j],
                held.partners[j] + partners,
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
    budget = kept.budget_left()
    return Room(
        tuple(out),
        changes,
        None if budget is None else round(held.spent + budget, 2),
    )
