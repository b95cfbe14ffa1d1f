"""A fast greedy proposal, used as the solver's warm start and fallback.

Needs are taken in priority order (most urgent first, then fewest
candidates first, since they are the hardest to place); each gets its best
scoring candidates that still fit every coupling rule.  The result obeys
every hard rule, so it is a valid proposal on its own: when the time limit
runs out before CP-SAT finds anything, this is what is returned.
"""

from __future__ import annotations

import numpy as np

from buddymatch.candidates import CandidateSet


def best_first(
    cands: CandidateSet, eligible: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Return the *eligible* pairs grouped by need, best score first.

    Parameters
    ----------
    cands
        The candidate pairs.
    eligible
        Boolean mask of the pairs to rank.

    Returns
    -------
    tuple of numpy.ndarray
        The ranked positions (by need, then score descending, then
        position), and where each need's run starts in them.
    """
    positions = np.flatnonzero(eligible)
    ranked = positions[
        np.lexsort((positions, -cands.score[positions], cands.need[positions]))
    ]
    firsts = np.flatnonzero(np.diff(cands.need[ranked], prepend=-1))
    return ranked, firsts


def greedy(
    cands: CandidateSet,
    usable: np.ndarray,
    forced: list[list[int]],
) -> np.ndarray | None:
    """Return a mask of chosen candidates obeying every hard rule.

    Parameters
    ----------
    cands
        The candidate pairs.
    usable
        Candidates that may be chosen.
    forced
        Pin groups (one of each must be chosen).

    Returns
    -------
    numpy.ndarray or None
        The chosen mask, or ``None`` when the greedy cannot honour every pin
        (the solver then has to find out whether anyone can).
    """
    problem, policy = cands.problem, cands.policy
    trusts = problem.trusts
    # Plain lists: read once per tried pair, faster than numpy scalars.
    capacity = [t.capacity for t in trusts]
    partner_limit = [
        t.max_partners if t.max_partners is not None else policy.max_partners
        for t in trusts
    ]
    seeker_limit = policy.max_buddies_per_seeker
    budget = policy.budget
    spent = 0.0
    partners: dict[int, set[int]] = {}  # buddy -> seeker rows
    buddies_of: dict[int, set[int]] = {}  # seeker row -> buddies
    chosen = np.zeros(cands.n_candidates, dtype=bool)

    def fits(k: int) -> bool:
        buddy = int(cands.buddy[k])
        row = int(cands.need_seeker[int(cands.need[k])])
        if capacity[buddy] < workload_of[k]:
            return False
        mine = buddies_of.get(row, set())
        if buddy not in mine:
            limit = partner_limit[buddy]
            if limit is not None and len(partners.get(buddy, ())) >= limit:
                return False
            if seeker_limit is not None and len(mine) >= seeker_limit:
                return False
        return budget is None or spent + cands.fee[k] <= budget + 1e-9

    def take(k: int) -> bool:
        """Choose *k*; return whether it opened a new partnership."""
        nonlocal spent
        buddy = int(cands.buddy[k])
        row = int(cands.need_seeker[int(cands.need[k])])
        capacity[buddy] -= workload_of[k]
        mine = buddies_of.setdefault(row, set())
        opened = buddy not in mine
        mine.add(buddy)
        partners.setdefault(buddy, set()).add(row)
        spent += float(cands.fee[k])
        chosen[k] = True
        return opened

    def undo(k: int, opened: bool) -> None:
        nonlocal spent
        buddy = int(cands.buddy[k])
        row = int(cands.need_seeker[int(cands.need[k])])
        capacity[buddy] += workload_of[k]
        if opened:
            buddies_of[row].discard(buddy)
            partners[buddy].discard(row)
        spent -= float(cands.fee[k])
        chosen[k] = False

    picked: dict[int, list[int]] = {}  # need -> chosen candidates

    def cover(need: int) -> bool:
        """Give *need* its buddies, best first; undo on failure."""
        wanted = problem.needs[need].buddies
        picks = picked.setdefault(need, [])
        if len(picks) == wanted:
            return True
        added: list[tuple[int, bool]] = []
        for k in order_of.get(need, np.zeros(0, dtype=np.int64)).tolist():
            if len(picks) == wanted:
                break
            # The capacity test first: at "programme" size most of the
            # best-scoring buddies are full long before the last needs.
            if capacity[buddy_of[k]] < workload_of[k]:
                continue
            if chosen[k] or not fits(k):
                continue
            added.append((k, take(k)))
            picks.append(k)
        if len(picks) == wanted:
            return True
        # Roll back this call's picks: partial cover is never kept.
        for k, opened in reversed(added):
            undo(k, opened)
            picks.remove(k)
        return False

    # Each need's usable candidates, best score first (ties by position),
    # grouped with numpy: a Python loop over the pairs took 5 s of the 8 s
    # the greedy needed at "programme" size (4.3 million pairs).
    ranked, firsts = best_first(cands, usable)
    parts = np.split(ranked, firsts[1:]) if len(ranked) else []
    order_of: dict[int, np.ndarray] = {
        int(cands.need[ranked[i]]): part
        for i, part in zip(firsts, parts, strict=True)
    }
    buddy_of = cands.buddy.tolist()
    workload_of = cands.workload.tolist()

    for group in forced:
        if any(chosen[k] for k in group):
            continue
        for k in group:
            need = int(cands.need[k])
            if not usable[k] or not fits(k):
                continue
            opened = take(k)
            picked.setdefault(need, []).append(k)
            if cover(need):
                break
            undo(k, opened)
            picked[need].remove(k)
        else:
            return None

    counts = np.bincount(cands.need, minlength=len(problem.needs))
    need_order = sorted(
        order_of,
        key=lambda n: (-problem.needs[n].priority, int(counts[n]), n),
    )
    for need in need_order:
        cover(need)
    return chosen
