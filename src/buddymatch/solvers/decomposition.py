"""Upper bounds by decomposition per buddy (Dantzig-Wolfe, column generation).

The compact model relaxes each buddy's own problem badly: a knapsack of
workloads (1/3/6 units on capacities of a few units) with a partner limit
and a fixed cost per partnership.  Here that structure is convexified
exactly: a *column* is a set of needs one buddy takes on, within its
capacity and partner limit, and the *master* LP chooses a convex
combination of columns per buddy.

Master LP (one per stage)
-------------------------
Variables: ``lam[c] >= 0`` per column ``c`` (of buddy ``b(c)``), and
``z[n]`` in [0, 1] per need that can be covered (has usable candidates)::

    max   sum_c v[c] lam[c] + sum_n o[n] z[n]
    s.t.  sum_{c contains n} lam[c] - buddies[n] z[n] = 0      (need n)
          sum_{c touches seeker s} lam[c] <= max_buddies_per_seeker
          sum_{c of buddy b} lam[c] <= 1                        (buddy b)
          sum_c fee[c] lam[c] <= budget
          sum_{n of priority q} z[n] >= K[q]     (higher priorities q)

A column holds a need at most once, so the buddies of a covered need are
distinct automatically.  In the cover stage of priority ``p``, ``v = 0``
and ``o[n] = 1`` for the needs of priority ``p``; in the quality stage
``o = 0`` and ``v[c]`` = the column's score units minus the partnership
cost times the number of distinct seekers in it.  ``K[q]`` are the cover
counts the caller fixes for the stages before (the engine's achieved
counts): the lexicographic stage is conditional on them.  Pins are left
out: dropping constraints from a maximisation only raises its value, so
the bound stays valid, if weaker where pins bind.

Every integer proposal that keeps the fixed cover is a point of the
master with one 0/1 column per buddy, so the master's optimum (over all
columns) is at least the proposal's value.

The bound (Lagrangian / Farley)
-------------------------------
Write the master as ``max c.x`` over ``x in X`` subject to ``A x (<=,=,>=)
rhs`` for every row *except* the buddy rows, where ``X`` is the product,
over buddies, of the convex hull of the buddy's columns and the empty
column, with the box ``[0, 1]`` for each ``z[n]``.  For multipliers ``y``
with ``y >= 0`` on ``<=`` rows, ``y <= 0`` on ``>=`` rows and any sign on
``=`` rows, and any feasible ``x``, ``y.(rhs - A x) >= 0``, so::

    c.x <= L(y) = y.rhs + max_{x in X} (c - A'y).x
               = y.rhs + sum_b max(0, best reduced value of b's columns)
                       + sum_n max(0, o[n] + buddies[n] y[n] - y[q(n)])

because ``X`` is a product and a linear function on a convex hull is
largest at a column (or the empty one).  ``L(y)`` is therefore a valid
upper bound for *any* such ``y``: the duals of the restricted master (the
master over the columns found so far), clamped to the right signs, give
one at every iteration, so a time limit never leaves us without a bound.
At convergence (no column with a positive reduced value) ``L(y)`` equals
the master's LP value.

Pricing a buddy exactly, with ``v_i`` = pair ``i``'s stage score minus the
need's dual and minus the budget dual times its fee:

1. per seeker (a *group* of the buddy's candidate pairs with one seeker),
   the best non-empty subset for each exact workload ``w`` (a 0/1
   knapsack over the seeker's few needs), minus the partnership cost and
   the seeker's dual;
2. a group knapsack over seekers: at most ``max_partners`` groups, total
   workload at most the capacity.

Both dynamic programmes run vectorised with numpy over all groups, then
over all buddies; the argmax of each step is recorded, so the best column
of every buddy is read back without another pass.

Units: score units of `buddymatch.scoring.to_units` (the engine's
integers), so the quality bound compares with the engine's objective
exactly; the LP itself works in points (units / 1000) and fees in
thousands of pounds, for its conditioning.  The bound is rounded down to
an integer number of units (or needs) after a small tolerance is added
for floating-point error.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from ortools.linear_solver import pywraplp

from buddymatch.candidates import CandidateSet
from buddymatch.rules import partner_limit
from buddymatch.scoring import POINTS_SCALE, from_units, to_units
from buddymatch.signals import signals_held
from buddymatch.solvers.greedy import greedy
from buddymatch.solvers.interrupt import resend_sigint
from buddymatch.solvers.room import (
    FEE_SCALE,
    budget_units,
    fee_units_of,
    usable_candidates,
)
from buddymatch.solvers.tally import PRIORITY_ORDER

__all__ = [
    "Decomposer",
    "Decomposition",
    "StageBound",
    "decomposition_bounds",
]

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

#: Fees in the LP are in thousands of pounds (pence / FEE_LP_SCALE), so
#: that budget coefficients are of the order of the other coefficients.
FEE_LP_SCALE = 1000.0 * FEE_SCALE
#: A column is added when its reduced value exceeds this (LP units).
PRICE_TOLERANCE = 1e-7
#: Slack added before rounding a bound down, per unit of its magnitude
#: and absolutely (floating-point sums of ~10^5 terms).
ROUND_RELATIVE = 1e-9
ROUND_ABSOLUTE = 1e-6

_NEG = -np.inf

#: Least LP weight of a column that guides the rounding.
GUIDE_WEIGHT = 1e-6
#: Weight of the best duals so far in the duals priced (Wentges).
DUAL_SMOOTHING = 0.5
#: The LP solver of the master (an OR-Tools ``pywraplp`` name).  CLP, in
#: one session on "national" (40 s): every stage in 34 s, the quality
#: stage converged (61,162) in 8 s; GLOP took 41 s and had not converged
#: the quality stage after 23 s.  GLOP also gave up (ABNORMAL) on the
#: quality stage of a 20,886-pair reviewer-assignment instance that CLP
#: solved.
LP_SOLVER = "CLP"
#: The simplex variant (``"PRIMAL"``, ``"DUAL"``, or ``None`` for the
#: solver's default).  Adding columns keeps the last basis primal
#: feasible, so the primal simplex goes on from it.  Measured in one
#: session: every stage of "national" in 24.8 s with PRIMAL, 25.1 s with
#: DUAL and 33.9 s with CLP's default; the priority-2 stage of
#: "national-alt" converged in 32.7 s with PRIMAL (995) and had not
#: converged after 51.4 s with DUAL.
LP_ALGORITHM: str | None = "PRIMAL"
#: Most columns kept in `Decomposition.pool_columns`; once full,
#: new columns still enter the masters but no longer the pool, so the
#: memory of a long run stays bounded (a column holds a few pairs: about
#: 100 bytes each with its key).
POOL_LIMIT = 300_000


def _lp_parameters() -> pywraplp.MPSolverParameters:
    """The master's LP parameters: the algorithm of `LP_ALGORITHM`."""
    params = pywraplp.MPSolverParameters()
    if LP_ALGORITHM is not None:
        params.SetIntegerParam(
            pywraplp.MPSolverParameters.LP_ALGORITHM,
            getattr(pywraplp.MPSolverParameters, LP_ALGORITHM),
        )
    return params


