"""Wires variables, constraints and objective; runs CP-SAT in stages.

This is the only place CP-SAT statuses and values are read: every status is
mapped explicitly (MODEL_INVALID and anything unknown raise
[`SolverError`][buddymatch.errors.SolverError]), and solver values leave as a
plain
numpy mask over the candidate pairs.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Collection, Sequence
from typing import Any

import numpy as np
from ortools.sat.python import cp_model

from buddymatch.candidates import CandidateSet
from buddymatch.errors import SolverError
from buddymatch.scoring import from_units
from buddymatch.solvers.cpsat.constraints import Constraints
from buddymatch.solvers.cpsat.objective import (
    PRIORITY_ORDER,
    cover_terms,
    fix_cover,
    quality_coefficients,
    set_cover_objective,
    set_quality_objective,
)
from buddymatch.solvers.cpsat.variables import Variables
from buddymatch.solvers.progress import Reporter
from buddymatch.solvers.settings import Outcome, SolverSettings

log = logging.getLogger("buddymatch")


#: Most of the time left that one cover stage may use, so that the quality
#: stage always runs and reports a bound (measured on "national": without
#: it the priority-3 stage took the whole limit).
COVER_SHARE = 0.3
#: When only cover stages run (the staged search settles one priority and
#: searches the lower ones for a good start of their own stages), the
#: share of the time left that a stage with more to search after it takes.
FIRST_COVER_SHARE = 0.7
#: Above this many assignment variables, presolve is kept light: on
#: "national" (89k variables) full presolve (probing, symmetry, repeated
#: passes) took every stage's whole time limit.
LARGE_MODEL = 20_000
#: Up to this many assignment variables, every search runs with the
#: strongest linear relaxation (``linearization_level`` 2, CP-SAT's
#: "max_lp" worker): with the cover fixed, the quality stage is close to
#: a transportation problem whose LP bound is nearly tight, and that bound
#: is what proves it.  Measured on 15 x 4-need, 230-buddy instances
#: (benchmarks/bench_small.py): one worker with it proved every instance
#: optimal in 0.01-0.04 s per stage, where one worker without it took
#: 0.9-10 s and two workers (no "max_lp" in their portfolio) up to 10 s
#: without a proof.  False gives CP-SAT's defaults (for comparison).
SMALL_MODEL_LP = True

_STATUS = {
    cp_model.OPTIMAL: "optimal",
    cp_model.FEASIBLE: "feasible",
    cp_model.INFEASIBLE: "infeasible",
    cp_model.UNKNOWN: "unknown",
}


def settled_share(
    priority: int,
    searched: bool | Collection[int | None] | None,
    order: Sequence[int],
) -> float:
    """The share of the time left that the cover stage of *priority* may
    take when no quality stage follows (the staged search): all of it for
    the last stage searched, else `FIRST_COVER_SHARE`."""
    later = order[order.index(priority) + 1 :]
    if searched is None or isinstance(searched, bool):
        follows = searched is not False and bool(later)
    else:
        follows = any(q in searched for q in later)
    return FIRST_COVER_SHARE if follows else 1.0


def gap_of(objective: float, bound: float) -> float:
    """Return ``|bound - objective| / max(1, |objective|)``."""
    return abs(bound - objective) / max(1.0, abs(objective))


class _Progress(cp_model.CpSolverSolutionCallback):
    """Reports each improving solution of the quality stage."""

    def __init__(self, report: Reporter, proof: bool) -> None:
        super().__init__()
        self._report = report
        self._proof = proof

    def on_solution_callback(self) -> None:
        objective = from_units(round(self.objective_value))
        if self._proof:
            bound = from_units(round(self.best_objective_bound))
            gap = gap_of(objective, bound)
        else:
            # The model's bound holds for the shortlist only: report none.
            bound = gap = math.nan
        self._report.quality_found(objective, bound, gap)


class _CoverProgress(cp_model.CpSolverSolutionCallback):
    """Reports each improving solution of a cover stage: the needs of
    its priority it meets."""

    def __init__(self, report: Reporter, priority: int) -> None:
        super().__init__()
        self._report = report
        self._priority = priority

    def on_solution_callback(self) -> None:
        self._report.cover_found(self._priority, round(self.objective_value))


class _Stopper:
    """Stops a running solve when the caller's event is set.

    CP-SAT's ``stop_search`` does nothing before the solve has begun, so
    once the event is set it is called again until the solve ends: a stop
    that comes while the model is handed over still takes effect.
    """

    def __init__(
        self, solver: cp_model.CpSolver, event: threading.Event | None
    ) -> None:
        self._solver = solver
        self._event = event
        self._done = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> _Stopper:
        if self._event is not None:
            self._thread = threading.Thread(target=self._watch, daemon=True)
            self._thread.start()
        return self

    def _watch(self) -> None:
        assert self._event is not None
        # Wait on the end of the solve, not on the stop event, so that a
        # solve that ends by itself releases this thread at once (waiting
        # on the stop event cost every stage up to a whole poll).
        while not self._done.wait(STOP_POLL_SECONDS):
            if self._event.is_set():
                self._solver.stop_search()

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        if self._thread is not None:
            self._thread.join()


#: Seconds between two looks at the stop event while a solve runs (and
#: between two calls of ``stop_search`` once it is set).
STOP_POLL_SECONDS = 0.05


def stage_timing(
    solver: cp_model.CpSolver, settings: SolverSettings
) -> dict[str, float]:
    """Stage timing for the result: deterministic time only, in
    deterministic mode, so that the output is byte-identical."""
    timing = {"dtime": round(solver.deterministic_time, 6)}
    if not settings.deterministic:
        timing["wall"] = solver.wall_time
    return timing


#: Full-problem workers of a small model, most useful first (see
#: `SMALL_MODEL_LP`).
SMALL_PORTFOLIO = ("max_lp", "default_lp", "core", "no_lp", "quick_restart")


def _solver(
    settings: SolverSettings,
    remaining: float,
    large: bool,
    small_lp: bool = False,
) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    params = solver.parameters
    params.num_workers = settings.workers
    params.random_seed = settings.seed
    params.log_search_progress = settings.log_search
    # Never CP-SAT's SIGINT handler: it ended only the stage running and
    # swallowed Ctrl-C, so the call went on to its time limit.  Signals
    # reach the search through the stop event instead (see
    # buddymatch.solvers.interrupt).
    params.catch_sigint_signal = False
    if settings.deterministic:
        # Interleaved search with a deterministic time limit gives the same
        # answer for the same model, whatever the machine's load.
        params.interleave_search = True
        params.max_deterministic_time = max(remaining, 0.01)
    else:
        params.max_time_in_seconds = max(remaining, 0.01)
    if small_lp and not large:
        if settings.workers == 1 and not settings.deterministic:
            params.linearization_level = 2
        elif settings.workers < 8:
            # CP-SAT's portfolio for fewer than 8 workers, and interleaved
            # (deterministic) search, have no worker with the full
            # relaxation: make the first of them that worker.  In
            # deterministic mode this proved "nhs" seeds 1, 2, 4 in
            # 0.05-0.23 deterministic seconds instead of 0.8-3.1.
            params.subsolvers.extend(SMALL_PORTFOLIO[: settings.workers])
    if large:
        params.max_presolve_iterations = 1
        params.cp_model_probing_level = 0
        params.symmetry_level = 0
    if settings.log_search:
        # The log goes to the library's logger only, never to stdout.
        params.log_to_stdout = False
        solver.log_callback = log.info
    for name, value in settings.extra.items():
        # Expert settings from the caller (e.g. benchmarks) win.
        setattr(params, name, value)
    return solver


def counted_record(
    name: str, count: int, deterministic: bool
) -> dict[str, Any]:
    """The record of a cover stage proven by counting, without a solve:
    the warm start already meets every need of it that can be met."""
    record: dict[str, Any] = {
        "stage": name,
        "status": "optimal",
        "objective": float(count),
        "dtime": 0.0,
    }
    if not deterministic:
        record["wall"] = 0.0
    return record


def stage_record(
    name: str,
    status: str,
    solver: cp_model.CpSolver,
    settings: SolverSettings,
) -> dict[str, Any]:
    """The result's record of one cover stage: its name, status, the
    needs it met (when it found a solution) and its timing."""
    return {
        "stage": name,
        "status": status,
        "objective": solver.objective_value
        if status in ("optimal", "feasible")
        else None,
        **stage_timing(solver, settings),
    }


def run_stage(
    model: cp_model.CpModel,
    settings: SolverSettings,
    remaining: float,
    large: bool,
    callback: cp_model.CpSolverSolutionCallback | None = None,
    small_lp: bool = False,
) -> tuple[cp_model.CpSolver, str]:
    """Solve *model* once, with every CP-SAT status mapped explicitly.

    Shared by the engine's stages and the integer master
    (`master`), so both read statuses in this one place.

    Returns
    -------
    tuple
        The solver (for values and bounds) and ``optimal``, ``feasible``,
        ``infeasible`` or ``unknown``.

    Raises
    ------
    SolverError
        If CP-SAT reports MODEL_INVALID (a bug in buddymatch) or a status
        not known here.
    """
    solver = _solver(settings, remaining, large, small_lp)
    with _Stopper(solver, settings.stop):
        code = solver.solve(model, callback)
    if code == cp_model.MODEL_INVALID:
        raise SolverError(
            "CP-SAT rejected the model as invalid (a bug in buddymatch): "
            + model.validate()
        )
    if code not in _STATUS:
        raise SolverError(f"unknown CP-SAT status {code!r}")
    return solver, _STATUS[code]


def solve(
    cands: CandidateSet,
    usable: np.ndarray,
    forced: list[list[int]],
    settings: SolverSettings,
    report: Reporter | None = None,
    warm: np.ndarray | None = None,
    proof: bool = True,
    cover_search: bool | Collection[int] = True,
    quality_stage: bool = True,
) -> Outcome:
    """Solve the matching lexicographically and return what was found.

    Parameters
    ----------
    cands
        The candidate pairs.
    usable
        Mask of candidates that get a variable (their need can be covered).
    forced
        Pins, each a group of candidate positions of which at least one
        must be chosen.
    settings
        Solver settings; ``time_limit`` is shared by all stages, and
        once ``stop`` is set no stage starts and the one running ends.
    report
        Told of each stage and each improving solution.
    warm
        A proposal obeying every hard rule (mask over candidates), given
        to CP-SAT as a hint and returned if nothing better is found.
    proof
        False when *usable* is a shortlist of the pairs that could be
        used: then nothing is reported ``optimal`` and no bound is
        given.
    cover_search
        False to keep the warm start's cover per priority instead of
        searching for more (a stage is still proven when the count shows
        every need of that priority that can be met is met); or the
        priorities to search, the others kept.
    quality_stage
        False to stop after the cover stages (the staged search of
        `buddymatch.solvers.staged` searches one at a time): a cover
        stage may then use all the time left, not `COVER_SHARE`,
        and the outcome is ``feasible`` with no quality bound.
    """
    start = time.perf_counter()
    spent = 0.0  # deterministic time, in deterministic mode
    model = cp_model.CpModel()
    variables = Variables(model, cands, usable)
    Constraints(model, cands, variables, forced).add_all()
    large = len(variables.assign) > LARGE_MODEL

    chosen = np.zeros(cands.n_candidates, dtype=bool)
    if not variables.assign:
        # Nothing can be assigned: the empty proposal is optimal (pins
        # were checked against the candidates before we got here).
        return Outcome("optimal", chosen, bound=0.0)

    def remaining() -> float:
        if settings.deterministic:
            return settings.time_limit - spent
        now = time.perf_counter()
        left = settings.time_limit - (now - start)
        if settings.deadline is not None:
            left = min(left, settings.deadline - now)
        return left

    def stopped() -> bool:
        return settings.stop is not None and settings.stop.is_set()

    # A shortlist's stages are named as such in the progress reports.
    label = "" if proof else " (shortlist)"

    stages: list[dict[str, Any]] = []
    proven = True
    # The best solution so far, over the assignment variables.
    best: np.ndarray | None = None
    n_needs = len(cands.problem.needs)
    priorities = np.array([n.priority for n in cands.problem.needs])
    scores, partnership = quality_coefficients(cands, variables)
    unit_scores = np.asarray(scores, dtype=np.int64)

    def rank(values: np.ndarray) -> tuple[int, ...]:
        """Cover per priority (most urgent first), then quality units:
        the order in which the objective compares two proposals."""
        met = (
            np.bincount(
                cands.need[variables.positions][values], minlength=n_needs
            )
            > 0
        )
        partnerships = len(np.unique(variables.pair_partner[values]))
        quality = int(unit_scores[values].sum()) - partnership * partnerships
        return (
            *(int((met & (priorities == p)).sum()) for p in PRIORITY_ORDER),
            quality,
        )

    def keep_better(values: np.ndarray) -> None:
        nonlocal best
        if best is None or rank(values) >= rank(best):
            best = values

    def take(solver: cp_model.CpSolver) -> np.ndarray:
        values = solver.boolean_values(variables.assign).to_numpy()
        return np.asarray(values, dtype=bool)

    covered_needs = np.fromiter(variables.covered, dtype=np.int64)
    hint_index = np.concatenate(
        [
            [v.index for v in variables.assign],
            [variables.covered[int(n)].index for n in covered_needs],
            [v.index for v in variables.partner],
        ]
    ).astype(np.int64)

    def hint(values: np.ndarray) -> None:
        """Hint a complete solution: assignments, cover and partnerships.

        Written straight into the model's hint message: one Python call
        per variable cost 0.65 s on "national".
        """
        per_need = np.bincount(
            cands.need[variables.positions][values], minlength=n_needs
        )
        used = np.zeros(len(variables.partner), dtype=bool)
        used[variables.pair_partner[values]] = True
        hinted = np.concatenate(
            [values, per_need[covered_needs] > 0, used]
        ).astype(np.int64)
        model.clear_hints()
        model.proto.solution_hint.vars.extend(hint_index.tolist())
        model.proto.solution_hint.values.extend(hinted.tolist())

    def report_best() -> None:
        """Tell the caller the cover and quality of the best so far."""
        if report is None or not report.wants_events or best is None:
            return
        found = rank(best)
        report.best(
            dict(zip(PRIORITY_ORDER, found, strict=False)),
            quality=from_units(found[-1]),
        )

    if warm is not None:
        best = np.asarray(warm[variables.positions], dtype=bool)
        hint(best)

    kept: list[tuple[int, int]] = []  # (stage, needs that can be met)
    # Each priority's cover is at most the number of its needs that can be
    # met at all; a stage proven or bounded by CP-SAT lowers that.
    cover_bounds = {
        priority: len(cover_terms(cands, variables, priority))
        for priority in PRIORITY_ORDER
    }

    def bounds() -> dict[int, int]:
        return cover_bounds if proof else {}

    for stage, priority in enumerate(PRIORITY_ORDER):
        terms = cover_terms(cands, variables, priority)
        if not terms:
            continue
        name = f"cover priority {priority}"
        if best is not None and rank(best)[stage] == len(terms):
            # Every need of this priority that can be met is met: the
            # count is an upper bound, so this cover is proven optimal
            # without a solve.
            stages.append(
                counted_record(name, len(terms), settings.deterministic)
            )
            fix_cover(model, terms, len(terms))
            continue
        searched = (
            cover_search
            if isinstance(cover_search, bool)
            else priority in cover_search
        )
        if not searched and best is not None:
            # The warm start's cover is kept as it is: the time goes to
            # quality and its bound (see propose's shortlist phase).
            stages.append(
                {
                    "stage": name,
                    "status": "kept",
                    "objective": float(rank(best)[stage]),
                }
            )
            fix_cover(model, terms, rank(best)[stage])
            # Proven only if the final proposal meets every need of this
            # priority that can be met (checked at the end).
            kept.append((stage, len(terms)))
            continue
        if stopped() and best is None:
            return Outcome("no_solution", chosen, stages=stages)
        if (remaining() <= 0 or stopped()) and best is not None:
            # Out of time, or stopped by the caller: keep the warm start.
            proven = False
            break
        set_cover_objective(model, terms)
        share = (
            COVER_SHARE
            if quality_stage
            else settled_share(priority, cover_search, PRIORITY_ORDER)
        )
        if report is not None:
            report.phase(name + label)
        # A cover stage may use only part of the time left, so that later
        # stages (and the quality bound) always get their turn.
        solver, status = run_stage(
            model,
            settings,
            share * remaining(),
            large,
            _CoverProgress(report, priority)
            if report is not None and report.wants_events
            else None,
            small_lp=SMALL_MODEL_LP,
        )
        spent += solver.deterministic_time
        stages.append(stage_record(name, status, solver, settings))
        if status == "infeasible":
            return Outcome("infeasible", chosen, stages=stages)
        if status == "unknown":
            if best is None:
                return Outcome("no_solution", chosen, stages=stages)
            proven = False
            break
        proven &= status == "optimal"
        # The stage's bound holds for every proposal that keeps the cover
        # fixed for the stages before (at least what this one meets).
        # Cover is a whole number of needs, so the bound rounds down.
        cover_bounds[priority] = min(
            cover_bounds[priority],
            math.floor(solver.best_objective_bound + 1e-6),
        )
        keep_better(take(solver))
        assert best is not None
        fix_cover(model, terms, rank(best)[stage])
        hint(best)
        report_best()

    if stopped() and best is None:
        return Outcome("no_solution", chosen, stages=stages)
    if (
        remaining() <= 0 or stopped() or not quality_stage
    ) and best is not None:
        chosen[variables.positions[best]] = True
        return Outcome(
            "feasible", chosen, stages=stages, cover_bounds=bounds()
        )
    set_quality_objective(model, cands, variables)
    callback = None
    if report is not None:
        report.phase("quality" + label)
        report_best()
        if report.progress is not None or report.wants_events:
            callback = _Progress(report, proof)
    solver, status = run_stage(
        model,
        settings,
        remaining(),
        large,
        callback,
        small_lp=SMALL_MODEL_LP,
    )
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
    if status == "infeasible":  # only when no cover stage ran
        return Outcome("infeasible", chosen, stages=stages)
    bound: float | None = None
    if status in ("optimal", "feasible"):
        keep_better(take(solver))
        proven &= status == "optimal"
        # A valid bound whichever solution is kept: both meet the fixed
        # cover of every stage.
        bound = from_units(round(solver.best_objective_bound))
    elif best is None:
        return Outcome("no_solution", chosen, stages=stages)
    else:
        proven = False  # time ran out: keep the best so far, no bound
    assert best is not None
    # A kept cover that the quality stage brought up to every need that
    # can be met is proven by counting; the quality bound holds for it
    # too, since it was computed under a weaker cover constraint.
    final = rank(best)
    proven &= all(final[stage] == total for stage, total in kept)
    chosen[variables.positions[best]] = True
    if not proof:
        # Optimal on the shortlist proves nothing about all the pairs.
        return Outcome("feasible", chosen, bound=None, stages=stages)
    return Outcome(
        "optimal" if proven else "feasible",
        chosen,
        bound=bound,
        stages=stages,
        cover_bounds=cover_bounds,
    )
