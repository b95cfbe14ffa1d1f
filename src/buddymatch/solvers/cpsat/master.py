"""An integer programme over per-buddy columns (price-and-branch).

The decomposition of `buddymatch.solvers.decomposition` generates
*columns*: each a set of candidate pairs one buddy takes on, within its
capacity and partner limit, at most one pair per need.  Choosing at most
one column per buddy, so that every covered need gets exactly its
``buddies`` columns, is a proposal; this module finds the best such
choice with CP-SAT, lexicographically like the engine (cover of priority
3, then 2, then 1, then quality).

Model
-----
One Boolean ``x[c]`` per column and ``covered[n]`` per need held by some
column::

    sum_{c of buddy b} x[c] <= 1                            (buddy b)
    sum_{c holds n} x[c] == buddies[n] * covered[n]          (need n)
    sum_{c touches seeker s} x[c] <= max_buddies_per_seeker  (seeker s)
    sum_c fee[c] x[c] <= budget                  (whole pence)
    sum_{c holds a pair of pin group g} x[c] >= 1            (pin g)

A buddy has at most one column, so the columns touching a seeker are
that many distinct buddies, and a column of buddy ``b`` touching seekers
``S`` is ``|S|`` partnerships: its quality is its pairs' score units
minus ``|S|`` partnership costs, in the engine's integer units.

The answer is the best over *the given columns only*: ``optimal`` here
proves nothing about the whole problem, whose optimum may need a column
that was never generated.  A start proposal's own columns are added to
the pool and hinted, so the answer never ranks below it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from ortools.sat.python import cp_model

from buddymatch.candidates import CandidateSet
from buddymatch.rules import partner_limit
from buddymatch.scoring import from_units, to_units
from buddymatch.solvers.cpsat.constraints import budget_units
from buddymatch.solvers.cpsat.objective import (
    PRIORITY_ORDER,
    check_range,
    fix_cover,
    maximize,
)
from buddymatch.solvers.cpsat.solve import (
    COVER_SHARE,
    LARGE_MODEL,
    counted_record,
    run_stage,
    settled_share,
    stage_record,
    stage_timing,
)
from buddymatch.solvers.room import fee_units_of, usable_candidates
from buddymatch.solvers.settings import SolverSettings

__all__ = ["MasterOutcome", "integer_master"]

IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]


@dataclass
class MasterOutcome:
    """What the integer master found, as plain data.

    Attributes
    ----------
    chosen
        Mask over all candidate pairs: the pairs of the chosen columns.
    status
        ``"optimal"`` (every stage proven, over the given columns only),
        ``"feasible"`` or ``"no_solution"`` (no choice of the given
        columns obeys the pins, or none was found in time).
    stages
        One record per stage, as the engine's: ``stage``, ``status``,
        ``objective`` (needs, or quality points) and timing.
    columns
        Distinct columns in the model (the start's included).
    """

    chosen: BoolArray
    status: str
    stages: list[dict[str, Any]] = field(default_factory=list)
    columns: int = 0


class _Columns:
    """The distinct columns, flattened: pair ``flat[i]`` is in column
    ``owner[i]``; each column's buddy, fee, quality and seekers."""

    def __init__(
        self,
        cands: CandidateSet,
        columns: Sequence[IntArray],
        column_buddy: IntArray,
        start: BoolArray | None,
    ) -> None:
        kept: list[IntArray] = []
        buddy: list[int] = []
        index: dict[tuple[int, bytes], int] = {}

        def add(b: int, positions: IntArray) -> None:
            positions = np.unique(np.asarray(positions, dtype=np.int64))
            if not len(positions):
                return
            key = (b, positions.tobytes())
            if key not in index:
                index[key] = len(kept)
                kept.append(positions)
                buddy.append(b)

        if len(columns) != len(column_buddy):
            raise ValueError(
                f"{len(columns)} columns but {len(column_buddy)} buddies"
            )
        for positions, b in zip(columns, column_buddy.tolist(), strict=True):
            add(int(b), positions)
        self.start: list[int] = []
        if start is not None:
            picked = np.flatnonzero(np.asarray(start, dtype=bool))
            owners = cands.buddy[picked]
            for b in np.unique(owners).tolist():
                add(int(b), picked[owners == b])
                self.start.append(
                    index[(int(b), np.unique(picked[owners == b]).tobytes())]
                )
        self.positions = kept
        self.buddy = np.array(buddy, dtype=np.int64)
        sizes = np.array([len(c) for c in kept], dtype=np.int64)
        self.flat = (
            np.concatenate(kept) if kept else np.zeros(0, dtype=np.int64)
        )
        self.owner = np.repeat(np.arange(len(kept), dtype=np.int64), sizes)
        self.need = cands.need[self.flat].astype(np.int64)
        self.seeker = cands.need_seeker[self.need].astype(np.int64)
        self._check(cands)
        n = len(kept)
        scores = to_units(np.asarray(cands.score[self.flat], np.float64))
        self.score = np.bincount(
            self.owner, weights=np.asarray(scores, np.float64), minlength=n
        ).astype(np.int64)
        fees = fee_units_of(cands.fee[self.flat])
        self.fee = np.bincount(
            self.owner, weights=fees.astype(np.float64), minlength=n
        ).astype(np.int64)
        # (column, seeker) touches, each once.
        touch = np.unique(
            np.stack([self.owner, self.seeker], axis=1), axis=0
        ).reshape(-1, 2)
        self.touch_column = touch[:, 0]
        self.touch_seeker = touch[:, 1]
        self.n_seekers = np.bincount(self.touch_column, minlength=n)

    def __len__(self) -> int:
        return len(self.positions)

    def _check(self, cands: CandidateSet) -> None:
        """Raise ``ValueError`` unless every column is one a buddy could
        take on alone: usable pairs of that buddy, one per need, within
        its capacity and partner limit."""
        problem, policy = cands.problem, cands.policy
        n = len(self.positions)
        if not n:
            return
        bad: list[str] = []
        usable = usable_candidates(cands)
        if not usable[self.flat].all():
            bad.append("a pair that can never be chosen")
        if np.any(cands.buddy[self.flat] != self.buddy[self.owner]):
            bad.append("a pair of another buddy")
        if len(np.unique(self.owner * len(problem.needs) + self.need)) < len(
            self.flat
        ):
            bad.append("two pairs of one need")
        capacity = np.array([t.capacity for t in problem.trusts], np.int64)
        load = np.bincount(
            self.owner,
            weights=cands.workload[self.flat].astype(np.float64),
            minlength=n,
        )
        if np.any(load > capacity[self.buddy]):
            bad.append("more workload than the buddy's capacity")
        limits = [partner_limit(t, policy) for t in problem.trusts]
        limit = np.array(
            [-1 if lim is None else lim for lim in limits], dtype=np.int64
        )
        seekers = np.unique(
            self.owner * max(1, len(cands.seekers)) + self.seeker
        ) // max(1, len(cands.seekers))
        partners = np.bincount(seekers, minlength=n)
        own = limit[self.buddy]
        if np.any((own >= 0) & (partners > own)):
            bad.append("more seekers than the buddy's partner limit")
        if bad:
            raise ValueError("a column holds " + "; ".join(bad))


def _groups(keys: IntArray, values: IntArray) -> dict[int, list[int]]:
    """Map each key to its values (keys and values aligned)."""
    order = np.argsort(keys, kind="stable")
    keys, values = keys[order], values[order]
    cuts = np.flatnonzero(np.diff(keys)) + 1
    return {
        int(k[0]): v.tolist()
        for k, v in zip(
            np.split(keys, cuts), np.split(values, cuts), strict=True
        )
        if len(k)
    }


def integer_master(
    cands: CandidateSet,
    columns: Sequence[IntArray],
    column_buddy: IntArray,
    pins: list[list[int]],
    *,
    start: BoolArray | None = None,
    time_limit: float,
    seed: int = 0,
    workers: int = 1,
    deterministic: bool = False,
    stop: threading.Event | None = None,
    search: Collection[int | None] | None = None,
) -> MasterOutcome:
    """Choose at most one column per buddy, lexicographically best.

    Parameters
    ----------
    cands
        The candidate pairs of a (problem, policy).
    columns
        Candidate positions of each column (e.g.
        `pool_columns`);
        duplicates are dropped.
    column_buddy
        Trust index of each column's buddy.
    pins
        Pin groups: candidate positions of which at least one must be
        chosen (as `resolve_pins`
        gives them).
    start
        A proposal obeying every rule (mask over candidates): its
        columns join the pool and are hinted, so the answer ranks at
        least as high.
    time_limit
        Seconds (deterministic time in deterministic mode) for all
        stages; a cover stage uses at most ``COVER_SHARE`` of what is
        left, as in the engine.
    seed, workers, deterministic, stop
        As for the engine: CP-SAT's random seed and workers, interleaved
        search with a deterministic time limit, and an event that stops
        the search.
    search
        The stages to search: priorities, and ``None`` for quality; all
        by default.  A cover stage not searched keeps the start's count
        (at least), and without ``None`` the search ends after the
        cover stages; the staged search (`buddymatch.solvers.staged`)
        searches one stage at a time.

    Returns
    -------
    MasterOutcome
        The chosen pairs, the status over the given columns, the stages.

    Raises
    ------
    ValueError
        If a column is not one its buddy could take on alone.
    """
    began = time.perf_counter()
    spent = 0.0
    settings = SolverSettings(
        time_limit=time_limit,
        seed=seed,
        workers=workers,
        deterministic=deterministic,
        stop=stop,
    )
    pool = _Columns(cands, columns, np.asarray(column_buddy), start)
    chosen = np.zeros(cands.n_candidates, dtype=bool)
    n = len(pool)
    policy = cands.policy
    problem = cands.problem
    if n == 0:
        status = "no_solution" if pins else "optimal"
        return MasterOutcome(chosen, status, columns=0)
    check_range(
        cands.score[pool.flat], policy.partnership_cost, len(pool.flat)
    )
    cost = int(to_units(policy.partnership_cost))
    quality = pool.score - cost * pool.n_seekers

    model = cp_model.CpModel()
    x = [model.new_bool_var(f"column_{c}") for c in range(n)]
    for cols in _groups(pool.buddy, np.arange(n)).values():
        if len(cols) > 1:
            model.add_at_most_one([x[c] for c in cols])
    wanted = [need.buddies for need in problem.needs]
    priorities = np.array([need.priority for need in problem.needs])
    holding = _groups(pool.need, pool.owner)
    covered = {need: model.new_bool_var(f"covered_{need}") for need in holding}
    for need, cols in holding.items():
        model.add(
            cp_model.LinearExpr.sum([x[c] for c in cols])
            == wanted[need] * covered[need]
        )
    limit = policy.max_buddies_per_seeker
    if limit is not None:
        for cols in _groups(pool.touch_seeker, pool.touch_column).values():
            if len(cols) > limit:
                model.add(
                    cp_model.LinearExpr.sum([x[c] for c in cols]) <= limit
                )
    if policy.budget is not None:
        model.add(
            cp_model.LinearExpr.weighted_sum(x, pool.fee.tolist())
            <= budget_units(policy.budget)
        )
    holder = _groups(pool.flat, pool.owner)
    for group in pins:
        cols = sorted({c for k in group for c in holder.get(int(k), [])})
        if not cols:
            # No given column honours the pin.
            return MasterOutcome(chosen, "no_solution", columns=n)
        model.add_bool_or([x[c] for c in cols])

    need_of = {need: np.array(cols) for need, cols in holding.items()}
    needs = np.fromiter(holding, dtype=np.int64, count=len(holding))

    def rank(values: BoolArray) -> tuple[int, ...]:
        """Cover per priority (most urgent first), then quality units."""
        met = np.zeros(len(problem.needs), dtype=bool)
        met[pool.need[values[pool.owner]]] = True
        return (
            *(int((met & (priorities == p)).sum()) for p in PRIORITY_ORDER),
            int(quality[values].sum()),
        )

    hint_index = [v.index for v in x] + [covered[int(m)].index for m in needs]

    def hint(values: BoolArray) -> None:
        met = [bool(values[need_of[int(m)]].any()) for m in needs]
        model.clear_hints()
        model.proto.solution_hint.vars.extend(hint_index)
        model.proto.solution_hint.values.extend(
            [int(v) for v in values.tolist()] + [int(m) for m in met]
        )

    best: BoolArray | None = None
    if pool.start:
        best = np.zeros(n, dtype=bool)
        best[pool.start] = True
        hint(best)

    def keep_better(values: BoolArray) -> None:
        nonlocal best
        if best is None or rank(values) >= rank(best):
            best = values

    def remaining() -> float:
        if deterministic:
            return time_limit - spent
        return time_limit - (time.perf_counter() - began)

    def stopped() -> bool:
        return stop is not None and stop.is_set()

    def take(solver: cp_model.CpSolver) -> BoolArray:
        return np.asarray(solver.boolean_values(x).to_numpy(), dtype=bool)

    large = n > LARGE_MODEL
    stages: list[dict[str, Any]] = []
    proven = True
    for stage, priority in enumerate(PRIORITY_ORDER):
        terms = [covered[int(m)] for m in needs if priorities[m] == priority]
        if not terms:
            continue
        name = f"cover priority {priority}"
        if best is not None and rank(best)[stage] == len(terms):
            # Every need of this priority a column holds is met.
            stages.append(counted_record(name, len(terms), deterministic))
            fix_cover(model, terms, len(terms))
            continue
        if search is not None and priority not in search and best is not None:
            # Settled by the caller: kept, not searched.
            stages.append(
                {
                    "stage": name,
                    "status": "kept",
                    "objective": rank(best)[stage],
                }
            )
            fix_cover(model, terms, rank(best)[stage])
            proven = False
            continue
        if stopped() and best is None:
            return MasterOutcome(chosen, "no_solution", stages, n)
        if (remaining() <= 0 or stopped()) and best is not None:
            proven = False
            break
        maximize(model, [v.index for v in terms], [1] * len(terms))
        share = (
            COVER_SHARE
            if search is None or None in search
            else settled_share(priority, search, PRIORITY_ORDER)
        )
        solver, status = run_stage(model, settings, share * remaining(), large)
        spent += solver.deterministic_time
        stages.append(stage_record(name, status, solver, settings))
        if status == "infeasible":
            return MasterOutcome(chosen, "no_solution", stages, n)
        if status == "unknown":
            if best is None:
                return MasterOutcome(chosen, "no_solution", stages, n)
            proven = False
            break
        proven &= status == "optimal"
        keep_better(take(solver))
        assert best is not None
        fix_cover(model, terms, rank(best)[stage])
        hint(best)
    else:
        if stopped() and best is None:
            return MasterOutcome(chosen, "no_solution", stages, n)
        if search is not None and None not in search and best is not None:
            proven = False  # the cover stages only
        elif (remaining() > 0 and not stopped()) or best is None:
            maximize(model, [v.index for v in x], quality.tolist())
            solver, status = run_stage(model, settings, remaining(), large)
            spent += solver.deterministic_time
            stages.append(
                {
                    "stage": "quality",
                    "status": status,
                    "objective": from_units(round(solver.objective_value))
                    if status in ("optimal", "feasible")
                    else None,
                    **stage_timing(solver, settings),
                }
            )
            if status in ("optimal", "feasible"):
                keep_better(take(solver))
                proven &= status == "optimal"
            elif best is None:
                return MasterOutcome(chosen, "no_solution", stages, n)
            else:
                proven = False
        else:
            proven = False
    assert best is not None
    for c in np.flatnonzero(best).tolist():
        chosen[pool.positions[c]] = True
    return MasterOutcome(
        chosen, "optimal" if proven else "feasible", stages, n
    )