class MasterLPError(RuntimeError):
    """The LP solver gave up on the restricted master (numerics)."""


@dataclass(frozen=True)
class StageBound:
    """The bound of one stage of the lexicographic objective.

    Attributes
    ----------
    stage
        ``"cover priority 3"`` (2, 1) or ``"quality"``, as the engine
        names its stages.
    bound
        Valid upper bound: needs of that priority covered, or quality
        points (given the fixed cover counts).
    bound_units
        The same bound in integer units: needs, or score units of
        `to_units`.
    lp_value
        The restricted master's value at the last iteration (needs or
        points): the decomposition cannot prove less than this.
    fixed
        Priority -> cover count the stage was conditional on.
    iterations
        Pricing rounds run.
    converged
        True when no column could improve the master (the bound is the
        master's LP value, up to rounding).
    seconds
        Wall time of the stage.
    columns
        Columns in the pool at the end of the stage.
    """

    stage: str
    bound: float
    bound_units: int
    lp_value: float
    fixed: dict[int, int]
    iterations: int
    converged: bool
    seconds: float
    columns: int


@dataclass
class Decomposition:
    """Per-stage bounds, and the last master solution as a search guide.

    Attributes
    ----------
    stages
        One `StageBound` per stage run, in order.
    columns
        The last master's columns: for each, the candidate positions
        (into the [`CandidateSet`][buddymatch.candidates.CandidateSet]) it
        assigns; all of one buddy.
    column_buddy
        Trust index of each column's buddy.
    weights
        ``lam`` of each column in the last master solved.
    need_cover
        ``z`` per need (``problem.needs`` order; 0 for needs that cannot
        be covered) in the last master solved.
    pair_weight
        Per candidate pair: the total ``lam`` of the columns holding it
        (the master's fractional assignment).
    pool_columns
        Every distinct column generated in the whole run (all stages and
        restarts, seed columns included), as candidate positions, up to
        `POOL_LIMIT` columns: the search space of an integer
        master (`buddymatch.solvers.cpsat.master.integer_master`).
    pool_buddy
        Trust index of each pool column's buddy.
    """

    stages: list[StageBound] = field(default_factory=list)
    columns: list[IntArray] = field(default_factory=list)
    column_buddy: IntArray = field(
        default_factory=lambda: np.zeros(0, dtype=np.int64)
    )
    weights: FloatArray = field(
        default_factory=lambda: np.zeros(0, dtype=np.float64)
    )
    need_cover: FloatArray = field(
        default_factory=lambda: np.zeros(0, dtype=np.float64)
    )
    pair_weight: FloatArray = field(
        default_factory=lambda: np.zeros(0, dtype=np.float64)
    )
    pool_columns: list[IntArray] = field(default_factory=list)
    pool_buddy: IntArray = field(
        default_factory=lambda: np.zeros(0, dtype=np.int64)
    )


class _Pool:
    """Every distinct column seen by any master of a run, up to a cap.

    The masters are rebuilt at each restart and keep only the columns
    they use; the pool keeps the others too, since an integer solution
    may need a column no fractional optimum weighted.
    """

    def __init__(self, limit: int | None = None) -> None:
        self.limit = POOL_LIMIT if limit is None else limit
        self.known: set[tuple[int, bytes]] = set()
        self.columns: list[IntArray] = []  # pair indices
        self.buddy_row: list[int] = []

    def add(self, buddy_row: int, items: IntArray) -> None:
        """Keep a column (pair indices of buddy row *buddy_row*)."""
        if len(self.columns) >= self.limit:
            return
        key = (buddy_row, items.tobytes())
        if key in self.known:
            return
        self.known.add(key)
        self.columns.append(items)
        self.buddy_row.append(buddy_row)


