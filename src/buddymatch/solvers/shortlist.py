"""A shortlist of candidate pairs: a small model that finds good
proposals fast, and the only model that fits at the largest sizes.

At "programme" size (9,000 needs, 4.2 million usable pairs) a CP-SAT
variable per usable pair does not fit in 4 GB, and building the model
alone took longer than the minute a user waits; at "national" size
(134,000 usable pairs) the whole model's search found quality 50,000 in a
minute where a shortlist of 7,000 pairs found 56,000 (docs/performance.md).
The shortlist holds:

* each need's best candidates by score (``per_buddy`` for every buddy the
  need asks for), since the quality objective prefers them;
* each need's best candidates among buddies the warm start left with room
  for the need's workload and a free partner slot, since those are the
  ones that can take needs the warm start could not meet;
* every pair of the warm start and every pinned pair, so the warm start is
  a solution of the shortlisted model and the pins can hold.

The shortlist is a heuristic: the best proposal on it need not be the best
on all pairs.  [`buddymatch.solvers.propose`][buddymatch.solvers.propose]
therefore either hands
its best proposal to the whole model (up to `SHORTLIST_ABOVE` usable
pairs), which proves what it can, or (above) reports it as ``feasible``
with no bound, since CP-SAT's bound holds for the shortlist only.
"""

from __future__ import annotations

import numpy as np

from buddymatch.candidates import CandidateSet
from buddymatch.rules import partner_limit
from buddymatch.solvers.greedy import best_first

#: Usable pairs above which only the shortlist is solved.  The whole model
#: of a 550,000-pair instance (365,000 usable) peaked at 2.4 GB, so 500,000
#: usable pairs stays within 4 GB; "programme" (4.2 million) is far above.
SHORTLIST_ABOVE = 500_000
#: Share of the time limit the shortlist gets when the whole model is
#: solved after it (between LARGE_MODEL_PAIRS and SHORTLIST_ABOVE pairs).
SHORTLIST_SHARE = 0.4
#: Shortlisted candidates per buddy a need asks for, in each of the two
#: rankings (measured on "programme", docs/performance.md).
SHORTLIST_PER_BUDDY = 4


def _best_per_need(
    cands: CandidateSet, eligible: np.ndarray, per_need: np.ndarray
) -> np.ndarray:
    """Return the mask of each need's ``per_need[need]`` best eligible
    pairs by score (ties: lower position first)."""
    ranked, firsts = best_first(cands, eligible)
    needs = cands.need[ranked]
    # Rank within the need: position in the sorted run minus its start.
    run_start = np.repeat(firsts, np.diff(np.append(firsts, len(ranked))))
    rank = np.arange(len(ranked)) - run_start
    mask = np.zeros(cands.n_candidates, dtype=bool)
    mask[ranked[rank < per_need[needs]]] = True
    return mask


def shortlist(
    cands: CandidateSet,
    usable: np.ndarray,
    keep: np.ndarray,
    per_buddy: int = SHORTLIST_PER_BUDDY,
) -> np.ndarray:
    """Return the shortlisted candidate pairs.

    Parameters
    ----------
    cands
        The candidate pairs.
    usable
        Mask of candidates that may be chosen at all.
    keep
        Mask of pairs that must stay: the warm start's and the pins'.
        The warm start also tells which buddies have room left.
    per_buddy
        Pairs kept per buddy a need asks for, in each ranking.

    Returns
    -------
    numpy.ndarray
        Boolean mask over the candidate pairs, within *usable* | *keep*.
        Every need that had enough usable pairs keeps enough to be met.

    Raises
    ------
    ValueError
        If *per_buddy* is below 1.
    """
    if per_buddy < 1:
        raise ValueError(f"per_buddy must be at least 1, not {per_buddy}")
    problem, policy = cands.problem, cands.policy
    wanted = np.array([n.buddies for n in problem.needs], dtype=np.int64)
    per_need = per_buddy * wanted
    best = _best_per_need(cands, usable, per_need)

    # Room the warm start leaves: capacity and partner slots per buddy.
    trusts = problem.trusts
    room = np.array([t.capacity for t in trusts], dtype=np.int64)
    np.subtract.at(room, cands.buddy[keep], cands.workload[keep])
    limits = [partner_limit(t, policy) for t in trusts]
    limit = np.array(
        [len(cands.seekers) if lim is None else lim for lim in limits],
        dtype=np.int64,
    )
    seeker_of = cands.need_seeker[cands.need]
    kept = np.flatnonzero(keep)
    partners = np.zeros(len(trusts), dtype=np.int64)
    if len(kept):
        pairs = np.unique(
            np.stack([cands.buddy[kept], seeker_of[kept]], axis=1), axis=0
        )
        partners = np.bincount(pairs[:, 0], minlength=len(trusts))
    open_buddy = partners < limit
    spare = (
        usable
        & (cands.workload <= room[cands.buddy])
        & open_buddy[cands.buddy]
    )
    with_room = _best_per_need(cands, spare, per_need)
    return np.asarray(best | with_room | keep, dtype=bool)
