"""The transportation relaxation: stage bounds from min-cost flows.

At programme size (millions of usable pairs) the decomposition's pricing
rounds take too long to bound anything in time (docs/performance.md), and
CP-SAT sees only a shortlist.  This relaxation bounds every stage there in
a few min-cost flows.

The relaxation
--------------
Drop the partner limits, the seekers' buddy limit, the budget and the
pins, and let each of a need's pairs use only the need's *least* workload
``u`` over its usable pairs.  Write ``x`` for a pair's share (0..1) and
``z`` for a need's share met (0..1), so that the need's pairs sum to
``buddies × z``.  With ``f = u × x`` this is a network flow:

    source → need        capacity u × buddies
    need → buddy         capacity u (a pair at most once)
    buddy → sink         capacity: the buddy's capacity
    source → sink        the bypass: flow that would only cost goes round

A need whose least workload is 0 costs no capacity: its pairs go straight
to the sink (``u`` = 1).  Every proposal is such a flow (each pair uses at
least ``u`` of its buddy's capacity), so the best flow bounds the best
proposal.  A unit of flow into need ``n`` is ``1 / (u × buddies)`` of a
need met, and through a pair it is ``1 / u`` of the pair.

Quality is a pair's score less the partnership cost.  A partnership (a
seeker and a buddy) holds at most ``m`` pairs, ``m`` the seeker's needs
that have a usable pair with that buddy, so the partnerships number at
least the sum of ``x / m``: each pair bears ``cost / m``, which keeps the
bound valid (the cost is never negative) and tighter than dropping it.

Conditional stages
------------------
The stage of priority ``p`` (or quality) is bounded given at least ``K[q]``
needs met of each priority ``q`` above it.  That side constraint is no
arc, so it is priced in: for any multipliers ``λ ≥ 0``,

    max { stage + Σ_q λ_q (cover_q − K[q]) }  over flows

is at least the stage's best value over the flows meeting every ``K[q]``
(weak duality), so every flow solved gives a valid bound, and the search
for the best ``λ`` can stop at any time.  Each ``λ_q`` is found by
doubling and then halving on the sign of ``cover_q − K[q]`` in the best
flow (a subgradient of the convex function minimised).

Every weight is an integer: the multipliers are integers over a fixed
denominator and the values are scaled by the least common multiple of the
``u × buddies`` and ``u × m``, so each bound is an exact fraction, rounded
down to whole needs or score units.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from buddymatch.candidates import CandidateSet
from buddymatch.scoring import from_units, to_units
from buddymatch.solvers.decomposition import StageBound
from buddymatch.solvers.tally import PRIORITY_ORDER

__all__ = ["MAX_SOLVES", "Transport", "transport_bounds"]

#: Keep every weight, times the number of nodes, well inside int64 (the
#: solver scales costs by the number of nodes).
MAX_WEIGHT = 2**62
#: Whole numbers below this are exact in float64.
MAX_EXACT = 2.0**52
#: Denominator of the cover stages' multipliers: a need of one priority is
#: traded for a multiple of 1/16 of a need of another.
COVER_DENOMINATOR = 16
#: Most flows solved for one stage (the first, with no multiplier, and
#: then the search for the multipliers), unless told otherwise.
MAX_SOLVES = 14
#: Most steps down per multiplier.
HALVINGS = 8
#: Slack on a fractional cover compared with a whole count.
EPS = 1e-9
#: A common multiple above this is not used for the partnership cost's
#: share (the cost is then dropped, which is still valid).
MAX_MULTIPLE = 10**6


@dataclass(frozen=True)
class _Flow:
    """One solved flow: the stage's value plus the priced cover, and the
    cover of each priority it meets (fractional needs)."""

    value: Fraction
    cover: dict[int, float]


class Transport:
    """The transportation relaxation of one candidate set.

    Parameters
    ----------
    cands
        The candidate pairs.
    usable
        Mask of the pairs whose need can be covered.
    flow_seconds
        Seconds one flow is expected to take, until one is measured.
    """

    def __init__(
        self,
        cands: CandidateSet,
        usable: np.ndarray,
        flow_seconds: float = 0.0,
    ) -> None:
        #: Seconds a flow is expected to take: the estimate given, then
        #: the slowest flow solved.
        self.flow_seconds = flow_seconds
        problem, policy = cands.problem, cands.policy
        pairs = np.flatnonzero(usable)
        need = cands.need[pairs].astype(np.int64)
        buddy = cands.buddy[pairs].astype(np.int64)
        workload = cands.workload[pairs].astype(np.int64)
        n_trusts = len(problem.trusts)
        self.needs, row = np.unique(need, return_inverse=True)
        self.empty = len(self.needs) == 0
        least = np.full(len(self.needs), np.iinfo(np.int64).max)
        np.minimum.at(least, row, workload)
        free = least == 0
        #: Flow units of one buddy slot of each need (its least workload,
        #: or 1 when that is 0 and the need costs no capacity).
        self.unit = np.where(free, 1, least)
        self.buddies_wanted = np.array(
            [problem.needs[int(n)].buddies for n in self.needs],
            dtype=np.int64,
        )
        self.priority = np.array(
            [problem.needs[int(n)].priority for n in self.needs],
            dtype=np.int64,
        )
        self.total = {
            p: int(np.count_nonzero(self.priority == p))
            for p in PRIORITY_ORDER
        }
        # Partnership sharing: pairs of one seeker and one buddy.
        seeker = cands.need_seeker[need].astype(np.int64)
        _, ship, share = np.unique(
            seeker * max(n_trusts, 1) + buddy,
            return_inverse=True,
            return_counts=True,
        )
        self.share = share[ship]
        self.quality = to_units(
            np.asarray(cands.score[pairs], dtype=np.float64)
        )
        self.cost = to_units(policy.partnership_cost)
        # The most quality any flow can have: each need's best pairs.
        best_pair = np.zeros(len(self.needs), dtype=np.int64)
        np.maximum.at(best_pair, row, np.maximum(self.quality, 0))
        self.quality_reach = int(best_pair @ self.buddies_wanted)
        # Nodes: needs, then trusts, then source and sink.
        n_active = len(self.needs)
        self.n_nodes = n_active + n_trusts + 2
        self.source, self.sink = n_active + n_trusts, n_active + n_trusts + 1
        pair_free = free[row]
        pair_head = np.where(pair_free, self.sink, n_active + buddy)
        capacity = np.array(
            [t.capacity for t in problem.trusts], dtype=np.int64
        )
        supply = self.unit * self.buddies_wanted
        self.supply = int(supply.sum())
        self.tails = np.concatenate(
            [
                np.full(n_active, self.source, np.int64),
                row.astype(np.int64),
                n_active + np.arange(n_trusts, dtype=np.int64),
                [self.source],
            ]
        )
        self.heads = np.concatenate(
            [
                np.arange(n_active, dtype=np.int64),
                pair_head,
                np.full(n_trusts, self.sink, np.int64),
                [self.sink],
            ]
        )
        self.capacities = np.concatenate(
            [supply, self.unit[row], capacity, [self.supply]]
        )
        self.row = row
        self.n_pairs = len(pairs)
        need_parts = self.unit * self.buddies_wanted
        self.cover_multiple = _lcm(need_parts)
        multiple = _lcm(
            np.concatenate([need_parts, self.unit[row] * self.share])
        )
        #: Whether each pair bears its share of the partnership cost
        #: (not when the common multiple would be too large).
        self.shared = multiple <= MAX_MULTIPLE
        self.quality_multiple = (
            multiple
            if self.shared
            else _lcm(np.concatenate([need_parts, self.unit]))
        )

    # -- one flow --------------------------------------------------------

    def _solve(
        self, need_weight: np.ndarray, pair_weight: np.ndarray, scale: int
    ) -> _Flow | None:
        """Solve the max-weight flow with these weights per unit of flow
        (whole numbers, held as float64 so that no product can wrap
        round); the value is the flow's weight over *scale*.  ``None``
        when a weight is too large to be exact or safe."""
        from ortools.graph.python import min_cost_flow

        began = time.perf_counter()
        exact = np.concatenate(
            [
                need_weight,
                pair_weight,
                np.zeros(
                    len(self.capacities) - len(need_weight) - len(pair_weight)
                ),
            ]
        )
        top = float(np.abs(exact).max()) if len(exact) else 0.0
        total = float(np.abs(exact) @ self.capacities) if len(exact) else 0.0
        # Whole numbers below 2**52 are exact in float64; the solver
        # scales costs by the number of nodes, in int64.
        if (
            top >= MAX_EXACT
            or top * (self.n_nodes + 1) >= MAX_WEIGHT
            or total >= MAX_WEIGHT
        ):
            return None
        weights = exact.astype(np.int64)
        flow = min_cost_flow.SimpleMinCostFlow()
        flow.add_arcs_with_capacity_and_unit_cost(
            self.tails, self.heads, self.capacities, -weights
        )
        supplies = np.zeros(self.n_nodes, dtype=np.int64)
        supplies[self.source], supplies[self.sink] = self.supply, -self.supply
        flow.set_nodes_supplies(np.arange(self.n_nodes), supplies)
        status = flow.solve()
        self.flow_seconds = max(self.flow_seconds, time.perf_counter() - began)
        if status != flow.OPTIMAL:
            return None
        into = flow.flows(np.arange(len(self.needs))).astype(np.float64)
        met = into / (self.unit * self.buddies_wanted)
        cover = {
            p: float(met[self.priority == p].sum()) for p in PRIORITY_ORDER
        }
        return _Flow(Fraction(-flow.optimal_cost(), scale), cover)

    def _cover_flow(
        self, priority: int, numerators: dict[int, int]
    ) -> _Flow | None:
        """The cover stage of *priority*, with multipliers
        ``numerators[q] / COVER_DENOMINATOR``."""
        per_need = np.zeros(len(self.needs))
        per_need[self.priority == priority] = COVER_DENOMINATOR
        for q, a in numerators.items():
            per_need[self.priority == q] += float(a)
        parts = self.cover_multiple // (self.unit * self.buddies_wanted)
        return self._solve(
            per_need * parts,
            np.zeros(self.n_pairs),
            self.cover_multiple * COVER_DENOMINATOR,
        )

    def _quality_flow(self, numerators: dict[int, int]) -> _Flow | None:
        """The quality stage (score units), with multipliers
        ``numerators[q]`` score units per need of priority ``q``."""
        multiple = self.quality_multiple
        per_need = np.zeros(len(self.needs))
        for q, a in numerators.items():
            per_need[self.priority == q] += float(a)
        need_weight = per_need * (
            multiple // (self.unit * self.buddies_wanted)
        )
        unit = self.unit[self.row]
        quality = self.quality.astype(np.float64)
        if self.shared:
            pair_weight = (quality * self.share - self.cost) * (
                multiple // (unit * self.share)
            )
        else:
            pair_weight = quality * (multiple // unit)
        return self._solve(need_weight, pair_weight, multiple)

    # -- one stage -------------------------------------------------------

    def stage(
        self,
        priority: int | None,
        fixed: dict[int, int],
        *,
        deadline: float | None = None,
        max_solves: int = MAX_SOLVES,
        stop: threading.Event | None = None,
        reached: int | None = None,
        most: frozenset[int] = frozenset(),
        until: float | None = None,
    ) -> StageBound | None:
        """Bound one stage given at least ``fixed[q]`` needs met of each
        priority ``q`` above it.

        Parameters
        ----------
        priority
            The cover stage's priority, or ``None`` for quality.
        fixed
            Priority -> needs met (only priorities above *priority* are
            used).
        deadline
            ``time.perf_counter()`` by which the stage's flows should end
            (its share of the time).
        max_solves
            Most flows to solve.
        stop
            Set by the caller to stop early.
        reached
            The proposal's own value of the stage (needs, or score
            units): no flow is solved once the bound is down to it.
        most
            Priorities whose count in *fixed* is proven the most that can
            be met: priced from the first flow (see below).
        until
            The end of all the time (default *deadline*): the first flow
            may run up to it.

        Returns
        -------
        StageBound or None
            The best bound found; ``None`` when no flow could be solved
            (weights too large, or no time for the first).
        """
        began = time.perf_counter()
        if until is None:
            until = deadline
        conditions = {
            q: k
            for q, k in fixed.items()
            if k > 0 and (priority is None or q > priority)
        }
        if priority is None:
            evaluate: Callable[[dict[int, int]], _Flow | None] = (
                self._quality_flow
            )
            denominator = 1
            high = self.quality_reach + 1
            # Unpriced first: the cover the proposal keeps often costs
            # no quality at all.  Then a need's worth: the average of
            # its best pairs.
            guess, rise = 0, max(1, self.quality_reach // len(self.needs))
        else:
            p = priority

            def evaluate(numerators: dict[int, int]) -> _Flow | None:
                return self._cover_flow(p, numerators)

            denominator = COVER_DENOMINATOR
            high = (self.total.get(priority, 0) + 1) * COVER_DENOMINATOR
            guess = rise = COVER_DENOMINATOR  # one need for one need
        solves = 0
        best: Fraction | None = None

        def value(numerators: dict[int, int]) -> _Flow | None:
            """Solve at *numerators*; keep the bound it proves."""
            nonlocal solves, best
            solves += 1
            found = evaluate(numerators)
            if found is None:
                return None
            bound = found.value - sum(
                Fraction(a * conditions[q], denominator)
                for q, a in numerators.items()
            )
            if best is None or bound < best:
                best = bound
            return found

        def more() -> bool:
            if solves >= max_solves:
                return False
            if (
                best is not None
                and reached is not None
                and math.floor(best) <= reached
            ):
                return False  # proven: the proposal meets the bound
            if stop is not None and stop.is_set():
                return False
            if deadline is None or until is None:
                return True
            # A flow cannot be stopped once started: start one only if
            # it should end in time (the stage's share, but the first
            # flow of a stage may use all the time left).
            ends = time.perf_counter() + self.flow_seconds
            return ends <= (until if solves == 0 else deadline)

        def short_of(flow: _Flow) -> list[int]:
            """The conditions *flow* breaks."""
            return [
                q for q, k in conditions.items() if flow.cover[q] < k - EPS
            ]

        # A condition that is the most that can be met holds exactly once
        # priced so high that one need of its priority outweighs the
        # whole stage: that flow is then the bound.  The others start at
        # a guess, which any bound may use, and go up fourfold while the
        # flow breaks them.
        numerators = {q: high if q in most else guess for q in conditions}
        low = dict.fromkeys(conditions, 0)
        current = value(numerators) if more() else None
        short = short_of(current) if current is not None else []
        while short and more():
            for q in short:
                low[q] = numerators[q]
                numerators[q] = 4 * numerators[q] if numerators[q] else rise
            current = value(numerators)
            if current is None:
                break
            short = short_of(current)
        # Then bring each multiplier down to where its condition starts
        # to break: geometric steps while the bracket is wide, halving
        # when it is narrow.  Only a multiplier whose condition the flow
        # meets with room to spare adds to the bound (the room times the
        # multiplier), and the largest such term goes first.
        order = sorted(
            conditions,
            key=lambda q: (
                -(current.cover[q] - conditions[q]) * numerators[q]
                if current is not None
                else 0.0
            ),
        )
        for q in order:
            if current is None or current.cover[q] <= conditions[q] + EPS:
                continue
            bottom, top = low[q], numerators[q]
            for _ in range(HALVINGS):
                if current is None or top - bottom <= 1 or not more():
                    break
                base = max(bottom, 1)
                middle = (
                    math.isqrt(base * top)
                    if top > 4 * base
                    else (bottom + top) // 2
                )
                middle = min(max(middle, bottom + 1), top - 1)
                found = value({**numerators, q: middle})
                if found is None:
                    break
                if found.cover[q] >= conditions[q] - EPS:
                    top, current = middle, found
                    numerators[q] = middle
                else:
                    bottom = middle
        if best is None:
            return None
        if priority is None:
            units = math.floor(best)
            bound = from_units(units)
        else:
            units = min(math.floor(best), self.total.get(priority, 0))
            bound = float(units)
        return StageBound(
            stage="quality"
            if priority is None
            else f"cover priority {priority}",
            bound=bound,
            bound_units=units,
            lp_value=float(best),
            fixed=dict(conditions),
            iterations=solves,
            converged=False,
            seconds=time.perf_counter() - began,
            columns=0,
        )


def _lcm(values: np.ndarray) -> int:
    """Least common multiple of the distinct positive *values* (1 if
    none)."""
    distinct = [int(v) for v in np.unique(values) if v > 0]
    return math.lcm(*distinct) if distinct else 1


def transport_bounds(
    cands: CandidateSet,
    usable: np.ndarray,
    cover: dict[int, int],
    *,
    deadline: float | None = None,
    max_solves: int | None = None,
    stop: threading.Event | None = None,
    quality: int | None = None,
    flow_seconds: float = 0.0,
) -> list[StageBound]:
    """Bound every stage by the transportation relaxation, given *cover*.

    Parameters
    ----------
    cands
        The candidate pairs.
    usable
        Mask of the pairs whose need can be covered.
    cover
        Priority -> needs met by the proposal: each stage is bounded
        given at least these counts of the priorities above it, so every
        bound holds for a proposal meeting them.
    deadline
        ``time.perf_counter()`` after which no new flow is started (the
        stages share what is left equally).
    max_solves
        Most flows in all (default `MAX_SOLVES` per stage): each stage
        may use an equal share of what the stages before it left.
    stop
        Set by the caller to stop early.
    quality
        The proposal's quality units, when *cover* is the proposal's own
        cover: a stage then stops once its bound is down to the
        proposal's value (*cover*, or this).
    flow_seconds
        Seconds one flow is expected to take, until one is measured: no
        flow is started that would end after *deadline*.

    Returns
    -------
    list of StageBound
        One per stage bounded (cover priorities with a coverable need,
        most urgent first, then quality).
    """
    relaxation = Transport(cands, usable, flow_seconds)
    if relaxation.empty:
        return []
    stages: list[int | None] = [
        p for p in PRIORITY_ORDER if relaxation.total.get(p)
    ]
    stages.append(None)
    budget = MAX_SOLVES * len(stages) if max_solves is None else max_solves
    found: list[StageBound] = []
    used = 0
    proven: set[int] = set()
    for i, priority in enumerate(stages):
        if stop is not None and stop.is_set():
            break
        share = None
        if deadline is not None:
            left = deadline - time.perf_counter()
            if left <= 0:
                break
            share = time.perf_counter() + left / (len(stages) - i)
        own = None
        if quality is not None:
            own = quality if priority is None else cover.get(priority, 0)
        stage = relaxation.stage(
            priority,
            cover,
            deadline=share,
            max_solves=max(1, (budget - used) // (len(stages) - i)),
            stop=stop,
            reached=own,
            most=frozenset(proven),
            until=deadline,
        )
        if stage is not None:
            found.append(stage)
            used += stage.iterations
            if priority is not None and stage.bound_units <= cover.get(
                priority, 0
            ):
                proven.add(priority)
    return found