class _Pairs:
    """The usable candidate pairs, grouped by buddy and by (buddy, seeker).

    Pair ``i`` is candidate ``position[i]``; it is item ``slot[i]`` of
    group ``group[i]``; group ``g`` is slot ``group_slot[g]`` of buddy row
    ``group_buddy[g]`` (rows of ``buddies``).
    """

    def __init__(self, cands: CandidateSet, usable: NDArray[np.bool_]):
        problem, policy = cands.problem, cands.policy
        self.position = np.flatnonzero(usable).astype(np.int64)
        need = cands.need[self.position].astype(np.int64)
        trust = cands.buddy[self.position].astype(np.int64)
        seeker = cands.need_seeker[need].astype(np.int64)
        self.need = need
        self.seeker = seeker
        self.score_units = to_units(
            np.asarray(cands.score[self.position], dtype=np.float64)
        )
        self.workload = cands.workload[self.position].astype(np.int64)
        # Vectorised: one Python call per pair took 1.4 s on "programme".
        self.fee_pence = fee_units_of(cands.fee[self.position])
        self.n_needs = len(problem.needs)
        self.n_seekers = len(cands.seekers)
        # Buddy rows: trusts with at least one usable pair.
        self.buddies, buddy_row = np.unique(trust, return_inverse=True)
        buddy_row = np.asarray(buddy_row, dtype=np.int64).reshape(-1)
        self.buddy_row = buddy_row
        n_buddies = len(self.buddies)
        self.capacity = np.array(
            [problem.trusts[int(t)].capacity for t in self.buddies],
            dtype=np.int64,
        )
        limits = [
            partner_limit(problem.trusts[int(t)], policy) for t in self.buddies
        ]
        # Groups: one per (buddy, seeker), ordered by buddy row.
        order = np.lexsort((need, seeker, buddy_row))
        self._reorder(order)
        need, seeker, buddy_row = self.need, self.seeker, self.buddy_row
        key = buddy_row * max(1, self.n_seekers) + seeker
        starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
        if len(key) == 0:
            starts = np.zeros(0, dtype=np.int64)
        self.group = (
            np.cumsum(np.r_[False, key[1:] != key[:-1]]).astype(np.int64)
            if len(key)
            else np.zeros(0, dtype=np.int64)
        )
        self.slot = np.arange(len(key), dtype=np.int64) - starts[self.group]
        self.group_buddy = buddy_row[starts]
        self.group_seeker = seeker[starts]
        n_groups = len(starts)
        per_buddy = np.bincount(self.group_buddy, minlength=n_buddies)
        first_group = np.r_[0, np.cumsum(per_buddy)[:-1]].astype(np.int64)
        self.group_slot = (
            np.arange(n_groups, dtype=np.int64) - first_group[self.group_buddy]
        )
        # A partner limit at least the buddy's number of seekers never
        # binds: such buddies count as unlimited in the pricing.
        self.limit = np.array(
            [
                -1 if lim is None or lim >= int(per_buddy[b]) else lim
                for b, lim in enumerate(limits)
            ],
            dtype=np.int64,
        )
        # Capacity beyond the buddy's total workload never binds; the
        # pricing arrays are as wide as the largest capacity left.
        total = np.bincount(
            buddy_row, weights=self.workload, minlength=n_buddies
        ).astype(np.int64)
        self.capacity = np.minimum(self.capacity, total)
        self.width = int(self.capacity.max()) + 1 if n_buddies else 1
        items = int(self.slot.max()) + 1 if len(key) else 0
        self.item_at = np.full((n_groups, items), -1, dtype=np.int64)
        self.item_at[self.group, self.slot] = np.arange(len(key))
        slots = int(per_buddy.max()) if n_buddies else 0
        self.group_at = np.full((n_buddies, slots), -1, dtype=np.int64)
        self.group_at[self.group_buddy, self.group_slot] = np.arange(n_groups)

    def _reorder(self, order: IntArray) -> None:
        for name in (
            "position",
            "need",
            "seeker",
            "score_units",
            "workload",
            "fee_pence",
            "buddy_row",
        ):
            setattr(self, name, getattr(self, name)[order])

    @property
    def n_buddies(self) -> int:
        return len(self.buddies)


@dataclass
class _Priced:
    """The pricing's answer: each buddy's best reduced value and column."""

    best: FloatArray  # per buddy row; 0 = the empty column
    columns: list[IntArray]  # per buddy row: pair indices (may be empty)


def _useful_groups(pairs: _Pairs, useful: NDArray[np.bool_]) -> IntArray:
    """Return, per buddy row, its *useful* groups in order (padded with
    -1): the layout of ``pairs.group_at`` over a subset of the groups."""
    chosen = np.flatnonzero(useful)
    owner = pairs.group_buddy[chosen]
    counts = np.bincount(owner, minlength=pairs.n_buddies)
    first = np.r_[0, np.cumsum(counts)[:-1]].astype(np.int64)
    slot = np.arange(len(chosen), dtype=np.int64) - first[owner]
    width = int(counts.max()) if len(chosen) else 0
    at = np.full((pairs.n_buddies, width), -1, dtype=np.int64)
    at[owner, slot] = chosen
    return at


