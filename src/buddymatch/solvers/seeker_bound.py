"""A cover bound from each seeker alone: its buddy limit caps its cover.

A seeker may have at most ``max_buddies_per_seeker`` buddies, and a need
is met only with ``buddies`` distinct ones.  When no choice of that many
buddies can serve all of a seeker's needs, some of its needs stay unmet
in every proposal.  The per-buddy decomposition (`decomposition`)
sees this limit only through its master LP's rows, which a fractional
solution satisfies while meeting more needs than any choice of buddies
can: on ``national-alt`` (at most 3 buddies per seeker, 5 needs each) its
cover stage still said 1,000 after 15 s, where this bound proves 995 in
well under a second.

The relaxation keeps, of every rule, only what one seeker sees: its
usable pairs (the hard pair rules), its buddy limit and each buddy's
capacity for its needs.  Other seekers' use of the buddies, partner
limits, the budget and pins are dropped.  So the sum over seekers of each
seeker's best cover bounds every proposal's cover, priority by priority
(each priority maximised on its own, which makes it valid whatever the
other priorities meet).

Each seeker is solved exactly, by reaching states: a state counts, per
need, the buddies serving it so far (up to the number it asks for),
after each number of buddies used.  A buddy adds one set of the seeker's
needs that fits its capacity; the largest such sets suffice, since
serving more never counts less.  Buddies whose sets are the same are
interchangeable, and at most ``max_buddies_per_seeker`` of each kind can
be used.  A seeker keeps the trivial cap (each of its needs that has
enough usable buddies) when its states would exceed `MAX_STATES`, or
when its needs ask for no more buddies than its limit in all (each need
can then have its own; only a buddy's capacity shared by two of its
needs could still bind, and solving them all took programme 4.3 s).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from buddymatch.candidates import CandidateSet

__all__ = ["SeekerBound", "seeker_bound"]

IntArray = NDArray[np.int64]

#: States (need counts times buddies used) beyond which a seeker keeps
#: the trivial cap: every seeker of the benchmark instances has at most
#: 2^5 x 5 of them.
MAX_STATES = 1 << 15
#: Needs of one seeker beyond which it keeps the trivial cap (bitmasks
#: over its needs are 64-bit integers).
MAX_NEEDS = 62


@dataclass
class SeekerBound:
    """The seekers' caps on cover.

    Attributes
    ----------
    cover
        Per priority, the sum of the seekers' caps: no proposal meets
        more needs of that priority.
    caps
        Per priority, each seeker's cap (array over the seekers).
    limited
        Per priority, the seekers whose cap is below their needs that
        have enough usable buddies: the buddy limit alone leaves some of
        them unmet.
    seconds
        Wall seconds the bound took.
    """

    cover: dict[int, int]
    caps: dict[int, IntArray] = field(default_factory=dict)
    limited: dict[int, NDArray[np.bool_]] = field(default_factory=dict)
    seconds: float = 0.0

    def record(self, seconds: bool) -> dict[str, Any]:
        """The result's ``solver["seeker_bound"]``: per priority, the
        caps' sum and the seekers capped, and the seconds if *seconds*
        (not in deterministic mode, whose record must repeat)."""
        record: dict[str, Any] = {
            "cover": {str(p): n for p, n in sorted(self.cover.items())},
            "limited": {
                str(p): int(np.count_nonzero(m))
                for p, m in sorted(self.limited.items())
            },
        }
        if seconds:
            record["seconds"] = round(self.seconds, 3)
        return record


@cache
def _largest_fits(
    workloads: tuple[int, ...], capacity: int
) -> tuple[int, ...]:
    """The largest sets of items (bitmasks over *workloads*) whose
    workloads fit *capacity*."""
    k = len(workloads)
    fits = {
        subset
        for subset in range(1, 1 << k)
        if sum(w for j, w in enumerate(workloads) if subset >> j & 1)
        <= capacity
    }
    return tuple(
        subset
        for subset in sorted(fits)
        if not any(
            subset | (1 << j) in fits for j in range(k) if not subset >> j & 1
        )
    )


def _seeker_cap(
    kinds: dict[tuple[int, ...], int],
    wanted: IntArray,
    limit: int,
) -> NDArray[np.bool_]:
    """The need-cover patterns one seeker can reach.

    Parameters
    ----------
    kinds
        Per kind of buddy (its largest fitting sets of the seeker's
        needs, as bitmasks over the seeker's needs), how many there are
        (at most *limit*).
    wanted
        Buddies each of the seeker's needs asks for.
    limit
        The seeker's buddy limit.

    Returns
    -------
    numpy.ndarray
        One row per reachable state: whether each need is met.
    """
    m = len(wanted)
    radix = np.cumprod(np.r_[1, wanted + 1])[:-1].astype(np.int64)
    n_states = int(np.prod(wanted + 1))
    digits = (np.arange(n_states)[:, None] // radix) % (wanted + 1)
    bits = np.arange(m)
    after: dict[int, IntArray] = {}

    def served(mask: int) -> IntArray:
        """Each state's successor when a buddy serves the needs *mask*."""
        if mask not in after:
            step = (mask >> bits) & 1
            after[mask] = np.minimum(digits + step, wanted) @ radix
        return after[mask]

    reach = np.zeros((limit + 1, n_states), dtype=bool)
    reach[0, 0] = True
    for sets, count in kinds.items():
        for _ in range(count):
            # Most buddies used first, so that this buddy is added once.
            for used in range(limit - 1, -1, -1):
                states = reach[used]
                if not states.any():
                    continue
                for mask in sets:
                    reach[used + 1, served(mask)[states]] = True
    return np.asarray(digits[reach.any(axis=0)] >= wanted, dtype=bool)


def seeker_bound(
    cands: CandidateSet, usable: np.ndarray
) -> SeekerBound | None:
    """Bound each priority's cover by each seeker's buddy limit alone.

    Parameters
    ----------
    cands
        The candidate pairs.
    usable
        Mask of the pairs whose need can be covered.

    Returns
    -------
    SeekerBound or None
        The caps; ``None`` when the policy sets no buddy limit (the bound
        would only count the needs with enough usable buddies).
    """
    began = time.perf_counter()
    limit = cands.policy.max_buddies_per_seeker
    if limit is None:
        return None
    needs = cands.problem.needs
    wanted = np.fromiter((n.buddies for n in needs), np.int64, len(needs))
    priority = np.fromiter((n.priority for n in needs), np.int64, len(needs))
    capacity = np.fromiter(
        (t.capacity for t in cands.problem.trusts),
        np.int64,
        len(cands.problem.trusts),
    )
    n_seekers = len(cands.seekers)
    positions = np.flatnonzero(usable)
    need = cands.need[positions].astype(np.int64)
    seeker = cands.need_seeker[need].astype(np.int64)
    buddy = cands.buddy[positions].astype(np.int64)
    workload = cands.workload[positions].astype(np.int64)
    # Each seeker's coverable needs, numbered from 0 within the seeker.
    coverable = np.unique(need)
    owner = cands.need_seeker[coverable].astype(np.int64)
    by_seeker = np.lexsort((coverable, owner))
    coverable, owner = coverable[by_seeker], owner[by_seeker]
    first = np.searchsorted(owner, np.arange(n_seekers + 1))
    local = np.zeros(len(needs), dtype=np.int64)
    local[coverable] = np.arange(len(coverable)) - first[owner]
    priorities = np.unique(priority).tolist()
    caps = {
        p: np.bincount(
            owner[priority[coverable] == p], minlength=n_seekers
        ).astype(np.int64)
        for p in priorities
    }
    trivial = {p: c.copy() for p, c in caps.items()}
    # A seeker whose needs ask for no more buddies than its limit in all
    # keeps the trivial cap: each need can have its own buddies (only a
    # buddy's capacity, shared by two of its needs, could still bind).
    # On "programme" this leaves 4 s of work out, and no seeker there is
    # limited either way.
    asked = np.bincount(owner, weights=wanted[coverable], minlength=n_seekers)
    states = np.bincount(
        owner, weights=np.log2(wanted[coverable] + 1.0), minlength=n_seekers
    ) + np.log2(limit + 1.0)
    solved = (
        (asked > limit)
        & (states <= np.log2(MAX_STATES))
        & (np.diff(first) <= MAX_NEEDS)
    )
    keep = solved[seeker]
    need, seeker, buddy, workload = (
        need[keep],
        seeker[keep],
        buddy[keep],
        workload[keep],
    )
    # Pairs grouped by (seeker, buddy): one group per possible buddy.
    order = np.lexsort((local[need], buddy, seeker))
    need, seeker, buddy, workload = (
        need[order],
        seeker[order],
        buddy[order],
        workload[order],
    )
    kinds: dict[int, dict[tuple[int, ...], int]] = {
        s: {} for s in np.flatnonzero(solved).tolist()
    }
    if len(need):
        key = seeker * max(1, len(capacity)) + buddy
        starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
        ends = np.r_[starts[1:], len(key)]
        bit = np.left_shift(np.int64(1), local[need])
        group_mask = np.bitwise_or.reduceat(bit, starts)
        group_load = np.add.reduceat(workload, starts)
        group_seeker = seeker[starts]
        group_capacity = capacity[buddy[starts]]
        # A buddy whose capacity takes all the seeker's needs it can
        # serve brings one set, those needs: counted per kind at once.
        fitting = group_load <= group_capacity
        found, counts = np.unique(
            np.stack([group_seeker[fitting], group_mask[fitting]]),
            axis=1,
            return_counts=True,
        )
        for s, mask, count in zip(
            *found.tolist(), counts.tolist(), strict=True
        ):
            kinds[s][(mask,)] = min(limit, count)
        for g in np.flatnonzero(~fitting).tolist():
            items = range(int(starts[g]), int(ends[g]))
            bits = [int(local[need[i]]) for i in items]
            sets = tuple(
                sorted(
                    {
                        sum(
                            1 << b
                            for j, b in enumerate(bits)
                            if subset >> j & 1
                        )
                        for subset in _largest_fits(
                            tuple(int(workload[i]) for i in items),
                            int(group_capacity[g]),
                        )
                    }
                )
            )
            held = kinds[int(group_seeker[g])]
            held[sets] = min(limit, held.get(sets, 0) + 1)
    for s, of_seeker in kinds.items():
        own = coverable[first[s] : first[s + 1]]
        met = _seeker_cap(of_seeker, wanted[own], limit)
        for p in priorities:
            of_p = priority[own] == p
            if of_p.any():
                caps[p][s] = int(met[:, of_p].sum(axis=1).max())
    return SeekerBound(
        cover={p: int(c.sum()) for p, c in caps.items()},
        caps=caps,
        limited={p: caps[p] < trivial[p] for p in priorities},
        seconds=time.perf_counter() - began,
    )
