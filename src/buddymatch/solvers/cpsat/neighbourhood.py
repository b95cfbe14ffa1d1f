"""Large-neighbourhood search: free a few seekers, solve them exactly.

On a large model CP-SAT's own search improves a proposal slowly: with
the two workers of a 2-core machine its portfolio has one full-problem
worker and no graph neighbourhoods (only RINS/RENS).  Here each step
frees the needs of a handful of *seekers* and keeps every other pair of
the proposal fixed, so that the step is a small model of the same rules
(`Variables`, `Constraints`: written once) that CP-SAT solves to the end
in a fraction of a second:

* the freed seekers' needs may take any of their usable pairs;
* every other chosen pair stays, using up its buddy's capacity and
  partner limit, its seeker's buddy limit and the budget;
* the objective is the engine's lexicographic one over the stages
  searched (cover of each priority, most urgent first, then quality),
  as one weighted sum in exact integers; the covers of the priorities
  not searched may not fall.

A step's answer replaces the proposal when it ranks higher.  Which
seekers are freed is what makes it work: an unmet need's seeker together
with the seekers that hold the buddies that could serve it (its
*rivals*), so that a step can move a rival's need to another buddy and
give the freed buddy to the unmet need.  For quality, a seeker and the
rivals for its best buddies.  The number of pairs freed grows while
steps end proven and shrinks while they run out of time.

The staged search (`buddymatch.solvers.staged`) runs it in the quality
stage, before the integer master, where a priority's cover is more than
1 % below its bound.  On "national-alt" (60 s) the engine then met
990 needs where it met 947-961 without it (docs/performance.md).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from ortools.sat.python import cp_model

from buddymatch.candidates import CandidateSet
from buddymatch.solvers.cpsat.constraints import Constraints
from buddymatch.solvers.cpsat.objective import (
    MAX_OBJECTIVE_UNITS,
    fix_cover,
    maximize,
    quality_coefficients,
)
from buddymatch.solvers.cpsat.solve import run_stage
from buddymatch.solvers.cpsat.variables import Variables
from buddymatch.solvers.settings import SolverSettings
from buddymatch.solvers.tally import PRIORITY_ORDER, cover_counts, rank

__all__ = ["NeighbourhoodOutcome", "neighbourhood_search"]

#: Usable pairs freed by the first step; then grown by `GROW` after a
#: step that ended proven in under `FAST_SHARE` of its time, shrunk by
#: it after a step that ran out of time, within the two limits.
START_PAIRS = 1_500
MIN_PAIRS = 200
MAX_PAIRS = 20_000
GROW = 1.25
FAST_SHARE = 0.5
#: Seconds (deterministic seconds in deterministic mode) one step may
#: take at most.
STEP_SECONDS = 1.0
#: Share of steps that start from an unmet need (while one is left);
#: the others start from a random seeker.
UNMET_SHARE = 0.8
#: The share falls by this factor after each step from an unmet need
#: that met no more needs, down to `MIN_UNMET_SHARE`, and is back at
#: `UNMET_SHARE` after one that did: on "national" the needs left unmet
#: are mostly beyond reach, and steps from them took the quality stage's
#: time.
UNMET_DECAY = 0.8
MIN_UNMET_SHARE = 0.1
#: A step from a random seeker frees the seekers holding the buddies
#: that would serve it better (else those holding any of its buddies).
BETTER_RIVALS = True


@dataclass
class NeighbourhoodOutcome:
    """What the neighbourhood search found.

    Attributes
    ----------
    chosen
        The best proposal (mask over the candidates): the start, or
        better.
    record
        The result's record of the search: the stage, steps run and
        improving, the pairs freed per step at the end, and its time.
    """

    chosen: np.ndarray
    record: dict[str, Any] = field(default_factory=dict)


class _Seekers:
    """Per seeker, its usable pairs and how many there are."""

    def __init__(self, cands: CandidateSet, usable: np.ndarray) -> None:
        positions = np.flatnonzero(usable)
        seeker = cands.need_seeker[cands.need[positions]]
        order = np.argsort(seeker, kind="stable")
        self.n = len(cands.seekers)
        cuts = np.searchsorted(seeker[order], np.arange(self.n + 1))
        self.pairs = [
            positions[order[cuts[s] : cuts[s + 1]]] for s in range(self.n)
        ]
        self.size = np.diff(cuts)

    def pairs_of(self, seekers: Collection[int]) -> np.ndarray:
        if not seekers:
            return np.zeros(0, dtype=np.int64)
        return np.concatenate([self.pairs[s] for s in sorted(seekers)])


def _weights(
    counts: dict[int, int], searched: list[int], quality_range: int
) -> tuple[dict[int, int], int] | None:
    """Weights that make one sum lexicographic: each searched priority's
    cover outweighs everything after it.  ``None`` if they would not fit
    in 64-bit integers (then quality is left out of the sum)."""
    weight = 1
    quality_weight = 1 if quality_range else 0
    span = max(1, quality_range)
    weights: dict[int, int] = {}
    for priority in reversed(searched):  # least urgent first
        weight *= span
        weights[priority] = weight
        span = counts.get(priority, 0) + 1
    if weight * span >= MAX_OBJECTIVE_UNITS:
        return None
    return weights, quality_weight


def neighbourhood_search(
    cands: CandidateSet,
    usable: np.ndarray,
    pins: list[list[int]],
    start: np.ndarray,
    settings: SolverSettings,
    *,
    seconds: float,
    search: Collection[int | None],
    progress: Collection[int | None] | None = None,
    patience: int | None = None,
    prefer: np.ndarray | None = None,
    on_better: Callable[[np.ndarray], None] | None = None,
) -> NeighbourhoodOutcome:
    """Improve *start* by solving small neighbourhoods of it exactly.

    Parameters
    ----------
    cands
        The candidate pairs.
    usable
        Mask of the pairs whose need can be covered.
    pins
        Pin groups (candidate positions, at least one of each chosen).
    start
        A proposal obeying every rule (mask over the candidates).
    settings
        Seed, workers, mode, stop event and deadline of the call.
    seconds
        Wall seconds (deterministic seconds in deterministic mode) to
        spend at most.
    search
        The stages to improve: priorities, and ``None`` for quality.
        The cover of every priority not in it may not fall.
    progress
        The stages whose gain counts as progress (default *search*): a
        cover stage searches quality too, as a tie-break, but stops on
        cover alone.
    patience
        Stop after this many steps in a row without progress (``None``:
        only at the time limit).
    prefer
        Mask over the needs: unmet needs to start a step from first (the
        needs the decomposition's LP covers; the others may be beyond
        reach).
    on_better
        Called with each better proposal.

    Returns
    -------
    NeighbourhoodOutcome
        The best proposal found and the search's record.
    """
    began = time.perf_counter()
    rng = np.random.default_rng(settings.seed)
    chosen = np.asarray(start, dtype=bool).copy()
    best = rank(cands, chosen)
    seekers = _Seekers(cands, usable)
    searched = [p for p in PRIORITY_ORDER if p in search]
    kept = [p for p in PRIORITY_ORDER if p not in search]
    with_quality = None in search
    needs = cands.problem.needs
    priority = np.array([n.priority for n in needs], dtype=np.int64)
    usable_need = np.zeros(len(needs), dtype=bool)
    usable_need[cands.need[usable]] = True
    pin_seekers = [
        (group, int(cands.need_seeker[cands.need[group[0]]]))
        for group in pins
        if group
    ]
    size = float(START_PAIRS)
    spent = 0.0
    steps = improved = proven = idle = 0
    watched = [
        k
        for k, stage in enumerate((*PRIORITY_ORDER, None))
        if stage in (search if progress is None else progress)
    ]

    def gain(ranked: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(ranked[k] for k in watched)

    def left() -> float:
        if settings.deterministic or settings.deadline is None:
            return seconds - spent
        return min(
            seconds - (time.perf_counter() - began),
            settings.deadline - time.perf_counter(),
        )

    def stopped() -> bool:
        return settings.stop is not None and settings.stop.is_set()

    unmet_share = UNMET_SHARE
    from_unmet = False

    def pick() -> set[int]:
        """The seekers to free: a root, then its rivals, to about
        `size` usable pairs."""
        nonlocal from_unmet
        covered = np.zeros(len(needs), dtype=bool)
        covered[cands.need[chosen]] = True
        unmet = np.flatnonzero(
            usable_need & ~covered & np.isin(priority, searched)
        )
        from_unmet = bool(len(unmet)) and rng.random() < unmet_share
        if from_unmet:
            # The most urgent searched priority with an unmet need, and
            # of its unmet needs the preferred ones, if any.
            top = priority[unmet].max()
            unmet = unmet[priority[unmet] == top]
            if prefer is not None and prefer[unmet].any():
                unmet = unmet[prefer[unmet]]
            root_need = int(rng.choice(unmet))
            root = int(cands.need_seeker[root_need])
            wanted = seekers.pairs[root]
            wanted = wanted[cands.need[wanted] == root_need]
        else:
            root = int(rng.integers(seekers.n))
            wanted = seekers.pairs[root]
            if BETTER_RIVALS:
                # The rivals worth freeing hold buddies that would serve
                # the root better than its buddies now do.
                now = np.full(len(needs), -np.inf)
                mine = np.flatnonzero(chosen)
                np.maximum.at(now, cands.need[mine], cands.score[mine])
                wanted = wanted[cands.score[wanted] > now[cands.need[wanted]]]
        freed = {root}
        total = int(seekers.size[root])
        # Rivals: seekers holding the buddies the root could use.
        held = np.flatnonzero(chosen)
        rivals_of = np.isin(cands.buddy[held], cands.buddy[wanted])
        rivals = np.unique(cands.need_seeker[cands.need[held[rivals_of]]])
        rivals = rivals[rivals != root]
        for s in rng.permutation(rivals).tolist():
            if total >= size:
                break
            freed.add(int(s))
            total += int(seekers.size[s])
        while total < size and len(freed) < seekers.n:
            s = int(rng.integers(seekers.n))
            if s not in freed:
                freed.add(s)
                total += int(seekers.size[s])
        return freed

    building = 0.0
    while left() > 0.05 and not stopped():
        built = time.perf_counter()
        freed = pick()
        free_pairs = seekers.pairs_of(freed)
        in_free = np.zeros(cands.n_candidates, dtype=bool)
        in_free[free_pairs] = True
        fixed = chosen & ~in_free
        modelled = in_free | fixed
        model = cp_model.CpModel()
        variables = Variables(model, cands, modelled)
        groups = [g for g, s in pin_seekers if s in freed]
        groups += [[int(k)] for k in np.flatnonzero(fixed)]
        Constraints(model, cands, variables, groups).add_all()
        # The cover variables of the freed seekers' needs, per priority,
        # and what the proposal meets of them now.
        free_cover: dict[int, list[cp_model.IntVar]] = {}
        for n in np.unique(cands.need[free_pairs]).tolist():
            if n in variables.covered:
                free_cover.setdefault(needs[n].priority, []).append(
                    variables.covered[n]
                )
        now = cover_counts(cands, chosen & in_free)
        for p in kept:
            if free_cover.get(p) and now.get(p, 0):
                fix_cover(model, free_cover[p], now[p])
        scores, partnership = quality_coefficients(cands, variables)
        quality_range = 0
        if with_quality:
            units = np.asarray(scores, dtype=np.int64)
            quality_range = int(
                np.abs(units).sum() + partnership * len(variables.partner)
            )
        per_priority = {p: len(free_cover.get(p, [])) for p in searched}
        weighting = _weights(per_priority, searched, quality_range)
        if weighting is None:
            weighting = _weights(per_priority, searched, 0)
            assert weighting is not None
        weights, quality_weight = weighting
        indices: list[int] = []
        coefficients: list[int] = []
        for p, w in weights.items():
            indices += [v.index for v in free_cover.get(p, [])]
            coefficients += [w] * len(free_cover.get(p, []))
        if quality_weight:
            indices += [v.index for v in variables.assign]
            coefficients += scores
            if partnership:
                indices += [v.index for v in variables.partner]
                coefficients += [-partnership] * len(variables.partner)
        maximize(model, indices, coefficients)
        # The proposal is a solution of this model: hint it.
        current = chosen[variables.positions]
        for var, on in zip(variables.assign, current.tolist(), strict=True):
            model.add_hint(var, on)
        limit = min(STEP_SECONDS, left())
        building += time.perf_counter() - built
        solver, status = run_stage(
            model, settings, limit, large=False, small_lp=True
        )
        steps += 1
        used = (
            solver.deterministic_time
            if settings.deterministic
            else solver.wall_time
        )
        spent += used
        if status == "optimal":
            proven += 1
            if used < FAST_SHARE * limit:
                size = min(MAX_PAIRS, size * GROW)
        elif status in ("feasible", "unknown"):
            size = max(MIN_PAIRS, size / GROW)
        if status in ("optimal", "feasible"):
            values = np.asarray(
                solver.boolean_values(variables.assign).to_numpy(),
                dtype=bool,
            )
            found = chosen & ~in_free
            found[variables.positions[values]] = True
            ranked = rank(cands, found)
            if from_unmet:
                unmet_share = (
                    UNMET_SHARE
                    if ranked[:3] > best[:3]
                    else max(MIN_UNMET_SHARE, unmet_share * UNMET_DECAY)
                )
            idle = 0 if gain(ranked) > gain(best) else idle + 1
            if ranked > best:
                chosen, best = found, ranked
                improved += 1
                if on_better is not None:
                    on_better(chosen)
        else:
            idle += 1
        if patience is not None and idle >= patience:
            break
        if len(freed) == seekers.n and status == "optimal":
            break  # the whole problem, solved: nothing left to find
    record = {
        "stage": "neighbourhoods",
        "steps": steps,
        "improved": improved,
        "proven": proven,
        "pairs": int(size),
    }
    if not settings.deterministic:
        record["wall"] = round(time.perf_counter() - began, 3)
        record["building"] = round(building, 3)
    return NeighbourhoodOutcome(chosen, record)