def _price(
    pairs: _Pairs, item_value: FloatArray, group_cost: FloatArray
) -> _Priced:
    """Return each buddy's best column under the given values.

    Parameters
    ----------
    item_value
        Per pair: its reduced value.
    group_cost
        Per group: what taking any of its pairs costs once (partnership
        cost plus the seeker's dual).
    """
    width = pairs.width
    n_groups, n_items = pairs.item_at.shape
    weights = np.arange(width)
    # 1. Best non-empty subset of each group, per exact workload.
    best = np.full((n_groups, width), _NEG)
    taken = np.zeros((n_items, n_groups, width), dtype=np.int8)
    rows = np.arange(n_groups)[:, None]
    for j in range(n_items):
        item = pairs.item_at[:, j]
        has = item >= 0
        value = np.where(has, item_value[np.maximum(item, 0)], _NEG)
        load = np.where(has, pairs.workload[np.maximum(item, 0)], 0)
        source = weights[None, :] - load[:, None]
        fits = has[:, None] & (source >= 0)
        source = np.maximum(source, 0)
        grow = np.where(fits, best[rows, source] + value[:, None], _NEG)
        start = np.where(
            (weights[None, :] == load[:, None]) & fits,
            value[:, None],
            _NEG,
        )
        better_grow = grow > best
        better_start = (start > best) & (start > grow)
        taken[j] = np.where(better_start, 2, np.where(better_grow, 1, 0))
        best = np.maximum(best, np.maximum(grow, start))
    group_value = best - group_cost[:, None]

    # 2. Group knapsack per buddy: at most `limit` groups, workload at
    # most the capacity.  State k counts groups; for unlimited buddies the
    # last state means "k or more".
    # Only groups worth something somewhere enter the knapsack: taking a
    # group of value <= 0 never raises a column's value and only uses
    # capacity and a partner, so some best column has none of them.
    # Near the LP optimum few groups are worth anything, and the
    # knapsack's loop runs over the most useful groups of any buddy, not
    # over all its seekers: on "programme" (2 million groups, up to 1,364
    # per buddy) a pricing round took 4.4 s over all of them.
    group_at = _useful_groups(pairs, group_value.max(axis=1) > 0)
    n_buddies, n_slots = group_at.shape
    limited = pairs.limit >= 0
    top = int(pairs.limit[limited].max()) if limited.any() else 0
    states = top + 2
    unlimited = ~limited
    table = np.full((n_buddies, states, width), _NEG)
    table[:, 0, :] = 0.0
    came = np.full((n_slots, n_buddies, states, width), -1, dtype=np.int16)
    for t in range(n_slots):
        group = group_at[:, t]
        present = group >= 0
        values = np.where(
            present[:, None], group_value[np.maximum(group, 0)], _NEG
        )
        new = table.copy()
        record = came[t]
        for w in range(width):
            gain = values[:, w][:, None, None]
            grown = table[:, :-1, : width - w] + gain
            target = new[:, 1:, w:]
            better = grown > target
            new[:, 1:, w:] = np.where(better, grown, target)
            record[:, 1:, w:][better] = w
            if unlimited.any():
                same = table[:, -1, : width - w] + values[:, w][:, None]
                last = new[:, -1, w:]
                better = (same > last) & unlimited[:, None]
                new[:, -1, w:] = np.where(better, same, last)
                record[:, -1, w:][better] = w + width
        table = new
    allowed = np.where(
        limited[:, None],
        np.arange(states)[None, :] <= pairs.limit[:, None],
        True,
    )
    at_capacity = table[np.arange(n_buddies), :, pairs.capacity]
    at_capacity = np.where(allowed, at_capacity, _NEG)
    state = np.argmax(at_capacity, axis=1)
    value = at_capacity[np.arange(n_buddies), state]
    best_value = np.maximum(value, 0.0)

    # Read back the best column of each buddy with a positive value.
    columns: list[list[int]] = [[] for _ in range(n_buddies)]
    live = np.flatnonzero(value > 0)
    k = state[live].astype(np.int64)
    w_left = pairs.capacity[live].astype(np.int64)
    picked_groups: list[tuple[int, int, int]] = []  # (buddy row, group, w)
    for t in range(n_slots - 1, -1, -1):
        code = came[t, live, k, w_left].astype(np.int64)
        hit = code >= 0
        if not hit.any():
            continue
        w = np.where(code >= width, code - width, code)
        for b, g, ww in zip(
            live[hit].tolist(),
            group_at[live[hit], t].tolist(),
            w[hit].tolist(),
            strict=True,
        ):
            picked_groups.append((b, g, ww))
        k = np.where(hit & (code < width), k - 1, k)
        w_left = np.where(hit, w_left - w, w_left)
    for b, g, w in picked_groups:
        for j in range(n_items - 1, -1, -1):
            how = int(taken[j, g, w])
            if how == 0:
                continue
            pair = int(pairs.item_at[g, j])
            columns[b].append(pair)
            w -= int(pairs.workload[pair])
            if how == 2:
                break
    return _Priced(
        best=best_value,
        columns=[np.array(sorted(c), dtype=np.int64) for c in columns],
    )


