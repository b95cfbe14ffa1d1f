"""A fast greedy proposal, used as the solver's warm start and fallback.

Needs are taken in priority order (most urgent first, then fewest
candidates first, since they are the hardest to place); each gets its best
scoring candidates that still fit every coupling rule.  The result obeys
every hard rule, so it is a valid proposal on its own: when the time limit
runs out before CP-SAT finds anything, this is what is returned.

Given a deadline, the greedy stops taking needs when it passes, or when
the caller's stop event is set (see `greedy_start`): what it has
chosen so far still obeys every hard rule, and the needs it did not reach
are reported as such.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np

from buddymatch.candidates import CandidateSet
from buddymatch.solvers.room import Ledger


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


#: Needs the greedy covers between two looks at the clock: one look costs
#: far less than a need, and 64 needs take well under 0.05 s even at
#: "programme" size.
CLOCK_EVERY = 64


class GreedyStart(NamedTuple):
    """What `greedy_start` found."""

    #: Mask of chosen candidates, or ``None`` when a pin cannot be
    #: honoured by the greedy.
    chosen: np.ndarray | None
    #: Mask over the needs the greedy did not try before the deadline
    #: (all false when it finished).
    untried: np.ndarray


def _follow(
    cands: CandidateSet,
    usable: np.ndarray,
    guide: Sequence[np.ndarray],
    ledger: Ledger[int],
    picked: dict[int, list[int]],
    pair: Callable[[int], tuple[int, int, int, float]],
    take: Callable[[int], bool],
) -> None:
    """Take the *guide*'s pairs that fit, in order, for needs it serves
    whole.

    The pairs are first tried on a copy of *ledger*; a need left with
    fewer than its buddies is let go, and only then are the others taken
    for real.  Letting go of a pair on the ledger itself is not safe
    once later pairs share its partnership (`Ledger.undo` is last in,
    first out), while a subset of pairs that fit together always fits:
    every limit only grows with the pairs taken.
    """
    problem = cands.problem
    trial = copy.deepcopy(ledger)
    tried: list[int] = []
    count: dict[int, int] = {n: len(p) for n, p in picked.items()}
    seen: set[int] = set()
    for column in guide:
        for k in np.asarray(column).tolist():
            need = int(cands.need[k])
            if (
                k in seen
                or not usable[k]
                or count.get(need, 0) >= problem.needs[need].buddies
                or not trial.fits(*pair(k))
            ):
                continue
            seen.add(k)
            trial.take(*pair(k))
            tried.append(k)
            count[need] = count.get(need, 0) + 1
    for k in tried:
        need = int(cands.need[k])
        if count[need] == problem.needs[need].buddies:
            take(k)
            picked.setdefault(need, []).append(k)


def greedy(
    cands: CandidateSet,
    usable: np.ndarray,
    forced: list[list[int]],
) -> np.ndarray | None:
    """Return a mask of chosen candidates obeying every hard rule.

    The same as `greedy_start` without a deadline.
    """
    return greedy_start(cands, usable, forced).chosen


def greedy_start(
    cands: CandidateSet,
    usable: np.ndarray,
    forced: list[list[int]],
    deadline: float | None = None,
    clock: Callable[[], float] = time.perf_counter,
    stop: threading.Event | None = None,
    guide: Sequence[np.ndarray] | None = None,
) -> GreedyStart:
    """Return a proposal obeying every hard rule, made by the deadline.

    Parameters
    ----------
    cands
        The candidate pairs.
    usable
        Candidates that may be chosen.
    forced
        Pin groups (one of each must be chosen).
    deadline
        A time of *clock* after which no further need is taken (pins are
        always tried); ``None`` for no limit.
    clock
        The clock *deadline* is read on (seconds).
    stop
        An event that, once set, ends the greedy as the deadline does.
    guide
        Groups of candidate positions to take first, in order, each pair
        that still fits (after the pins, before the needs one by one): the
        columns of the decomposition's LP solution, heaviest first, which
        rounds that solution (`buddymatch.solvers.staged`).  A need
        left with fewer than its buddies is let go again.

    Returns
    -------
    GreedyStart
        The chosen mask (``None`` when the greedy cannot honour every pin:
        the solver then has to find out whether anyone can) and the needs
        left untried when the deadline passed (or *stop* was set).
    """
    problem = cands.problem
    # The limits, kept pair by pair by the same ledger as the room the
    # unmet reasons and explanations measure.
    ledger: Ledger[int] = Ledger.of(problem, cands.policy)
    left = ledger.left
    chosen = np.zeros(cands.n_candidates, dtype=bool)

    def pair(k: int) -> tuple[int, int, int, float]:
        """Return the buddy, seeker row, workload and fee of *k*."""
        row = int(cands.need_seeker[int(cands.need[k])])
        return buddy_of[k], row, workload_of[k], float(cands.fee[k])

    def fits(k: int) -> bool:
        return ledger.fits(*pair(k))

    def take(k: int) -> bool:
        """Choose *k*; return whether it opened a new partnership."""
        chosen[k] = True
        return ledger.take(*pair(k))

    def undo(k: int, opened: bool) -> None:
        ledger.undo(*pair(k), opened)
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
            if left[buddy_of[k]] < workload_of[k]:
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
            return GreedyStart(None, np.zeros(len(problem.needs), bool))

    if guide is not None:
        _follow(cands, usable, guide, ledger, picked, pair, take)

    counts = np.bincount(cands.need, minlength=len(problem.needs))
    need_order = sorted(
        order_of,
        key=lambda n: (-problem.needs[n].priority, int(counts[n]), n),
    )
    untried = np.zeros(len(problem.needs), dtype=bool)
    for done, need in enumerate(need_order):
        if done % CLOCK_EVERY == 0 and (
            (deadline is not None and clock() >= deadline)
            or (stop is not None and stop.is_set())
        ):
            untried[need_order[done:]] = True
            break
        cover(need)
    return GreedyStart(chosen, untried)
