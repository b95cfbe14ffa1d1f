"""What a proposal meets and is worth, as the objective counts it.

The needs met per priority and the quality in integer score units, and
the two together in the order the lexicographic objective compares
proposals.  Numpy only: the searches (`staged`, `cpsat`) and the bounds
all rank proposals with these.
"""

from __future__ import annotations

import numpy as np

from buddymatch.candidates import CandidateSet
from buddymatch.scoring import to_units

__all__ = ["PRIORITY_ORDER", "cover_counts", "quality_units", "rank"]

#: Priorities in the order their cover is maximised.
PRIORITY_ORDER = (3, 2, 1)


def cover_counts(cands: CandidateSet, chosen: np.ndarray) -> dict[int, int]:
    """Return needs met per priority by the proposal *chosen*.

    Parameters
    ----------
    cands
        The candidate pairs.
    chosen
        Mask over the candidate pairs.

    Returns
    -------
    dict
        Priority -> needs met (every priority of the problem present).
    """
    needs = cands.problem.needs
    wanted = np.fromiter((n.buddies for n in needs), np.int64, len(needs))
    priority = np.fromiter((n.priority for n in needs), np.int64, len(needs))
    per_need = np.bincount(cands.need[chosen], minlength=len(needs))
    met = (per_need == wanted) & (per_need > 0)
    return {
        int(p): int(np.count_nonzero(met & (priority == p)))
        for p in np.unique(priority).tolist()
    }


def quality_units(cands: CandidateSet, chosen: np.ndarray) -> int:
    """The proposal's quality in score units, as the engine counts it."""
    picks = np.flatnonzero(chosen)
    partnerships = len(
        set(
            zip(
                cands.need_seeker[cands.need[picks]].tolist(),
                cands.buddy[picks].tolist(),
                strict=True,
            )
        )
    )
    scores = to_units(np.asarray(cands.score[picks], dtype=np.float64))
    return int(scores.sum()) - partnerships * to_units(
        cands.policy.partnership_cost
    )


def rank(cands: CandidateSet, chosen: np.ndarray) -> tuple[int, ...]:
    """Cover per priority (most urgent first), then quality units: the
    order in which the objective compares two proposals."""
    counts = cover_counts(cands, chosen)
    return (
        *(counts.get(p, 0) for p in PRIORITY_ORDER),
        quality_units(cands, chosen),
    )