class _Master:
    """The restricted master LP in GLOP, grown column by column."""

    def __init__(
        self, pairs: _Pairs, cands: CandidateSet, pool: _Pool | None = None
    ) -> None:
        problem, policy = cands.problem, cands.policy
        self.pairs = pairs
        self.pool = pool
        solver = pywraplp.Solver.CreateSolver(LP_SOLVER)
        if solver is None:  # pragma: no cover - GLOP ships with OR-Tools
            raise RuntimeError("OR-Tools has no GLOP solver")
        self.solver = solver
        inf = solver.infinity()
        self.coverable = np.unique(pairs.need)
        self.buddies_wanted = np.array(
            [n.buddies for n in problem.needs], dtype=np.float64
        )
        self.priority = np.array(
            [n.priority for n in problem.needs], dtype=np.int64
        )
        self.need_row = {
            int(n): solver.Constraint(0.0, 0.0) for n in self.coverable
        }
        self.z = {}
        for n in self.coverable:
            z = solver.NumVar(0.0, 1.0, f"z{int(n)}")
            self.need_row[int(n)].SetCoefficient(
                z, -float(self.buddies_wanted[n])
            )
            self.z[int(n)] = z
        limit = policy.max_buddies_per_seeker
        self.seeker_limit = None if limit is None else float(limit)
        self.seeker_row = (
            {}
            if limit is None
            else {
                int(s): solver.Constraint(-inf, float(limit))
                for s in np.unique(pairs.seeker)
            }
        )
        self.buddy_row = [
            solver.Constraint(-inf, 1.0) for _ in range(pairs.n_buddies)
        ]
        self.budget: float | None = None
        self.budget_row = None
        if policy.budget is not None:
            pence = budget_units(policy.budget)
            # A hair of slack: a relaxation, so the bound stays valid
            # whatever the rounding of pence / FEE_LP_SCALE.
            self.budget = pence / FEE_LP_SCALE * (1 + 1e-12) + 1e-12
            self.budget_row = solver.Constraint(-inf, self.budget)
        self.cover_row: dict[int, Any] = {}
        self.slack: dict[int, Any] = {}
        self.fixed: dict[int, int] = {}
        self.lam: list[Any] = []
        self.columns: list[IntArray] = []
        self.column_buddy: list[int] = []
        self.column_score: list[float] = []  # points
        self.column_seekers: list[int] = []
        self.known: set[tuple[int, bytes]] = set()
        self.partnership = to_units(policy.partnership_cost) / POINTS_SCALE
        # The stage: columns added in the quality stage get their value.
        self.quality = False
        # The last solution: weight per column solved, cover per need.
        self.weights = np.zeros(0)
        self.need_cover = np.zeros(pairs.n_needs)

    def add_column(self, buddy_row: int, items: IntArray) -> bool:
        """Add a column (pair indices of one buddy); False if known."""
        key = (buddy_row, items.tobytes())
        if len(items) == 0 or key in self.known:
            return False
        self.known.add(key)
        if self.pool is not None:
            self.pool.add(buddy_row, items)
        pairs = self.pairs
        var = self.solver.NumVar(0.0, self.solver.infinity(), "")
        for n in pairs.need[items].tolist():
            self.need_row[n].SetCoefficient(var, 1.0)
        seekers = np.unique(pairs.seeker[items])
        for s in seekers.tolist():
            if s in self.seeker_row:
                self.seeker_row[s].SetCoefficient(var, 1.0)
        self.buddy_row[buddy_row].SetCoefficient(var, 1.0)
        if self.budget_row is not None:
            fee = float(pairs.fee_pence[items].sum()) / FEE_LP_SCALE
            self.budget_row.SetCoefficient(var, fee)
        if self.quality:
            value = float(pairs.score_units[items].sum()) / POINTS_SCALE
            value -= self.partnership * len(seekers)
            self.solver.Objective().SetCoefficient(var, value)
        self.lam.append(var)
        self.columns.append(items)
        self.column_buddy.append(buddy_row)
        self.column_score.append(
            float(pairs.score_units[items].sum()) / POINTS_SCALE
        )
        self.column_seekers.append(len(seekers))
        return True

    def set_stage(
        self, priority: int | None, fixed: dict[int, int], penalty: float
    ) -> None:
        """Set the objective of a cover stage (or quality, for ``None``)
        and the cover counts fixed for it."""
        objective = self.solver.Objective()
        objective.Clear()
        objective.SetMaximization()
        self.quality = priority is None
        if priority is None:
            values = np.asarray(
                self.column_score
            ) - self.partnership * np.asarray(self.column_seekers)
            for var, v in zip(self.lam, values.tolist(), strict=True):
                objective.SetCoefficient(var, v)
        else:
            for n, z in self.z.items():
                if self.priority[n] == priority:
                    objective.SetCoefficient(z, 1.0)
        inf = self.solver.infinity()
        for q, count in fixed.items():
            if q not in self.cover_row:
                row = self.solver.Constraint(-inf, inf)
                for n, z in self.z.items():
                    if self.priority[n] == q:
                        row.SetCoefficient(z, 1.0)
                # An artificial slack keeps the master feasible before
                # the columns can reach the count; it is no part of the
                # problem, so the bound below ignores it.
                slack = self.solver.NumVar(0.0, inf, f"slack{q}")
                row.SetCoefficient(slack, 1.0)
                self.cover_row[q] = row
                self.slack[q] = slack
            self.cover_row[q].SetLb(float(count))
            objective.SetCoefficient(self.slack[q], -penalty)
        self.fixed = dict(fixed)

    def solve(self) -> float:
        """Solve the LP; keep its column weights and need cover (read
        here: pywraplp refuses them once a column is added)."""
        # CLP installs a SIGINT handler of its own for the solve, which
        # would swallow Ctrl-C: the signal is held until it is over.
        with signals_held():
            status = self.solver.Solve(_lp_parameters())
        if status == pywraplp.Solver.FEASIBLE and LP_SOLVER == "CLP":
            # No limit is set on CLP: it stops short of optimal only when
            # its handler caught Ctrl-C all the same (taken by a thread
            # that does not hold it, say a caller's own).  The signal it
            # swallowed is sent again, to Python's handler.
            resend_sigint()
        if status not in (
            pywraplp.Solver.OPTIMAL,
            pywraplp.Solver.FEASIBLE,
        ):
            # The master is always feasible and bounded, but an LP solver
            # may give up on its numerics (GLOP returned ABNORMAL on a
            # reviewer-assignment instance of 20,886 pairs).
            raise MasterLPError(f"LP status {status} on the master")
        self.weights = np.array([v.solution_value() for v in self.lam])
        self.need_cover = np.zeros(self.pairs.n_needs)
        for n, z in self.z.items():
            self.need_cover[n] = z.solution_value()
        return float(self.solver.Objective().Value())

    def duals(self) -> _Duals:
        """The LP's duals, clamped to their valid signs: needs (any
        sign), seekers (>= 0), budget (>= 0), fixed cover (<= 0); and the
        buddy rows' (>= 0), which the bound does not use."""
        pairs = self.pairs
        need = np.zeros(pairs.n_needs)
        for n, row in self.need_row.items():
            need[n] = row.dual_value()
        seeker = np.zeros(max(1, pairs.n_seekers))
        for s, row in self.seeker_row.items():
            seeker[s] = max(0.0, row.dual_value())
        budget = (
            max(0.0, self.budget_row.dual_value())
            if self.budget_row is not None
            else 0.0
        )
        cover = {
            q: min(0.0, self.cover_row[q].dual_value()) for q in self.fixed
        }
        buddy = np.array(
            [max(0.0, row.dual_value()) for row in self.buddy_row]
        )
        return _Duals(need, seeker, budget, cover, buddy)


