"""Proven bounds at scale: the decomposition beside the compact model.

On large models CP-SAT's own bound on the compact model barely moves (on
"national" it stays at about the sum of each need's best score, 65,545
against proposals of 56,000), and its cover stages end unproven.  The
per-buddy decomposition (`decomposition`) bounds every stage far
more tightly (61,162; cover 456 of priority 2 where 516 needs could be
met).  This module runs it within the call's time limit and merges its
bounds with CP-SAT's: the result reports, for each stage, the smallest
bound that holds for the proposal.

A stage bound of the decomposition is conditional on the cover counts it
was given for the priorities above it (the lexicographic objective): it
bounds the proposals that meet at least that many needs of each of those
priorities.  It is used for the final proposal only when the proposal
meets at least those counts, which keeps it valid for the proposal's own
conditional statement (see [`Coverage`][buddymatch.result.Coverage]).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from buddymatch.candidates import CandidateSet
from buddymatch.scoring import to_units
from buddymatch.solvers.decomposition import Decomposition, StageBound
from buddymatch.solvers.seeker_bound import SeekerBound
from buddymatch.solvers.tally import (
    PRIORITY_ORDER,
    cover_counts,
    quality_units,
)

#: Pricing rounds per stage, per second of the time limit, in
#: deterministic mode, where a wall-clock limit would make the bounds
#: depend on the machine's load (a round took 0.3-1.5 s on "national").
DETERMINISTIC_ROUNDS_PER_SECOND = 0.5

__all__ = [
    "StageBounds",
    "cover_counts",
    "merge_bounds",
    "quality_units",
]


@dataclass
class StageBounds:
    """The bounds a result reports, and where each came from."""

    quality: float | None
    cover: dict[int, int]
    source: str
    record: dict[str, Any] = field(default_factory=dict)
    #: Every stage's bound is met by the proposal: it is optimal.
    proven: bool = False
    #: The transportation relaxation's stages, for the result's
    #: ``solver["transport"]``.
    transport: list[dict[str, Any]] = field(default_factory=list)


def merge_bounds(
    cands: CandidateSet,
    chosen: np.ndarray,
    quality: float | None,
    cover: dict[int, int],
    decomposition: Decomposition | None,
    seconds: float | None = None,
    transport: Sequence[StageBound] = (),
    seekers: SeekerBound | None = None,
) -> StageBounds:
    """Return the smallest valid bound of each stage for *chosen*.

    Parameters
    ----------
    cands
        The candidate pairs.
    chosen
        The final proposal.
    quality
        CP-SAT's quality bound (points), if any.
    cover
        CP-SAT's cover bounds per priority (may be empty).
    decomposition
        The decomposition's bounds, if it ran.
    seconds
        Wall seconds the decomposition took, for the record; ``None``
        leaves them out (deterministic mode: the record must repeat).
    transport
        The transportation relaxation's stage bounds (`transport`), if
        it ran.
    seekers
        The seekers' caps on cover (`seeker_bound`), if computed: they
        hold for every proposal, so with no condition.

    Returns
    -------
    StageBounds
        Quality and cover bounds, the source of the quality bound
        (``cp-sat``, ``decomposition``, ``transport`` or ``none``), and
        records of the decomposition's and the relaxation's stages for
        the result's ``solver`` field.
    """
    merged = dict(cover)
    source = "none" if quality is None else "cp-sat"
    have = cover_counts(cands, chosen)
    kept: dict[str, list[dict[str, Any]]] = {}
    for name, stages in (
        ("decomposition", decomposition.stages if decomposition else []),
        ("transport", transport),
    ):
        kept[name] = []
        for stage in stages:
            # Conditional on the counts it was given: valid for this
            # proposal only if the proposal meets at least as many.
            holds = all(have.get(q, 0) >= k for q, k in stage.fixed.items())
            kept[name].append(
                {
                    "stage": stage.stage,
                    "bound": stage.bound,
                    "iterations": stage.iterations,
                    "converged": stage.converged,
                    "used": holds,
                }
            )
            if not holds:
                continue
            if stage.stage == "quality":
                # A proven bound never below the proposal: the proposal
                # meets the counts the stage was given.
                if quality is None or stage.bound < quality:
                    quality, source = stage.bound, name
                continue
            priority = int(stage.stage.rsplit(" ", 1)[1])
            if priority in PRIORITY_ORDER:
                merged[priority] = min(
                    merged.get(priority, stage.bound_units),
                    stage.bound_units,
                )
    if seekers is not None:
        for priority, cap in seekers.cover.items():
            if priority in PRIORITY_ORDER:
                merged[priority] = min(merged.get(priority, cap), cap)
    if decomposition is None and not transport:
        return StageBounds(quality, merged, source)
    record: dict[str, Any] = {}
    if decomposition is not None:
        record = {"stages": kept["decomposition"]}
        if seconds is not None:
            record["seconds"] = round(seconds, 3)
    proven = (
        quality is not None
        and all(merged.get(p, have[p]) <= have[p] for p in have)
        and to_units(quality) <= quality_units(cands, chosen)
    )
    return StageBounds(
        quality, merged, source, record, proven, kept["transport"]
    )