@dataclass(frozen=True)
class _Duals:
    """Multipliers of the master's rows, in LP units."""

    need: FloatArray
    seeker: FloatArray
    budget: float
    cover: dict[int, float]
    buddy: FloatArray

    @classmethod
    def zero(cls, pairs: _Pairs, fixed: dict[int, int]) -> _Duals:
        return cls(
            np.zeros(pairs.n_needs),
            np.zeros(max(1, pairs.n_seekers)),
            0.0,
            dict.fromkeys(fixed, 0.0),
            np.zeros(pairs.n_buddies),
        )

    def toward(self, other: _Duals, share: float) -> _Duals:
        """Return ``(1 - share) * self + share * other``: convex
        combinations keep every sign condition."""
        keep = 1.0 - share
        return _Duals(
            keep * self.need + share * other.need,
            keep * self.seeker + share * other.seeker,
            keep * self.budget + share * other.budget,
            {
                q: keep * self.cover.get(q, 0.0) + share * v
                for q, v in other.cover.items()
            },
            keep * self.buddy + share * other.buddy,
        )


class _Stage:
    """The values of one stage: pair scores and partnership cost."""

    def __init__(self, master: _Master, priority: int | None) -> None:
        pairs = master.pairs
        self.master = master
        self.priority = priority
        self.fee = pairs.fee_pence / FEE_LP_SCALE
        if priority is None:
            self.score = pairs.score_units / POINTS_SCALE
            self.cost = master.partnership
        else:
            self.score = np.zeros(len(pairs.need))
            self.cost = 0.0

    def values(self, y: _Duals) -> tuple[FloatArray, FloatArray]:
        """Reduced value of each pair, and the once-per-seeker cost of
        each group, under *y*."""
        pairs = self.master.pairs
        item = self.score - y.need[pairs.need] - y.budget * self.fee
        group = self.cost + y.seeker[pairs.group_seeker]
        return item, group

    def lagrangian(self, y: _Duals) -> tuple[float, _Priced]:
        """Return L(y), the bound of the module docstring, and the
        pricing (each buddy's best column) under *y*."""
        master = self.master
        item, group = self.values(y)
        priced = _price(master.pairs, item, group)
        total = float(priced.best.sum())
        if master.seeker_limit is not None:
            total += master.seeker_limit * float(y.seeker.sum())
        if master.budget is not None:
            total += y.budget * master.budget
        for q, count in master.fixed.items():
            total += y.cover[q] * count
        coverable = master.coverable
        reduced = master.buddies_wanted[coverable] * y.need[coverable]
        for q, dual in y.cover.items():
            reduced -= dual * (master.priority[coverable] == q)
        if self.priority is not None:
            reduced += master.priority[coverable] == self.priority
        total += float(np.maximum(reduced, 0.0).sum())
        return total, priced

    def improving(self, priced: _Priced, y: _Duals) -> list[int]:
        """Buddy rows whose priced column has a positive reduced value
        against the LP's duals *y* (buddy row included)."""
        pairs = self.master.pairs
        item, group = self.values(y)
        found = []
        for b, items in enumerate(priced.columns):
            if not len(items):
                continue
            groups = np.unique(pairs.group[items])
            value = float(item[items].sum() - group[groups].sum())
            if value > y.buddy[b] + PRICE_TOLERANCE:
                found.append(b)
        return found


def _round_down(value: float) -> int:
    """Return the largest integer the true value may reach (value plus a
    floating-point tolerance, rounded down)."""
    return math.floor(value + ROUND_ABSOLUTE + ROUND_RELATIVE * abs(value))


def _stage(
    master: _Master,
    priority: int | None,
    fixed: dict[int, int],
    deadline: float,
    max_iterations: int | None,
    smoothing: float,
    stop: threading.Event | None = None,
) -> StageBound:
    """Run column generation for one stage until converged or out of
    time; return its bound.

    Duals are smoothed (Wentges): the pricing runs at a point between
    the best duals so far (the *centre*) and the LP's, which cuts the
    tailing-off of plain column generation; when that finds no column
    improving the LP, it prices at the LP's duals themselves.  Every
    point priced gives a valid bound, so the smallest is kept.
    """
    began = time.perf_counter()
    values = 1.0 if priority is None else 0.0
    # A penalty on the artificial slacks larger than any stage value.
    penalty = (
        1.0
        + len(master.coverable)
        + values
        * float(np.maximum(master.pairs.score_units, 0).sum() / POINTS_SCALE)
    )
    master.set_stage(priority, fixed, penalty)
    stage = _Stage(master, priority)
    units = POINTS_SCALE if priority is None else 1
    centre = _Duals.zero(master.pairs, fixed)
    # The bound at y = 0: each buddy's best column, every need covered.
    best, priced = stage.lagrangian(centre)
    for b, items in enumerate(priced.columns):
        master.add_column(b, items)
    iterations = 0
    converged = False
    lp_value = -math.inf
    while True:
        try:
            lp_value = master.solve()
        except MasterLPError:
            # Every Lagrangian value computed so far is a valid bound:
            # keep the best and end the stage unconverged.
            break
        iterations += 1
        if stop is not None and stop.is_set():
            break  # before the pricing, which may take a while
        lp = master.duals()
        tried = centre.toward(lp, 1.0 - smoothing)
        value, priced = stage.lagrangian(tried)
        if value < best:
            best, centre = value, tried
        better = stage.improving(priced, lp)
        if not better and smoothing > 0:
            value, priced = stage.lagrangian(lp)
            if value < best:
                best, centre = value, lp
            better = stage.improving(priced, lp)
        if not better or _round_down(best * units) <= _round_down(
            lp_value * units
        ):
            # No column improves the LP: its value is the master's, and
            # L at its duals equals it (up to rounding).
            converged = True
            break
        for b in better:
            master.add_column(b, priced.columns[b])
        if time.perf_counter() >= deadline:
            break
        if max_iterations is not None and iterations >= max_iterations:
            break
        if stop is not None and stop.is_set():
            break
    bound_units = _round_down(best * units)
    name = "quality" if priority is None else f"cover priority {priority}"
    return StageBound(
        stage=name,
        bound=from_units(bound_units) if priority is None else bound_units,
        bound_units=bound_units,
        lp_value=lp_value,
        fixed=dict(fixed),
        iterations=iterations,
        converged=converged,
        seconds=time.perf_counter() - began,
        columns=len(master.lam),
    )


def _restarted(
    old: _Master, cands: CandidateSet, seeds: list[tuple[int, IntArray]]
) -> _Master:
    """Return a new master with the seed columns and the columns *old*
    used (positive weight): the columns of an earlier stage that this
    stage needs are priced again."""
    master = _Master(old.pairs, cands, old.pool)
    for b, items in seeds:
        master.add_column(b, items)
    # Columns added after the last solve (the shorter zip) weigh nothing.
    for weight, b, items in zip(
        old.weights, old.column_buddy, old.columns, strict=False
    ):
        if weight > 1e-9:
            master.add_column(b, items)
    return master


class Decomposer:
    """Column generation one stage at a time, over one pool of columns.

    The staged search of the large-model path bounds a stage, searches
    it, and only then bounds the next, conditioned on the cover the
    search found (see `buddymatch.solvers.staged`);
    [`decomposition_bounds`][buddymatch.solvers.decomposition.decomposition_bounds]
    runs every stage in a row.

    Parameters
    ----------
    cands
        The candidate pairs of a (problem, policy).
    start
        A proposal (mask over candidates) whose columns seed the master;
        by default the greedy proposal.
    smoothing
        Weight of the best duals so far in the point priced (0 = plain
        column generation).
    restart
        Start each stage's master afresh from the seed columns and the
        columns the last master used, rather than from every column
        found so far (a smaller LP re-solves faster).
    stop
        An event that, once set, ends the pricing after the round that
        runs (its LP is not interrupted): every bound found stays valid.
    """

    def __init__(
        self,
        cands: CandidateSet,
        start: NDArray[np.bool_] | None = None,
        *,
        smoothing: float = DUAL_SMOOTHING,
        restart: bool = True,
        stop: threading.Event | None = None,
    ) -> None:
        self.cands = cands
        self.smoothing = smoothing
        self.restart = restart
        self.stop = stop
        usable = usable_candidates(cands)
        self.pairs = _Pairs(cands, usable)
        self.result = Decomposition()
        self.pool = _Pool()
        self.master = _Master(self.pairs, cands, self.pool)
        if start is None and self.pairs.n_buddies:
            start = greedy(cands, usable, [])
        self.seeds = self._columns_of(start)
        for b, items in self.seeds:
            self.master.add_column(b, items)
        present = set(self.master.priority[self.master.coverable].tolist())
        #: The stages to bound, in order: cover of each priority that has
        #: a need that can be covered, then quality (``None``).
        self.stages: list[int | None] = [
            p for p in PRIORITY_ORDER if p in present
        ]
        self.stages.append(None)

    @property
    def empty(self) -> bool:
        """True when no pair can be used (nothing to bound)."""
        return self.pairs.n_buddies == 0

    def _columns_of(
        self, proposal: NDArray[np.bool_] | None
    ) -> list[tuple[int, IntArray]]:
        """The columns of *proposal*: its pairs grouped by buddy row."""
        if proposal is None:
            return []
        pairs = self.pairs
        chosen = np.flatnonzero(
            np.asarray(proposal, dtype=bool)[pairs.position]
        )
        # Grouped by buddy in one sort (a scan of every pair per buddy
        # cost 851 x 89,000 on "national"); ascending pair indices
        # within each buddy.
        rows = pairs.buddy_row[chosen]
        order = np.argsort(rows, kind="stable")
        cuts = np.searchsorted(rows[order], np.arange(pairs.n_buddies + 1))
        return [
            (b, chosen[order[cuts[b] : cuts[b + 1]]])
            for b in range(pairs.n_buddies)
            if cuts[b + 1] > cuts[b]
        ]

    def stage(
        self,
        priority: int | None,
        fixed: dict[int, int],
        seconds: float,
        *,
        start: NDArray[np.bool_] | None = None,
        max_iterations: int | None = None,
    ) -> StageBound:
        """Bound one stage, within *seconds*; the bound is always valid.

        Parameters
        ----------
        priority
            The cover stage of this priority, or ``None`` for quality.
        fixed
            Priority -> needs covered: the stage is bounded given at
            least these counts (the priorities above it).
        seconds
            Wall seconds for the stage (``math.inf``: until converged or
            *max_iterations*).
        start
            A proposal meeting *fixed*: its columns join the master, so
            the restricted master meets the counts from the start.
        max_iterations
            Cap on pricing rounds.
        """
        if self.result.stages and self.restart:
            self.master = _restarted(self.master, self.cands, self.seeds)
        for b, items in self._columns_of(start):
            self.master.add_column(b, items)
        deadline = time.perf_counter() + max(0.0, seconds)
        bound = _stage(
            self.master,
            priority,
            fixed,
            deadline,
            max_iterations,
            self.smoothing,
            self.stop,
        )
        self.result.stages.append(bound)
        return bound

    def guide(self) -> list[IntArray]:
        """The last master solution's columns (candidate positions) that
        carry weight, heaviest first: a rounding of the LP solution takes
        them in this order (`buddymatch.solvers.greedy.greedy_start`)."""
        master = self.master
        weights = master.weights
        order = np.argsort(-weights, kind="stable")
        return [
            self.pairs.position[master.columns[c]]
            for c in order.tolist()
            if weights[c] > GUIDE_WEIGHT
        ]

    def finish(self) -> Decomposition:
        """Return the bounds so far, the last master solution and the
        pool (see `Decomposition`)."""
        result, pairs, master = self.result, self.pairs, self.master
        result.columns = [pairs.position[c] for c in master.columns]
        result.column_buddy = pairs.buddies[
            np.array(master.column_buddy, dtype=np.int64)
        ].astype(np.int64)
        # Columns added after the last solve have no weight yet.
        result.weights = np.zeros(len(master.lam))
        result.weights[: len(master.weights)] = master.weights
        result.need_cover = master.need_cover
        # A column holds a pair at most once, so one bincount over all
        # columns adds the same weights in the same order as a loop.
        sizes = [len(c) for c in master.columns]
        result.pair_weight = np.bincount(
            np.concatenate(result.columns)
            if sizes
            else np.zeros(0, dtype=np.int64),
            weights=np.repeat(result.weights, sizes),
            minlength=self.cands.n_candidates,
        ).astype(np.float64)
        result.pool_columns = [pairs.position[c] for c in self.pool.columns]
        result.pool_buddy = pairs.buddies[
            np.array(self.pool.buddy_row, dtype=np.int64)
        ].astype(np.int64)
        return result


def decomposition_bounds(
    cands: CandidateSet,
    *,
    cover: dict[int, int] | None = None,
    time_limit: float = 60.0,
    start: NDArray[np.bool_] | None = None,
    max_iterations: int | None = None,
    smoothing: float = DUAL_SMOOTHING,
    restart: bool = True,
    stop: threading.Event | None = None,
) -> Decomposition:
    """Return valid upper bounds for each stage of the objective.

    Parameters
    ----------
    cands
        The candidate pairs of a (problem, policy).
    cover
        Priority -> needs covered, as achieved by a proposal: the cover
        stage of priority ``p`` is bounded given at least these counts
        for the priorities above ``p``, and the quality stage given all
        of them.  ``None`` (or a missing priority) fixes nothing, which
        is valid but weaker.
    time_limit
        Seconds for all stages; each stage gets an equal share of the
        time left and always returns a valid bound.
    max_iterations
        Cap on pricing rounds per stage (for tests).
    start, smoothing, restart
        As for `Decomposer`.
    stop
        An event that, once set, ends the pricing after the round that
        runs (its LP is not interrupted) and skips the stages left: every
        bound found stays valid, and a stage not reached has none.

    Returns
    -------
    Decomposition
        The bounds per stage, the last master solution, and the pool of
        every column generated.
    """
    began = time.perf_counter()
    decomposer = Decomposer(
        cands, start, smoothing=smoothing, restart=restart, stop=stop
    )
    if decomposer.empty:
        return decomposer.result
    cover = dict(cover or {})
    stages = decomposer.stages
    for i, priority in enumerate(stages):
        if stop is not None and stop.is_set():
            break
        left = time_limit - (time.perf_counter() - began)
        above = [q for q in PRIORITY_ORDER if priority is None or q > priority]
        fixed = {q: int(cover[q]) for q in above if cover.get(q)}
        decomposer.stage(
            priority,
            fixed,
            max(0.0, left) / (len(stages) - i),
            max_iterations=max_iterations,
        )
    return decomposer.finish()
